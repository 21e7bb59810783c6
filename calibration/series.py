"""The series the model is compared with (``calibration/data/series.toml``), the hold-out
(``calibration/data/holdout.toml``), and the distance.

Observations come from the sourced facts (``sim/data/ningbo/facts.csv``); the model's matching
statistics are computed from tidy result rows (never from a live model). A ``level`` series divides the
model quantity by a scope share (an observation parameter declared in series.toml, fitted with the
behavioural parameters): the model covers that share of the city statistic. Each comparison is in logs:
``error = log(simulated) - log(observed)``, scaled by the series' stated model-data discrepancy
(``discrepancy_log_sd``); the calibration distance of a run is the root mean square of the scaled
errors. An upper bound (``level_upper``) only counts when the model exceeds it.

The hold-out file has the same format and uses the scope shares of series.toml; the fit never reads it
(:func:`load_holdout` is called by the report stage only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.core.errors import InputError, from_validation_error
from sim.core.paths import CALIBRATION_DATA_DIR, DATA_DIR
from sim.inputs.region import DEFAULT_REGION
from sim.inputs.space import Factor

SERIES_FILE = CALIBRATION_DATA_DIR / "series.toml"
HOLDOUT_FILE = CALIBRATION_DATA_DIR / "holdout.toml"
FACTS_FILE = DATA_DIR / DEFAULT_REGION / "facts.csv"  # the calibrated region's sourced facts
SCALED_ERROR_CAP = 10.0  # a scaled error beyond this counts as this (a run far off, or a zero count)
TINY = 1e-9


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScopeShare(_Frozen):
    """The share of a city statistic that the model's scope covers (an observation parameter)."""

    name: str
    label_en: str
    label_zh: str
    low: float = Field(gt=0.0, le=1.0)
    high: float = Field(gt=0.0, le=1.0)
    distribution: Literal["uniform", "loguniform"] = "loguniform"
    kind: Literal["assumption", "data", "literature"] = "assumption"
    source: str

    @model_validator(mode="after")
    def _range(self) -> ScopeShare:
        if self.low >= self.high:
            raise ValueError(f"scope share {self.name}: low must be below high")
        return self

    def factor(self) -> Factor:
        """The share as a factor (name ``scope_share.<name>``) with its prior, for ABC and the report."""
        default = (float(np.sqrt(self.low * self.high)) if self.distribution == "loguniform"
                   else (self.low + self.high) / 2)
        return Factor(name=f"scope_share.{self.name}", section="scope_share", path="", default=default,  # type: ignore[arg-type]
                      low=self.low, high=self.high, distribution=self.distribution, unit="share",
                      kind=self.kind, source=self.source, description=self.label_en)


class Series(_Frozen):
    """One compared statistic: which facts, which model quantity, how they map."""

    id: str
    label_zh: str
    label_en: str
    fact: str
    base_fact: str | None = None
    transform: Literal["level", "index", "level_upper"]
    scope_share: str | None = None
    base_year: int | None = None
    years: list[int] = Field(min_length=1)
    model_indicator: str
    model_directions: list[str] = Field(min_length=1)
    statistic_scope: str
    model_scope: str
    mapping: str
    quality: Literal["primary", "arithmetic", "scope change", "bound"]
    discrepancy_log_sd: float = Field(gt=0.0, le=2.0)

    @model_validator(mode="after")
    def _base(self) -> Series:
        if self.transform == "index" and self.base_year is None:
            raise ValueError(f"series {self.id}: an index needs base_year")
        if self.transform == "index" and self.base_year in self.years:
            raise ValueError(f"series {self.id}: the base year is not an observation")
        if self.scope_share is not None and self.transform != "level":
            raise ValueError(f"series {self.id}: only a level series takes a scope share")
        return self


class NotCompared(_Frozen):
    fact: str
    reason: str


