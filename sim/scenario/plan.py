"""The plan: a scenario's yearly amounts by lever and direction, and its spending table."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.inputs.region import Region
from sim.scenario.lever_schemas import Lever, MoneyLever
from sim.scenario.levers import (
    AngelFundPlan,
    ApplicationScenariosPlan,
    BasicResearchPlan,
    BondFinancePlan,
    ComputeInfrastructurePlan,
    DirectSubsidiesPlan,
    FirstOfAKindPlan,
    GuidanceFundPlan,
    IncumbentDiversificationPlan,
    IndustryCollegesPlan,
    InstitutesPlan,
    InvestmentAttractionPlan,
    IpServicesPlan,
    LoanInterestSubsidiesPlan,
    MajorProjectsPlan,
    NewPlatformsPlan,
    PilotZonesPlan,
    Plan,
    RdGrantsPlan,
    SandboxPlan,
    TalentAttractionPlan,
    TalentProgrammePlan,
    TechTransferPlan,
    ZoneDesignation,
    apportion_counts,
    institute_costs,
    shares_by_year,
)

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


PLAN_INPUTS = {"region", "start_year", "end_year", "levers", "priorities", "budget"}  # all build_plan reads
_PLANS: dict[tuple[str, int], Plan] = {}


def model_plan(scenario: Scenario, region: Region) -> Plan:
    """The plan a model runs on: built once per process for each scenario content and region, and
    shared by the replicates, with its arrays read-only (a model that wrote into its plan would
    change the next replicate's). Its ``spending`` table is shared too and must not be modified (the
    model never reads it; callers that want to change it take ``Scenario.plan()``'s own copy)."""
    key = (json.dumps(scenario.model_dump(mode="json", include=PLAN_INPUTS), sort_keys=True), id(region))
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= 64:
            _PLANS.clear()
        plan = _PLANS[key] = build_plan(scenario, region)
        _read_only(plan)
        _REGIONS[id(region)] = region  # keeps the region alive, so its id is not reused
    return plan


_REGIONS: dict[int, Region] = {}


def _read_only(value: object) -> None:
    """Mark every numpy array in a (nested) plan dataclass as not writeable."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _read_only(getattr(value, field.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            _read_only(item)


def build_plan(scenario: Scenario, region: Region) -> Plan:
    """The typed plan: each lever's money, units, unit costs and terms by year and direction, and the
    planned spending table, with the budget cap applied to every lever that costs money.

    Under ``on_exceed = "scale"`` every lever's money and every unit count is multiplied by the year's
    scale; unit counts then hold expected (fractional) units, which the model rounds stochastically
    on its own random stream (``FutureIndustryModel.deliver_units``), so the expected cost is the
    capped cost and no lever is floored away.
    """
    years = scenario.years
    n_years = len(years)
    default = _share_vector(scenario.priorities.shares, region)
    changes = [(c.year, _share_vector(c.shares, region)) for c in scenario.priorities.changes]
    priority = shares_by_year(years, default, changes)
    start, end = scenario.start_year, scenario.end_year
    levers = scenario.levers

    def shares_of(lever: Lever) -> np.ndarray:
        if lever.allocation is None:
            return priority
        return np.tile(_share_vector(lever.allocation, region), (n_years, 1))

    def money_of(lever: MoneyLever) -> np.ndarray:
        return lever.amount_100m_yuan_per_year * lever.fraction(years, start, end)[:, None] * shares_of(lever)

    def units_of(lever: Lever, per_year: float) -> np.ndarray:
        return apportion_counts(per_year * lever.fraction(years, start, end), shares_of(lever)).astype(float)

    platforms = levers.new_platforms
    founded = units_of(platforms, platforms.platforms_per_year)
    scen = levers.application_scenarios
    opened = units_of(scen, scen.scenarios_per_year)
    talent = levers.talent_programme
    tiers = {tier: units_of(talent, getattr(talent, f"{tier}_per_year"))
             for tier in ("top_scientists", "leading_talent", "young_talent")}
    retention = (talent.retention_support_100m_yuan_per_year * talent.fraction(years, start, end)[:, None]
                 * shares_of(talent))
    zones = levers.pilot_zones
    support = zones.support_100m_yuan_per_zone_per_year * zones.fraction(years, start, end)
    designations = tuple(sorted(
        (ZoneDesignation(d.year, region.district_index(d.district), region.direction_index(d.direction))
         for d in zones.designations), key=lambda z: (z.year, z.district, z.direction)))

    # planned spending, before the cap: (n_years, n_dir) per lever
    cost: dict[str, np.ndarray] = {name: money_of(lever) for name, lever in levers.items()
                                   if isinstance(lever, MoneyLever)}
    operating = np.cumsum(founded, axis=0) - founded  # platforms founded in earlier years
    cost["new_platforms"] = (founded * platforms.setup_cost_100m_yuan
                             + operating * platforms.operating_cost_100m_yuan_per_year)
    cost["application_scenarios"] = opened * scen.cost_100m_yuan_per_scenario
    cost["talent_programme"] = retention + sum(
        tiers[tier] * getattr(talent, "cost_100m_yuan_per_" + tier.removesuffix("s")) for tier in tiers)
    cost["pilot_zones"] = zones_in_force(years, region, designations) * support[:, None]
    decided = {}
    for name in ("big_science", "rd_institutions", "industry_platforms"):
        lever = getattr(levers, name)
        decided[name] = units_of(lever, lever.units_per_year)
        cost[name] = institute_costs(decided[name], lever.setup_cost_100m_yuan,
                                     lever.operating_cost_100m_yuan_per_year, lever.build_years)
    colleges = levers.industry_colleges
    founded_colleges = units_of(colleges, colleges.colleges_per_year)
    cost["industry_colleges"] = np.cumsum(founded_colleges, axis=0) * colleges.operating_cost_100m_yuan_per_year
    sandbox = levers.sandbox
    coverage = np.minimum(1.0, sandbox.directions_covered * sandbox.fraction(years, start, end)[:, None]
                          * shares_of(sandbox))
    cost["sandbox"] = coverage * sandbox.cost_100m_yuan_per_direction_per_year

    scale = np.ones(n_years)
    cap = scenario.budget.cap_100m_yuan_per_year
    if cap is not None and scenario.budget.on_exceed == "scale":
        totals = np.sum([c.sum(axis=1) for c in cost.values()], axis=0)
        scale = np.where(totals > cap, cap / np.maximum(totals, 1e-12), 1.0)
    s = scale[:, None]
    cost = {name: c * s for name, c in cost.items()}

    rows = [(int(year), name, direction, float(cost[name][t, d]))
            for name, _ in levers.items() for t, year in enumerate(years)
            for d, direction in enumerate(region.directions)]
    spending = pd.DataFrame(rows, columns=["year", "lever", "direction", "value"])
    spending["project"] = spending["lever"].map({name: type(lever).PROJECT for name, lever in levers.items()})

    def money(name: str) -> np.ndarray:
        return money_of(getattr(levers, name)) * s

    fund = levers.guidance_fund
    return Plan(
        years=years, spending=spending, scale=scale,
        rd_grants=RdGrantsPlan(money("rd_grants"), levers.rd_grants.max_share_of_own_rd),
        basic_research=BasicResearchPlan(money("basic_research")),
        new_platforms=NewPlatformsPlan(founded * s, platforms.setup_cost_100m_yuan,
                                       platforms.operating_cost_100m_yuan_per_year),
        tech_transfer=TechTransferPlan(money("tech_transfer")),
        application_scenarios=ApplicationScenariosPlan(opened * s, scen.cost_100m_yuan_per_scenario,
                                                       scen.contract_years),
        first_of_a_kind=FirstOfAKindPlan(money("first_of_a_kind"), levers.first_of_a_kind.cost_100m_yuan_per_product),
        pilot_zones=PilotZonesPlan(designations, support * scale),
        investment_attraction=InvestmentAttractionPlan(money("investment_attraction")),
        incumbent_diversification=IncumbentDiversificationPlan(
            money("incumbent_diversification"), levers.incumbent_diversification.cost_100m_yuan_per_firm),
        talent_programme=TalentProgrammePlan(
            tiers["top_scientists"] * s, tiers["leading_talent"] * s, tiers["young_talent"] * s,
            talent.cost_100m_yuan_per_top_scientist, talent.cost_100m_yuan_per_leading_talent,
            talent.cost_100m_yuan_per_young_talent, retention * s),
        talent_attraction=TalentAttractionPlan(money("talent_attraction")),
        guidance_fund=GuidanceFundPlan(money("guidance_fund"), fund.n_sub_funds,
                                       (fund.stage_focus.seed, fund.stage_focus.early, fund.stage_focus.growth),
                                       fund.deployment_years),
        angel_fund=AngelFundPlan(money("angel_fund")),
        loan_interest_subsidies=LoanInterestSubsidiesPlan(money("loan_interest_subsidies"),
                                                          levers.loan_interest_subsidies.max_per_firm_100m_yuan),
        direct_subsidies=DirectSubsidiesPlan(money("direct_subsidies"), levers.direct_subsidies.per_firm_100m_yuan),
        major_projects=MajorProjectsPlan(money("major_projects"), levers.major_projects.cost_100m_yuan_per_project),
        **{name: InstitutesPlan(decided[name] * s, getattr(levers, name).setup_cost_100m_yuan,
                                getattr(levers, name).operating_cost_100m_yuan_per_year,
                                getattr(levers, name).build_years, type(getattr(levers, name)).KIND)
           for name in decided},
        ip_services=IpServicesPlan(money("ip_services")),
        industry_colleges=IndustryCollegesPlan(founded_colleges * s, colleges.operating_cost_100m_yuan_per_year,
                                               colleges.graduates_per_college_per_year, colleges.training_years),
        bond_finance=BondFinancePlan(money("bond_finance"), levers.bond_finance.max_per_firm_100m_yuan),
        sandbox=SandboxPlan(coverage * s, sandbox.cost_100m_yuan_per_direction_per_year),
        compute_infrastructure=ComputeInfrastructurePlan(money("compute_infrastructure")),
    )


def zones_in_force(years: np.ndarray, region: Region, designations: tuple[ZoneDesignation, ...]) -> np.ndarray:
    """Pilot zones the city supports each year by direction: the zones in place before the run (any
    level, from the region's data) and the scenario's municipal designations, each (district,
    direction) once, from its year on. Shape (n_years, n_directions)."""
    first: dict[tuple[int, int], int] = {}
    for row in region.existing_zones.itertuples():
        cell = (region.district_index(row.district), region.direction_index(row.direction))
        first[cell] = min(first.get(cell, 10**6), int(row.year))
    for z in designations:
        first[(z.district, z.direction)] = min(first.get((z.district, z.direction), 10**6), z.year)
    out = np.zeros((len(years), region.n_directions))
    for (_, direction), year in first.items():
        out[np.asarray(years) >= year, direction] += 1
    return out


def _share_vector(shares: dict[str, float] | None, region: Region) -> np.ndarray:
    if shares is None:
        return np.full(region.n_directions, 1.0 / region.n_directions)
    return np.array([shares.get(d, 0.0) for d in region.directions])
