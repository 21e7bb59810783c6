"""The parameter space: every uncertain input declared once (``parameter_space.toml``).

Sensitivity designs (SALib problems), calibration priors and scenario validation are all generated
from this one declaration, after EMA Workbench's ``parameters.py``. Per-direction entries expand to
one factor per direction, named ``<section>.<name>.<direction>``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from sim.core.errors import InputError

Section = Literal["uncertainties", "parameters", "levers"]
SECTIONS: tuple[Section, ...] = ("uncertainties", "parameters", "levers")


@dataclass(frozen=True)
class Factor:
    """One scalar uncertain input with its range.

    Attributes:
        name: Full dotted name, e.g. ``parameters.agglomeration_elasticity`` or
            ``uncertainties.market_growth.quantum``.
        section: Which section it was declared in.
        path: Dotted path into a scenario that this factor sets.
        default: Value used when nothing else sets it (None for levers: the scenario sets those).
        low, high: Plausible range (the sweep and prior range).
        distribution: ``uniform`` or ``loguniform`` over [low, high].
        unit, kind, source, description: Documentation carried to reports.
    """

    name: str
    section: Section
    path: str
    default: float | None
    low: float
    high: float
    distribution: str
    unit: str
    kind: str
    source: str
    description: str

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map uniform [0, 1] draws onto this factor's distribution."""
        u = np.asarray(u, dtype=float)
        if self.distribution == "loguniform":
            values = np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        else:
            values = self.low + u * (self.high - self.low)
        return np.clip(values, self.low, self.high)  # exp(log(x)) may miss x by one ulp

    def allowed(self) -> str:
        return f"{self.low:g} to {self.high:g} ({self.unit})"


@dataclass(frozen=True)
class Entry:
    """A declared input as written in the file: scalar or per direction."""

    name: str
    section: Section
    per_direction: bool
    factors: tuple[Factor, ...]
    description: str
    unit: str


@dataclass(frozen=True)
class ParameterSpace:
    """All declared inputs of a region, indexed by full factor name."""

    file: Path
    directions: tuple[str, ...]
    entries: dict[str, Entry] = field(default_factory=dict)
    factors: dict[str, Factor] = field(default_factory=dict)

    def factor(self, name: str) -> Factor:
        """The factor with this full name, or an InputError listing close names."""
        if name not in self.factors:
            raise InputError(
                "unknown factor",
                file=self.file,
                key=name,
                allowed=_listing(self.factors),
            )
        return self.factors[name]

    def select(self, names: list[str]) -> list[Factor]:
        """Factors for a list of names; an entry name selects all of its per-direction factors."""
        chosen: list[Factor] = []
        for name in names:
            if name in self.factors:
                chosen.append(self.factors[name])
            elif name in self.entries:
                chosen.extend(self.entries[name].factors)
            else:
                raise InputError(
                    "unknown factor", file=self.file, key=name, allowed=_listing(self.entries)
                )
        return chosen

    def defaults(self, section: Section) -> dict[str, float | dict[str, float]]:
        """Default values of a section, keyed by short name (per-direction entries as tables)."""
        out: dict[str, Any] = {}  # a default (None for levers) or a table of them by direction
        for entry in self.entries.values():
            if entry.section != section or section == "levers":
                continue
            short = entry.name.split(".", 1)[1]
            if entry.per_direction:
                out[short] = {f.name.rsplit(".", 1)[1]: f.default for f in entry.factors}
            else:
                out[short] = entry.factors[0].default
        return out


def _listing(names: dict, limit: int = 12) -> str:
    keys = sorted(names)
    text = ", ".join(keys[:limit])
    return text + (f", ... ({len(keys)} in all)" if len(keys) > limit else "")


def load_space(file: Path, directions: tuple[str, ...]) -> ParameterSpace:
    """Read and check a parameter-space file.

    Args:
        file: Path of ``parameter_space.toml``.
        directions: Direction ids of the region, for per-direction entries.

    Raises:
        InputError: on a malformed entry (missing key, default outside its range, unknown direction).
    """
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=file) from None
    space = ParameterSpace(file=file, directions=directions)
    for section in SECTIONS:
        for short, spec in raw.get(section, {}).items():
            entry = _read_entry(file, section, short, spec, directions)
            space.entries[entry.name] = entry
            for f in entry.factors:
                space.factors[f.name] = f
    unknown = set(raw) - set(SECTIONS)
    if unknown:
        raise InputError("unknown section", file=file, key=sorted(unknown)[0], allowed=", ".join(SECTIONS))
    return space


