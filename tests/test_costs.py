"""Costs that add up (issue 12, item 5): each lever pays unit cost x units delivered, each year, as the
model recorded it; units a budget cap scales are rounded stochastically on their own stream; every
allocation moves where the money goes and what it does."""

import numpy as np
import pandas as pd
import pytest

from agents.firms import ATTRACTED
from agents.talent import TopScientist
from sim.model.constants import SPENDING_LEVERS
from sim.model.model import FutureIndustryModel, simulate
from sim.scenario.levers import stochastic_round
from sim.scenario.loading import load_scenario


def defaults(name: str, end_year: int = 2027):
    return load_scenario(name).with_values({"end_year": end_year, "parameter_draws": "defaults"})


def test_stochastic_round_by_hand():
    # cumulative 2.0, 2.6, 3.85, 3.85 plus 0.3: floors 2, 2, 4, 4 -> units 2, 0, 2, 0 (from floor(0.3) = 0)
    assert stochastic_round(np.array([2.0, 0.6, 1.25, 0.0]), 0.3).tolist() == [2, 0, 2, 0]
    assert stochastic_round(np.array([0.6]), 0.39).tolist() == [0]
    assert stochastic_round(np.array([0.6]), 0.41).tolist() == [1]
    draws = np.array([stochastic_round(np.full(9, 0.3), u) for u in np.random.default_rng(0).random(5000)])
    assert draws.mean(axis=0) == pytest.approx(np.full(9, 0.3), abs=0.03)  # unbiased per element
    assert set(draws.sum(axis=1)) == {2, 3}  # the total is 2.7 rounded down or up


