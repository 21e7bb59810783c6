"""Scenario files: TOML in, validated frozen objects out.

A scenario says only what differs from its base (``extends = "baseline"``). Loading merges it onto the
base, validates every key, type, range, direction, district and year, and refuses unknown keys, so a
typo fails at load time with the file, the key, the bad value and what is allowed. Nothing in a
scenario file is executed.

Money is in 100 million yuan (亿元) everywhere; units are in the field names.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim.errors import InputError, from_validation_error
from sim.levers import (
    AngelFundPlan, ApplicationScenariosPlan, BasicResearchPlan, BondFinancePlan, ComputeInfrastructurePlan,
    DirectSubsidiesPlan, FirstOfAKindPlan, GuidanceFundPlan, IndustryCollegesPlan, InstitutesPlan,
    InvestmentAttractionPlan, IpServicesPlan, LoanInterestSubsidiesPlan, MajorProjectsPlan, NewPlatformsPlan,
    PilotZonesPlan, Plan, RdGrantsPlan, SandboxPlan, TalentAttractionPlan, TalentProgrammePlan, TechTransferPlan,
    ZoneDesignation, apportion_counts, institute_costs, schedule, shares_by_year,
)
from sim.paths import SCENARIOS_DIR
from sim.region import Region, load_region

PROJECTS: dict[int, tuple[str, str]] = {
    1: ("未来技术策源", "Future technology sources"),
    2: ("未来场景开放", "Future application scenarios"),
    3: ("未来平台提升", "Future platforms"),
    4: ("未来主体汇聚", "Future enterprises"),
    5: ("未来人才引育", "Future talent"),
    6: ("未来生态治理", "Future ecosystem and finance"),
}

POLICY_HORIZON = 2035  # the guidance's last target year; lever years may run to it in shortened runs
Money = Annotated[float, Field(ge=0.0, le=1000.0)]
UnitCost = Annotated[float, Field(gt=0.0, le=100.0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def _region(info: ValidationInfo) -> Region:
    ctx = info.context or {}
    return ctx.get("region") or load_region("ningbo")


def _check_shares(shares: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
    """Direction shares: known directions only, summing to one (missing directions get zero)."""
    if shares is None:
        return None
    directions = _region(info).directions
    for key in shares:
        if key not in directions:
            raise PydanticCustomError(
                "unknown_direction", "unknown direction {name}",
                {"name": key, "allowed": ", ".join(directions)},
            )
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise PydanticCustomError(
            "shares_sum", "direction shares sum to {total}",
            {"total": round(total, 6), "allowed": "shares that sum to 1"},
        )
    return shares


class Change(Frozen):
    """From ``year`` on, the lever's amounts and counts are multiplied by ``scale`` (relative to the
    amounts written in the file; a later change replaces an earlier one)."""

    year: int
    scale: float = Field(ge=0.0, le=20.0)


class Lever(Frozen):
    """Common schedule of every lever: years in force, ramp-up, step changes, split across directions.

    ``allocation`` (direction -> share) overrides the scenario's ``priorities`` for this lever.
    ``changes = [{ year = 2026, scale = 2.0 }]`` doubles the lever from 2026 on.
    """

    PROJECT: ClassVar[int] = 0
    NAME_ZH: ClassVar[str] = ""
    NAME_EN: ClassVar[str] = ""
    BY_DIRECTION: ClassVar[bool] = True
    DOSE_FIELDS: ClassVar[tuple[str, ...]] = ()  # the amounts a dose multiplies (docs/levers.md)
    EFFECTS: ClassVar[tuple[str, ...]] = ()  # parameters (parameter_space.toml) that size its effects

    start_year: int | None = Field(None, description="first year in force (default: scenario start)")
    end_year: int | None = Field(None, description="last year in force (default: scenario end)")
    ramp_years: int = Field(0, ge=0, le=10, description="years of linear ramp-up to the full amount")
    allocation: dict[str, Share] | None = Field(None, description="direction shares, overriding priorities")
    changes: list[Change] = Field(default_factory=list, description="step changes of the amounts by year")

    @field_validator("allocation")
    @classmethod
    def check_allocation(cls, v: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        return _check_shares(v, info)

    def fraction(self, years: np.ndarray, start: int, end: int) -> np.ndarray:
        """Multiple of the written amount in force each year (schedule, ramp and step changes)."""
        factor = schedule(years, self.start_year or start, self.end_year or end, self.ramp_years)
        for change in sorted(self.changes, key=lambda c: c.year):
            factor = np.where(np.asarray(years) >= change.year, schedule(
                years, self.start_year or start, self.end_year or end, self.ramp_years) * change.scale, factor)
        return factor


class MoneyLever(Lever):
    """A lever that is an amount of money per year."""

    DOSE_FIELDS: ClassVar[tuple[str, ...]] = ("amount_100m_yuan_per_year",)
    amount_100m_yuan_per_year: Money = 0.0


class RdGrants(MoneyLever):
    """R&D grants matched to firms' own R&D (研发补助): each direction's money is shared among firms in
    proportion to their own R&D, at most ``max_share_of_own_rd`` of it; a grant raises the firm's R&D by
    ``rd_grant_additionality`` per yuan, hence its knowledge, products and growth. Unspent money is not paid."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('rd_grant_additionality',)

    PROJECT, NAME_ZH, NAME_EN = 1, "研发补助", "R&D grants"
    max_share_of_own_rd: Share = Field(0.5, description="a firm's grant is at most this share of its own R&D")


