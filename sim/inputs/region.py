"""A region's data: its directions, districts, institutes, initial state, parameter space and targets.

Everything that names Ningbo lives in ``sim/data/<region>/``; the code only knows that a region has
directions and districts. Another city is another data folder. The scenario's ``region`` says which
region a run uses; :data:`DEFAULT_REGION` is the one default (the repository's own city).
"""

from __future__ import annotations

import os

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.core.paths import DATA_DIR
from sim.inputs.space import ParameterSpace, load_space


@dataclass(frozen=True)
class Region:
    """Read-only data of one region (loaded once per process, see :func:`load_region`).

    Attributes:
        name: Folder name under ``sim/data``.
        directions: Direction ids in policy order.
        districts: District ids; the last may pool the unnamed rest of the city.
        direction_table: One row per direction (names, focus, named districts, source).
        district_table: One row per district.
        named: Boolean array (n_directions, n_districts): the policy names the district for the direction.
        existing_zones: Pilot zones in place before the model starts (level, district, direction, year).
        institutes: Research institutes and platforms at the start, with sizes and direction weights.
        initial_state: Per-direction initial populations by year (value, low, high, kind, source).
        space: The parameter space.
        indicators: Indicator definitions (labels, definitions, thresholds) keyed by indicator id.
        facts: Sourced statistics of the region (``facts.csv`` in its folder).
        targets_file: The policy's targets file.
        base_year: The targets' base year (``targets.toml``): cumulative indicators count from it.
    """

    name: str
    folder: Path
    directions: tuple[str, ...]
    districts: tuple[str, ...]
    direction_table: pd.DataFrame
    district_table: pd.DataFrame
    named: np.ndarray
    existing_zones: pd.DataFrame
    institutes: pd.DataFrame
    initial_state: pd.DataFrame
    space: ParameterSpace
    indicators: dict
    facts: pd.DataFrame
    targets_file: Path
    base_year: int

    @property
    def n_directions(self) -> int:
        return len(self.directions)

    @property
    def n_districts(self) -> int:
        return len(self.districts)

    def direction_index(self, direction: str) -> int:
        return self.directions.index(direction)

    def district_index(self, district: str) -> int:
        return self.districts.index(district)

    def fact(self, indicator: str, year: int) -> float:
        """A sourced statistic by indicator name and year (raises KeyError if absent)."""
        rows = self.facts[(self.facts["indicator"] == indicator) & (self.facts["year"] == year)]
        if rows.empty:
            raise KeyError(f"no fact {indicator!r} for {year}")
        return float(rows["value"].iloc[0])

    def initial(self, year: int, quantity: str) -> np.ndarray:
        """Per-direction initial values of a quantity for a start year, in direction order."""
        rows = self.initial_state[
            (self.initial_state["year"] == year) & (self.initial_state["quantity"] == quantity)
        ].set_index("direction")
        missing = [d for d in self.directions if d not in rows.index]
        if missing:
            years = sorted(self.initial_state["year"].unique().tolist())
            raise InputError(
                f"no initial {quantity} for {missing[0]} in {year}",
                file=self.folder / "initial_state.csv",
                allowed=f"start years with an initial state: {years}",
            )
        return rows.loc[list(self.directions), "value"].to_numpy(dtype=float)

    def start_years(self) -> list[int]:
        return sorted(int(y) for y in self.initial_state["year"].unique())

    def indicator_ids(self, scope: str | None = None) -> list[str]:
        """Declared indicator ids (``indicators.toml``), all or of one scope (``direction`` or ``city``)."""
        return [k for k, v in self.indicators.items() if scope is None or v.get("scope", "direction") == scope]

    def direction_label(self, direction: str, lang: str = "zh") -> str:
        col = "name_zh" if lang == "zh" else "name_en"
        return str(self.direction_table.loc[direction, col])

    def district_label(self, district: str, lang: str = "zh") -> str:
        col = "name_zh" if lang == "zh" else "name_en"
        return str(self.district_table.loc[district, col])


REGION_PATH_ENV = "WEILAI_REGION_PATH"  # extra folders of region folders, given explicitly (os.pathsep-separated)


def region_folders() -> list[Path]:
    """Where region folders are looked up: the project's ``sim/data`` and the folders named in
    ``WEILAI_REGION_PATH`` (a region is always named, never given as a path in a scenario file)."""
    extra = [Path(p) for p in os.environ.get(REGION_PATH_ENV, "").split(os.pathsep) if p]
    return [DATA_DIR, *extra]


def available_regions() -> list[str]:
    """Names of the region folders (each holds a ``directions.csv``)."""
    names = {p.name for base in region_folders() if base.is_dir() for p in base.iterdir()
             if (p / "directions.csv").exists()}
    return sorted(names)


