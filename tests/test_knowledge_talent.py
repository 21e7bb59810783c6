"""Knowledge and talent (issue 12, items 1, 6, 8, 9): the talent market, public research spillovers,
diminishing returns and complementarities, and common random numbers that hold.

Unit tests work the arithmetic out by hand; the model tests run paired seeds (common random numbers)
with the behavioural parameters at their defaults."""

import numpy as np
import pandas as pd
import pytest

from agents.firms import INCUMBENT
from agents.funds import Fund
from agents.knowledge import PublicKnowledge
from agents.talent import TalentPool
from sim.model import rules
from sim.model.model import FutureIndustryModel
from sim.model.streams import Streams
from sim.scenario.loading import load_scenario

BASIC = "levers.basic_research.amount_100m_yuan_per_year"
TALENT = {"levers.talent_programme.top_scientists_per_year": 16.0,
          "levers.talent_programme.leading_talent_per_year": 240.0,
          "levers.talent_programme.young_talent_per_year": 560.0}


# ------------------------------------------------------------------ arithmetic, by hand

def test_scarce_talent_is_shared_in_proportion_to_demand_nobody_first():
    # 90 researchers, institutes ask 60 and firms 60: each gets 45 (fill 0.75); with room, all filled
    fill = rules.scarce_talent_fill(np.array([90.0, 200.0]), np.array([60.0, 60.0]), np.array([60.0, 100.0]))
    assert fill.tolist() == [0.75, 1.0]


def test_outside_hires_fill_a_share_of_the_shortage_and_join_the_pool():
    pool = TalentPool(researchers=np.array([90.0]), leading=np.array([10.0]), graduates=np.array([0.0]))
    before = pool.total().copy()
    inst_fill, firm_fill = pool.hire(np.array([80.0]), np.array([120.0]), supply_response=0.5)
    # shortage 200 - 100 = 100; half of it (50) is hired from outside; 150 shared over demand 200
    assert pool.outside_hired.tolist() == [50.0]
    assert inst_fill.tolist() == firm_fill.tolist() == [0.75]
    assert np.allclose(pool.total() - before, pool.inflow)  # the hires are inflow (no outflow in hire)
    assert pool.employed.tolist() == [150.0]


def test_recruit_productivity_gain_saturates():
    pool = TalentPool(researchers=np.array([1000.0, 1000.0]), leading=np.array([0.0, 0.0]), graduates=np.zeros(2))
    pool.recruits_young = np.array([50.0, 200.0])  # shares 0.05 and 0.2
    pool.gain, pool.share_half = 0.4, 0.05
    gain = pool.productivity() - 1.0
    # 0.4 * 0.05 / (1 + 1) = 0.01; 0.4 * 0.2 / (1 + 4) = 0.016: four times the recruits, 1.6 times the gain
    assert gain == pytest.approx([0.01, 0.016])


def test_absorptive_capacity_and_public_spillover_by_hand():
    capacity = rules.absorptive_capacity(np.array([0.0, 0.05, 0.45]), 0.05)
    assert capacity == pytest.approx([0.0, 0.5, 0.9])
    # reach 0.2, stock 4x its reference, elasticity 0.5: 0.5 * 0.2 * 2 = 0.2
    assert rules.public_spillover(np.array([0.5]), 0.2, 4.0, 0.5) == pytest.approx([0.2])


def test_public_knowledge_starts_at_steady_state_and_gives_the_share_of_firm_rd():
    know = PublicKnowledge(research_100m_yuan=np.array([15.0, 0.0]), depreciation=0.15,
                           firm_rd_100m_yuan=np.array([10.0, 4.0]), firm_capacity=np.array([5.0, 2.0]),
                           spillover_share=0.1)
    assert know.stock.tolist() == pytest.approx([100.0, 0.0])
    assert know.reach.tolist() == pytest.approx([0.2, 0.2])  # 0.1 * 10 / 5 and 0.1 * 4 / 2
    know.accumulate(np.array([15.0, 0.0]))
    assert know.stock.tolist() == pytest.approx([100.0, 0.0])  # steady state holds
    assert know.ratio().tolist() == pytest.approx([1.0, 1.0])
    know.accumulate(np.array([75.0, 0.0]))  # 85 + 75 = 160
    gain = know.spillover(np.array([0.05, 0.05]), np.array([0, 1]), 0.05, 0.5)
    assert gain == pytest.approx([0.5 * 0.2 * 1.6 ** 0.5, 0.5 * 0.2])