class BasicResearch(MoneyLever):
    """Stable funding of labs, universities and institutes (基础研究稳定支持): each direction's money goes
    to its institutes by their researchers there and pays for more researchers (hired from the talent
    pool), who produce breakthroughs, transfers to firms and spin-offs. A direction without institutes is not paid."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('cost_per_researcher_100m_yuan', 'breakthrough_rate', 'transfers_per_1000_researchers')

    PROJECT, NAME_ZH, NAME_EN = 1, "基础研究与实验室", "Basic research and labs"


class NewPlatforms(Lever):
    """New innovation platforms: innovation centres, engineering research centres, labs (新建创新平台): each
    platform is an institute of its direction with researchers paid by its running cost; it writes
    standards, makes breakthroughs and transfers, and counts towards national-zone criteria."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('cost_per_researcher_100m_yuan', 'platform_standards_per_year', 'bundle_complementarity')
    DOSE_FIELDS: ClassVar[tuple[str, ...]] = ('platforms_per_year',)

    PROJECT, NAME_ZH, NAME_EN = 1, "新建创新平台", "New innovation platforms"
    platforms_per_year: float = Field(0.0, ge=0.0, le=50.0)
    setup_cost_100m_yuan: UnitCost = 1.0
    operating_cost_100m_yuan_per_year: UnitCost = 0.5


class TechTransfer(MoneyLever):
    """Tech-transfer services, concept verification, IP operation (成果转化): institutes' transfer and
    spin-off rates in the direction rise by ``tech_transfer_lever_effect`` per 亿 a year."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('tech_transfer_lever_effect', 'transfer_knowledge_gain')

    PROJECT, NAME_ZH, NAME_EN = 2, "成果转化", "Technology transfer"


class ApplicationScenarios(Lever):
    """Application scenarios opened by the city (场景开放): a scenario is won by two or three capable
    firms of its direction (technology and stage thresholds; zones help) or is not formed and not paid;
    the winners earn city money x ``scenario_absorption`` over the contract's term, then it ends."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('scenario_absorption',)
    DOSE_FIELDS: ClassVar[tuple[str, ...]] = ('scenarios_per_year',)

    PROJECT, NAME_ZH, NAME_EN = 2, "应用场景开放", "Application scenarios"
    scenarios_per_year: float = Field(0.0, ge=0.0, le=200.0)
    cost_100m_yuan_per_scenario: UnitCost = Field(0.2, description="city money per scenario, paid when it is formed")
    contract_years: int = Field(
        3, ge=1, le=10, description="years a scenario contract runs; the revenue it brings its winners ends with it")


