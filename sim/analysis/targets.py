"""Targets as data, and their evaluation against an ensemble's results.

A targets file (``sim/data/<region>/targets.toml``) lists indicator, year, comparator, threshold and
the policy clause of every target. Evaluation reads a tidy result table (never a live model) and
gives, per scenario and target: the probability of meeting it with a Wilson 95% interval over the
replicates, the median and 5-95% band of the indicator in the target year, and the first year in
which the median meets the threshold.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from sim.core.errors import InputError, from_validation_error
from sim.inputs.region import Region, load_region


class Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    indicator: str
    year: int = Field(ge=2015, le=2060)
    comparator: Literal[">=", "<="]
    threshold: float = Field(allow_inf_nan=False)
    clause: str
    note: str = ""
    set_by: Literal["outcome", "designation"] = Field(
        "outcome", description='"designation": met by the city\'s own act (e.g. designating municipal zones), '
        'fixed by the scenario, so its probability is 0 or 1 and is shown without a sampling interval')

    def met(self, values: np.ndarray) -> np.ndarray:
        """Whether each value meets the target."""
        values = np.asarray(values, dtype=float)
        return values >= self.threshold if self.comparator == ">=" else values <= self.threshold


class Targets(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str
    base_year: int = Field(ge=2015, le=2060)
    target: list[Target] = Field(min_length=1)

    @field_validator("target")
    @classmethod
    def _unique_ids(cls, targets: list[Target]) -> list[Target]:
        seen: set[str] = set()
        for i, t in enumerate(targets):
            if t.id in seen:
                raise PydanticCustomError("targets", "{problem}", {
                    "problem": "target id used twice", "key": f"target.{i}.id", "value": t.id,
                    "allowed": "a different id for each target"})
            seen.add(t.id)
        return targets


def load_targets(path: str | Path | None = None, region: Region | None = None) -> Targets:
    """Load and check a targets file (default: the region's).

    Raises:
        InputError: on a missing file, bad TOML, an unknown key or an indicator the region does not define.
    """
    from sim.scenario.loading import read_toml  # one TOML reader for every input file

    region = region or load_region()
    path = Path(path) if path else region.targets_file
    if not path.is_file():
        raise InputError("targets file not found", file=path, allowed="a path to a targets TOML file")
    data = read_toml(path)
    try:
        targets = Targets.model_validate(data, strict=True)
    except ValidationError as exc:
        raise from_validation_error(exc, path, Targets) from None
    for i, t in enumerate(targets.target):
        if t.indicator not in region.indicators:
            raise InputError("unknown indicator", file=path, key=f"target.{i}.indicator", value=t.indicator,
                             allowed=", ".join(sorted(region.indicators)))
    return targets


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% by default).

    Example:
        >>> [round(x, 3) for x in wilson_interval(8, 10)]
        [0.49, 0.943]
    """
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def evaluate_targets(results: pd.DataFrame, targets: Targets) -> pd.DataFrame:
    """Probability, band and crossing year of every target, per scenario.

    Args:
        results: Tidy rows with at least scenario, replicate, year, direction, indicator, value; city
            totals have ``direction == "all"`` and (if the column exists) ``district == "all"``.
        targets: The targets to evaluate.

    Returns:
        One row per (scenario, target): scenario, target, indicator, year, comparator, threshold,
        clause, set_by, n_replicates, median, p05, p95, probability, probability_low, probability_high,
        first_year_median_meets (NaN if the median never meets it). For targets set by designation
        the interval is the probability itself (no sampling interval).
    """
    city = results[results["direction"] == "all"]
    if "district" in city.columns:
        city = city[city["district"] == "all"]
    rows = []
    for scenario, frame in city.groupby("scenario", sort=False, observed=True):
        for t in targets.target:
            series = frame[frame["indicator"] == t.indicator]
            at_year = series[series["year"] == t.year]["value"].to_numpy(dtype=float)
            n = len(at_year)
            hits = int(t.met(at_year).sum()) if n else 0
            low, high = wilson_interval(hits, n)
            if t.set_by == "designation" and n:
                low = high = hits / n
            medians = series.groupby("year")["value"].median()
            crossing = medians[(medians.index >= targets.base_year) & t.met(medians.to_numpy())]
            rows.append({
                "scenario": scenario,
                "target": t.id,
                "indicator": t.indicator,
                "year": t.year,
                "comparator": t.comparator,
                "threshold": t.threshold,
                "clause": t.clause,
                "set_by": t.set_by,
                "n_replicates": n,
                "median": float(np.median(at_year)) if n else math.nan,
                "p05": float(np.quantile(at_year, 0.05)) if n else math.nan,
                "p95": float(np.quantile(at_year, 0.95)) if n else math.nan,
                "probability": hits / n if n else math.nan,
                "probability_low": low,
                "probability_high": high,
                "first_year_median_meets": float(crossing.index.min()) if len(crossing) else math.nan,
            })
    return pd.DataFrame(rows)


def format_target_table(table: pd.DataFrame, region: Region | None = None, lang: str = "zh") -> str:
    """A plain-text target table for the terminal."""
    region = region or load_region()
    label_key = "label_zh" if lang == "zh" else "label_en"
    lines = []
    for scenario, frame in table.groupby("scenario", sort=False):
        lines.append(f"Scenario: {scenario}   (n = {int(frame['n_replicates'].max())} replicates)")
        header = (f"{'target':<28}{'year':>5}{'goal':>8}{'median':>9}{'5-95% range':>16}{'P(met)':>8}"
                  f"{'95% CI':>14}{'median meets':>14}")
        lines.append(header)
        lines.append("-" * len(header))
        for row in frame.itertuples():
            label = region.indicators[row.indicator][label_key].split("（")[0].split(" (")[0]
            goal = f"{row.comparator}{row.threshold:g}"
            band = f"{format_count(row.p05)}-{format_count(row.p95)}"
            ci = f"{row.probability_low:.2f}-{row.probability_high:.2f}"
            cross = "-" if math.isnan(row.first_year_median_meets) else f"{int(row.first_year_median_meets)}"
            lines.append(f"{_pad(label, 28)}{row.year:>5}{goal:>8}{row.median:>9.1f}{band:>16}"
                         f"{row.probability:>8.2f}{ci:>14}{cross:>14}")
        lines.append("")
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-align text counting East Asian characters as two columns."""
    cols = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    if cols > width - 1:
        while cols > width - 2 and text:
            cols -= 2 if ord(text[-1]) > 0x2E7F else 1
            text = text[:-1]
        text += "…"
        cols += 1
    return text + " " * max(0, width - cols)


def paired_difference_interval(met_a: np.ndarray, met_b: np.ndarray, z: float = 1.959964) -> tuple[float, float, float]:
    """Difference of two paired proportions, P(B) - P(A), with Newcombe's hybrid score interval.

    Replicates of two scenarios run with the same seeds are paired; the interval is method 10 of
    Newcombe (1998, Statistics in Medicine 17:2635-2650), built from the two Wilson intervals and the
    correlation of the pairs.

    Args:
        met_a, met_b: Whether each replicate meets the target under A and under B (same order).

    Returns:
        (difference, low, high).

    Example:
        >>> [round(x, 3) for x in paired_difference_interval(np.array([0, 0, 0, 1] * 5), np.array([1, 1, 0, 1] * 5))]
        [0.5, 0.247, 0.66]
    """
    a_met = np.asarray(met_a, dtype=bool)
    b_met = np.asarray(met_b, dtype=bool)
    n = len(a_met)
    if n == 0:
        return (math.nan, -1.0, 1.0)
    both = int((a_met & b_met).sum())
    only_a = int((a_met & ~b_met).sum())
    only_b = int((~a_met & b_met).sum())
    neither = n - both - only_a - only_b
    p_a, p_b = (both + only_a) / n, (both + only_b) / n
    l_a, u_a = wilson_interval(both + only_a, n, z)
    l_b, u_b = wilson_interval(both + only_b, n, z)
    denom = (both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    phi = (both * neither - only_a * only_b) / math.sqrt(denom) if denom > 0 else 0.0
    diff = p_b - p_a
    low = diff - math.sqrt(max(0.0, (p_b - l_b) ** 2 - 2 * phi * (p_b - l_b) * (u_a - p_a) + (u_a - p_a) ** 2))
    high = diff + math.sqrt(max(0.0, (u_b - p_b) ** 2 - 2 * phi * (u_b - p_b) * (p_a - l_a) + (p_a - l_a) ** 2))
    return (diff, max(-1.0, low), min(1.0, high))


def format_count(value: float) -> str:
    """A value of a count indicator (or one of its quantiles) for tables and labels: at most one
    decimal, thousands separated, no trailing ``.0``."""
    return f"{round(value, 1):,.1f}".removesuffix(".0")


def holm_levels(p_values: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Holm-adjusted p-values (statsmodels) and each test's step-down confidence level.

    The test ranked ``k``-th smallest of ``m`` gets level ``1 - alpha / (m - k + 1)``.
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    m = len(p)
    adjusted = multipletests(p, alpha=alpha, method="holm")[1] if m else p
    ranks = np.empty(m, dtype=int)
    ranks[np.argsort(p, kind="stable")] = np.arange(1, m + 1)
    levels = 1 - alpha / (m - ranks + 1)
    return adjusted, levels


def mcnemar_p(met_a: np.ndarray, met_b: np.ndarray) -> float:
    """Exact McNemar test of paired proportions (two-sided binomial test on the discordant pairs)."""
    only_a = int((met_a & ~met_b).sum())
    only_b = int((~met_a & met_b).sum())
    if only_a + only_b == 0:
        return 1.0
    from scipy import stats

    return float(stats.binomtest(only_b, only_a + only_b, 0.5).pvalue)