def test_research_output_has_diminishing_returns_in_researchers():
    ratio = rules.research_ratio(np.array([200.0, 400.0]), np.array([100.0, 100.0]))
    output = 100.0 * ratio * ratio ** (0.7 - 1.0)  # the direction's output, linear rate 1 per researcher
    assert output == pytest.approx([100 * 2 ** 0.7, 100 * 4 ** 0.7])
    assert (output[1] - output[0]) / 200 < (output[0] - 100) / 100  # the second 200 add less per head


def test_platform_standards_fall_with_more_platforms_not_with_more_researchers():
    # a platform's standards do not depend on the direction's researchers (basic-research money adds
    # researchers, not platforms); the direction's standards are concave in its number of platforms
    from agents.institutes import STANDARD_SETTERS

    model = FutureIndustryModel(load_scenario("baseline"), 3)
    platform = next(i for i in model.institutes if i.kind in STANDARD_SETTERS)
    n, beta = model.region.n_directions, model.values.research_output_elasticity
    ones = np.ones(n)

    def standards(research: float, platforms: float) -> np.ndarray:
        return platform.event_rates(research * ones, ones, np.zeros(n), ones, platforms * ones)[3]

    assert np.array_equal(standards(4.0, 1.0), standards(1.0, 1.0))
    assert standards(1.0, 1.0).sum() > 0
    active = platform.weights > 0
    per_platform = standards(1.0, 2.0)[active] / standards(1.0, 1.0)[active]
    assert per_platform == pytest.approx(2.0 ** (beta - 1.0))
    assert beta < 1  # so twice the platforms write less than twice the standards


def test_poisson_from_uniforms_is_poisson_and_monotone_in_the_rate():
    u = np.random.default_rng(5).random(200_000)
    counts = rules.poisson_from_uniforms(np.full(u.shape, 2.5), u)
    assert counts.mean() == pytest.approx(2.5, rel=0.01) and counts.var() == pytest.approx(2.5, rel=0.02)
    assert (rules.poisson_from_uniforms(np.full(u.shape, 3.0), u) >= counts).all()


def test_agent_order_keeps_the_others_in_place_when_an_agent_is_added():
    streams = Streams(11, ("a", "order_funds"))
    names = [f"fund_{k}" for k in range(10)]
    before = streams.order(names, "order_funds", 2030, key=str)
    after = streams.order(names + ["guidance_sub_fund_1"], "order_funds", 2030, key=str)
    assert [n for n in after if n != "guidance_sub_fund_1"] == before
    assert streams.order(names, "order_funds", 2031, key=str) != before  # a new order each year


# ------------------------------------------------------------------ the model: common random numbers

def _defaults(scenario):
    return scenario.with_values({"parameter_draws": "defaults"})


def _city(scenario, seed):
    return FutureIndustryModel(scenario, seed).run().results("city")


@pytest.mark.parametrize("lever", [
    {"levers.basic_research.changes": [{"year": 2029, "scale": 4.0}]},
    {"levers.new_platforms.start_year": 2029, "levers.new_platforms.platforms_per_year": 9.0},
    {"levers.talent_programme.changes": [{"year": 2029, "scale": 4.0}]},
    {"levers.guidance_fund.start_year": 2029, "levers.guidance_fund.amount_100m_yuan_per_year": 10.0},
])
def test_a_lever_starting_in_year_y_leaves_every_output_before_y_identical(lever):
    base = _defaults(load_scenario("baseline")).with_values({"end_year": 2030})
    later = base.with_values(lever)
    for seed in (21, 22):
        a, b = _city(base, seed), _city(later, seed)
        before = a["year"] < 2029
        pd.testing.assert_frame_equal(a[before].reset_index(drop=True), b[b["year"] < 2029].reset_index(drop=True))
        assert not a[~before].reset_index(drop=True).equals(b[b["year"] >= 2029].reset_index(drop=True))


@pytest.mark.parametrize("lever", [
    {"levers.first_of_a_kind.amount_100m_yuan_per_year": 4.0},
    {"levers.tech_transfer.amount_100m_yuan_per_year": 8.0},
])
def test_first_of_a_kind_and_tech_transfer_money_leave_that_years_breakthroughs_identical(lever):
    base = _defaults(load_scenario("baseline")).with_values({"end_year": 2025})
    more = base.with_values(lever)
    for seed in range(30, 36):
        a, b = _city(base, seed), _city(more, seed)
        first = (a["year"] == 2024) & (a["indicator"] == "breakthroughs")
        assert a[first]["value"].tolist() == b[(b["year"] == 2024) & (b["indicator"] == "breakthroughs")]["value"].tolist()


