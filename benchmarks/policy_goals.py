"""Issue-12 goals measured on a comparison store: do the targets separate zero policy from the full package?

Reads a store written by ``weilai compare A B --replicates N --seed S --out DIR`` (common random numbers)
and prints its comparison table (``sim.analysis.compare.compare_store``, as ``weilai compare`` writes it:
per target the paired exact McNemar test with Holm's correction over the targets), the number of targets
that differ, and paired t statistics of the counts behind chain leaders and ecosystem
enterprises and of ``firm_technology``. A measurement, not a test:

    weilai compare zero_policy full_package --replicates 60 --seed 2024 --out results/goals
    python benchmarks/policy_goals.py results/goals

With ``--power 60`` on a larger store (e.g. 300 replicates) it also estimates how often a study of 60
paired replicates would find at least 11 targets differing: it resamples 60 replicate pairs with
replacement (2,000 times), applies the same test to each resample, and prints the distribution of the
count and each target's power (a bootstrap of the paired outcomes, so it assumes the store's replicates
represent the model's distribution).
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
    parser.add_argument("--power", type=int, default=None, metavar="N",
                        help="also estimate, by resampling the store's replicate pairs, how many targets a study "
                        "of N paired replicates finds differing")
    parser.add_argument("--resamples", type=int, default=2000)
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
    if args.power:
        power(results, a.name, b.name, args.power, args.resamples, args.alpha)


def power(results, a: str, b: str, n: int, resamples: int, alpha: float, seed: int = 0) -> None:
    """Print the bootstrap distribution of the number of targets that differ in a study of ``n`` pairs."""
    from scipy import stats

    from sim.analysis.targets import load_targets

    targets = load_targets().target
    up, down = [], []  # per target, per replicate: B met and A not, A met and B not
    for t in targets:
        at = results[(results["indicator"] == t.indicator) & (results["year"] == t.year)]
        wide = at.pivot_table(index="replicate", columns="scenario", values="value").dropna()
        met_a, met_b = t.met(wide[a].to_numpy()), t.met(wide[b].to_numpy())
        up.append(met_b & ~met_a)
        down.append(met_a & ~met_b)
    up_arr, down_arr = np.array(up), np.array(down)  # (targets, replicates)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, up_arr.shape[1], size=(resamples, n))
    b_count = up_arr[:, picks].sum(axis=2).T  # (resamples, targets)
    c_count = down_arr[:, picks].sum(axis=2).T
    total = b_count + c_count
    # exact two-sided McNemar: twice the smaller binomial tail at 1/2 (1 when the counts tie or are 0)
    p = np.where(total > 0, np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(b_count, c_count), total, 0.5)), 1.0)
    m = p.shape[1]
    order = np.argsort(p, axis=1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=1) * (m - np.arange(m))
    holm_sorted = np.minimum(1.0, np.maximum.accumulate(ranked, axis=1))
    holm = np.empty_like(holm_sorted)
    np.put_along_axis(holm, order, holm_sorted, axis=1)
    significant = holm < alpha
    counts = significant.sum(axis=1)
    pairs = up_arr.shape[1]
    print(f"\npower of a study of {n} paired replicates ({resamples} resamples of the store's {pairs} pairs):")
    for k in range(counts.min(), counts.max() + 1):
        print(f"  {k} of {m} targets differ: {np.mean(counts == k):.3f}")
    print(f"  mean {counts.mean():.2f}; at least 11: {np.mean(counts >= 11):.3f}")
    for t, share in zip(targets, significant.mean(axis=0)):
        print(f"  {t.id}: significant in {share:.3f} of the resamples")


if __name__ == "__main__":
    main()