class FirstOfAKind(MoneyLever):
    """First-of-a-kind purchase support (首台套/首批次/首版次): supported frontier products are validated
    as high-end products more often (``first_of_a_kind_validation_gain``) and the first purchase is a
    sale of that year; only products actually supported are paid."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('first_of_a_kind_validation_gain', 'scenario_absorption')

    PROJECT, NAME_ZH, NAME_EN = 2, "首台套首批次首版次", "First-of-a-kind support"
    cost_100m_yuan_per_product: UnitCost = Field(
        0.023, description="Liaoning 2019: 161.36m yuan for 70 projects (literature_priors.csv, arithmetic)"
    )


class Designation(Frozen):
    """One municipal pilot-zone designation: a district, a direction, a year."""

    district: str
    direction: str
    year: int

    @field_validator("district")
    @classmethod
    def _district(cls, v: str, info: ValidationInfo) -> str:
        districts = _region(info).districts
        if v not in districts:
            raise PydanticCustomError("unknown_district", "unknown district",
                                      {"allowed": ", ".join(districts)})
        return v

    @field_validator("direction")
    @classmethod
    def _direction(cls, v: str, info: ValidationInfo) -> str:
        directions = _region(info).directions
        if v not in directions:
            raise PydanticCustomError("unknown_direction", "unknown direction",
                                      {"allowed": ", ".join(directions)})
        return v


class PilotZones(Lever):
    """Municipal pilot zones designated by the city, and the yearly support the city pays every zone in
    force, including the zones in place before the run (先导区)."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('pilot_zone_growth_effect', 'pilot_zone_entry_effect', 'bundle_complementarity')
    DOSE_FIELDS: ClassVar[tuple[str, ...]] = ('support_100m_yuan_per_zone_per_year',)

    PROJECT, NAME_ZH, NAME_EN = 3, "先导区建设", "Pilot zones"
    BY_DIRECTION: ClassVar[bool] = False
    designations: list[Designation] = Field(default_factory=list)
    support_100m_yuan_per_zone_per_year: Money = 0.5

    @field_validator("allocation")
    @classmethod
    def _no_allocation(cls, v: Any) -> Any:
        if v is not None:
            raise PydanticCustomError("no_allocation", "pilot zones are placed by designations, not shares",
                                      {"allowed": "a list of [[levers.pilot_zones.designations]]"})
        return v


class InvestmentAttraction(MoneyLever):
    """Attraction of outside firms and projects (招商引资, 补链强链): the money buys incentive packages of
    ``attraction_cost_per_firm_100m_yuan`` (less where an industrial platform is open); each package
    brings one established outside firm into the direction; paid per firm that came."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('attraction_cost_per_firm_100m_yuan', 'attracted_firm_revenue_100m_yuan')

    PROJECT, NAME_ZH, NAME_EN = 4, "招商引资", "Investment attraction"


class TalentProgramme(Lever):
    """Yongjiang talent programme (甬江人才工程): top scientists (agents hosted by institutes, raising
    breakthroughs), leading and young talent (raising the knowledge productivity of R&D in their
    direction) recruited per year and paid per recruit; retention support lowers recruits' departures."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('recruit_retention', 'recruit_productivity_gain', 'top_scientist_breakthrough_gain', 'retention_support_effect')
    DOSE_FIELDS: ClassVar[tuple[str, ...]] = ('top_scientists_per_year', 'leading_talent_per_year', 'young_talent_per_year', 'retention_support_100m_yuan_per_year')

    PROJECT, NAME_ZH, NAME_EN = 5, "甬江人才工程", "Yongjiang talent programme"
    top_scientists_per_year: float = Field(0.0, ge=0.0, le=100.0)
    leading_talent_per_year: float = Field(0.0, ge=0.0, le=2000.0)
    young_talent_per_year: float = Field(0.0, ge=0.0, le=5000.0)
    cost_100m_yuan_per_top_scientist: UnitCost = Field(
        0.3, description="assumption: award, lab and team support over the contract"
    )
    cost_100m_yuan_per_leading_talent: UnitCost = Field(
        0.06, description="national caps: 1m yuan award + up to 5m research funding (literature_priors.csv)"
    )
    cost_100m_yuan_per_young_talent: UnitCost = Field(0.01, description="assumption: about 1m yuan each")
    retention_support_100m_yuan_per_year: Money = 0.0