def _region_folder(name: str) -> Path:
    return next(base / name for base in region_folders() if (base / name / "directions.csv").exists())


DEFAULT_REGION = "ningbo"


@lru_cache(maxsize=8)
def load_region(name: str = DEFAULT_REGION) -> Region:
    """Load and check a region's data folder.

    Args:
        name: A region folder's name, under ``sim/data`` or a folder named in ``WEILAI_REGION_PATH``.

    Raises:
        InputError: if the folder is missing or a file refers to an unknown direction or district.
    """
    if name not in available_regions():  # a name, never a path: "../x" does not leave the region folders
        raise InputError("unknown region", key="region", value=name,
                         allowed=", ".join(available_regions()) + f" (more folders of regions: {REGION_PATH_ENV})")
    folder = _region_folder(name)
    directions_table = pd.read_csv(folder / "directions.csv").sort_values("order")
    districts_table = pd.read_csv(folder / "districts.csv")
    directions = tuple(directions_table["direction"])
    districts = tuple(districts_table["district"])
    named = np.zeros((len(directions), len(districts)), dtype=bool)
    for i, row in enumerate(directions_table.itertuples()):
        for district in str(row.districts).split(";"):
            _check(district, districts, folder / "directions.csv", f"{row.direction}.districts")
            named[i, districts.index(district)] = True

    zones = pd.read_csv(folder / "pilot_zones_existing.csv")
    for row in zones.itertuples():
        _check(row.district, districts, folder / "pilot_zones_existing.csv", "district")
        _check(row.direction, directions, folder / "pilot_zones_existing.csv", "direction")

    institutes = pd.read_csv(folder / "institutes.csv")
    weights = []
    for row in institutes.itertuples():
        _check(row.district, districts, folder / "institutes.csv", f"{row.institute}.district")
        w = np.zeros(len(directions))
        for part in str(row.directions).split(";"):
            direction, share = part.split(":")
            _check(direction, directions, folder / "institutes.csv", f"{row.institute}.directions")
            w[directions.index(direction)] = float(share)
        if abs(w.sum() - 1) > 1e-6:
            raise InputError("direction weights must sum to 1", file=folder / "institutes.csv",
                             key=f"{row.institute}.directions", value=round(w.sum(), 6))
        weights.append(w)
    institutes = institutes.assign(weights=weights)

    initial_state = pd.read_csv(folder / "initial_state.csv")
    for d in initial_state["direction"].unique():
        _check(d, directions, folder / "initial_state.csv", "direction")

    with open(folder / "indicators.toml", "rb") as fh:
        indicators = tomllib.load(fh)
    _check_indicators(indicators, folder / "indicators.toml")
    space = load_space(folder / "parameter_space.toml", directions)
    facts = pd.read_csv(folder / "facts.csv")
    with open(folder / "targets.toml", "rb") as fh:
        base_year = tomllib.load(fh).get("base_year")
    if not isinstance(base_year, int):
        raise InputError("missing or bad base year", file=folder / "targets.toml", key="base_year",
                         value=base_year, allowed="a year (integer)")
    return Region(
        name=folder.name,
        folder=folder,
        directions=directions,
        districts=districts,
        direction_table=directions_table.set_index("direction", drop=False),
        district_table=districts_table.set_index("district", drop=False),
        named=named,
        existing_zones=zones,
        institutes=institutes,
        initial_state=initial_state,
        space=space,
        indicators=indicators,
        facts=facts,
        targets_file=folder / "targets.toml",
        base_year=base_year,
    )


def _check(value: str, allowed: tuple[str, ...], file: Path, key: str) -> None:
    if value not in allowed:
        raise InputError("unknown name", file=file, key=key, value=value, allowed=", ".join(allowed))


INDICATOR_FIELDS = ("label_zh", "label_en", "unit", "unit_zh", "unit_en", "kind", "definition_zh", "definition_en")
INDICATOR_CHOICES = {"kind": ("stock", "flow", "cumulative"), "scope": ("direction", "city"),
                     "city_value": ("sum", "ratio")}


def _check_indicators(indicators: dict, file: Path) -> None:
    """Every indicator declares its labels, units, kind and definitions; choices are from the allowed ones."""
    for name, spec in indicators.items():
        for field in INDICATOR_FIELDS:
            if field not in spec:
                raise InputError("missing field", file=file, key=f"{name}.{field}", allowed=", ".join(INDICATOR_FIELDS))
        for field, allowed in INDICATOR_CHOICES.items():
            if field in spec and spec[field] not in allowed:
                raise InputError("unknown value", file=file, key=f"{name}.{field}", value=spec[field],
                                 allowed=", ".join(allowed))
