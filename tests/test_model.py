"""The model: completeness of its outputs, determinism, conservation, and properties over valid scenarios."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.districts import District
from agents.firms import FIELDS, Firm, FirmTable
from agents.funds import Fund, assign_sub_funds, stage_of_firms
from agents.institutes import Institute
from agents.talent import TalentPool, TopScientist
from sim.analysis.targets import evaluate_targets, load_targets
from sim.inputs.region import load_region
from sim.model.model import FutureIndustryModel, simulate
from sim.scenario.loading import load_scenario

REGION = load_region("ningbo")
BY_DIRECTION = REGION.indicator_ids("direction")  # indicators.toml is the one declaration
CITY_ONLY = REGION.indicator_ids("city")
CUMULATIVE = [k for k, v in REGION.indicators.items() if v["kind"] == "cumulative"]


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline")


@pytest.fixture(scope="module")
def run(baseline):
    return simulate(baseline, 11)


def test_every_indicator_for_every_year_and_direction(run, baseline):
    years = list(baseline.years)
    directions = [*REGION.directions, "all"]
    city = run[run["district"] == "all"]
    for name in BY_DIRECTION:
        rows = city[city["indicator"] == name]
        assert sorted(rows["year"].unique()) == years, name
        assert set(rows["direction"]) == set(directions), name
        assert len(rows) == len(years) * len(directions), name
    for name in CITY_ONLY:
        rows = city[city["indicator"] == name]
        assert rows["year"].tolist() == years and set(rows["direction"]) == {"all"}, name
    targets = {t.indicator for t in load_targets().target}
    assert targets <= set(BY_DIRECTION) | set(CITY_ONLY)
    assert set(REGION.indicators) <= set(BY_DIRECTION) | set(CITY_ONLY)  # every defined indicator is made
    assert set(city["indicator"]) == set(REGION.indicators)  # and nothing undeclared
    districts = run[run["district"] != "all"]
    assert set(districts["indicator"]) == {"firms", "revenue_100m_yuan", "researchers"}
    assert set(districts["district"]) == set(REGION.districts)
    assert not run["value"].isna().any()


def test_city_totals_are_sums_of_directions_and_districts(run):
    city = run[run["district"] == "all"]
    for name in ("firms", "revenue_100m_yuan", "standards", "head_enterprises"):
        rows = city[city["indicator"] == name]
        per_dir = rows[rows["direction"] != "all"].groupby("year")["value"].sum()
        total = rows[rows["direction"] == "all"].set_index("year")["value"]
        assert np.allclose(per_dir.to_numpy(), total.to_numpy()), name
    districts = run[(run["district"] != "all") & (run["direction"] != "all") & (run["indicator"] == "firms")]
    total = city[(city["indicator"] == "firms") & (city["direction"] == "all")].set_index("year")["value"]
    assert np.allclose(districts.groupby("year")["value"].sum().to_numpy(), total.to_numpy())


def test_same_seed_same_table_and_other_seeds_differ(baseline, run):
    again = simulate(baseline, 11)
    pd.testing.assert_frame_equal(run, again)
    other = simulate(baseline, 12)
    assert not np.array_equal(run["value"].to_numpy(), other["value"].to_numpy())


def test_detail_levels_are_subsets_of_the_full_table(baseline, run):
    city = simulate(baseline, 11, detail="city")
    full_city = run[(run["direction"] == "all") & (run["district"] == "all")].reset_index(drop=True)
    pd.testing.assert_frame_equal(city.reset_index(drop=True), full_city)


def test_cumulative_indicators_never_fall_and_spending_is_the_delivered_sum(run, baseline):
    city = run[(run["direction"] == "all") & (run["district"] == "all")]
    for name in CUMULATIVE:
        values = city[city["indicator"] == name].sort_values("year")["value"].to_numpy()
        assert (np.diff(values) >= 0).all(), name
    spending = city[city["indicator"] == "spending_100m_yuan"].sort_values("year")["value"].to_numpy()
    by_lever = city[city["indicator"].str.startswith("spending_") & (city["indicator"] != "spending_100m_yuan")]
    assert np.allclose(spending, by_lever.groupby("year")["value"].sum().sort_index().to_numpy())
    # what was delivered is at most the plan, give or take one attracted firm's incentive package
    planned = baseline.plan().total_spending().to_numpy()
    assert (spending <= planned + 1.0).all() and (spending >= 0.8 * planned).all(), (spending, planned)


def test_talent_is_conserved_in_every_year_of_a_run(baseline):
    model = FutureIndustryModel(baseline, 5)
    while model.running:
        before = model.talent.total().copy()
        model.step()
        change = model.talent.total() - before
        assert np.allclose(change, model.talent.inflow - model.talent.outflow)
        assert (model.talent.employed <= model.talent.researchers + model.talent.leading + 1e-6).all()


@settings(max_examples=60, deadline=None)
@given(
    researchers=st.lists(st.floats(0, 1e5), min_size=3, max_size=3),
    graduates_in=st.lists(st.floats(0, 1e4), min_size=3, max_size=3),
    recruits=st.lists(st.floats(0, 500), min_size=3, max_size=3),
    outflow=st.floats(0, 0.5),
    leave=st.floats(0, 1),
)
def test_talent_pool_conserves_stocks_and_stays_non_negative(researchers, graduates_in, recruits, outflow, leave):
    r = np.array(researchers)
    pool = TalentPool(researchers=r, leading=0.02 * r, graduates=0.1 * r)
    for _ in range(3):
        before = pool.total().copy()
        pool.step(np.array(graduates_in), np.array(recruits), 2 * np.array(recruits), outflow,
                  np.full(3, leave), 0.27)
        assert np.allclose(pool.total() - before, pool.inflow - pool.outflow)
        for stock in (pool.researchers, pool.leading, pool.graduates, pool.recruits_leading, pool.recruits_young):
            assert (stock >= -1e-9).all()
        assert (pool.recruits_leading <= pool.leading + 1e-6).all()
        assert (pool.recruits_young <= pool.researchers + 1e-6).all()


def test_fund_money_is_conserved():
    scenario = load_scenario("full_package")
    model = FutureIndustryModel(scenario, 3)
    model.run()
    for fund in model.agents_by_type[Fund]:
        committed = fund.city_paid_in + fund.social_paid_in
        scheduled = sum(float(np.sum(v)) for v in fund.scheduled.values())
        if fund.kind == "private_vc":
            continue  # private money not placed in a year leaves the city's books
        assert committed == pytest.approx(fund.invested + float(fund.dry_powder.sum()) + scheduled, rel=1e-9)
        assert fund.invested >= 0 and fund.written_off <= fund.invested + 1e-9
    guidance = [f for f in model.agents_by_type[Fund] if f.kind == "guidance"]
    assert len(guidance) == 9
    assert sum(f.city_paid_in for f in guidance) == pytest.approx(50.0)  # 10亿 a year 2025-2029


def test_mesa_agents_view_the_arrays(baseline):
    model = FutureIndustryModel(baseline, 2)
    model.step()
    types = set(model.agent_types)
    assert {Institute, Fund, District} <= types
    row = int(model.firms.live()[0])
    agent = model.firm(row)
    assert isinstance(agent, Firm) and agent in model.agents_by_type[Firm]
    assert agent.revenue == model.firms.revenue[row]
    model.firms.revenue[row] = 123.0
    assert agent.describe()["revenue"] == 123.0
    assert len(model.live_firms()) == model.firms.live().size


def test_a_firm_agent_leaves_the_model_when_its_firm_exits(baseline):
    model = FutureIndustryModel(baseline, 2)
    agents = [model.firm(int(row)) for row in model.firms.live()[:400]]  # small firms among them exit
    for _ in range(3):
        model.step()
    gone = [a for a in agents if not model.firms.alive[a.row]]
    assert gone and all(a not in model.agents_by_type[Firm] and a.row not in model.firm_agents for a in gone)
    kept = [a for a in agents if model.firms.alive[a.row]]
    assert kept and all(a in model.agents_by_type[Firm] for a in kept)


def test_top_scientists_arrive_as_agents(baseline):
    model = FutureIndustryModel(load_scenario("levers/talent_programme"), 2)
    model.step()
    model.step()
    assert TopScientist in model.agent_types
    assert 0 < len(model.agents_by_type[TopScientist]) <= 4 + 8


def test_stage_and_sub_fund_helpers():
    assert stage_of_firms(np.array([1, 5, 10, 10]), np.array([0.05, 0.5, 3.0, 50.0]),
                          np.array([False] * 4)).tolist() == [0, 1, 2, -1]
    assert assign_sub_funds(11, np.full(9, 1 / 9))[:9] == [[d] for d in range(9)]
    assert assign_sub_funds(3, np.array([0.1, 0.0, 0.9])) == [[2], [0], [2]]


VALID = st.fixed_dictionaries({
    "levers.rd_grants.amount_100m_yuan_per_year": st.floats(0, 30),
    "levers.guidance_fund.amount_100m_yuan_per_year": st.floats(0, 30),
    "levers.talent_programme.young_talent_per_year": st.floats(0, 600),
    "levers.application_scenarios.scenarios_per_year": st.floats(0, 30),
    "levers.new_platforms.platforms_per_year": st.floats(0, 12),
    "levers.investment_attraction.amount_100m_yuan_per_year": st.floats(0, 20),
    "uncertainties.talent_competition": st.floats(0.7, 1.6),
    "uncertainties.vc_climate": st.floats(0.4, 1.5),
    "uncertainties.macro_shock_probability": st.floats(0, 0.2),
    "parameters.exit_hazard_multiplier": st.floats(0.6, 1.4),
    "parameters.startup_rate": st.floats(8, 50),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=VALID, seed=st.integers(0, 2**32))
def test_no_negative_stocks_over_valid_scenarios(baseline, values, seed):
    scenario = baseline.with_values({**values, "end_year": 2028})
    table = simulate(scenario, seed, detail="directions")
    assert not table["value"].isna().any()
    assert (table["value"] >= 0).all(), table[table["value"] < 0].head()
    rates = table[table["indicator"] == "young_firm_exit_rate"]["value"]
    assert (rates <= 1).all()
    city = table[table["direction"] == "all"]
    spend = city[city["indicator"] == "spending_100m_yuan"]["value"].to_numpy()
    # delivered spending never exceeds the plan by more than one attracted firm's package (at most 1亿)
    assert (spend <= scenario.plan().total_spending().to_numpy() + 1.0 + 1e-9).all()


def test_target_evaluation_uses_city_totals_not_district_rows(run):
    table = run.assign(scenario="baseline", replicate=0)
    full = evaluate_targets(table, load_targets()).set_index("target")
    city_only = table[(table["direction"] == "all") & (table["district"] == "all")]
    direct = city_only[(city_only["indicator"] == "innovation_platforms") & (city_only["year"] == 2027)]["value"]
    assert full.loc["platforms_2027", "median"] == float(direct.iloc[0])
    assert full.loc["platforms_2027", "n_replicates"] == 1


def test_firm_table_declares_every_field():
    table = FirmTable(capacity=4)
    assert set(FIELDS) == {k for k, v in FirmTable.__annotations__.items() if v in ("np.ndarray", np.ndarray)}
    for name, (dtype, default) in FIELDS.items():
        assert getattr(table, name).dtype == np.dtype(dtype) and getattr(table, name)[0] == default, name