class TalentAttraction(MoneyLever):
    """Graduate attraction and retention: housing, living subsidies (人才引育): graduates entering the
    direction's R&D rise by ``talent_attraction_effect`` of the city's base inflow per 亿 allocated to it."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('talent_attraction_effect',)

    PROJECT, NAME_ZH, NAME_EN = 5, "青年人才集聚", "Graduate attraction"


class StageFocus(Frozen):
    """How a fund splits its deals by firm stage; shares sum to one."""

    seed: Share = 0.4
    early: Share = 0.4
    growth: Share = 0.2

    @model_validator(mode="after")
    def _sum(self) -> StageFocus:
        total = self.seed + self.early + self.growth
        if abs(total - 1) > 1e-6:
            raise PydanticCustomError("shares_sum", "stage shares sum to {total}",
                                      {"total": round(total, 6), "allowed": "seed + early + growth = 1"})
        return self


class GuidanceFund(MoneyLever):
    """The "1+N" guidance fund: city money paid into a mother fund that backs N sub-funds, each levering
    private money (``guidance_fund_leverage``) and investing by stage over ``deployment_years``; funded
    firms grow faster and exit less."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('guidance_fund_leverage', 'funding_growth_effect', 'funding_hazard_reduction', 'bundle_complementarity')

    PROJECT, NAME_ZH, NAME_EN = 6, "“1+N”产业基金", "1+N guidance fund"
    n_sub_funds: int = Field(9, ge=1, le=50)
    stage_focus: StageFocus = StageFocus()
    deployment_years: int = Field(4, ge=1, le=10, description="years over which a year's capital is invested")


class AngelFund(MoneyLever):
    """City angel-investment guidance fund co-investing in firms under 3 years old (天使投资引导基金): seed
    deals with private co-investment (``angel_fund_leverage``); funded firms grow faster and exit less."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('angel_fund_leverage', 'funding_growth_effect', 'funding_hazard_reduction')

    PROJECT, NAME_ZH, NAME_EN = 6, "天使投资引导基金", "Angel guidance fund"


class LoanInterestSubsidies(MoneyLever):
    """Loan-interest subsidies (贷款贴息) for growing firms (revenue of 0.2亿 or more, growing last year),
    shared by revenue up to a cap per firm; the subsidy raises growth in the year it is paid
    (``loan_subsidy_growth_effect`` x subsidy / revenue) and ends with it."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('loan_subsidy_growth_effect',)

    PROJECT, NAME_ZH, NAME_EN = 6, "贷款贴息", "Loan-interest subsidies"
    max_per_firm_100m_yuan: UnitCost = 0.05


class DirectSubsidies(MoneyLever):
    """Direct subsidies (直接补助) to young technology firms: grants of ``per_firm_100m_yuan`` to firms up
    to 8 years old, best technology first (with noise); cash for R&D and a lower exit hazard that year."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('direct_subsidy_hazard_reduction',)

    PROJECT, NAME_ZH, NAME_EN = 6, "直接补助", "Direct subsidies"
    per_firm_100m_yuan: UnitCost = 0.02


# ---------------------------------------------------------------- measures of the guidance's 重大工程
# (issue 12, item 3). Amounts are the city's; every effect size is a parameter with a range
# (parameter_space.toml), so the sensitivity analysis sees it.


class MajorProjects(MoneyLever):
    """Municipal major science and technology projects (市级科技重大专项): consortium projects led by the
    direction's technology leaders, funding their R&D (no cap by own R&D, unlike R&D grants)."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('rd_grant_additionality',)

    PROJECT, NAME_ZH, NAME_EN = 1, "市级科技重大专项", "Municipal major S&T projects"
    cost_100m_yuan_per_project: UnitCost = Field(
        0.1, description="city money per project (assumption: 1000万 a project, the scale of provincial 尖兵 projects)")


class InstituteLever(Lever):
    """A lever that founds research organisations: units per year, set-up, running cost, build years."""

    DOSE_FIELDS: ClassVar[tuple[str, ...]] = ('units_per_year',)

    KIND: ClassVar[str] = "research_institute"
    units_per_year: float = Field(0.0, ge=0.0, le=20.0)
    setup_cost_100m_yuan: UnitCost = 1.0
    operating_cost_100m_yuan_per_year: UnitCost = 0.5
    build_years: int = Field(0, ge=0, le=8, description="years from decision to opening (set-up paid evenly over them)")