def test_every_lever_pays_unit_cost_times_units_delivered_each_year():
    scenario = defaults("full_package")
    plan = scenario.plan()
    model = FutureIndustryModel(scenario, 3)
    n_dir = model.region.n_directions
    formed_before = np.zeros(n_dir)
    paid_to_firms = {}
    allocate = model._allocate_subsidies

    def allocate_and_look():  # what firms hold right after the subsidies are allocated (some exit later)
        allocate()
        f, live = model.firms, model.firms.live()
        for name, field in (("rd_grants", f.grant), ("loan_interest_subsidies", f.loan_subsidy),
                            ("direct_subsidies", f.direct_subsidy), ("major_projects", f.project_funding),
                            ("bond_finance", f.bond_subsidy)):
            paid_to_firms[name] = np.bincount(f.direction[live], weights=field[live], minlength=n_dir)

    model._allocate_subsidies = allocate_and_look
    while model.running:
        year, t = model.year, model.t
        model.step()
        f, live = model.firms, model.firms.live()
        d = f.direction[live]
        spent = model.spent

        def by_direction(values):
            return np.bincount(d, weights=values, minlength=n_dir)

        # firm-level payments: the money lands on firms, and is never more than appropriated
        for lever in ("rd_grants", "loan_interest_subsidies", "direct_subsidies", "major_projects", "bond_finance"):
            assert np.allclose(spent[lever], paid_to_firms[lever]), (lever, year)
        projects = spent["major_projects"] / plan.major_projects.cost_100m_yuan_per_project
        assert np.allclose(projects, np.round(projects))  # whole projects at the unit cost
        for lever in ("rd_grants", "loan_interest_subsidies", "bond_finance"):
            assert (spent[lever] <= getattr(plan, lever).money_100m_yuan[t] + 1e-9).all(), (lever, year)
        # direct subsidies are whole grants, rounded stochastically: at most one grant over the money
        assert (spent["direct_subsidies"] <= plan.direct_subsidies.money_100m_yuan[t]
                + plan.direct_subsidies.per_firm_100m_yuan + 1e-9).all()
        assert np.allclose(spent["direct_subsidies"] / plan.direct_subsidies.per_firm_100m_yuan,
                           np.round(spent["direct_subsidies"] / plan.direct_subsidies.per_firm_100m_yuan))
        # scenarios: paid per scenario formed (a scenario no capable firm can take is not paid)
        formed = model.cumulative["application_scenarios"] - formed_before
        formed_before = model.cumulative["application_scenarios"].copy()
        assert np.allclose(spent["application_scenarios"], formed * plan.application_scenarios.cost_100m_yuan_per_scenario)
        # first-of-a-kind: whole products at the unit cost
        products = spent["first_of_a_kind"] / plan.first_of_a_kind.cost_100m_yuan_per_product
        assert np.allclose(products, np.round(products))
        # attraction: one incentive package per attracted firm
        new = (f.origin[live] == ATTRACTED) & (f.founded[live] == year)
        assert np.allclose(spent["investment_attraction"],
                           by_direction(new.astype(float)) * model.values.attraction_cost_per_firm_100m_yuan)
        # platforms: set-up of those founded this year, running cost of those founded before
        run_platforms = [i for i in model.institutes if i.founded_in_run and i.kind == "platform"]
        new_p = sum(i.weights for i in run_platforms if i.founded == year) if run_platforms else np.zeros(n_dir)
        old_p = sum(i.weights for i in run_platforms if i.founded < year) if run_platforms else np.zeros(n_dir)
        assert np.allclose(spent["new_platforms"], new_p * plan.new_platforms.setup_cost_100m_yuan
                           + old_p * plan.new_platforms.operating_cost_100m_yuan_per_year)
        # talent: top scientists who came, recruits of each tier, retention support
        tops = np.bincount([s.direction for s in model.agents_by_type.get(TopScientist, []) if s.arrived == year],
                           minlength=n_dir)
        tp = plan.talent_programme
        expected = (tops * tp.cost_100m_yuan_per_top_scientist + tp.leading_talent[t] * tp.cost_100m_yuan_per_leading_talent
                    + tp.young_talent[t] * tp.cost_100m_yuan_per_young_talent + tp.retention_100m_yuan[t])
        # top scientists who arrived and left in the same year are paid but no longer agents
        assert (spent["talent_programme"] >= expected - 1e-9).all()
        assert (spent["talent_programme"] <= expected + tp.top_scientists[t] * tp.cost_100m_yuan_per_top_scientist
                + 1e-9).all()
        # zones: every zone in force, at the support per zone
        zones = (model.zone_levels() > 0).sum(axis=1)
        assert np.allclose(spent["pilot_zones"], zones * plan.pilot_zones.support_100m_yuan_per_zone[t])
        assert zones.sum() >= 3  # the three provincial zones in place cost money too
        # organisations, colleges and sandboxes: without a cap every planned unit is delivered, so the
        # delivered cost is the planned one (set-up over the build years, running cost once open)
        planned = plan.spending[plan.spending["year"] == year].set_index(["lever", "direction"])["value"]
        for lever in ("big_science", "rd_institutions", "industry_platforms", "industry_colleges", "sandbox"):
            assert np.allclose(spent[lever], planned[lever].reindex(model.region.directions).to_numpy()), (lever, year)
        # money levers paid in full where they act
        for lever in ("basic_research", "tech_transfer", "talent_attraction", "angel_fund", "guidance_fund",
                      "ip_services", "compute_infrastructure"):
            assert np.allclose(spent[lever], getattr(plan, lever).money_100m_yuan[t]), (lever, year)
    table = model.results("city")
    total = table[table["indicator"] == "spending_100m_yuan"]["value"].to_numpy()
    parts = table[table["indicator"].isin([f"spending_{k}" for k in SPENDING_LEVERS])]
    assert np.allclose(total, parts.groupby("year")["value"].sum().to_numpy())


def test_budget_cap_reaches_every_lever_and_rounds_units_stochastically():
    austerity, baseline = defaults("austerity", 2035), defaults("baseline", 2035)
    capped, full = austerity.plan(), baseline.plan()
    scale = capped.scale[0]
    assert scale == pytest.approx(20.0 / 34.0)
    assert capped.pilot_zones.support_100m_yuan_per_zone == pytest.approx(full.pilot_zones.support_100m_yuan_per_zone * scale)
    assert capped.application_scenarios.opened.sum() == pytest.approx(full.application_scenarios.opened.sum() * scale)
    assert capped.talent_programme.top_scientists.sum() == pytest.approx(full.talent_programme.top_scientists.sum() * scale)
    # delivered: whole units, not all floored away, close to the scaled plan over seeds; same seed, same units
    opened = []
    for seed in range(4):
        model = FutureIndustryModel(austerity, seed)
        model.year, model.t = 2030, 6
        opened.append(model.deliver_units("application_scenarios", (capped.application_scenarios.opened,))[0])
        again = FutureIndustryModel(austerity, seed)
        again.year, again.t = 2030, 6
        assert (again.deliver_units("application_scenarios", (capped.application_scenarios.opened,))[0]
                == opened[-1]).all()
    runs = pd.concat([simulate(austerity, s, detail="city").assign(seed=s) for s in range(6)])
    tops = runs[runs["indicator"] == "spending_talent_programme"]["value"]
    scenarios = runs[runs["indicator"] == "spending_application_scenarios"].groupby("seed")["value"].sum()
    assert (scenarios > 0).all()  # floored counts used to remove every scenario under the cap
    planned = capped.application_scenarios.opened.sum() * capped.application_scenarios.cost_100m_yuan_per_scenario
    # the rounding is unbiased: over seeds, about the capped plan (less where no firm could take one)
    assert 0.5 * planned < scenarios.mean() < 1.2 * planned, (scenarios.mean(), planned)
    assert tops.mean() > 0
    spent = runs[runs["indicator"] == "spending_100m_yuan"].groupby("seed")["value"].mean()
    assert spent.mean() == pytest.approx(20.0, rel=0.1)