def _entrants(scenario, seed, year):
    """(direction, origin, revenue) of the firms founded in ``year`` (not their rows, which shift)."""
    model = FutureIndustryModel(scenario, seed).run()
    f = model.firms
    new = np.flatnonzero(f.founded[: f.n] == year)
    return pd.DataFrame({"direction": f.direction[new], "origin": f.origin[new], "revenue": f.revenue_lag1[new]})


def test_more_attracted_firms_in_one_direction_leave_every_other_entrant_identical():
    # the attracted firms of a direction draw from their own stream: start-ups, spin-offs and the other
    # directions' firms entering that year keep their draws (they used to follow the attracted ones)
    from agents.firms import ATTRACTED

    base = _defaults(load_scenario("baseline")).with_values({
        "end_year": 2025, "levers.investment_attraction.start_year": 2025,
        "levers.investment_attraction.allocation": {"future_energy": 1.0}})
    more = base.with_values({"levers.investment_attraction.amount_100m_yuan_per_year": 40.0})
    for seed in (41, 42, 43):
        a, b = _entrants(base, seed, 2025), _entrants(more, seed, 2025)
        extra = (b["origin"] == ATTRACTED).sum() - (a["origin"] == ATTRACTED).sum()
        assert extra > 0
        others = lambda t: t[t["origin"] != ATTRACTED].sort_values(["direction", "origin", "revenue"])  # noqa: E731
        pd.testing.assert_frame_equal(others(a).reset_index(drop=True), others(b).reset_index(drop=True))


def test_a_firms_draws_follow_the_firm_not_its_row():
    """Extra attracted firms in 2025 shift the rows of every firm created after them; the firms that
    exist in both runs keep their uid and every per-firm draw in 2026 (keyed by uid, not by row)."""
    base = _defaults(load_scenario("baseline")).with_values({
        "end_year": 2026, "levers.investment_attraction.start_year": 2025,
        "levers.investment_attraction.allocation": {"frontier_materials": 1.0}})
    more = base.with_values({"levers.investment_attraction.amount_100m_yuan_per_year": 40.0})
    a, b = FutureIndustryModel(base, 44).run(), FutureIndustryModel(more, 44).run()
    ua, ub = a.firms.uid[: a.firms.n], b.firms.uid[: b.firms.n]
    assert len(set(ua.tolist())) == len(ua) and len(set(ub.tolist())) == len(ub)  # uids are unique
    common, rows_a, rows_b = np.intersect1d(ua, ub, return_indices=True)
    assert b.firms.n > a.firms.n and len(common) > 0.95 * a.firms.n
    assert (rows_a != rows_b).any()  # some firms hold other rows in the two runs
    a.year = b.year = 2026
    for name, call in (("growth", 0), ("partners", 1), ("funds", 7)):
        assert np.array_equal(a.firm_uniforms(name, rows_a, call), b.firm_uniforms(name, rows_b, call))
    assert not np.array_equal(a.firm_uniforms("growth", rows_a, 0), a.firm_uniforms("growth", rows_a, 1))


def test_a_guidance_fund_adds_deals_without_taking_any_away():
    """Deal noise is keyed by (fund, firm): a new fund in the first year can take firms another fund
    would have funded, which then funds the next ones, so every firm funded without it is funded with it."""
    base = _defaults(load_scenario("baseline")).with_values({"end_year": 2025,
                                                             "levers.guidance_fund.amount_100m_yuan_per_year": 0.0})
    fund = base.with_values({"levers.guidance_fund.amount_100m_yuan_per_year": 20.0,
                             "levers.guidance_fund.start_year": 2024})
    more_deals = 0
    for seed in (51, 52, 53):
        a, b = FutureIndustryModel(base, seed), FutureIndustryModel(fund, seed)
        a.step()
        b.step()
        funded_a = np.flatnonzero(a.firms.equity_this_year[: a.firms.n] > 0)
        funded_b = np.flatnonzero(b.firms.equity_this_year[: b.firms.n] > 0)
        assert set(funded_a.tolist()) <= set(funded_b.tolist())
        more_deals += len(funded_b) - len(funded_a)
    assert more_deals > 0


def test_city_support_raises_the_chance_of_a_higher_designation():
    assert rules.designation_chance(0.2, 1.0, 0.7) == 0.2  # the baseline support leaves it as it was
    assert rules.designation_chance(0.2, 0.5, 0.5) < 0.2 < rules.designation_chance(0.2, 1.5, 0.5)
    assert rules.designation_chance(0.2, 0.5, 0.0) == rules.designation_chance(0.2, 1.5, 0.0) == 0.2
    assert rules.designation_chance(0.9, 1.5, 1.0) == 1.0
    # in the model: the existing provincial zones become national more often with support than without
    base = _defaults(load_scenario("zero_policy")).with_values({"end_year": 2030})
    backed = base.with_values({"levers.pilot_zones.support_100m_yuan_per_zone_per_year": 1.0})

    def national(scenario, seed):
        city = _city(scenario, seed)
        return city[(city["indicator"] == "national_pilot_zones") & (city["year"] == 2030)]["value"].item()

    without = [national(base, seed) for seed in range(60, 72)]
    with_support = [national(backed, seed) for seed in range(60, 72)]
    assert sum(with_support) > sum(without)


