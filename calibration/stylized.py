"""Stylized facts of firm populations: their statistics, and the comparison with published values.

The statistics are pure functions of arrays or of a firm panel (one row per live firm and year, from
:func:`sim.model.model.simulate_firm_panel`), tested on constructed samples with known answers. A model run
is summarised by :func:`stylized_model` into tidy rows (indicator ``sf_*``), so that many runs can go
through the calibration's runner and be stored like any result. The published values and the criteria
are data (``calibration/data/stylized_facts.toml``); :func:`compare` applies them and reports what
matches and what does not.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from agents.firms import SPUN_OFF, STARTED
from sim.core.paths import CALIBRATION_DATA_DIR

FACTS_FILE = CALIBRATION_DATA_DIR / "stylized_facts.toml"
TAIL_SHARE = 0.05          # Hill estimator on the top 5% of firms
SIZE_BINS = 10             # size deciles for conditioning growth on size
SUBBOTIN_SAMPLE = 20000    # growth rates used in the Subbotin fit (a seeded subsample)
PERSISTENCE_LAG = 5        # years
SURVIVAL_YEARS = 5
ABOVE_SIZE_REVENUE_100M_YUAN = 0.2  # China's statistical size line for industry (规模以上: sales >= 20m yuan)


# ------------------------------------------------------------------ statistics of arrays


def hill_tail_exponent(sizes: np.ndarray, tail_share: float = TAIL_SHARE) -> float:
    """Hill estimator of the tail exponent alpha of P(size > s) ~ s^-alpha.

    alpha = k / sum_{i<=k} log(x_(i) / x_(k+1)) over the k = tail_share * n largest sizes.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> round(hill_tail_exponent(rng.pareto(1.0, 200000) + 1.0), 1)
        1.0
    """
    x = np.sort(np.asarray(sizes, dtype=float)[np.asarray(sizes) > 0])[::-1]
    k = int(tail_share * len(x))
    if k < 10:
        return float("nan")
    return float(k / np.sum(np.log(x[:k] / x[k])))


def subbotin_shape(values: np.ndarray) -> float:
    """Shape b of a Subbotin (exponential power) density fitted by maximum likelihood.

    b = 1 is the Laplace, b = 2 the Gaussian distribution (``scipy.stats.gennorm``'s beta).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 50:
        return float("nan")
    beta, _, _ = stats.gennorm.fit(x)
    return float(beta)


def volatility_size_exponent(sizes: np.ndarray, growth: np.ndarray, n_bins: int = SIZE_BINS
                             ) -> tuple[float, pd.DataFrame]:
    """beta in sd(growth | size) ~ size^-beta, by OLS of log sd on mean log size over size quantile bins.

    Returns:
        (beta, table with one row per bin: log_size, sd, n).

    Example:
        >>> rng = np.random.default_rng(1)
        >>> size = np.exp(rng.uniform(0, 10, 100000))
        >>> beta, _ = volatility_size_exponent(size, rng.laplace(0, size ** -0.2 / np.sqrt(2)))
        >>> round(beta, 2)
        0.2
    """
    log_size = np.log(np.asarray(sizes, dtype=float))
    growth = np.asarray(growth, dtype=float)
    ok = np.isfinite(log_size) & np.isfinite(growth)
    log_size, growth = log_size[ok], growth[ok]
    edges = np.quantile(log_size, np.linspace(0, 1, n_bins + 1))
    which = np.clip(np.searchsorted(edges, log_size, side="right") - 1, 0, n_bins - 1)
    table = pd.DataFrame({"bin": which, "log_size": log_size, "growth": growth}).groupby("bin").agg(
        log_size=("log_size", "mean"), sd=("growth", "std"), n=("growth", "size")).reset_index()
    table = table[(table["n"] >= 10) & (table["sd"] > 0)]
    if len(table) < 3:
        return float("nan"), table
    slope = np.polyfit(table["log_size"], np.log(table["sd"]), 1)[0]
    return float(-slope), table


def percentile_ratio(values: np.ndarray, high: float = 90.0, low: float = 10.0) -> float:
    """Ratio of the high to the low percentile of positive values.

    Example:
        >>> round(percentile_ratio(np.arange(1.0, 101.0)), 2)  # 90.1 / 10.9
        8.27
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if len(x) < 10:
        return float("nan")
    return float(np.percentile(x, high) / np.percentile(x, low))


# ------------------------------------------------------------------ statistics of a firm panel


def growth_rates(panel: pd.DataFrame) -> pd.DataFrame:
    """Annual log revenue growth of firms alive at the end of two consecutive years.

    Returns:
        Columns firm, year (the later year), direction, size (revenue in the earlier year), growth.
    """
    cols = ["firm", "year", "direction", "revenue"]
    now = panel[cols]
    before = panel[["firm", "year", "revenue"]].assign(year=panel["year"] + 1)
    both = now.merge(before, on=["firm", "year"], suffixes=("", "_before"))
    both = both[(both["revenue"] > 0) & (both["revenue_before"] > 0)]
    return pd.DataFrame({"firm": both["firm"].to_numpy(), "year": both["year"].to_numpy(),
                         "direction": both["direction"].to_numpy(), "size": both["revenue_before"].to_numpy(),
                         "growth": np.log(both["revenue"].to_numpy() / both["revenue_before"].to_numpy())})


def standardised_growth(growth: pd.DataFrame, n_bins: int = SIZE_BINS) -> np.ndarray:
    """Growth rates centred and scaled within year x size-decile cells (so the shape is not a mixture
    of the size-dependent widths)."""
    g = growth.copy()
    g["bin"] = g.groupby("year")["size"].transform(
        lambda s: pd.qcut(np.log(s), n_bins, labels=False, duplicates="drop"))
    grouped = g.groupby(["year", "bin"])["growth"]
    z = (g["growth"] - grouped.transform("mean")) / grouped.transform("std")
    return z.to_numpy(dtype=float)


def top_quintile_retention(panel: pd.DataFrame, measure: str = "relative_tech", lag: int = PERSISTENCE_LAG
                           ) -> float:
    """Share of firms in the top quintile of ``measure`` (within direction and year) that are in the
    top quintile again ``lag`` years later, among those still alive; mean over start years."""
    p = panel[["firm", "year", "direction", measure]].copy()
    p["top"] = p.groupby(["year", "direction"])[measure].transform(lambda s: s.rank(pct=True) > 0.8)
    later = p[["firm", "year", "top"]].assign(year=p["year"] - lag)
    both = p[p["top"]].merge(later, on=["firm", "year"], suffixes=("", "_later"))
    if both.empty:
        return float("nan")
    return float(both.groupby("year")["top_later"].mean().mean())


def startup_survival(panel: pd.DataFrame, years: int = SURVIVAL_YEARS) -> pd.Series:
    """Share of start-ups and spin-offs alive at each age 1..years, over cohorts followed that long.

    A cohort is the firms of origin start-up or spin-off founded in a year of the panel (not its first,
    which holds the initial population); age k means alive at the end of year founded + k.
    """
    last = int(panel["year"].max())
    first = int(panel["year"].min())
    new = panel[panel["origin"].isin([STARTED, SPUN_OFF]) & (panel["founded"] > first)
                & (panel["founded"] <= last - years) & (panel["year"] == panel["founded"])]
    if new.empty:
        return pd.Series(dtype=float)
    alive = panel.set_index(["firm", "year"]).index
    out = {}
    for k in range(1, years + 1):
        keys = pd.MultiIndex.from_arrays([new["firm"].to_numpy(), new["founded"].to_numpy() + k])
        out[k] = float(keys.isin(alive).mean())
    return pd.Series(out, name="survival")


def firm_statistics(panel: pd.DataFrame, seed: int = 0) -> dict[str, float]:
    """All stylized-fact statistics of one run's firm panel.

    Args:
        panel: From :func:`sim.model.model.simulate_firm_panel`.
        seed: Seeds the subsample of the Subbotin fit.

    Returns:
        ``sf_*`` statistic -> value (see ``stylized_facts.toml`` for their definitions), plus the size
        bins of the volatility relation (``sf_volbin_<k>_log_size``, ``sf_volbin_<k>_log_sd``) and the
        survival curve (``sf_startup_survival_<k>y``).
    """
    last = panel[panel["year"] == panel["year"].max()]
    growth = growth_rates(panel)
    z = standardised_growth(growth)
    z = z[np.isfinite(z)]
    rng = np.random.default_rng(seed)
    sample = z if len(z) <= SUBBOTIN_SAMPLE else rng.choice(z, SUBBOTIN_SAMPLE, replace=False)
    beta, bins = volatility_size_exponent(growth["size"].to_numpy(), growth["growth"].to_numpy())
    productivity = last["revenue"] / last["employees"]
    by_direction = [percentile_ratio(productivity[last["direction"] == d]) for d in last["direction"].unique()]
    above = last["revenue"] >= ABOVE_SIZE_REVENUE_100M_YUAN
    by_direction_above = [percentile_ratio(productivity[above & (last["direction"] == d)])
                          for d in last["direction"].unique()]
    tech = [percentile_ratio(last["relative_tech"][last["direction"] == d]) for d in last["direction"].unique()]
    survival = startup_survival(panel)
    out = {
        "sf_size_tail_revenue": hill_tail_exponent(last["revenue"].to_numpy()),
        "sf_size_tail_employees": hill_tail_exponent(last["employees"].to_numpy()),
        "sf_growth_subbotin_shape": subbotin_shape(sample),
        "sf_growth_excess_kurtosis": float(stats.kurtosis(sample)) if len(sample) > 50 else float("nan"),
        "sf_volatility_size_exponent": beta,
        "sf_labour_productivity_90_10": float(np.nanmedian(by_direction)),
        "sf_labour_productivity_90_10_above_size": float(np.nanmedian(by_direction_above))
        if np.isfinite(by_direction_above).any() else float("nan"),
        "sf_relative_tech_90_10": float(np.nanmedian(tech)),
        "sf_top_quintile_retention_5y": top_quintile_retention(panel),
        "sf_startup_survival_5y": float(survival.get(SURVIVAL_YEARS, np.nan)),
        "sf_firms_last_year": float(len(last)),
        "sf_growth_observations": float(len(growth)),
    }
    for k, row in enumerate(bins.itertuples()):
        out[f"sf_volbin_{k}_log_size"] = float(row.log_size)
        out[f"sf_volbin_{k}_log_sd"] = float(np.log(row.sd))
    for age, share in survival.items():
        out[f"sf_startup_survival_{age}y"] = share
    return out


def stylized_model(scenario, seed: int, *, population_scale: float = 1.0) -> pd.DataFrame:
    """Model function for the runner: one run's stylized-fact statistics as tidy rows.

    Returns:
        Columns year (last simulated year), direction and district (``all``), indicator (``sf_*``), value.
    """
    from sim.model.model import simulate_firm_panel

    panel = simulate_firm_panel(scenario, seed, population_scale=population_scale)
    values = firm_statistics(panel, seed=seed % (2**32))
    year = int(panel["year"].max())
    return pd.DataFrame({"year": year, "direction": "all", "district": "all",
                         "indicator": list(values), "value": list(values.values())})


def stylized_model_at(population_scale: float):
    """:func:`stylized_model` at a population scale (a picklable model function)."""
    return functools.partial(stylized_model, population_scale=population_scale)


# ------------------------------------------------------------------ comparison


def load_references(path: str | Path = FACTS_FILE) -> pd.DataFrame:
    """The published regularities and criteria, one row per fact."""
    from sim.scenario.loading import read_toml

    return pd.DataFrame(read_toml(Path(path))["fact"])


def compare(statistics: pd.DataFrame, references: pd.DataFrame | None = None) -> pd.DataFrame:
    """Set the model's statistics (one value per run) against the published values.

    Args:
        statistics: Tidy rows with columns indicator, value (one row per run and statistic).
        references: From :func:`load_references`.

    Returns:
        One row per fact: label, measure, model median, 5th and 95th percentiles over runs, runs,
        published value and text, source, criterion range, and ``matches`` (the model median within the
        criterion range), with the ``context`` that qualifies the comparison.
    """
    references = load_references() if references is None else references
    rows = []
    for ref in references.to_dict("records"):
        values = statistics.loc[statistics["indicator"] == ref["statistic"], "value"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        median = float(np.median(values)) if len(values) else float("nan")
        rows.append({
            "fact": ref["id"], "label_zh": ref["label_zh"], "label_en": ref["label_en"],
            "measure": ref["measure"], "model_median": median,
            "model_p05": float(np.percentile(values, 5)) if len(values) else float("nan"),
            "model_p95": float(np.percentile(values, 95)) if len(values) else float("nan"),
            "runs": len(values), "published": ref["published"], "published_text": ref["published_text"],
            "criterion": f"{ref['match_low']:g} to {ref['match_high']:g}",
            "matches": bool(ref["match_low"] <= median <= ref["match_high"]) if len(values) else False,
            "source": ref["source"], "context": ref.get("context", ""),
        })
    return pd.DataFrame(rows)
