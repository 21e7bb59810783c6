"""Unit tests of the pure step rules against values worked out by hand."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.targets import wilson_interval
from sim.model import rules
from sim.scenario.levers import apportion_counts, schedule, shares_by_year


def test_exit_hazard_follows_the_saic_age_profile_at_reference_size():
    ages = np.array([0, 1, 2, 3, 50])
    hazard = rules.exit_hazard(ages, np.full(5, 0.05), multiplier=1.0, size_elasticity=0.25)
    assert hazard.tolist() == pytest.approx([0.016, 0.063, 0.095, 0.088, 0.040])


def test_exit_hazard_size_multiplier_and_protection():
    # 16x the reference revenue with elasticity 0.25: 16^-0.25 = 0.5
    assert float(rules.exit_hazard(np.array(2), np.array(0.8), 1.0, 0.25)) == pytest.approx(0.0475)
    # the size factor is clipped at 0.1 for very large firms: 0.095 * 0.1
    assert float(rules.exit_hazard(np.array(2), np.array(1e6), 1.0, 0.25)) == pytest.approx(0.0095)
    # protection 0.4 and multiplier 2: 0.095 * 2 * 0.6
    assert float(rules.exit_hazard(np.array(2), np.array(0.05), 2.0, 0.25, 0.4)) == pytest.approx(0.114)
    assert float(rules.exit_hazard(np.array(2), np.array(1e-6), 10.0, 0.25)) == 0.6  # capped


def test_growth_volatility_falls_with_size_and_is_capped():
    assert float(rules.growth_volatility(np.array(1.0), 0.3, 0.2)) == pytest.approx(0.3)
    assert float(rules.growth_volatility(np.array(0.01), 0.3, 0.2)) == pytest.approx(0.3 * 100**0.2)
    assert float(rules.growth_volatility(np.array(1e-6), 0.5, 0.35)) == 1.0


def test_laplace_shocks_have_the_requested_sd_and_unbiased_level():
    rng = np.random.default_rng(1)
    sd = np.full(400_000, 0.5)
    shocks = rules.laplace_shocks(sd, rng.laplace(0.0, 1.0, size=sd.size))
    assert shocks.std() == pytest.approx(0.5, rel=0.01)
    assert np.exp(shocks).mean() == pytest.approx(1.0, abs=0.005)
    # tent shape: a Laplace variable has kurtosis 6 (a normal one 3)
    centred = shocks - shocks.mean()
    assert (centred**4).mean() / centred.var() ** 2 == pytest.approx(6.0, rel=0.05)


def test_young_firm_premium_halves_every_three_years():
    assert rules.young_firm_premium(np.array([0, 3, 6]), 0.2).tolist() == pytest.approx([0.2, 0.1, 0.05])


def test_log_growth_adds_its_terms():
    g = rules.log_growth(0.1, np.array(0.5), 0.09, np.array(0.2), 0.04, np.array(0.01),
                         np.array(0.05), np.array(-0.02))
    assert float(g) == pytest.approx(0.1 + 0.045 + 0.008 + 0.01 + 0.05 - 0.02)


def test_knowledge_and_relative_technology():
    assert float(rules.update_knowledge(np.array(10.0), np.array(2.0), 0.15, 1.5)) == pytest.approx(11.5)
    # a tenth of the frontier with exponent log10(2) stands at 0.5
    assert float(rules.relative_technology(np.array(1.0), 10.0, math.log10(2))) == pytest.approx(0.5)
    assert float(rules.relative_technology(np.array(10.0), 10.0, 0.3)) == pytest.approx(1.0)


def test_rd_spending_uses_sales_and_a_share_of_cash():
    rd, burn = rules.rd_spending(np.array(2.0), np.array(0.05), np.array(1.0))
    assert float(burn) == pytest.approx(0.4)
    assert float(rd) == pytest.approx(0.1 + 0.2)


@pytest.mark.parametrize(
    ("revenue", "rd", "researchers", "employees", "age", "expected"),
    [
        (0.4, 0.4 * 0.049, 10, 100, 2, False),  # below 5% under 50m yuan
        (0.4, 0.4 * 0.05, 10, 100, 2, True),
        (1.0, 0.039, 10, 100, 2, False),        # below 4% for 50-200m yuan
        (1.0, 0.04, 10, 100, 2, True),
        (3.0, 0.09, 10, 100, 2, True),          # 3% above 200m yuan
        (3.0, 0.09, 9, 100, 2, False),          # R&D staff under 10%
        (3.0, 0.09, 10, 100, 0, False),         # younger than one year
    ],
)
def test_high_tech_certification_rule(revenue, rd, researchers, employees, age, expected):
    got = rules.high_tech_eligible(np.array(revenue), np.array(rd), np.array(researchers),
                                   np.array(employees), np.array(age))
    assert bool(got) is expected


def test_innovation_rate_and_quality_share():
    assert float(rules.innovation_rate(np.array(4.0), 1.5, 0.5)) == pytest.approx(3.0)
    assert float(rules.innovation_rate(np.array(-1.0), 1.5, 0.5)) == 0.0
    # at the threshold half of the products pass; Monte Carlo agrees elsewhere
    assert float(rules.share_above(np.array(0.8), 0.8, 0.3)) == pytest.approx(0.5)
    rng = np.random.default_rng(3)
    draws = 0.6 * rng.lognormal(0.0, 0.3, size=200_000)
    assert float(rules.share_above(np.array(0.6), 0.8, 0.3)) == pytest.approx((draws >= 0.8).mean(), abs=0.005)


def test_allocate_proportional_hand_example():
    assert rules.allocate_proportional(10.0, np.array([1.0, 1.0, 2.0]), np.array([1.0, 10.0, 10.0])).tolist() == \
        pytest.approx([1.0, 3.0, 6.0])


@settings(max_examples=200, deadline=None)
@given(
    budget=st.floats(0, 100),
    weights=st.lists(st.floats(0, 10), min_size=1, max_size=20),
    caps=st.lists(st.floats(0, 10), min_size=20, max_size=20),
)
def test_allocate_proportional_never_exceeds_caps_or_budget(budget, weights, caps):
    w = np.array(weights)
    c = np.array(caps[: len(weights)])
    out = rules.allocate_proportional(budget, w, c)
    assert (out >= -1e-12).all()
    assert (out <= c + 1e-9).all()
    reachable = c[(w > 0) & (c > 0)].sum()
    assert out.sum() == pytest.approx(min(budget, reachable), abs=1e-6)
    assert (out[w == 0] == 0).all()


def test_top_k_noisy_without_noise_is_the_top_k():
    rng = np.random.default_rng(0)
    assert rules.top_k_noisy(np.array([0.1, 5.0, 3.0, 4.0]), 2, 0.0, rng.gumbel(size=4)).tolist() == [1, 3]
    picks = rules.top_k_noisy(np.arange(50.0), 10, 3.0, rng.gumbel(size=50))
    assert len(set(picks.tolist())) == 10
    assert rules.top_k_noisy(np.arange(5.0), 0, 1.0, rng.gumbel(size=5)).size == 0


def test_top_k_noisy_keeps_a_candidates_noise_when_another_leaves():
    """With noise given per candidate (as the model keys it per firm), removing a candidate that was
    not chosen leaves the choice as it was, and removing a chosen one promotes the next best."""
    rng = np.random.default_rng(3)
    score, noise = rng.normal(size=30), rng.gumbel(size=30)
    chosen = rules.top_k_noisy(score, 5, 1.0, noise)
    keep = np.setdiff1d(np.arange(30), chosen[-1:])  # the fifth choice is no longer a candidate
    again = keep[rules.top_k_noisy(score[keep], 5, 1.0, noise[keep])]
    assert again[:4].tolist() == chosen[:4].tolist() and again[4] not in chosen


def test_laplace_from_uniforms_matches_scipy():
    from scipy import stats

    u = np.random.default_rng(1).random(1000)
    assert np.allclose(rules.laplace_from_uniforms(u), stats.laplace.ppf(u))


def test_integer_draw_has_the_expected_mean():
    rng = np.random.default_rng(5)
    draws = [rules.integer_draw(2.3, rng) for _ in range(20_000)]
    assert set(draws) == {2, 3}
    assert np.mean(draws) == pytest.approx(2.3, abs=0.01)


def test_pareto_sizes_sum_to_total_and_respect_the_cap():
    sizes = rules.pareto_sizes(500, 1000.0, 1.05, 0.2, np.random.default_rng(2))
    assert sizes.sum() == pytest.approx(1000.0)
    assert sizes.max() <= 200.0 + 1e-9


def test_schedule_and_shares():
    years = np.arange(2024, 2029)
    assert schedule(years, 2025, 2027, 1).tolist() == [0.0, 0.5, 1.0, 1.0, 0.0]
    shares = shares_by_year(years, np.array([0.5, 0.5]), [(2026, np.array([1.0, 0.0]))])
    assert shares.tolist() == [[0.5, 0.5], [0.5, 0.5], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]


def test_apportion_counts_hand_example_and_totals():
    assert apportion_counts(np.array([1.5, 1.5]), np.full((2, 2), 0.5)).tolist() == [[1, 0], [1, 1]]
    rate = np.array([2.5] * 6)
    shares = np.tile([0.6, 0.3, 0.1], (6, 1))
    counts = apportion_counts(rate, shares)
    assert counts.sum(axis=1).tolist() == [2, 3, 2, 3, 2, 3]
    assert counts.sum(axis=0).tolist() == [9, 5, 1]  # 15 units at 60/30/10 per cent, largest remainders


def test_wilson_interval_known_values():
    assert wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_productivity_step_hand_example_and_stationary_dispersion():
    # 0.8 * 0.5 + sqrt(1 - 0.64) * 0.5 * 1.0 = 0.4 + 0.3
    assert float(rules.productivity_step(np.array(0.5), 0.8, 0.5, np.array(1.0))) == pytest.approx(0.7)
    rng = np.random.default_rng(3)
    z = rng.normal(0.0, 0.55, 200_000)
    z5 = z
    for _ in range(5):
        z5 = rules.productivity_step(z5, 0.8, 0.55, rng.standard_normal(len(z)))
    assert np.std(z5) == pytest.approx(0.55, rel=0.01)         # the distribution is kept
    assert np.corrcoef(z, z5)[0, 1] == pytest.approx(0.8**5, abs=0.01)  # ranks move: 5-year r = 0.33
    top = z > np.quantile(z, 0.8)
    retained = float(np.mean(z5[top] > np.quantile(z5, 0.8)))
    assert 0.3 < retained < 0.5  # far from the 1.0 of a fixed ranking, above the 0.2 of none


def test_ninety_ten_ratio_of_lognormal_productivity():
    assert rules.ninety_ten_ratio(0.0) == 1.0
    assert rules.ninety_ten_ratio(0.54) == pytest.approx(math.exp(2 * 1.2815516 * 0.54), rel=1e-6)
    x = np.exp(np.random.default_rng(1).normal(0.0, 0.55, 200_000))
    assert np.percentile(x, 90) / np.percentile(x, 10) == pytest.approx(rules.ninety_ten_ratio(0.55), rel=0.02)


def test_attachment_weights_trade_size_for_technology():
    w = rules.attachment_weights(np.array([4.0, 1.0, 1.0]), np.array([0.25, 1.0, 0.5]), 1.0, 1.0)
    assert w.tolist() == pytest.approx([1.0, 1.0, 0.5])
    # exponent 0 on technology is attachment by size alone
    assert rules.attachment_weights(np.array([2.0, 1.0]), np.array([0.1, 1.0]), 1.0, 0.0).tolist() == [2.0, 1.0]


def test_diversification_hazard_grows_with_demand_and_zones_and_saturates():
    base = rules.diversification_hazard(0.01, np.array(0.0), 0.5, np.array(0.0), 0.4)
    assert float(base) == pytest.approx(0.01)
    # demand e - 1 (log1p = 1) and a municipal zone (strength 1): 0.01 * 1.5 * 1.4
    assert float(rules.diversification_hazard(0.01, np.array(math.e - 1), 0.5, np.array(1.0), 0.4)) == \
        pytest.approx(0.021)
    demand = np.array([0.0, 1.0, 2.0, 4.0, 8.0])
    h = rules.diversification_hazard(0.01, demand, 0.5, np.zeros(5), 0.4)
    gains = np.diff(h) / np.diff(demand)
    assert np.all(np.diff(h) > 0) and np.all(np.diff(gains) < 0)  # diminishing returns to demand
    assert float(rules.diversification_hazard(0.9, np.array(100.0), 1.0, np.array(2.0), 0.8)) == 1.0


def test_programme_success_falls_as_the_reservoir_empties():
    assert rules.programme_success(0.6, np.array([100.0, 50.0, 0.0]), np.full(3, 100.0)).tolist() == \
        pytest.approx([0.6, 0.3, 0.0])
    assert rules.programme_success(0.6, np.array([5.0]), np.array([0.0])).tolist() == [0.0]  # no reservoir


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**63 - 1), min_size=1, max_size=6))
def test_fast_seeding_gives_the_same_generator_as_a_list_of_integers(values):
    # the model seeds thousands of generators a run from uint32 words; they must be numpy's own streams
    from sim.model.streams import generator, seed_words

    assert np.array_equal(generator(*values).random(4), np.random.default_rng(values).random(4))
    assert np.array_equal(np.random.SeedSequence(seed_words(*values)).generate_state(2),
                          np.random.SeedSequence(values).generate_state(2))


def test_a_model_plan_is_built_once_per_content_and_cannot_be_written():
    from sim.inputs.region import load_region
    from sim.scenario.loading import load_scenario
    from sim.scenario.plan import model_plan

    base = load_scenario("baseline")
    region = load_region(base.region)
    plan = model_plan(base, region)
    assert model_plan(base.with_values({"parameters.startup_rate": 30.0}), region) is plan  # plan reads no parameter
    assert model_plan(base.with_values({"levers.basic_research.amount_100m_yuan_per_year": 30.0}), region) is not plan
    assert np.array_equal(plan.basic_research.money_100m_yuan, base.plan(region).basic_research.money_100m_yuan)
    with pytest.raises(ValueError, match="read-only"):
        plan.basic_research.money_100m_yuan[0, 0] = 1.0


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=0.01, max_value=0.99), st.integers(min_value=0, max_value=2**31))
def test_binomial_from_uniforms_is_the_binomial_inverse_cdf_and_monotone_in_trials(probability, seed):
    from scipy.stats import binom

    rng = np.random.default_rng(seed)
    trials, u = rng.integers(0, 15, 500), rng.random(500)
    counts = rules.binomial_from_uniforms(trials, probability, u)
    assert np.array_equal(counts, np.maximum(binom.ppf(u, trials, probability), 0).astype(int))
    assert (rules.binomial_from_uniforms(trials + 1, probability, u) >= counts).all()


def test_binomial_from_uniforms_with_many_trials_does_not_underflow():
    from scipy.stats import binom

    u = np.random.default_rng(9).random(300)
    trials = np.full(300, 3_000)  # (1 - 0.5)^3000 underflows to 0
    assert np.array_equal(rules.binomial_from_uniforms(trials, 0.5, u), binom.ppf(u, trials, 0.5).astype(int))


def test_poisson_from_uniforms_large_rates_use_the_same_inverse_cdf():
    from scipy.stats import poisson

    u = np.random.default_rng(8).random(2_000)
    rate = np.geomspace(0.01, 20_000.0, 2_000)  # both sides of LARGE_POISSON_RATE
    assert np.array_equal(rules.poisson_from_uniforms(rate, u), poisson.ppf(u, rate).astype(int))


def test_keyed_uniforms_are_uniform_independent_across_calls_and_follow_the_uid():
    from scipy import stats

    from sim.model.streams import Streams, keyed_uniforms, mix_key

    uids = np.arange(1, 20001, dtype=np.uint64)
    streams = Streams(7, ("growth", "exit"))
    a = keyed_uniforms(streams.firm_key("growth", 2030, 0), uids)
    b = keyed_uniforms(streams.firm_key("growth", 2030, 1), uids)
    c = keyed_uniforms(streams.firm_key("exit", 2030, 0), uids)
    for u in (a, b, c):
        assert ((u > 0) & (u < 1)).all() and stats.kstest(u, "uniform").pvalue > 0.001
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.03 and abs(np.corrcoef(a, c)[0, 1]) < 0.03
    # a uid's draw does not depend on which other uids are asked for, nor on their order
    sub = uids[[5, 17, 3]]
    assert np.array_equal(keyed_uniforms(streams.firm_key("growth", 2030, 0), sub), a[[5, 17, 3]])
    assert Streams(8, ("growth", "exit")).firm_key("growth", 2030, 0) != streams.firm_key("growth", 2030, 0)
    assert mix_key(-1) == mix_key(2**64 - 1)  # negative numbers are taken modulo 2^64
