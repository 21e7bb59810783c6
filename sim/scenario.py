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
from sim.levers import Plan, apportion_counts, schedule, shares_by_year
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


class IncumbentDiversification(MoneyLever):
    """Support for the city's established manufacturers opening businesses in the nine directions
    (传统优势企业布局未来产业赛道): project grants to firms chosen among those still outside a direction."""

    PROJECT, NAME_ZH, NAME_EN = 4, "传统优势企业布局未来产业赛道", "Incumbent diversification"
    cost_100m_yuan_per_firm: UnitCost = Field(
        0.3, description="assumption: a technical-renovation or new-line project grant of about 30m yuan per firm"
    )


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
    incumbent_diversification: IncumbentDiversification = IncumbentDiversification()
    talent_programme: TalentProgramme = TalentProgramme()
    talent_attraction: TalentAttraction = TalentAttraction()
    guidance_fund: GuidanceFund = GuidanceFund()
    angel_fund: AngelFund = AngelFund()
    loan_interest_subsidies: LoanInterestSubsidies = LoanInterestSubsidies()
    direct_subsidies: DirectSubsidies = DirectSubsidies()

    def items(self) -> list[tuple[str, Lever]]:
        return [(name, getattr(self, name)) for name in type(self).model_fields]


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
    """Yearly lever amounts by direction and the spending table, with the budget cap applied."""
    years = scenario.years
    n_dir = region.n_directions
    default = _share_vector(scenario.priorities.shares, region)
    changes = [(c.year, _share_vector(c.shares, region)) for c in scenario.priorities.changes]
    priority = shares_by_year(years, default, changes)
    start, end = scenario.start_year, scenario.end_year
    levers = scenario.levers

    def shares_of(lever: Lever) -> np.ndarray:
        if lever.allocation is None:
            return priority
        return np.tile(_share_vector(lever.allocation, region), (len(years), 1))

    money: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    rows: list[tuple[int, str, str, float]] = []  # year, lever, direction, value

    def spend(name: str, by_dir: np.ndarray) -> None:
        for t, year in enumerate(years):
            for d, direction in enumerate(region.directions):
                rows.append((int(year), name, direction, float(by_dir[t, d])))

    for name, lever in levers.items():
        frac = lever.fraction(years, start, end)
        if isinstance(lever, MoneyLever):
            amounts = lever.amount_100m_yuan_per_year * frac[:, None] * shares_of(lever)
            money[name] = amounts
            spend(name, amounts)

    platforms = levers.new_platforms
    founded = apportion_counts(platforms.platforms_per_year * platforms.fraction(years, start, end),
                               shares_of(platforms))
    counts["new_platforms"] = founded
    operating = np.cumsum(founded, axis=0) - founded  # platforms founded in earlier years
    spend("new_platforms", founded * platforms.setup_cost_100m_yuan
          + operating * platforms.operating_cost_100m_yuan_per_year)

    scen = levers.application_scenarios
    opened = apportion_counts(scen.scenarios_per_year * scen.fraction(years, start, end), shares_of(scen))
    counts["application_scenarios"] = opened
    spend("application_scenarios", opened * scen.cost_100m_yuan_per_scenario)

    talent = levers.talent_programme
    frac = talent.fraction(years, start, end)
    tshares = shares_of(talent)
    talent_cost = np.zeros((len(years), n_dir))
    for tier in ("top_scientists", "leading_talent", "young_talent"):
        n = apportion_counts(getattr(talent, f"{tier}_per_year") * frac, tshares)
        counts[f"talent_{tier}"] = n
        unit = getattr(talent, "cost_100m_yuan_per_" + tier.removesuffix("s"))
        talent_cost += n * unit
    retention = talent.retention_support_100m_yuan_per_year * frac[:, None] * tshares
    money["talent_retention"] = retention
    spend("talent_programme", talent_cost + retention)

    zones = levers.pilot_zones
    zone_counts = np.zeros((len(years), n_dir), dtype=int)
    for d in zones.designations:
        zone_counts[years == d.year, region.direction_index(d.direction)] += 1
    counts["pilot_zones"] = zone_counts
    active = np.cumsum(zone_counts, axis=0)
    spend("pilot_zones", active * zones.support_100m_yuan_per_zone_per_year
          * zones.fraction(years, start, end)[:, None])

    spending = pd.DataFrame(rows, columns=["year", "lever", "direction", "value"])
    project = {name: type(lever).PROJECT for name, lever in levers.items()}
    spending["project"] = spending["lever"].map(project)

    scale = np.ones(len(years))
    cap = scenario.budget.cap_100m_yuan_per_year
    if cap is not None and scenario.budget.on_exceed == "scale":
        totals = spending.groupby("year")["value"].sum().reindex(years).to_numpy()
        scale = np.where(totals > cap, cap / np.maximum(totals, 1e-12), 1.0)
        spending["value"] *= spending["year"].map(dict(zip(years.tolist(), scale))).to_numpy()
        money = {k: v * scale[:, None] for k, v in money.items()}
        counts = {k: v if k == "pilot_zones" else np.floor(v * scale[:, None] + 1e-9).astype(int)
                  for k, v in counts.items()}
    return Plan(years=years, money=money, counts=counts, spending=spending, scale=scale)


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
