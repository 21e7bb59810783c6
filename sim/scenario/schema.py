"""The root scenario schema: a validated, frozen :class:`Scenario` (levers, priorities, budget)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim.core.errors import InputError, from_validation_error
from sim.inputs.region import DEFAULT_REGION, Region, load_region
from sim.scenario.lever_schemas import (
    POLICY_HORIZON,
    Frozen,
    Levers,
    Share,
    check_direction_shares,
    context_region,
)
from sim.scenario.levers import Plan
from sim.scenario.plan import build_plan


NAME_PATTERN = r"^[A-Za-z0-9_\-][A-Za-z0-9_\-\.]*$"  # a folder name: no "/", no "." or "..", no hidden name
REGION_PATTERN = r"^[a-z0-9_]+$"


class PriorityChange(Frozen):
    year: int
    shares: dict[str, Share]

    @field_validator("shares")
    @classmethod
    def check_shares(cls, v: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        return check_direction_shares(v, info)


class Priorities(Frozen):
    """How lever budgets are split across directions, and when the split changes.

    ``shares`` missing means an equal split (the "nine ones": one of each per direction).
    """

    shares: dict[str, Share] | None = None
    changes: list[PriorityChange] = Field(default_factory=list)

    @field_validator("shares")
    @classmethod
    def check_shares(cls, v: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        return check_direction_shares(v, info)


class Budget(Frozen):
    """Optional cap on yearly spending. ``on_exceed = "scale"`` scales every lever down in years over it."""

    cap_100m_yuan_per_year: float | None = Field(None, ge=0.0, le=10000.0)
    on_exceed: Literal["refuse", "scale"] = "refuse"


class Scenario(Frozen):
    """A validated scenario: levers, priorities, budget, and values of uncertain inputs.

    ``uncertainties`` (the world the city does not control) and ``parameters`` (model behaviour) are
    checked against the region's parameter space; a per-direction entry takes a table by direction.
    """

    name: str = Field(pattern=NAME_PATTERN, max_length=80)
    title_zh: str = ""
    title_en: str = ""
    description: str = ""
    region: str = Field(DEFAULT_REGION, pattern=REGION_PATTERN)
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
        region = context_region(info)
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
        for i, priority in enumerate(self.priorities.changes):
            if not self.start_year <= priority.year <= horizon:
                raise _custom("year outside the scenario", f"priorities.changes.{i}.year", priority.year, window)
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

    def with_values(self, values: dict[str, Any], name: str | None = None) -> Scenario:
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



def validate_scenario(data: dict, file: str | Path | None = None, strict: bool = False) -> Scenario:
    """Validate a scenario table; problems become an InputError naming the file and key.

    Args:
        data: The merged table.
        file: Where it came from (named in errors).
        strict: No type coercion (``"2024"`` is not a year, ``true`` is not a number): for files
            written by people; tables built in code (sweep points) are validated leniently.
    """
    from sim.inputs.region import available_regions

    region_name = data.get("region", DEFAULT_REGION)
    if isinstance(region_name, str) and region_name not in available_regions():
        raise InputError("unknown region", file=file, key="region", value=region_name,
                         allowed=", ".join(available_regions()))
    try:
        region = load_region(region_name) if isinstance(region_name, str) else None
    except InputError as exc:
        raise InputError("unknown region", file=file, key="region", value=region_name,
                         allowed=exc.allowed) from None
    try:
        return Scenario.model_validate(data, strict=strict, context={"region": region})
    except ValidationError as exc:
        raise from_validation_error(exc, file, Scenario) from None