class BigScience(InstituteLever):
    """Large research facilities and new research universities (大科学装置, 新型研究型大学)."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('cost_per_researcher_100m_yuan', 'breakthrough_rate', 'transfers_per_1000_researchers')

    PROJECT, NAME_ZH, NAME_EN = 1, "大科学装置与研究型大学", "Large facilities and research universities"
    KIND: ClassVar[str] = "lab"
    setup_cost_100m_yuan: UnitCost = Field(20.0, description="assumption: tens of 亿 per facility or campus")
    operating_cost_100m_yuan_per_year: UnitCost = Field(3.0, description="assumption: staff and running costs")
    build_years: int = Field(4, ge=0, le=8)


class RdInstitutions(InstituteLever):
    """New-type R&D institutions and technology alliances (新型研发机构, 产业技术联盟): small institutes that
    transfer more of what they find to firms (kind research_institute, higher transfer rate)."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('rd_institution_transfer_multiplier', 'transfers_per_1000_researchers')

    PROJECT, NAME_ZH, NAME_EN = 3, "新型研发机构与创新联合体", "New-type R&D institutions"
    setup_cost_100m_yuan: UnitCost = 0.5
    operating_cost_100m_yuan_per_year: UnitCost = 0.3
    build_years: int = Field(1, ge=0, le=8)


class IndustryPlatforms(InstituteLever):
    """"万亩千亿" industrial platforms and 标杆 projects: serviced land and buildings for a direction, which
    lower the incentive an outside firm needs to come (attraction) in that direction."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('industrial_platform_attraction_effect', 'attraction_cost_per_firm_100m_yuan')

    PROJECT, NAME_ZH, NAME_EN = 3, "“万亩千亿”产业平台", "Large industrial platforms"
    KIND: ClassVar[str] = "industrial_platform"
    setup_cost_100m_yuan: UnitCost = Field(10.0, description="assumption: city share of land and infrastructure")
    operating_cost_100m_yuan_per_year: UnitCost = Field(0.5, description="assumption: platform management")
    build_years: int = Field(2, ge=0, le=8)


class IpServices(MoneyLever):
    """Intellectual-property services and technology intermediaries (知识产权, 技术经纪): firms absorb more
    of each technology transfer."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('ip_service_effect', 'transfer_knowledge_gain')

    PROJECT, NAME_ZH, NAME_EN = 2, "知识产权与技术中介", "IP services and intermediaries"


class IndustryColleges(Lever):
    """Future-industry colleges (未来产业特色学院): graduates trained for a direction, after a delay."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('graduate_share_future',)
    DOSE_FIELDS: ClassVar[tuple[str, ...]] = ('colleges_per_year',)

    PROJECT, NAME_ZH, NAME_EN = 5, "未来产业特色学院", "Future-industry colleges"
    colleges_per_year: float = Field(0.0, ge=0.0, le=10.0)
    operating_cost_100m_yuan_per_year: UnitCost = Field(0.3, description="assumption: per college")
    graduates_per_college_per_year: float = Field(
        300.0, ge=0.0, le=3000.0, description="assumption: a college's yearly graduates into its direction")
    training_years: int = Field(4, ge=1, le=8, description="years before the first graduates")


class BondFinance(MoneyLever):
    """Bond and M&A finance support (债券融资, 并购贴息): interest support on bonds and acquisition loans of
    established firms (revenue of 1亿 or more), the growth channel of loan-interest subsidies."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('loan_subsidy_growth_effect',)

    PROJECT, NAME_ZH, NAME_EN = 6, "债券与并购融资支持", "Bond and M&A finance"
    max_per_firm_100m_yuan: UnitCost = 0.2


class Sandbox(Lever):
    """Fault tolerance and regulatory sandboxes (容错机制, 监管沙盒) for a direction: an administrative
    measure with a small cost; young firms' exit hazard falls (parameter sandbox_hazard_reduction)."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('sandbox_hazard_reduction',)
    DOSE_FIELDS: ClassVar[tuple[str, ...]] = ('directions_covered',)

    PROJECT, NAME_ZH, NAME_EN = 6, "容错与监管沙盒", "Fault tolerance and sandboxes"
    directions_covered: float = Field(
        0.0, ge=0.0, le=40.0, description="directions with a sandbox (split by allocation; coverage saturates at one per direction)")
    cost_100m_yuan_per_direction_per_year: UnitCost = Field(0.05, description="assumption: administration")


class ComputeInfrastructure(MoneyLever):
    """Data and computing infrastructure (算力, 数据要素) offered to firms as vouchers: raises the knowledge
    productivity of firms' R&D in the directions it is allocated to."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('compute_productivity_effect',)

    PROJECT, NAME_ZH, NAME_EN = 3, "算力与数据基础设施", "Computing and data infrastructure"


