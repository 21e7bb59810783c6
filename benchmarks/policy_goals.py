"""Issue-12 goals measured on a comparison store: do the targets separate zero policy from the full package?

Reads a store written by ``weilai compare A B --replicates N --seed S --out DIR`` (common random numbers)
and prints, per target, the paired exact McNemar test of "met under B" vs "met under A" with Holm's
correction over the targets, and paired t statistics of the counts behind chain leaders and ecosystem
enterprises and of ``firm_technology``. A measurement, not a test:

    weilai compare zero_policy full_package --replicates 60 --seed 2024 --out results/goals
    python benchmarks/policy_goals.py results/goals
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from sim.analysis.targets import holm_levels, load_targets, mcnemar_p
from sim.engine.store import ResultStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", help="a comparison store (weilai compare ... --out DIR)")
    parser.add_argument("--alpha", type=float, default=0.05)
    args = parser.parse_args()
    store = ResultStore(args.store)
    a, b = store.manifest["scenarios"] if "scenarios" in store.manifest else sorted(
        store.results(city_only=True)["scenario"].unique())
    targets = load_targets()
    results = store.results(city_only=True)
    results = results[(results["direction"] == "all") & (results["district"] == "all")]
    rows = []
    for t in targets.target:
        at = results[(results["indicator"] == t.indicator) & (results["year"] == t.year)]
        wide = at.pivot_table(index="replicate", columns="scenario", values="value").dropna()
        met_a, met_b = t.met(wide[a].to_numpy()), t.met(wide[b].to_numpy())
        gain, loss = int((met_b & ~met_a).sum()), int((met_a & ~met_b).sum())
        p = mcnemar_p(met_a, met_b)
        rows.append({"target": t.id, "P_A": met_a.mean(), "P_B": met_b.mean(), "b_only": gain, "a_only": loss, "p": p})
    table = pd.DataFrame(rows)
    table["p_holm"] = holm_levels(table["p"].to_numpy(dtype=float), args.alpha)[0]
    table["reject_holm"] = table["p_holm"] < args.alpha
    print(f"A = {a}, B = {b}, {len(wide)} paired replicates; exact McNemar, Holm over {len(table)} targets")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    differ = int(table["reject_holm"].sum())
    print(f"targets that differ significantly (Holm, alpha {args.alpha}): {differ} of {len(table)}")
    for indicator, year in (("chain_leaders", 2035), ("ecosystem_enterprises", 2027), ("ecosystem_enterprises", 2035),
                            ("head_enterprises", 2035), ("firm_technology", 2035)):
        at = results[(results["indicator"] == indicator) & (results["year"] == year)]
        wide = at.pivot_table(index="replicate", columns="scenario", values="value").dropna()
        if wide.empty or a not in wide or b not in wide:
            continue
        d = (wide[b] - wide[a]).to_numpy()
        t_stat = d.mean() / (d.std(ddof=1) / np.sqrt(len(d))) if d.std(ddof=1) > 0 else float("nan")
        print(f"{indicator} {year}: mean paired difference B - A = {d.mean():+.4g} (t = {t_stat:.2f}, n = {len(d)})")


if __name__ == "__main__":
    main()
