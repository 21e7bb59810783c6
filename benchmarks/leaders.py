"""Measure who leads: paired runs of two scenarios on common seeds (issue 12, "leaders that can emerge").

Prints, per scenario: each target's probability of being met, the paired difference of chain leaders
and ecosystem enterprises in their target years, the origins of 2035 head enterprises, the
revenue growth of each direction 2024-2035 (median compound rate), and the two stylized facts of
firm productivity (labour-productivity 90/10 ratio, 5-year top-quintile retention of relative
technology; calibration/stylized.py) on the first few replicates.

Usage: python benchmarks/leaders.py [A] [B] [--replicates 40] [--panels 4] [--seed 7]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from agents.firms import ORIGIN_NAMES
from calibration import stylized
from sim.model.indicators import head_mask
from sim.model.model import FutureIndustryModel
from sim.scenario.loading import load_scenario
from sim.core.seeds import replicate_seeds
from sim.analysis.targets import load_targets


def run_one(scenario, seed: int, panel: bool) -> dict:
    model = FutureIndustryModel(scenario, seed)
    frames = []
    while model.running:
        year = model.year
        model.step()
        if panel:
            frames.append(model.firm_snapshot().assign(year=year))
    res = model.results("directions")
    f = model.firms
    rows = f.live()
    heads = rows[head_mask(model, rows)]
    origins = np.bincount(f.origin[heads], minlength=len(ORIGIN_NAMES))
    out = {"results": res, "origins": origins, "heads_from_2024_stock": int(np.sum(f.origin[heads] == 0))}
    if panel:
        p = pd.concat(frames, ignore_index=True)
        stats = stylized.firm_statistics(p, seed=seed % 2**32)
        out["stylized"] = {k: stats[k] for k in ("sf_labour_productivity_90_10", "sf_top_quintile_retention_5y",
                                                   "sf_labour_productivity_90_10_above_size", "sf_relative_tech_90_10", "sf_size_tail_revenue",
                                                   "sf_startup_survival_5y")}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("a", nargs="?", default="zero_policy")
    ap.add_argument("b", nargs="?", default="full_package")
    ap.add_argument("--replicates", type=int, default=40)
    ap.add_argument("--panels", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    targets = load_targets()
    seeds = replicate_seeds(args.seed, args.replicates)
    met, values, origins, growth, styl = {}, {}, {}, {}, {}
    t0 = time.time()
    for name in (args.a, args.b):
        sc = load_scenario(name)
        met[name], values[name], origins[name], growth[name], styl[name] = [], [], [], [], []
        for r, seed in enumerate(seeds):
            out = run_one(sc, int(seed), panel=r < args.panels)
            res = out["results"]
            city = res[res["direction"] == "all"]
            met[name].append({t.id: bool(t.met(city[(city["indicator"] == t.indicator)
                                                     & (city["year"] == t.year)]["value"].to_numpy())[0])
                              for t in targets.target})
            values[name].append({t.id: float(city[(city["indicator"] == t.indicator)
                                                  & (city["year"] == t.year)]["value"].iloc[0])
                                 for t in targets.target})
            origins[name].append(out["origins"])
            rev = res[(res["indicator"] == "revenue_100m_yuan") & (res["direction"] != "all")]
            piv = rev.pivot_table(index="year", columns="direction", values="value")
            growth[name].append((piv.loc[piv.index.max()] / piv.loc[piv.index.min()]) ** (
                1 / (piv.index.max() - piv.index.min())) - 1)
            if "stylized" in out:
                styl[name].append(out["stylized"])
    print(f"runs: {2 * args.replicates} in {time.time() - t0:.0f} s")
    m = {k: pd.DataFrame(v) for k, v in met.items()}
    val = {k: pd.DataFrame(v) for k, v in values.items()}
    a, b = args.a, args.b
    print(f"\n{'target':<28}{'P(' + a[:6] + ')':>10}{'P(' + b[:6] + ')':>10}{'mean A':>9}{'mean B':>9}{'paired dB-A':>12}{'t':>6}")
    for t in targets.target:
        d = val[b][t.id] - val[a][t.id]
        tstat = d.mean() / (d.std(ddof=1) / np.sqrt(len(d))) if d.std() > 0 else float("nan")
        print(f"{t.id:<28}{m[a][t.id].mean():>10.2f}{m[b][t.id].mean():>10.2f}{val[a][t.id].mean():>9.1f}"
              f"{val[b][t.id].mean():>9.1f}{d.mean():>+12.2f}{tstat:>6.1f}")
    for name in (a, b):
        o = np.sum(origins[name], axis=0)
        share = o / max(1, o.sum())
        print(f"\n{name}: 2035 head enterprises by origin: " + ", ".join(
            f"{ORIGIN_NAMES[i]} {share[i]:.2f}" for i in range(len(o))) + f" (mean {o.sum() / args.replicates:.1f})")
        g = pd.DataFrame(growth[name]).median()
        print("  revenue CAGR 2024-2035 (median): " + ", ".join(f"{k} {v:+.3f}" for k, v in g.items()))
        if styl[name]:
            s = pd.DataFrame(styl[name]).median()
            print("  stylized (median of panels): " + ", ".join(f"{k} {v:.2f}" for k, v in s.items()))


if __name__ == "__main__":
    main()
