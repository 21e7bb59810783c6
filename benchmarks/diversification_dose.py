"""Dose-response of the incumbent-diversification lever (传统优势企业布局未来产业赛道) on common seeds.

Runs the baseline with the lever at 0, 0.5, 1, 2 and 4 times a reference amount (3亿 a year from 2025,
as in the full package) and prints, per dose: manufacturers supported and diversified entrants by
2035, entrants per 亿 of extra money (diminishing returns), and the leader indicators (head
enterprises 2027, ecosystem enterprises 2027 and 2035, chain leaders 2035, 千亿 clusters 2035, city
revenue 2035), each as mean and paired difference from dose 0 with its t statistic.

Usage: python benchmarks/diversification_dose.py [--replicates 20] [--seed 7]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from agents.firms import DIVERSIFIED
from sim.model.model import FutureIndustryModel
from sim.scenario.loading import load_scenario
from sim.core.seeds import replicate_seeds

REFERENCE_100M_YUAN = 3.0
DOSES = (0.0, 0.5, 1.0, 2.0, 4.0)
OUTPUTS = (("head_enterprises", 2027), ("ecosystem_enterprises", 2027), ("ecosystem_enterprises", 2035),
           ("chain_leaders", 2035), ("clusters_100bn", 2035), ("revenue_100m_yuan", 2035))


def run(amount: float, seed: int) -> dict:
    scenario = load_scenario("baseline").with_values({
        "levers.incumbent_diversification.amount_100m_yuan_per_year": amount,
        "levers.incumbent_diversification.start_year": 2025})
    model = FutureIndustryModel(scenario, seed)
    supported = 0.0
    while model.running:
        model.step()
        supported += model.incumbents.supported.sum()
    res = model.results("city")
    out = {f"{name}_{year}": float(res[(res["indicator"] == name) & (res["year"] == year)]["value"].iloc[0])
           for name, year in OUTPUTS}
    f = model.firms
    out["diversified_entrants"] = float(np.sum(f.origin[: f.n] == DIVERSIFIED))
    out["supported"] = supported
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    seeds = replicate_seeds(args.seed, args.replicates)
    table = {dose: pd.DataFrame([run(dose * REFERENCE_100M_YUAN, s) for s in seeds]) for dose in DOSES}
    zero = table[0.0]
    print(f"dose x {REFERENCE_100M_YUAN:g}亿/yr, {args.replicates} paired replicates; mean (paired diff from 0, t)")
    for col in zero.columns:
        cells = []
        for dose in DOSES:
            d = table[dose][col] - zero[col]
            t = d.mean() / (d.std(ddof=1) / np.sqrt(len(d))) if d.std() > 0 else float("nan")
            cells.append(f"{table[dose][col].mean():9.1f} ({d.mean():+.2f}, t {t:4.1f})")
        print(f"{col:<28}" + " | ".join(cells))
    per = [(table[b]["diversified_entrants"] - table[a]["diversified_entrants"]).mean()
           / ((b - a) * REFERENCE_100M_YUAN * 11) for a, b in zip(DOSES[:-1], DOSES[1:])]
    print("extra entrants per 亿 between successive doses: " + ", ".join(f"{x:.2f}" for x in per))


if __name__ == "__main__":
    main()