class SeriesSet(_Frozen):
    """Compared series, their scope shares and the statistics deliberately left out.

    ``role`` is ``fit`` for series.toml and ``holdout`` for the hold-out file (set by the loaders).
    """

    series: list[Series] = Field(min_length=1)
    scope_share: list[ScopeShare] = Field(default_factory=list)
    not_compared: list[NotCompared] = Field(default_factory=list)
    role: Literal["fit", "holdout"] = "fit"

    @model_validator(mode="after")
    def _shares(self) -> SeriesSet:
        names = {s.name for s in self.scope_share}
        for s in self.series:
            if s.scope_share is not None and s.scope_share not in names:
                raise ValueError(f"series {s.id}: unknown scope share {s.scope_share!r} "
                                 f"(declared: {', '.join(sorted(names)) or 'none'})")
        return self

    @property
    def by_id(self) -> dict[str, Series]:
        """Series by id."""
        return {s.id: s for s in self.series}

    def share_factors(self) -> tuple[Factor, ...]:
        """The scope shares as factors (their priors), in file order."""
        return tuple(s.factor() for s in self.scope_share)

    def indicators(self) -> list[str]:
        """Model indicators the series need (to keep result tables small)."""
        return sorted({s.model_indicator for s in self.series})

    def observations(self, facts: pd.DataFrame) -> pd.DataFrame:
        """The observed statistics, one row per (series, year).

        Args:
            facts: The sourced facts table (columns indicator, year, value, source, note).

        Returns:
            Columns series, year, observed (index or level), numerator, denominator, source, note,
            transform, sd (discrepancy, log points), quality, holdout (True for the hold-out file).

        Raises:
            InputError: if a series names a fact that is missing.
        """
        rows = []
        for s in self.series:
            for year in s.years:
                value, source, note = _fact(facts, s.fact, year)
                base = np.nan
                notes = [note] if note else []
                if s.transform == "index":
                    base, _, base_note = _fact(facts, s.base_fact or s.fact, s.base_year)
                    if base_note:
                        notes.append(f"base {s.base_year}: {base_note}")
                observed = value / base if s.transform == "index" else value
                rows.append({"series": s.id, "year": year, "observed": observed, "numerator": value,
                             "denominator": base, "source": source, "note": "; ".join(notes),
                             "transform": s.transform, "sd": s.discrepancy_log_sd, "quality": s.quality,
                             "holdout": self.role == "holdout"})
        return pd.DataFrame(rows)

    def simulated(self, results: pd.DataFrame, keys: tuple[str, ...] | None = None,
                  shares: pd.DataFrame | None = None) -> pd.DataFrame:
        """The model's statistic of every series for every simulated year.

        Args:
            results: Tidy rows with columns ``keys`` + year, direction, indicator, value.
            keys: Columns that identify a run (default: ``sample`` and, if present, ``replicate``).
            shares: Scope shares of each run: indexed by ``sample`` (one column per share name, the
                value as a fraction). Required when a series uses a scope share.

        Returns:
            Columns ``keys`` + series, year, simulated (index to the base year, or level: the model
            quantity over its scope share). Index years run over every simulated year (the base year
            has 1).
        """
        key_cols: list[str] = (list(keys) if keys is not None
                               else [k for k in ("sample", "replicate") if k in results.columns])
        if shares is None and any(s.scope_share for s in self.series):
            raise ValueError("these series need the scope shares of every run (shares=...)")
        frames = []
        for s in self.series:
            rows = results[(results["indicator"] == s.model_indicator)
                           & results["direction"].isin(s.model_directions)]
            total = rows.groupby([*key_cols, "year"], sort=True)["value"].sum().unstack("year")
            if s.transform == "index":
                if s.base_year not in total.columns:
                    continue
                base = total[s.base_year].where(total[s.base_year] > 0)
                total = total.div(base, axis=0)
            elif s.scope_share is not None:
                assert shares is not None  # checked above
                share = shares[s.scope_share].reindex(total.index.get_level_values("sample")).to_numpy()
                total = total.div(share, axis=0)
            long = total.stack().rename("simulated").reset_index()
            long.insert(len(key_cols), "series", s.id)
            frames.append(long)
        columns = [*key_cols, "series", "year", "simulated"]
        return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def load_series(path: str | Path = SERIES_FILE) -> SeriesSet:
    """Read and check the series file.

    Raises:
        InputError: on bad TOML, an unknown key or a malformed entry.
    """
    from sim.scenario.loading import read_toml

    path = Path(path)
    try:
        return SeriesSet.model_validate(read_toml(path))
    except ValidationError as exc:
        raise from_validation_error(exc, path, SeriesSet) from None


