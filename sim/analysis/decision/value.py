"""What each 亿元 buys: the effect of a fixed extra amount of each lever on every target.

For every lever factor of the parameter space, a variant of the scenario gets a fixed extra amount:
+10亿 over the period for money levers (the yearly amount is raised so that the plan spends 10亿
more in total, through the lever's own schedule), +10% of the count for count levers (+1 a year if
the lever is at zero). All variants and the scenario run on the same replicate seeds (common random
numbers), so each replicate is a pair. Per lever and target:

* ``delta_p``: P(met | variant) - P(met | scenario), with Newcombe's paired interval
  (:func:`sim.targets.paired_difference_interval`), Holm-corrected over the targets of the lever:
  the raw p-values are exact McNemar tests (binomial test on the discordant pairs), adjusted by
  statsmodels' ``multipletests(method="holm")``, and the interval of the target ranked ``k``-th of
  ``m`` by p-value is taken at level ``1 - alpha / (m - k + 1)`` (Holm's step-down level);
* ``extra_cost_100m_yuan``: the difference of the two plans' spending tables over all years (what
  the plan actually spends, not the nominal amount);
* per lever, the expected number of targets met (the mean over replicates of the count of targets
  met) and its paired difference with a t interval, per 亿元.

Reads the runs from a result store (:func:`sim.experiment.run_scenarios`); arithmetic only here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.decision.levers import LeverFactor, cost_by_lever_100m_yuan, total_cost_100m_yuan
from sim.analysis.targets import Targets, holm_levels, mcnemar_p, paired_difference_interval
from sim.core.errors import InputError
from sim.scenario.schema import Scenario

EXTRA_MONEY_100M_YUAN = 10.0   # over the whole period
EXTRA_COUNT_SHARE = 0.10       # of the lever's count per year
VALUE_COLUMNS = ["lever", "lever_kind", "change", "target", "indicator", "year", "p_base", "p_variant", "delta_p",
                 "delta_p_low", "delta_p_high", "p_value", "p_value_holm", "interval_level",
                 "extra_cost_100m_yuan", "delta_p_per_100m_yuan", "expected_targets_met_per_100m_yuan",
                 "n_replicates"]


@dataclass(frozen=True)
class Variant:
    """A scenario with one lever raised by the fixed extra amount.

    Attributes:
        lever: The lever factor.
        scenario: The variant scenario (named ``<base>.plus.<lever>``).
        change: What was added, in words (``+10亿 over 2024-2035``, ``+10% (4 -> 4.4 per year)``).
    """

    lever: LeverFactor
    scenario: Scenario
    change: str


def value_variants(base: Scenario, levers: list[LeverFactor], extra_money_100m_yuan: float = EXTRA_MONEY_100M_YUAN,
                   extra_count_share: float = EXTRA_COUNT_SHARE) -> tuple[list[Variant], list[str]]:
    """One variant per lever; levers that cannot take the extra amount are skipped with a note.

    Returns:
        (variants, notes): notes say which levers were skipped and why (e.g. support per pilot zone
        when the scenario designates no zone, so more support per zone spends nothing).
    """
    variants, notes = [], []
    period = f"{base.start_year}-{base.end_year}"
    base_cost = total_cost_100m_yuan(base)
    for lever in levers:
        written = float(getattr(getattr(base.levers, lever.lever), lever.attribute))
        name = f"{base.name}.plus.{lever.short}"
        if lever.is_money:
            probe = base.with_values({lever.path: written + 1.0}, name=name)
            per_unit = total_cost_100m_yuan(probe) - base_cost
            if per_unit <= 1e-9:
                notes.append(f"{lever.short}: more of it spends nothing in this scenario (skipped)")
                continue
            new = written + extra_money_100m_yuan / per_unit
            change = f"+{extra_money_100m_yuan:g}亿 over {period} ({written:g} -> {new:.3g} 亿/yr written)"
        else:
            new = written * (1 + extra_count_share) if written > 0 else 1.0
            change = (f"+{extra_count_share:.0%} ({written:g} -> {new:.3g} per year)" if written > 0
                      else f"+1 per year (from 0; +{extra_count_share:.0%} of zero is nothing)")
        if new > lever.factor.high * 20:
            notes.append(f"{lever.short}: the extra amount is out of range (skipped)")
            continue
        try:
            scenario = base.with_values({lever.path: new}, name=name)
        except InputError as exc:
            notes.append(f"{lever.short}: the variant is not a valid scenario ({exc.problem}; skipped)")
            continue
        variants.append(Variant(lever, scenario, change))
    return variants, notes


def met_matrix(rows: pd.DataFrame, targets: Targets) -> pd.DataFrame:
    """Whether each replicate of each scenario meets each target.

    Args:
        rows: City-total rows with scenario, replicate, year, indicator, value.
        targets: The targets.

    Returns:
        Index (scenario, replicate), one boolean column per target id.
    """
    cols = {}
    keyed = rows.set_index(["indicator", "year"]).sort_index()
    for t in targets.target:
        part = keyed.loc[(t.indicator, t.year)] if (t.indicator, t.year) in keyed.index else None
        if part is None:
            raise InputError("the runs hold no values for a target", key="target", value=t.id,
                             allowed="runs that store the target indicators")
        series = part.set_index(["scenario", "replicate"])["value"]
        cols[t.id] = pd.Series(t.met(series.to_numpy()), index=series.index)
    return pd.DataFrame(cols)


def mean_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean with a t interval (NaN-free input; a constant sample gives a zero-width interval)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    if n < 2:
        return mean, -math.inf, math.inf
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def value_tables(rows: pd.DataFrame, base: Scenario, variants: list[Variant], targets: Targets,
                 alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-target table (``value.csv``) and the per-lever summary (``value_levers.csv``).

    Args:
        rows: City-total rows of the base and every variant (same replicates).
        base: The scenario.
        variants: From :func:`value_variants`.
        targets: The targets.
        alpha: Family-wise error rate over the targets of one lever.
    """
    met = met_matrix(rows, targets)
    base_met = met.loc[base.name]
    base_cost = cost_by_lever_100m_yuan(base)
    per_target, per_lever = [], []
    for v in variants:
        var_met = met.loc[v.scenario.name].reindex(base_met.index)
        if var_met.isna().any().any():
            raise InputError("the variant's runs do not pair with the scenario's", key="lever", value=v.lever.short,
                             allowed="runs of both on the same replicates")
        var_met = var_met.astype(bool)
        cost = cost_by_lever_100m_yuan(v.scenario)
        extra = round(float(sum(cost.values()) - sum(base_cost.values())), 6)
        p_raw = np.array([mcnemar_p(base_met[t].to_numpy(), var_met[t].to_numpy()) for t in met.columns])
        p_holm, levels = holm_levels(p_raw, alpha)
        count_diff = var_met.sum(axis=1).to_numpy() - base_met.sum(axis=1).to_numpy()
        d_count, d_low, d_high = mean_interval(count_diff)
        per_lever.append({
            "lever": v.lever.short, "lever_kind": "money" if v.lever.is_money else "count", "change": v.change,
            "extra_cost_100m_yuan": extra,
            "expected_targets_met_base": float(base_met.sum(axis=1).mean()),
            "expected_targets_met_variant": float(var_met.sum(axis=1).mean()),
            "delta_expected_targets_met": d_count, "delta_expected_low": d_low, "delta_expected_high": d_high,
            "expected_targets_met_per_100m_yuan": d_count / extra if extra > 0 else math.nan,
            "expected_targets_met_per_100m_yuan_low": d_low / extra if extra > 0 else math.nan,
            "expected_targets_met_per_100m_yuan_high": d_high / extra if extra > 0 else math.nan,
            "n_replicates": len(base_met),
        })
        by_id = {t.id: t for t in targets.target}
        for j, target_id in enumerate(met.columns):
            z = float(stats.norm.ppf(1 - (1 - levels[j]) / 2))
            diff, low, high = paired_difference_interval(base_met[target_id].to_numpy(),
                                                         var_met[target_id].to_numpy(), z)
            t = by_id[target_id]
            per_target.append({
                "lever": v.lever.short, "lever_kind": per_lever[-1]["lever_kind"], "change": v.change,
                "target": target_id, "indicator": t.indicator, "year": t.year,
                "p_base": float(base_met[target_id].mean()), "p_variant": float(var_met[target_id].mean()),
                "delta_p": diff, "delta_p_low": low, "delta_p_high": high,
                "p_value": float(p_raw[j]), "p_value_holm": float(p_holm[j]), "interval_level": float(levels[j]),
                "extra_cost_100m_yuan": extra,
                "delta_p_per_100m_yuan": diff / extra if extra > 0 else math.nan,
                "expected_targets_met_per_100m_yuan": per_lever[-1]["expected_targets_met_per_100m_yuan"],
                "n_replicates": len(base_met),
            })
    levers = pd.DataFrame(per_lever)
    if not levers.empty:
        levers = levers.sort_values("expected_targets_met_per_100m_yuan", ascending=False, na_position="last")
        levers.insert(0, "rank", np.arange(1, len(levers) + 1))
    table = pd.DataFrame(per_target, columns=VALUE_COLUMNS)
    if not table.empty:
        table = table.sort_values(["delta_p_per_100m_yuan", "lever", "target"], ascending=[False, True, True],
                                  na_position="last", kind="stable")
    return table.reset_index(drop=True), levers.reset_index(drop=True)


