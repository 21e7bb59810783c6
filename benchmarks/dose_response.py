"""Dose-response of every lever: the model's measured answer to 0, 0.5, 1, 2 and 4 times a lever.

For each lever, the dose multiplies the amounts its class declares (``DOSE_FIELDS``: money a year,
units a year, support per zone...) in the baseline; a lever at zero in the baseline takes the full
package's setting of that lever as its unit dose. All doses of all levers run on the same replicate
seeds (common random numbers), so differences are paired. For each dose the script records the
probability of each target and the mean of key indicators (revenue and head enterprises in 2035,
``firm_technology`` in 2035 where the model reports it, spending over the run), and the paired change
from dose 0.

The output CSV (default ``docs/data/dose_response.csv``) is read by ``python docs/make_docs.py`` into
``docs/levers.md``. Full size (the coordinator runs it once the model work is merged)::

    python benchmarks/dose_response.py --replicates 40 --workers 2

A test runs it at a tiny size (``tests/test_dose_response.py``). A larger sample of fewer doses, for the
issue-12 goal "every target responds to at least one lever" (written elsewhere, not into the docs)::

    python benchmarks/dose_response.py --replicates 300 --doses 0 1 2 4 --workers 2 --out results/doses_300.csv
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.lever_effects import gain_per_100m_yuan, responsive_targets
from sim.analysis.targets import evaluate_targets, load_targets, mcnemar_p
from sim.core.paths import REPO_ROOT
from sim.core.seeds import replicate_seeds
from sim.model.model import simulate
from sim.scenario.lever_schemas import Levers
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

DOSES = (0.0, 0.5, 1.0, 2.0, 4.0)
KEY_INDICATORS = {  # indicator -> (year or None for the sum over years)
    "revenue_100m_yuan": 2035, "head_enterprises": 2035, "firm_technology": 2035, "spending_100m_yuan": None,
}
OUTPUT = REPO_ROOT / "docs" / "data" / "dose_response.csv"
COLUMNS = ["lever", "unit_source", "multiple", "quantity", "kind", "value", "change_from_zero",
           "change_low", "change_high", "p_value", "t_vs_unit", "replicates"]


def dose_scenario(base: Scenario, unit: Scenario, lever: str, multiple: float) -> Scenario:
    """The base scenario with one lever set to ``multiple`` times its unit setting."""
    setting = getattr(unit.levers, lever)
    data = setting.model_dump(mode="python")
    for field in type(setting).DOSE_FIELDS:
        data[field] = getattr(setting, field) * multiple
    bounds = type(setting).model_fields
    for field in type(setting).DOSE_FIELDS:  # a dose beyond a field's upper bound is capped there
        for meta in bounds[field].metadata:
            if hasattr(meta, "le"):
                data[field] = min(data[field], meta.le)
    return base.with_values({f"levers.{lever}": data}, name=f"{lever}_x{multiple:g}")


def unit_of(base: Scenario, full: Scenario, lever: str) -> tuple[Scenario, str]:
    """The scenario whose setting of ``lever`` is the unit dose, and which one it is."""
    setting = getattr(base.levers, lever)
    if any(getattr(setting, f) > 0 for f in type(setting).DOSE_FIELDS):
        return base, "baseline"
    return full, "full_package"


def _content_key(scenario: Scenario) -> str:
    """What the scenario sets, without its name and titles."""
    return json.dumps(scenario.model_dump(mode="json", exclude={"name", "title_zh", "title_en", "description"}),
                      sort_keys=True)


def _run(job: tuple[Scenario, int, int]) -> pd.DataFrame:
    scenario, replicate, seed = job
    table = simulate(scenario, seed, detail="city")
    return table.assign(scenario=scenario.name, replicate=replicate)


def _paired(values: pd.DataFrame, dose: str, zero: str) -> tuple[float, float, float]:
    """Mean paired difference dose - zero over replicates and its 95% normal interval."""
    d = (values[dose] - values[zero]).dropna().to_numpy(dtype=float)
    if len(d) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(d.mean())
    half = 1.96 * float(d.std(ddof=1)) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
    return mean, mean - half, mean + half


def _p_value(values: pd.DataFrame, dose: str, zero: str, kind: str) -> float:
    """Paired test of dose against zero: exact McNemar for a target (met / not met per replicate), a
    paired t-test for an indicator; 1 where nothing differs."""
    from scipy.stats import ttest_rel

    pair = values[[dose, zero]].dropna().to_numpy(dtype=float) if dose != zero else np.empty((0, 2))
    if len(pair) < 2:
        return 1.0
    if kind == "target_probability":
        return mcnemar_p(pair[:, 1] > 0, pair[:, 0] > 0)
    d = pair[:, 0] - pair[:, 1]
    return float(ttest_rel(pair[:, 0], pair[:, 1]).pvalue) if d.std() > 0 else 1.0


def _t_statistic(values: pd.DataFrame, dose: str, unit: str) -> float:
    """Paired t statistic of dose minus the unit dose (x1) over replicates (0 where nothing differs)."""
    if dose == unit:
        return 0.0
    d = (values[dose] - values[unit]).dropna().to_numpy(dtype=float)
    sd = float(d.std(ddof=1)) if len(d) > 1 else 0.0
    return float(d.mean() / (sd / np.sqrt(len(d)))) if sd > 0 else 0.0


def measure(levers: list[str] | None = None, replicates: int = 40, seed: int = 2024, end_year: int = 2035,
            doses: tuple[float, ...] = DOSES, workers: int = 1) -> pd.DataFrame:
    """Run the doses of each lever and return the dose-response table (columns :data:`COLUMNS`)."""
    base = load_scenario("baseline").with_values({"end_year": end_year})
    full = load_scenario("full_package").with_values({"end_year": end_year})
    names = levers or [name for name, _ in Levers().items()]
    seeds = replicate_seeds(seed, replicates)
    targets = load_targets()
    scenarios: dict[tuple[str, float], Scenario] = {}
    sources: dict[str, str] = {}
    for lever in names:
        unit, sources[lever] = unit_of(base, full, lever)
        for k in doses:
            scenarios[(lever, k)] = dose_scenario(base, unit, lever, k)
    # identical settings (e.g. every lever's baseline dose) run once
    by_hash: dict[str, Scenario] = {}
    for sc in scenarios.values():
        by_hash.setdefault(_content_key(sc), sc)
    jobs = [(sc, r, s) for sc in by_hash.values() for r, s in enumerate(seeds)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            frames = list(pool.map(_run, jobs, chunksize=4))
    else:
        frames = [_run(job) for job in jobs]
    runs = pd.concat(frames, ignore_index=True)
    probabilities = evaluate_targets(runs, targets).set_index(["scenario", "target"])["probability"]
    rows = []
    for lever in names:
        named = {k: by_hash[_content_key(scenarios[(lever, k)])].name for k in doses}
        zero = named[min(doses)]
        per_rep = {}
        for indicator, year in KEY_INDICATORS.items():
            sel = runs[runs["indicator"] == indicator]
            if sel.empty:
                continue
            sel = sel[sel["year"] == min(year, end_year)] if year else sel  # a shortened run: its last year
            per_rep[indicator] = sel.groupby(["replicate", "scenario"])["value"].sum().unstack()
        for t in targets.target:
            sel = runs[(runs["indicator"] == t.indicator) & (runs["year"] == t.year)]
            if sel.empty:
                continue
            met = sel.assign(value=t.met(sel["value"].to_numpy(dtype=float)).astype(float))
            per_rep[f"target:{t.id}"] = met.groupby(["replicate", "scenario"])["value"].sum().unstack()
        for k in doses:
            name = named[k]
            for quantity, values in per_rep.items():
                kind = "target_probability" if quantity.startswith("target:") else "indicator"
                value = (probabilities.get((name, quantity.removeprefix("target:")), float("nan"))
                         if kind == "target_probability" else float(values[name].mean()))
                change, low, high = _paired(values, name, zero)
                rows.append((lever, sources[lever], k, quantity.removeprefix("target:"), kind, value,
                             change, low, high, _p_value(values, name, zero, kind),
                             _t_statistic(values, name, named[1.0]) if 1.0 in named else float("nan"), len(values)))
    return pd.DataFrame(rows, columns=COLUMNS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--levers", nargs="*", help="levers to measure (default: all)")
    parser.add_argument("--end-year", type=int, default=2035)
    parser.add_argument("--doses", type=float, nargs="+", default=list(DOSES),
                        help="multiples to run (default 0 0.5 1 2 4; 0 is always included: changes are against it)")
    parser.add_argument("--out", default=str(OUTPUT))
    args = parser.parse_args(argv)
    doses = tuple(sorted({0.0, *args.doses}))
    table = measure(args.levers, args.replicates, args.seed, args.end_year, doses=doses, workers=args.workers)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.6g")
    print(f"wrote {out} ({len(table)} rows); regenerate docs/levers.md with: python docs/make_docs.py")
    top = max(doses)
    print(f"\nTargets moved by a lever at x{top:g} against x0 (exact McNemar, Holm over the targets per lever):")
    print(responsive_targets(table, top).to_string(index=False))
    tech = table[(table["lever"] == "basic_research") & (table["quantity"] == "firm_technology")].set_index("multiple")
    gains = gain_per_100m_yuan(table, "basic_research", "firm_technology")
    if gains:
        print("\nbasic_research, firm_technology 2035: gain over x1 per 亿 of extra spending over the run")
        for k, gain in gains.items():
            print(f"  x{k:g}: {tech.loc[k, 'value']:.4f} (x1 {tech.loc[1.0, 'value']:.4f}, paired t against x1 "
                  f"{tech.loc[k, 't_vs_unit']:.2f}); gain per 亿 {gain:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
