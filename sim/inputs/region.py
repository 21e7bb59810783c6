"""A region's data: its directions, districts, institutes, initial state, parameter space and targets.

Everything that names Ningbo lives in ``sim/data/<region>/`` and in ``calibration/data/``; the code
only knows that a region has directions and districts. Another city is another data folder.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.core.paths import CALIBRATION_DATA_DIR, DATA_DIR
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
        facts: Sourced Ningbo statistics (``calibration/data/ningbo_facts.csv``).
        targets_file: The policy's targets file.
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

    def direction_label(self, direction: str, lang: str = "zh") -> str:
        col = "name_zh" if lang == "zh" else "name_en"
        return str(self.direction_table.loc[direction, col])

    def district_label(self, district: str, lang: str = "zh") -> str:
        col = "name_zh" if lang == "zh" else "name_en"
        return str(self.district_table.loc[district, col])


def available_regions() -> list[str]:
    return sorted(p.name for p in DATA_DIR.iterdir() if (p / "directions.csv").exists())


@lru_cache(maxsize=8)
def load_region(name: str = "ningbo") -> Region:
    """Load and check a region's data folder.

    Raises:
        InputError: if the folder is missing or a file refers to an unknown direction or district.
    """
    folder = DATA_DIR / name
    if not (folder / "directions.csv").exists():
        raise InputError("unknown region", key="region", value=name,
                         allowed=", ".join(available_regions()))
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
    space = load_space(folder / "parameter_space.toml", directions)
    facts = pd.read_csv(CALIBRATION_DATA_DIR / "ningbo_facts.csv")
    return Region(
        name=name,
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
    )


def _check(value: str, allowed: tuple[str, ...], file: Path, key: str) -> None:
    if value not in allowed:
        raise InputError("unknown name", file=file, key=key, value=value, allowed=", ".join(allowed))