class Levers(Frozen):
    """All policy levers; any lever left out is off."""

    rd_grants: RdGrants = RdGrants()
    basic_research: BasicResearch = BasicResearch()
    new_platforms: NewPlatforms = NewPlatforms()
    tech_transfer: TechTransfer = TechTransfer()
    application_scenarios: ApplicationScenarios = ApplicationScenarios()
    first_of_a_kind: FirstOfAKind = FirstOfAKind()
    pilot_zones: PilotZones = PilotZones()
    investment_attraction: InvestmentAttraction = InvestmentAttraction()
    talent_programme: TalentProgramme = TalentProgramme()
    talent_attraction: TalentAttraction = TalentAttraction()
    guidance_fund: GuidanceFund = GuidanceFund()
    angel_fund: AngelFund = AngelFund()
    loan_interest_subsidies: LoanInterestSubsidies = LoanInterestSubsidies()
    direct_subsidies: DirectSubsidies = DirectSubsidies()
    major_projects: MajorProjects = MajorProjects()
    big_science: BigScience = BigScience()
    rd_institutions: RdInstitutions = RdInstitutions()
    industry_platforms: IndustryPlatforms = IndustryPlatforms()
    ip_services: IpServices = IpServices()
    industry_colleges: IndustryColleges = IndustryColleges()
    bond_finance: BondFinance = BondFinance()
    sandbox: Sandbox = Sandbox()
    compute_infrastructure: ComputeInfrastructure = ComputeInfrastructure()

    def items(self) -> list[tuple[str, Lever]]:
        return [(name, getattr(self, name)) for name in type(self).model_fields]


def lever_projects() -> dict[str, int]:
    """Lever name -> the major project (重大工程, :data:`PROJECTS`) it belongs to."""
    return {name: type(lever).PROJECT for name, lever in Levers().items()}


