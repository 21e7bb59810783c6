"""Levers mean something: over seeds, with common random numbers, more of a lever moves its indicators
the expected way (issue 3). Each comparison runs both scenarios with the same seeds and tests the
paired differences; the model's per-mechanism random streams make the pairing effective."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis.targets import evaluate_targets, load_targets
from sim.model.model import simulate
from sim.scenario.loading import load_scenario

pytestmark = pytest.mark.slow  # long runs of the real model (CI runs them; -m "not slow" skips them)

SEEDS = range(300, 310)


def city_runs(scenario, seeds=SEEDS, detail="city") -> pd.DataFrame:
    # Mechanism tests hold the behavioural parameters at their defaults: with the calibrated draws every
    # seed would also run other parameter values (tests/test_calibration.py covers the draws).
    scenario = scenario.with_values({"parameter_draws": "defaults"})
    frames = []
    for seed in seeds:
        table = simulate(scenario, seed, detail=detail)
        table["replicate"] = seed
        table["scenario"] = scenario.name
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def per_seed(runs: pd.DataFrame, indicator: str, how: str = "last", direction: str = "all",
             district: str = "all") -> pd.Series:
    rows = runs[(runs["indicator"] == indicator) & (runs["direction"] == direction) & (runs["district"] == district)]
    grouped = rows.sort_values("year").groupby("replicate")["value"]
    return grouped.last() if how == "last" else grouped.sum() if how == "sum" else grouped.mean()


def paired_t(a: pd.Series, b: pd.Series) -> float:
    d = (a - b).to_numpy()
    if np.allclose(d, d[0]):
        return np.inf * np.sign(d[0]) if d[0] != 0 else 0.0
    return float(d.mean() / (d.std(ddof=1) / np.sqrt(len(d))))


@pytest.fixture(scope="module")
def baseline_runs():
    return city_runs(load_scenario("baseline").with_values({"end_year": 2030}), detail="full")


def test_more_talent_programme_raises_talent_inflow_and_what_it_feeds(baseline_runs):
    more = city_runs(load_scenario("levers/talent_programme").with_values({"end_year": 2030}))
    assert (per_seed(more, "talent_inflow", "sum") > per_seed(baseline_runs, "talent_inflow", "sum")).all()
    assert (per_seed(more, "talent_pool") > per_seed(baseline_runs, "talent_pool")).all()
    assert paired_t(per_seed(more, "breakthroughs"), per_seed(baseline_runs, "breakthroughs")) > 2
    assert paired_t(per_seed(more, "entries", "sum"), per_seed(baseline_runs, "entries", "sum")) > 2


def test_more_fund_capital_raises_startup_financing_and_survival(baseline_runs):
    fund = city_runs(load_scenario("levers/guidance_fund").with_values({"end_year": 2030}))
    assert (per_seed(fund, "equity_invested_100m_yuan", "sum")
            > per_seed(baseline_runs, "equity_invested_100m_yuan", "sum") + 100).all()  # 50亿 city + leverage
    assert paired_t(per_seed(fund, "funded_firms"), per_seed(baseline_runs, "funded_firms")) > 5
    assert paired_t(per_seed(fund, "young_firm_exit_rate", "mean"),
                    per_seed(baseline_runs, "young_firm_exit_rate", "mean")) < -5


def test_a_municipal_pilot_zone_raises_activity_in_its_district_direction(baseline_runs):
    zones = city_runs(load_scenario("levers/pilot_zones").with_values({"end_year": 2030}), detail="full")
    for district, direction in (("yinzhou", "future_intelligence"), ("cixi", "future_energy")):
        for indicator in ("revenue_100m_yuan", "firms"):
            t = paired_t(per_seed(zones, indicator, direction=direction, district=district),
                         per_seed(baseline_runs, indicator, direction=direction, district=district))
            assert t > 3, (district, direction, indicator, t)
    assert (per_seed(zones, "municipal_pilot_zones") == 8).all()


def test_zero_policy_misses_what_only_policy_delivers():
    # Note: with zero spending the model still meets the targets the 2024 stock already carries (the
    # three provincial zones in place, about nine head enterprises, two representative clusters) and,
    # in some replicates, those that firms reach by themselves (standards, high-end products).
    targets = load_targets()
    seeds = range(400, 416)
    zero = city_runs(load_scenario("zero_policy").with_values({"end_year": 2027}), seeds)
    base = city_runs(load_scenario("baseline").with_values({"end_year": 2027}), seeds)
    full = city_runs(load_scenario("full_package").with_values({"end_year": 2027}), seeds)
    p = {name: evaluate_targets(runs, targets).set_index("target")["probability"]
         for name, runs in (("zero", zero), ("base", base), ("full", full))}
    in_2027 = [t.id for t in targets.target if t.year == 2027]
    missed = {name: int((p[name][in_2027] < 0.5).sum()) for name in p}
    assert missed["zero"] >= missed["base"] >= missed["full"], missed
    # Without policy most 2027 targets are not likely met (the board's "likely" is P >= 0.8); missed
    # outright (P < 0.5) is half of them here: the rest are carried by the 2024 stock (see the note above).
    not_likely = {name: int((p[name][in_2027] < 0.8).sum()) for name in p}
    assert not_likely["zero"] > len(in_2027) / 2 and not_likely["full"] < not_likely["zero"], not_likely
    for target in ("platforms_2027", "municipal_zones_2027", "scenarios_2027"):
        assert p["full"][target] > 0.8, target
    for target in ("municipal_zones_2027", "scenarios_2027"):  # only the city's own acts deliver these
        assert p["zero"][target] == 0.0, target
    # platforms also count enterprise technology centres that firms earn by themselves (since issue 12
    # established manufacturers entering the directions bring R&D that qualifies): rarely 20 by 2027
    assert p["zero"]["platforms_2027"] < 0.2
    # no target is more likely without policy than with the full package (allowing sampling noise)
    assert (p["zero"][in_2027] <= p["full"][in_2027] + 0.2).all()


# lever factor path, strong dose, indicator it must move, how to summarise over years, sign
DOSES = [
    ("levers.rd_grants.amount_100m_yuan_per_year", 30.0, "rd_spend_100m_yuan", "sum", +1),
    ("levers.basic_research.amount_100m_yuan_per_year", 40.0, "breakthroughs", "last", +1),
    ("levers.new_platforms.platforms_per_year", 6.0, "innovation_platforms", "last", +1),
    ("levers.tech_transfer.amount_100m_yuan_per_year", 8.0, "tech_transfers", "last", +1),
    ("levers.application_scenarios.scenarios_per_year", 20.0, "application_scenarios", "last", +1),
    ("levers.first_of_a_kind.amount_100m_yuan_per_year", 6.0, "high_end_products", "last", +1),
    ("levers.investment_attraction.amount_100m_yuan_per_year", 20.0, "firms", "last", +1),
    ("levers.loan_interest_subsidies.amount_100m_yuan_per_year", 10.0, "revenue_100m_yuan", "last", +1),
    ("levers.direct_subsidies.amount_100m_yuan_per_year", 10.0, "rd_spend_100m_yuan", "sum", +1),
    ("levers.talent_programme.young_talent_per_year", 600.0, "talent_pool", "last", +1),
    ("levers.talent_programme.top_scientists_per_year", 20.0, "breakthroughs", "last", +1),
    ("levers.talent_attraction.amount_100m_yuan_per_year", 10.0, "talent_pool", "last", +1),
    ("levers.guidance_fund.amount_100m_yuan_per_year", 30.0, "funded_firms", "last", +1),
    ("levers.angel_fund.amount_100m_yuan_per_year", 12.0, "young_firm_exit_rate", "mean", -1),
]


@pytest.mark.parametrize(("path", "dose", "indicator", "how", "sign"), DOSES, ids=[d[0].split(".")[1] + ":" + d[0].split(".")[2] for d in DOSES])
def test_every_lever_moves_its_indicator(path, dose, indicator, how, sign):
    base = load_scenario("baseline").with_values({"end_year": 2029})
    seeds = range(500, 508)
    high = city_runs(base.with_values({path: dose}), seeds)
    none = city_runs(base.with_values({path: 0.0}), seeds)
    t = paired_t(per_seed(high, indicator, how), per_seed(none, indicator, how))
    assert sign * t > 3, f"{path} at {dose} vs 0: paired t on {indicator} = {t:.1f}"


def test_pilot_zone_support_money_strengthens_zones():
    zones = load_scenario("levers/pilot_zones").with_values({"end_year": 2030})
    seeds = range(600, 608)
    rich = city_runs(zones.with_values({"levers.pilot_zones.support_100m_yuan_per_zone_per_year": 3.0}), seeds, "full")
    poor = city_runs(zones.with_values({"levers.pilot_zones.support_100m_yuan_per_zone_per_year": 0.0}), seeds, "full")
    t = paired_t(per_seed(rich, "revenue_100m_yuan", direction="future_energy", district="cixi"),
                 per_seed(poor, "revenue_100m_yuan", direction="future_energy", district="cixi"))
    assert t > 3


def test_spending_is_accounted_exactly_in_every_run():
    scenario = load_scenario("full_package").with_values({"end_year": 2030})
    run = simulate(scenario, 1, detail="city")
    reported = run[run["indicator"] == "spending_100m_yuan"].set_index("year")["value"]
    delivered = run[run["indicator"].str.startswith("spending_") & (run["indicator"] != "spending_100m_yuan")]
    by_lever = delivered.assign(lever=delivered["indicator"].str.removeprefix("spending_")).pivot_table(
        index="year", columns="lever", values="value", aggfunc="sum")
    assert np.allclose(reported.to_numpy(), by_lever.sum(axis=1).to_numpy())
    assert set(by_lever.columns) == {name for name, _ in scenario.levers.items()}
    # delivered is close to planned: every lever pays for what it delivered, not more than a unit over
    planned = scenario.plan().spending.pivot_table(index="year", columns="lever", values="value", aggfunc="sum")
    assert (by_lever <= planned + 1.0).all().all()
    assert by_lever.sum().sum() > 0.8 * planned.sum().sum()