# ------------------------------------------------------------------ the model: item 8 and item 9

def test_firm_technology_is_the_mean_relative_technology_of_live_firms():
    model = FutureIndustryModel(_defaults(load_scenario("baseline")).with_values({"end_year": 2025}), 4).run()
    table = model.results("directions")
    last = table[(table["year"] == 2025) & (table["indicator"] == "firm_technology")].set_index("direction")["value"]
    f, rows = model.firms, model.firms.live()
    assert last["all"] == pytest.approx(float(f.relative_tech[rows].mean()))
    d0 = rows[f.direction[rows] == 0]
    assert last[model.region.directions[0]] == pytest.approx(float(f.relative_tech[d0].mean()))


def _paired(scenarios, seeds, indicator, year=2035):
    out = {}
    for name, scenario in scenarios.items():
        values = []
        for seed in seeds:
            t = _city(scenario, seed)
            values.append(float(t[(t["year"] == year) & (t["indicator"] == indicator)]["value"].iloc[0]))
        out[name] = np.array(values)
    return out


def test_more_public_research_raises_firm_technology_with_diminishing_returns():
    # firms' technology: the firms alive since the start (origin INCUMBENT: the diffusion to a fixed set of
    # firms; diversifying manufacturers are founded before 2024 but enter later, and the mean over all live
    # firms also moves with entry, since more researchers and spin-offs mean more new firms)
    base = _defaults(load_scenario("baseline"))
    seeds = range(40, 56)
    tech = {}
    for amount in (8.0, 32.0, 64.0):  # x1, x4, x8 of the baseline's 8亿 a year
        values = []
        for seed in seeds:
            model = FutureIndustryModel(base.with_values({BASIC: amount}), seed).run()
            f, rows = model.firms, model.firms.live()
            values.append(float(f.relative_tech[rows[f.origin[rows] == INCUMBENT]].mean()))
        tech[amount] = np.array(values)
    gain4, gain8 = tech[32.0] - tech[8.0], tech[64.0] - tech[8.0]
    assert gain4.mean() / (gain4.std(ddof=1) / np.sqrt(len(gain4))) > 2
    assert gain8.mean() / (gain8.std(ddof=1) / np.sqrt(len(gain8))) > 2
    assert gain8.mean() / 56.0 < gain4.mean() / 24.0  # smaller gain per 亿 at x8 than at x4


def test_talent_and_research_programmes_do_more_together_than_apart():
    base = _defaults(load_scenario("baseline")).with_values({"end_year": 2032})
    runs = _paired({"none": base, "research": base.with_values({BASIC: 32.0}), "talent": base.with_values(TALENT),
                    "both": base.with_values({BASIC: 32.0, **TALENT})}, range(60, 72), "breakthroughs", 2032)
    interaction = runs["both"] - runs["research"] - runs["talent"] + runs["none"]
    assert interaction.mean() / (interaction.std(ddof=1) / np.sqrt(len(interaction))) > 2


def test_a_guidance_fund_falls_short_of_its_target_capital_when_the_pipeline_is_thin():
    # a seed-stage fund: its pipeline is the start-ups; a thin pipeline = fewer start-ups (lowest start-up
    # rate of the parameter range, a weak venture climate), the same city money
    fund = _defaults(load_scenario("levers/guidance_fund")).with_values(
        {"levers.guidance_fund.stage_focus": {"seed": 1.0, "early": 0.0, "growth": 0.0}})
    thin = fund.with_values({"parameters.startup_rate": 8.0, "uncertainties.vc_climate": 0.5})

    def raised_share(scenario, seed):
        model = FutureIndustryModel(scenario, seed).run()
        guidance = [f for f in model.agents_by_type[Fund] if f.kind == "guidance"]
        return sum(f.city_paid_in + f.social_paid_in for f in guidance) / sum(f.target_capital for f in guidance)

    normal = np.array([raised_share(fund, s) for s in range(80, 85)])
    short = np.array([raised_share(thin, s) for s in range(80, 85)])
    assert (short < normal).all() and (short < 0.9).all()
    assert short.mean() < normal.mean() - 0.03
