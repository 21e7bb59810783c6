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

    amount_100m_yuan_per_year: Money = 0.0


class RdGrants(MoneyLever):
    """R&D grants matched to firms' own R&D (研发补助)."""

    PROJECT, NAME_ZH, NAME_EN = 1, "研发补助", "R&D grants"
    max_share_of_own_rd: Share = Field(0.5, description="a firm's grant is at most this share of its own R&D")


class BasicResearch(MoneyLever):
    """Stable funding of labs, universities and institutes (基础研究稳定支持)."""

    PROJECT, NAME_ZH, NAME_EN = 1, "基础研究与实验室", "Basic research and labs"


class NewPlatforms(Lever):
    """New innovation platforms: innovation centres, engineering research centres, labs (新建创新平台)."""

    PROJECT, NAME_ZH, NAME_EN = 1, "新建创新平台", "New innovation platforms"
    platforms_per_year: float = Field(0.0, ge=0.0, le=50.0)
    setup_cost_100m_yuan: UnitCost = 1.0
    operating_cost_100m_yuan_per_year: UnitCost = 0.5


class TechTransfer(MoneyLever):
    """Tech-transfer services, concept verification, IP operation (成果转化)."""

    PROJECT, NAME_ZH, NAME_EN = 2, "成果转化", "Technology transfer"


class ApplicationScenarios(Lever):
    """Application scenarios opened by the city (场景开放)."""

    PROJECT, NAME_ZH, NAME_EN = 2, "应用场景开放", "Application scenarios"
    scenarios_per_year: float = Field(0.0, ge=0.0, le=200.0)
    cost_100m_yuan_per_scenario: UnitCost = 0.2


class FirstOfAKind(MoneyLever):
    """First-of-a-kind purchase support: 首台套/首批次/首版次."""

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
    """Municipal pilot zones designated by the city, with yearly support per zone (先导区)."""

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
    """Attraction of outside firms and projects (招商引资, 补链强链)."""

    PROJECT, NAME_ZH, NAME_EN = 4, "招商引资", "Investment attraction"


class TalentProgramme(Lever):
    """Yongjiang talent programme (甬江人才工程): recruits per tier per year and retention support."""

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
    """Graduate attraction and retention: housing, living subsidies (人才引育)."""

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
    """The "1+N" guidance fund: city money paid into a mother fund that backs N sub-funds."""

    PROJECT, NAME_ZH, NAME_EN = 6, "“1+N”产业基金", "1+N guidance fund"
    n_sub_funds: int = Field(9, ge=1, le=50)
    stage_focus: StageFocus = StageFocus()
    deployment_years: int = Field(4, ge=1, le=10, description="years over which a year's capital is invested")


class AngelFund(MoneyLever):
    """City angel-investment guidance fund co-investing in firms under 3 years old (天使投资引导基金)."""

    PROJECT, NAME_ZH, NAME_EN = 6, "天使投资引导基金", "Angel guidance fund"


class LoanInterestSubsidies(MoneyLever):
    """Loan-interest subsidies (贷款贴息) for growing firms."""

    PROJECT, NAME_ZH, NAME_EN = 6, "贷款贴息", "Loan-interest subsidies"
    max_per_firm_100m_yuan: UnitCost = 0.05


class DirectSubsidies(MoneyLever):
    """Direct subsidies (直接补助) to young technology firms."""

    PROJECT, NAME_ZH, NAME_EN = 6, "直接补助", "Direct subsidies"
    per_firm_100m_yuan: UnitCost = 0.02


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

    def items(self) -> list[tuple[str, Lever]]:
        return [(name, getattr(self, name)) for name in type(self).model_fields]