def indicator_table(rows: pd.DataFrame, base: Scenario, variants: list[Variant], indicators: list[str],
                    years: list[int]) -> pd.DataFrame:
    """Paired mean difference of key indicators (variant - scenario) with a t interval, per 亿元."""
    out = []
    keyed = rows[rows["indicator"].isin(indicators) & rows["year"].isin(years)]
    table = keyed.pivot_table(index=["indicator", "year", "replicate"], columns="scenario", values="value")
    base_cost = total_cost_100m_yuan(base)
    for v in variants:
        extra = total_cost_100m_yuan(v.scenario) - base_cost
        for (indicator, year), frame in table.groupby(level=["indicator", "year"]):
            if v.scenario.name not in frame or base.name not in frame:
                continue
            diff = (frame[v.scenario.name] - frame[base.name]).dropna().to_numpy()
            mean, low, high = mean_interval(diff)
            out.append({"lever": v.lever.short, "indicator": indicator, "year": int(year),
                        "median_base": float(frame[base.name].median()), "delta_mean": mean, "delta_low": low,
                        "delta_high": high, "extra_cost_100m_yuan": extra,
                        "delta_per_100m_yuan": mean / extra if extra > 0 else math.nan})
    return pd.DataFrame(out)


def read_city_rows(store: Any, indicators: list[str]) -> pd.DataFrame:
    """City-total rows of some indicators from a store (scenario, replicate, year, indicator, value)."""
    quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in sorted(set(indicators)))
    return store.sql(
        "SELECT scenario, replicate, year, indicator, value FROM results "
        f"WHERE direction = 'all' AND district = 'all' AND indicator IN ({quoted})").df()


def write_value(out: Path, table: pd.DataFrame, levers: pd.DataFrame, indicators: pd.DataFrame,
                notes: list[str]) -> list[Path]:
    """``value.csv``, ``value_levers.csv``, ``value_indicators.csv`` and ``notes.txt`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "value.csv", out / "value_levers.csv", out / "value_indicators.csv"]
    table.to_csv(paths[0], index=False)
    levers.to_csv(paths[1], index=False)
    indicators.to_csv(paths[2], index=False)
    if notes:
        (out / "notes.txt").write_text("\n".join(notes) + "\n", encoding="utf-8")
        paths.append(out / "notes.txt")
    return paths