class PriorityChange(Frozen):
    year: int
    shares: dict[str, Share]

    @field_validator("shares")
    @classmethod
    def check_shares(cls, v: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        return _check_shares(v, info)


class Priorities(Frozen):
    """How lever budgets are split across directions, and when the split changes.

    ``shares`` missing means an equal split (the "nine ones": one of each per direction).
    """

    shares: dict[str, Share] | None = None
    changes: list[PriorityChange] = Field(default_factory=list)

    @field_validator("shares")
    @classmethod
    def check_shares(cls, v: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        return _check_shares(v, info)


class Budget(Frozen):
    """Optional cap on yearly spending. ``on_exceed = "scale"`` scales every lever down in years over it."""

    cap_100m_yuan_per_year: float | None = Field(None, ge=0.0, le=10000.0)
    on_exceed: Literal["refuse", "scale"] = "refuse"


class Scenario(Frozen):
    """A validated scenario: levers, priorities, budget, and values of uncertain inputs.

    ``uncertainties`` (the world the city does not control) and ``parameters`` (model behaviour) are
    checked against the region's parameter space; a per-direction entry takes a table by direction.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_\-\.]+$", max_length=80)
    title_zh: str = ""
    title_en: str = ""
    description: str = ""
    region: str = "ningbo"
    start_year: int = Field(2024, ge=2015, le=2035)
    end_year: int = Field(2035, ge=2016, le=2050)
    levers: Levers = Levers()
    priorities: Priorities = Priorities()
    budget: Budget = Budget()
    uncertainties: dict[str, float | dict[str, float]] = Field(default_factory=dict)
    parameters: dict[str, float | dict[str, float]] = Field(default_factory=dict)
    parameter_draws: str = Field(
        "calibrated", description='"calibrated" (the calibration\'s accepted draws), "defaults", or a file'
    )

    _source: Path | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _check_years_and_values(self, info: ValidationInfo) -> Scenario:
        region = _region(info)
        # lever years may reach past a shortened run's end, up to the policy horizon (2035)
        horizon = max(self.end_year, POLICY_HORIZON)
        window = f"{self.start_year} to {horizon}"
        if self.end_year <= self.start_year:
            raise _custom("end_year must be after start_year", "end_year", self.end_year,
                          f"a year after {self.start_year}")
        if self.start_year not in region.start_years():
            raise _custom("no initial state for this start year", "start_year", self.start_year,
                          ", ".join(map(str, region.start_years())))
        for name, lever in self.levers.items():
            for attr in ("start_year", "end_year"):
                year = getattr(lever, attr)
                if year is not None and not self.start_year <= year <= horizon:
                    raise _custom("year outside the scenario", f"levers.{name}.{attr}", year, window)
            for i, change in enumerate(lever.changes):
                if not self.start_year <= change.year <= horizon:
                    raise _custom("year outside the scenario", f"levers.{name}.changes.{i}.year",
                                  change.year, window)
            if lever.start_year and lever.end_year and lever.end_year < lever.start_year:
                raise _custom("end_year before start_year", f"levers.{name}.end_year", lever.end_year,
                              f"{lever.start_year} or later")
        seen = set()
        for i, d in enumerate(self.levers.pilot_zones.designations):
            if not self.start_year <= d.year <= horizon:
                raise _custom("year outside the scenario", f"levers.pilot_zones.designations.{i}.year",
                              d.year, window)
            if (d.district, d.direction) in seen:
                raise _custom("zone designated twice", f"levers.pilot_zones.designations.{i}",
                              f"{d.district}/{d.direction}", "one designation per district and direction")
            seen.add((d.district, d.direction))
        for i, change in enumerate(self.priorities.changes):
            if not self.start_year <= change.year <= horizon:
                raise _custom("year outside the scenario", f"priorities.changes.{i}.year", change.year, window)
        self._check_space(region, "uncertainties", self.uncertainties)
        self._check_space(region, "parameters", self.parameters)
        self._check_budget(region)
        return self

    def _check_space(self, region: Region, section: str, values: dict) -> None:
        space = region.space
        known = {e.split(".", 1)[1]: entry for e, entry in space.entries.items() if entry.section == section}
        for short, value in values.items():
            key = f"{section}.{short}"
            if short not in known:
                raise _custom("unknown key", key, None, ", ".join(sorted(known)))
            entry = known[short]
            if entry.per_direction:
                table = value if isinstance(value, dict) else {d: value for d in region.directions}
                for d, v in table.items():
                    if d not in region.directions:
                        raise _custom("unknown direction", f"{key}.{d}", None, ", ".join(region.directions))
                    f = space.factors[f"{key}.{d}"]
                    if not isinstance(v, (int, float)) or not f.low <= v <= f.high:
                        raise _custom("value out of range", f"{key}.{d}", v, f.allowed())
            else:
                if isinstance(value, dict):
                    raise _custom("expected a number", key, value, entry.factors[0].allowed())
                f = entry.factors[0]
                if not f.low <= value <= f.high:
                    raise _custom("value out of range", key, value, f.allowed())

    def _check_budget(self, region: Region) -> None:
        cap = self.budget.cap_100m_yuan_per_year
        if cap is None or self.budget.on_exceed == "scale":
            return
        totals = self.plan(region).total_spending()
        over = totals[totals > cap + 1e-9]
        if len(over):
            listing = ", ".join(f"{y}: {v:.1f}" for y, v in over.items())
            raise _custom(f"spending exceeds the yearly cap of {cap:g} in {len(over)} year(s): {listing}",
                          "budget.cap_100m_yuan_per_year", cap,
                          'a cap at or above the plan, or on_exceed = "scale"')

    # ---------------------------------------------------------------- derived views

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.start_year, self.end_year + 1)

    @property
    def source(self) -> Path | None:
        """The file this scenario was loaded from, if any."""
        return self._source

    def content_hash(self) -> str:
        """Hash of the resolved content (not the file text): same scenario, same hash."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def plan(self, region: Region | None = None) -> Plan:
        """The yearly amounts by lever and direction, and the spending table."""
        return build_plan(self, region or load_region(self.region))

    def with_values(self, values: dict[str, float], name: str | None = None) -> Scenario:
        """A copy with dotted paths set, validated again (used by sweeps and calibration).

        Args:
            values: e.g. ``{"levers.rd_grants.amount_100m_yuan_per_year": 8.0,
                "uncertainties.market_growth.quantum": 0.2, "parameters.startup_rate": 30}``.
            name: Name of the copy (default: the same name).
        """
        data = self.model_dump(mode="python", exclude_unset=False)
        for path, value in values.items():
            _set_path(data, path.split("."), value)
        if name:
            data["name"] = name
        copy = validate_scenario(data, file=self._source)
        copy._source = self._source
        return copy


def _custom(problem: str, key: str, value: Any, allowed: str) -> PydanticCustomError:
    return PydanticCustomError("scenario", "{problem}",
                               {"problem": problem, "key": key, "value": value, "allowed": allowed})


def _set_path(data: dict, parts: list[str], value: Any) -> None:
    node = data
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {} if node.get(part) is None else node[part]
        node = node[part]
    node[parts[-1]] = value


# ------------------------------------------------------------------------- the plan


def build_plan(scenario: Scenario, region: Region) -> Plan:
    """The typed plan: each lever's money, units, unit costs and terms by year and direction, and the
    planned spending table, with the budget cap applied to every lever that costs money.

    Under ``on_exceed = "scale"`` every lever's money and every unit count is multiplied by the year's
    scale; unit counts then hold expected (fractional) units, which the model rounds stochastically
    on its own random stream (``FutureIndustryModel.deliver_units``), so the expected cost is the
    capped cost and no lever is floored away.
    """
    years = scenario.years
    n_years, n_dir = len(years), region.n_directions
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


# ------------------------------------------------------------------------- loading


def scenario_names(folder: Path = SCENARIOS_DIR) -> list[str]:
    """Scenario files under ``scenarios/`` as names usable on the command line (``levers/rd_grants``)."""
    return sorted(str(p.relative_to(folder).with_suffix("")) for p in folder.rglob("*.toml")
                  if "sweeps" not in p.relative_to(folder).parts)


def resolve_path(ref: str | Path, relative_to: Path | None = None) -> Path:
    """Find a scenario by path or by name (``baseline`` -> ``scenarios/baseline.toml``)."""
    p = Path(ref)
    candidates = [p]
    if relative_to is not None:
        candidates.append(relative_to / p)
        candidates.append(relative_to / f"{p}.toml")
    candidates += [Path.cwd() / "scenarios" / f"{p}.toml", SCENARIOS_DIR / f"{p}.toml", SCENARIOS_DIR / p]
    for c in candidates:
        if c.is_file():
            return c
    raise InputError("scenario file not found", file=ref,
                     allowed="a path, or one of: " + ", ".join(scenario_names()))


def read_toml(path: Path) -> dict:
    """Parse a TOML file; syntax errors become an InputError with the line."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", file=path) from None


def merged_data(path: Path, _seen: tuple[Path, ...] = ()) -> dict:
    """The file's table merged onto its ``extends`` chain (tables merge, arrays replace)."""
    path = path.resolve()
    if path in _seen:
        raise InputError("extends forms a cycle", file=path, key="extends",
                         value=" -> ".join(p.stem for p in (*_seen, path)))
    data = read_toml(path)
    base_ref = data.pop("extends", None)
    data.setdefault("name", path.stem)
    if base_ref is None:
        return data
    if not isinstance(base_ref, str):
        raise InputError("extends must name one scenario", file=path, key="extends", value=base_ref,
                         allowed="a scenario name or path, e.g. \"baseline\"")
    try:
        base_path = resolve_path(base_ref, relative_to=path.parent)
    except InputError as exc:
        raise InputError("the base scenario was not found", file=path, key="extends", value=base_ref,
                         allowed=exc.allowed) from None
    base = merged_data(base_path, (*_seen, path))
    for inherited in ("title_zh", "title_en", "description"):
        if inherited in data:
            continue
        base.pop(inherited, None)
    return _deep_merge(base, data)


def _deep_merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def validate_scenario(data: dict, file: str | Path | None = None) -> Scenario:
    """Validate a scenario table; problems become an InputError naming the file and key."""
    region_name = data.get("region", "ningbo")
    try:
        region = load_region(region_name) if isinstance(region_name, str) else None
    except InputError as exc:
        raise InputError("unknown region", file=file, key="region", value=region_name,
                         allowed=exc.allowed) from None
    try:
        return Scenario.model_validate(data, context={"region": region})
    except ValidationError as exc:
        raise from_validation_error(exc, file, Scenario) from None


def load_scenario(ref: str | Path) -> Scenario:
    """Load a scenario by path or name, following ``extends``.

    Raises:
        InputError: for a missing file, a TOML syntax error, an unknown key, a value out of range or
            of the wrong type, a bad direction or district, years outside the scenario, allocation
            shares not summing to one, or a budget cap exceeded.
    """
    path = resolve_path(ref)
    scenario = validate_scenario(merged_data(path), file=path)
    scenario._source = path
    return scenario