# lever, allocation-free settings that make it act, the indicator it moves in its direction
ALLOCATED = [
    ("rd_grants", {}, "rd_spend_100m_yuan"),
    ("basic_research", {}, "researchers"),
    ("tech_transfer", {}, "tech_transfers"),
    ("application_scenarios", {"scenarios_per_year": 9.0}, "application_scenarios"),
    ("first_of_a_kind", {"amount_100m_yuan_per_year": 2.0}, "spending_first_of_a_kind"),
    ("investment_attraction", {"amount_100m_yuan_per_year": 6.0}, "firms"),
    ("talent_programme", {}, "talent_inflow"),
    ("talent_attraction", {"amount_100m_yuan_per_year": 6.0}, "talent_inflow"),
    ("guidance_fund", {"amount_100m_yuan_per_year": 10.0}, "equity_invested_100m_yuan"),
    ("angel_fund", {}, "equity_invested_100m_yuan"),
    ("loan_interest_subsidies", {}, "spending_loan_interest_subsidies"),
    ("direct_subsidies", {}, "spending_direct_subsidies"),
    ("new_platforms", {"platforms_per_year": 3.0}, "innovation_platforms"),
    ("major_projects", {"amount_100m_yuan_per_year": 3.0}, "rd_spend_100m_yuan"),
    ("big_science", {"units_per_year": 0.5, "build_years": 0}, "researchers"),
    ("rd_institutions", {"units_per_year": 5.0}, "tech_transfers"),
    ("industry_platforms", {"units_per_year": 1.0, "build_years": 0}, "entries"),  # cheaper attraction: more entrants
    ("ip_services", {"amount_100m_yuan_per_year": 1.0}, "spending_ip_services"),
    ("industry_colleges", {"colleges_per_year": 1.0, "training_years": 1}, "talent_inflow"),
    ("bond_finance", {"amount_100m_yuan_per_year": 2.0}, "spending_bond_finance"),
    ("sandbox", {"directions_covered": 1.0}, "spending_sandbox"),
    ("compute_infrastructure", {"amount_100m_yuan_per_year": 2.0}, "spending_compute_infrastructure"),
]


@pytest.mark.parametrize(("lever", "settings", "indicator"), ALLOCATED, ids=[a[0] for a in ALLOCATED])
def test_every_allocation_moves_the_money_and_its_effect(lever, settings, indicator):
    base = defaults("baseline", 2027)
    here, there = "future_intelligence", "future_energy"
    values = {f"levers.{lever}.{k}": v for k, v in settings.items()}

    def run(direction):
        scenario = base.with_values({**values, f"levers.{lever}.allocation": {direction: 1.0}})
        return pd.concat([simulate(scenario, s, detail="directions").assign(seed=s) for s in (1, 2, 3)])

    a, b = run(here), run(there)

    def total(runs, name, direction):
        rows = runs[(runs["indicator"] == name) & (runs["direction"] == direction)]
        return rows.groupby("seed")["value"].sum()

    spend = f"spending_{lever}"
    assert (total(a, spend, here) > 0).all() and (total(a, spend, there) == 0).all()
    assert (total(b, spend, there) > 0).all() and (total(b, spend, here) == 0).all()
    assert (total(a, indicator, here) > total(b, indicator, here)).all(), indicator
    assert (total(b, indicator, there) > total(a, indicator, there)).all(), indicator