def _read_entry(
    file: Path, section: Section, short: str, spec: dict, directions: tuple[str, ...]
) -> Entry:
    name = f"{section}.{short}"
    allowed_keys = {
        "description", "unit", "kind", "source", "per_direction", "distribution",
        "default", "low", "high", "path",
    }
    for key in spec:
        if key not in allowed_keys:
            raise InputError("unknown key", file=file, key=f"{name}.{key}", allowed=", ".join(sorted(allowed_keys)))
    for key in ("low", "high", "unit", "description"):
        if key not in spec:
            raise InputError("missing key", file=file, key=f"{name}.{key}")
    if section == "levers" and "path" not in spec:
        raise InputError("a lever factor needs the scenario path it sets", file=file, key=f"{name}.path")
    distribution = spec.get("distribution", "uniform")
    if distribution not in ("uniform", "loguniform"):
        raise InputError("unknown distribution", file=file, key=f"{name}.distribution",
                         value=distribution, allowed="uniform, loguniform")
    per_direction = bool(spec.get("per_direction", False))
    common = dict(
        section=section,
        distribution=distribution,
        unit=spec["unit"],
        kind=spec.get("kind", "lever" if section == "levers" else "assumption"),
        source=spec.get("source", ""),
        description=spec["description"],
    )
    factors: list[Factor] = []
    if per_direction:
        for part in ("default", "low", "high"):
            table = spec.get(part)
            if not isinstance(table, dict) or set(table) != set(directions):
                raise InputError(
                    "a per-direction entry needs a value for every direction",
                    file=file, key=f"{name}.{part}", allowed=", ".join(directions),
                )
        for d in directions:
            factors.append(Factor(
                name=f"{name}.{d}", path=f"{name}.{d}", default=float(spec["default"][d]),
                low=float(spec["low"][d]), high=float(spec["high"][d]), **common,
            ))
    else:
        default = spec.get("default")
        factors.append(Factor(
            name=name, path=spec.get("path", name),
            default=None if default is None else float(default),
            low=float(spec["low"]), high=float(spec["high"]), **common,
        ))
    for f in factors:
        if not f.low <= f.high:
            raise InputError("low must not exceed high", file=file, key=f.name, value=(f.low, f.high))
        if f.default is not None and not f.low <= f.default <= f.high:
            raise InputError("default outside its range", file=file, key=f.name,
                             value=f.default, allowed=f.allowed())
        if f.distribution == "loguniform" and f.low <= 0:
            raise InputError("a loguniform range must be positive", file=file, key=f.name, value=f.low)
    return Entry(name=name, section=section, per_direction=per_direction, factors=tuple(factors),
                 description=spec["description"], unit=spec["unit"])


def salib_problem(factors: list[Factor]) -> dict:
    """A SALib problem over the unit cube for these factors.

    Samples are drawn on [0, 1] and mapped through :meth:`Factor.from_unit`, so log-uniform factors
    are handled the same way for every SALib method (cf. EMA Workbench ``get_SALib_problem``).
    """
    return {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }


class Values:
    """Resolved values of every uncertainty and parameter for one run.

    Attribute access by short name (``values.startup_rate``); per-direction entries are arrays in
    direction order. Precedence: the declared default, then a calibration draw, then the scenario's
    explicit setting.
    """

    def __init__(self, items: dict[str, float | np.ndarray]) -> None:
        self._items = dict(items)

    def __getattr__(self, name: str) -> Any:  # a float, or an array for per-direction entries
        try:
            return self._items[name]
        except KeyError:
            raise AttributeError(name) from None


def resolve_values(
    space: ParameterSpace,
    uncertainties: dict[str, float | dict[str, float]],
    parameters: dict[str, float | dict[str, float]],
    draw: dict[str, float] | None = None,
) -> Values:
    """Values of all uncertainties and parameters for a run.

    Args:
        space: The parameter space.
        uncertainties: The scenario's ``[uncertainties]`` table (validated).
        parameters: The scenario's ``[parameters]`` table (validated).
        draw: Full factor name -> value from a calibration draw (optional).
    """
    draw = draw or {}
    explicit: dict[str, float] = {}
    for section, table in (("uncertainties", uncertainties), ("parameters", parameters)):
        for short, value in table.items():
            entry = space.entries[f"{section}.{short}"]
            if entry.per_direction:
                per = value if isinstance(value, dict) else {d: value for d in space.directions}
                explicit.update({f"{section}.{short}.{d}": float(v) for d, v in per.items()})
            else:
                explicit[f"{section}.{short}"] = float(cast(float, value))
    items: dict[str, float | np.ndarray] = {}
    for name, entry in space.entries.items():
        if entry.section == "levers":
            continue
        vals: list[Any] = []
        for f in entry.factors:
            vals.append(explicit.get(f.name, draw.get(f.name, f.default)))
        short = name.split(".", 1)[1]
        items[short] = np.array(vals, dtype=float) if entry.per_direction else float(vals[0])
    return Values(items)
