"""Stylized-fact statistics on constructed data with known answers, and the comparison with published
values (which reports matches; it is never asserted that the model matches a fact)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.firms import INCUMBENT, STARTED
from calibration import stylized as S


@pytest.mark.parametrize("alpha", [0.8, 1.0, 1.5])
def test_hill_estimator_recovers_a_pareto_tail(alpha):
    rng = np.random.default_rng(1)
    sizes = (rng.pareto(alpha, 400_000) + 1.0) * 0.05
    assert S.hill_tail_exponent(sizes) == pytest.approx(alpha, rel=0.05)
    assert np.isnan(S.hill_tail_exponent(sizes[:50]))  # too few firms in the tail


def test_subbotin_shape_tells_laplace_from_gaussian():
    rng = np.random.default_rng(2)
    assert S.subbotin_shape(rng.laplace(0.0, 1.0, 20_000)) == pytest.approx(1.0, abs=0.08)
    assert S.subbotin_shape(rng.normal(0.0, 1.0, 20_000)) == pytest.approx(2.0, abs=0.15)


def test_volatility_size_exponent_recovers_the_scaling_and_finds_none_without_it():
    rng = np.random.default_rng(3)
    size = np.exp(rng.uniform(-5.0, 5.0, 200_000))
    beta, bins = S.volatility_size_exponent(size, rng.laplace(0.0, size ** -0.25 / np.sqrt(2.0)))
    assert beta == pytest.approx(0.25, abs=0.01)
    assert len(bins) == S.SIZE_BINS and (np.diff(bins["sd"]) < 0).all()
    flat, _ = S.volatility_size_exponent(size, rng.laplace(0.0, 0.3, len(size)))
    assert abs(flat) < 0.01


def test_percentile_ratio_by_hand():
    assert S.percentile_ratio(np.r_[np.full(50, 1.0), np.full(50, 4.0)]) == pytest.approx(4.0)
    assert S.percentile_ratio(np.full(20, 3.0)) == 1.0


def _panel(rows):
    return pd.DataFrame(rows, columns=["firm", "year", "direction", "origin", "founded", "revenue", "employees",
                                       "relative_tech"])


def test_growth_rates_pair_consecutive_years_of_surviving_firms():
    panel = _panel([
        (1, 2025, 0, INCUMBENT, 2000, 1.0, 10, 0.5), (1, 2026, 0, INCUMBENT, 2000, 2.0, 10, 0.5),
        (2, 2025, 0, INCUMBENT, 2000, 4.0, 10, 0.5),  # exits after 2025: no growth rate
        (3, 2026, 0, STARTED, 2026, 0.5, 3, 0.1),     # enters in 2026: no growth rate yet
    ])
    g = S.growth_rates(panel)
    assert g[["firm", "year"]].values.tolist() == [[1, 2026]]
    assert g["growth"].iloc[0] == pytest.approx(np.log(2.0)) and g["size"].iloc[0] == 1.0


def test_startup_survival_follows_cohorts_of_new_firms():
    rows = [(9, y, 0, INCUMBENT, 1990, 5.0, 50, 0.5) for y in range(2024, 2036)]  # never counted
    # 2025 cohort of 4 start-ups: one exits after age 1, one after age 3, two survive to 2035
    for firm, last in ((1, 2026), (2, 2028), (3, 2035), (4, 2035)):
        rows += [(firm, y, 0, STARTED, 2025, 0.01, 3, 0.1) for y in range(2025, last + 1)]
    # a 2032 start-up cannot be followed for five years: left out
    rows += [(5, y, 0, STARTED, 2032, 0.01, 3, 0.1) for y in range(2032, 2036)]
    survival = S.startup_survival(_panel(rows))
    assert survival.tolist() == [1.0, 0.75, 0.75, 0.5, 0.5]


def test_top_quintile_retention_is_one_for_a_fixed_ranking_and_near_chance_for_a_shuffled_one():
    rng = np.random.default_rng(4)
    firms = np.arange(500)
    fixed = pd.concat([pd.DataFrame({"firm": firms, "year": y, "direction": 0, "relative_tech": firms / 500.0})
                       for y in range(2025, 2036)])
    assert S.top_quintile_retention(fixed) == 1.0
    shuffled = pd.concat([pd.DataFrame({"firm": firms, "year": y, "direction": 0, "relative_tech": rng.random(500)})
                          for y in range(2025, 2036)])
    assert S.top_quintile_retention(shuffled) == pytest.approx(0.2, abs=0.04)


def test_firm_statistics_on_a_constructed_panel_with_known_answers():
    """Laplace growth with sd ~ size^-0.2 from Pareto(1.1) sizes: the statistics give back the inputs."""
    rng = np.random.default_rng(5)
    n, years = 20_000, range(2024, 2031)
    revenue = (rng.pareto(1.1, n) + 1.0) * 0.05
    frames = []
    for year in years:
        frames.append(pd.DataFrame({"firm": np.arange(n), "year": year, "direction": np.arange(n) % 3,
                                    "origin": INCUMBENT, "founded": 2000, "revenue": revenue,
                                    "employees": np.maximum(3.0, revenue / 0.012), "relative_tech": revenue ** 0.1}))
        sd = 0.3 * revenue ** -0.2
        revenue = revenue * np.exp(rng.laplace(0.0, sd / np.sqrt(2.0)))
    stats = S.firm_statistics(pd.concat(frames, ignore_index=True), seed=1)
    assert stats["sf_growth_subbotin_shape"] == pytest.approx(1.0, abs=0.1)
    assert stats["sf_volatility_size_exponent"] == pytest.approx(0.2, abs=0.03)
    assert 0.9 < stats["sf_size_tail_revenue"] < 1.5  # Pareto 1.1 at the start, spread by six years of growth
    assert np.isnan(stats["sf_startup_survival_5y"])  # no start-ups in this panel


def test_compare_reports_matches_against_the_stated_criteria():
    refs = S.load_references()
    assert {"size_tail", "growth_shape", "volatility_size", "productivity_dispersion", "productivity_persistence",
            "startup_survival"} == set(refs["id"])
    assert (refs["match_low"] < refs["match_high"]).all() and refs["source"].str.len().gt(20).all()
    stats = pd.DataFrame({"indicator": ["sf_size_tail_revenue"] * 3 + ["sf_volatility_size_exponent"] * 3,
                          "value": [1.0, 1.1, 1.2, 0.0, 0.01, 0.02]})
    table = S.compare(stats, refs).set_index("fact")
    assert table.loc["size_tail", "matches"] and table.loc["size_tail", "model_median"] == pytest.approx(1.1)
    assert not table.loc["volatility_size", "matches"]  # no scaling: reported as a mismatch
    assert table.loc["growth_shape", "runs"] == 0 and not table.loc["growth_shape", "matches"]


def test_labour_productivity_dispersion_above_the_size_line_ignores_micro_firms():
    """Firms above 0.2亿 have revenue per employee 1..100 (x 0.001): 90/10 = 90.1/10.9; micro firms below
    the line with 100x lower productivity change the all-firm ratio but not the above-size one."""
    n = 100
    big = pd.DataFrame({"firm": np.arange(n), "year": 2030, "direction": 0, "origin": INCUMBENT, "founded": 2000,
                        "revenue": 1.0 + np.arange(n) / n,
                        "employees": (1.0 + np.arange(n) / n) / (0.001 * np.arange(1.0, n + 1)),
                        "relative_tech": 0.5})
    micro = big.assign(firm=np.arange(n, 2 * n), revenue=0.01 + np.arange(n) / 1e4,
                       employees=(0.01 + np.arange(n) / 1e4) / (0.00001 * np.arange(1.0, n + 1)))
    year = pd.concat([big, micro], ignore_index=True)
    stats = S.firm_statistics(pd.concat([year.assign(year=2029), year], ignore_index=True), seed=0)
    assert stats["sf_labour_productivity_90_10_above_size"] == pytest.approx(90.1 / 10.9)
    assert stats["sf_labour_productivity_90_10"] > 100  # the all-firm ratio is dominated by the micro firms
