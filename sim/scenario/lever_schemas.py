"""Lever schemas: one validated, frozen class per policy lever, grouped under :class:`Levers`.

Money is in 100 million yuan (亿元) everywhere; units are in the field names.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim.inputs.region import Region, load_region
from sim.scenario.levers import schedule

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


def context_region(info: ValidationInfo) -> Region:
    ctx = info.context or {}
    return ctx.get("region") or load_region()


def check_direction_shares(shares: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
    """Direction shares: known directions only, summing to one (missing directions get zero)."""
    if shares is None:
        return None
    directions = context_region(info).directions
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
        return check_direction_shares(v, info)

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
        districts = context_region(info).districts
        if v not in districts:
            raise PydanticCustomError("unknown_district", "unknown district",
                                      {"allowed": ", ".join(districts)})
        return v

    @field_validator("direction")
    @classmethod
    def _direction(cls, v: str, info: ValidationInfo) -> str:
        directions = context_region(info).directions
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


class IncumbentDiversification(MoneyLever):
    """Support for the city's established manufacturers opening businesses in the nine directions
    (传统优势企业布局未来产业赛道): project grants to firms chosen among those still outside a direction."""

    EFFECTS: ClassVar[tuple[str, ...]] = ('diversification_hazard', 'diversification_programme_success',
                                          'diversification_demand_pull', 'diversified_entry_share',
                                          'diversifier_productivity_premium')

    PROJECT, NAME_ZH, NAME_EN = 4, "传统优势企业布局未来产业赛道", "Incumbent diversification"
    cost_100m_yuan_per_firm: UnitCost = Field(
        0.3, description="assumption: a technical-renovation or new-line project grant of about 30m yuan per firm"
    )


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
    incumbent_diversification: IncumbentDiversification = IncumbentDiversification()
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