def load_holdout(fitted: SeriesSet, path: str | Path = HOLDOUT_FILE) -> SeriesSet:
    """Read the hold-out file; its series use the scope shares declared with the fitted series.

    Raises:
        InputError: on bad TOML, an unknown key, a malformed entry or an unknown scope share.
    """
    from sim.scenario.loading import read_toml

    path = Path(path)
    data = dict(read_toml(path))
    if "scope_share" in data:
        raise InputError("scope shares are declared in series.toml only", file=path, key="scope_share",
                         allowed="series entries naming a share of series.toml")
    data["scope_share"] = [s.model_dump() for s in fitted.scope_share]
    try:
        return SeriesSet.model_validate(data).model_copy(update={"role": "holdout"})
    except ValidationError as exc:
        raise from_validation_error(exc, path, SeriesSet) from None


def load_facts(path: str | Path = FACTS_FILE) -> pd.DataFrame:
    """The sourced facts table."""
    return pd.read_csv(path)


def _fact(facts: pd.DataFrame, indicator: str, year: int | None) -> tuple[float, str, str]:
    rows = facts[(facts["indicator"] == indicator) & (facts["year"] == year)]
    if rows.empty:
        raise InputError("a compared statistic is missing from the facts", file=FACTS_FILE,
                         key=f"{indicator} {year}")
    row = rows.iloc[0]
    note = "" if pd.isna(row.get("note")) else str(row["note"])
    return float(row["value"]), str(row["source"]), note


def scaled_errors(observations: pd.DataFrame, simulated: pd.DataFrame,
                  keys: tuple[str, ...] = ("sample",)) -> pd.DataFrame:
    """Log errors and discrepancy-scaled errors of simulated against observed statistics.

    Args:
        observations: From :meth:`SeriesSet.observations`.
        simulated: From :meth:`SeriesSet.simulated`.
        keys: Columns that identify a run.

    Returns:
        One row per run and observation: ``keys`` + series, year, observed, simulated, log_error
        (log simulated - log observed), scaled (log_error / sd, zero below an upper bound, capped at
        +-10), holdout.
    """
    merged = observations[["series", "year", "observed", "sd", "transform", "holdout"]].merge(
        simulated, on=["series", "year"], how="left")
    sim = merged["simulated"].to_numpy(dtype=float)
    log_error = np.log(np.maximum(sim, TINY)) - np.log(merged["observed"].to_numpy(dtype=float))
    scaled = log_error / merged["sd"].to_numpy(dtype=float)
    scaled = np.where(merged["transform"].to_numpy() == "level_upper", np.maximum(scaled, 0.0), scaled)
    scaled = np.where(np.isfinite(sim), np.clip(scaled, -SCALED_ERROR_CAP, SCALED_ERROR_CAP), np.nan)
    merged["log_error"] = np.where(np.isfinite(sim), log_error, np.nan)
    merged["scaled"] = scaled
    return merged[[*list(keys), "series", "year", "observed", "simulated", "log_error", "scaled", "holdout"]]


def distances(errors: pd.DataFrame, keys: tuple[str, ...] = ("sample",), n_observations: int | None = None
              ) -> pd.Series:
    """Root mean square of the scaled errors per run (infinite if a run lacks an observation).

    Args:
        errors: From :func:`scaled_errors`, already restricted to the observations that count.
        keys: Columns that identify a run.
        n_observations: Observations every run must have (default: the most any run has).
    """
    grouped = errors.groupby(list(keys))["scaled"]
    count = grouped.count()
    rms = np.sqrt(grouped.apply(lambda s: float(np.mean(np.square(s.dropna()))) if s.notna().any() else np.inf))
    needed = n_observations if n_observations is not None else int(count.max()) if len(count) else 0
    return rms.where(count >= needed, np.inf).rename("distance")
