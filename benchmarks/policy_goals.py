"""Issue-12 goals measured on a comparison store: do the targets separate zero policy from the full package?

Reads a store written by ``weilai compare A B --replicates N --seed S --out DIR`` (common random numbers)
and prints its comparison table (``sim.analysis.compare.compare_store``, as ``weilai compare`` writes it:
per target the paired exact McNemar test with Holm's correction over the targets), the number of targets
that differ, and paired t statistics of the counts behind chain leaders and ecosystem
enterprises and of ``firm_technology``. A measurement, not a test:

    weilai compare zero_policy full_package --replicates 60 --seed 2024 --out results/goals
    python benchmarks/policy_goals.py results/goals
"""

from __future__ import annotations

import argparse

import numpy as np

from sim.analysis.compare import compare_store
from sim.engine.store import ResultStore
from sim.scenario.schema import validate_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", help="a comparison store (weilai compare ... --out DIR)")
    parser.add_argument("--alpha", type=float, default=0.05)
    args = parser.parse_args()
    store = ResultStore(args.store)
    a, b = (validate_scenario(s) for s in store.manifest["scenarios"].values())
    table = compare_store(store, a, b)  # the table of `weilai compare`: exact McNemar, Holm over the targets
    results = store.results(city_only=True)
    results = results[(results["direction"] == "all") & (results["district"] == "all")]
    n = results["replicate"].nunique()
    print(f"A = {a.name}, B = {b.name}, {n} paired replicates; exact McNemar, Holm over {len(table)} targets")
    shown = table[["target", "probability_a", "probability_b", "difference", "p_value", "p_holm"]]
    print(shown.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    differ = int((table["p_holm"] < args.alpha).sum())
    print(f"targets that differ significantly (Holm, alpha {args.alpha}): {differ} of {len(table)}")
    for indicator, year in (("chain_leaders", 2035), ("ecosystem_enterprises", 2027), ("ecosystem_enterprises", 2035),
                            ("head_enterprises", 2035), ("firm_technology", 2035)):
        at = results[(results["indicator"] == indicator) & (results["year"] == year)]
        wide = at.pivot_table(index="replicate", columns="scenario", values="value").dropna()
        if wide.empty or a.name not in wide or b.name not in wide:
            continue
        d = (wide[b.name] - wide[a.name]).to_numpy()
        t_stat = d.mean() / (d.std(ddof=1) / np.sqrt(len(d))) if d.std(ddof=1) > 0 else float("nan")
        print(f"{indicator} {year}: mean paired difference B - A = {d.mean():+.4g} (t = {t_stat:.2f}, n = {len(d)})")


if __name__ == "__main__":
    main()
