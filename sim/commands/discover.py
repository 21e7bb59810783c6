"""``weilai discover STORE --target ID --out DIR``: where in a sweep a target fails (PRIM, CART);
see :mod:`sim.analysis.decision.discover`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.core.errors import InputError


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai discover``."""
    parser.add_argument("store", help="sweep store (weilai sweep)")
    parser.add_argument("--target", required=True, help="target id (e.g. chain_leaders_2035)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--min-coverage", type=float, default=0.4,
                        help="the chosen PRIM box covers at least this share of the failures (default 0.4)")
    parser.add_argument("--max-factors", type=int, default=3, help="restricted factors at most (default 3)")
    parser.add_argument("--resamples", type=int, default=10, help="PRIM resamples for stability (default 10)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the resampling and the tree")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="chart labels")
    parser.add_argument("--no-chart", action="store_true", help="do not draw the chart")


def cli_main(args: argparse.Namespace) -> int:
    """Find the boxes, write boxes.csv, sentences.txt and the chart."""
    import pandas as pd

    from sim.presentation.charts import Provenance, save_chart
    from sim.presentation.charts.decision import boxes_chart
    from sim.analysis.decision.discover import cart_boxes, prim_boxes, sweep_cases
    from sim.presentation.discovery import with_sentences
    from sim.presentation.labels import target_label
    from sim.engine.store import ResultStore

    if not 0 < args.min_coverage <= 1:
        raise InputError("coverage is a share", key="--min-coverage", value=args.min_coverage, allowed="0 < c <= 1")
    if args.max_factors < 1:
        raise InputError("at least one factor", key="--max-factors", value=args.max_factors, allowed="1 or more")
    if not Path(args.store).is_dir():
        raise InputError("result store not found", file=args.store, allowed="a folder written by weilai sweep")
    store = ResultStore(args.store)
    cases = sweep_cases(store, args.target)
    n_fail = int(cases.failed.sum())
    print(f"{args.target}: {n_fail} of {len(cases.failed)} runs miss the target "
          f"({cases.x.shape[1]} factors, {store.path})")
    prim_table, trajectory, chosen = prim_boxes(cases, args.min_coverage, args.max_factors, args.resamples, args.seed)
    cart_table = cart_boxes(cases, seed=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    boxes = with_sentences(pd.concat([prim_table, cart_table], ignore_index=True), cases)
    boxes.to_csv(out / "boxes.csv", index=False)
    written = [out / "boxes.csv"]
    sentences = list(dict.fromkeys(f"[{m} {b}] {s}" for m, b, s in
                                   zip(boxes["method"], boxes["box"], boxes["sentence_zh"])))
    if not sentences:
        sentences = ["所有情形均达成该目标。" if n_fail == 0 else "所有情形均未达成该目标。" if n_fail == len(cases.failed)
                     else "未找到未达成比例明显高于整体的情形框。"]
    (out / "sentences.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    written.append(out / "sentences.txt")
    for s in sentences[:4]:
        print("  " + s)
    if not prim_table.empty:
        for _, r in prim_table.iterrows():
            print(f"  PRIM: {r['factor']} in [{r['low']:.4g}, {r['high']:.4g}] (range {r['range_low']:.4g}-"
                  f"{r['range_high']:.4g}); found again in {r['reproduce_coverage_pct']:.0f}% of resamples")
        print(f"  PRIM box: coverage {prim_table['coverage'].iloc[0]:.2f}, density {prim_table['density'].iloc[0]:.2f}")
    if not args.no_chart and not trajectory.empty:
        from sim.presentation.fonts import CjkFontMissingError

        t = cases.target
        try:
            label = target_label(t.indicator, t.year, t.comparator, t.threshold, args.lang)
            chart = boxes_chart(trajectory, chosen, label, args.lang, Provenance.from_store(store).footnote(args.lang))
            written += save_chart(chart, out / f"prim_{args.lang}")
        except CjkFontMissingError as exc:
            print(f"weilai: {exc.message()}", file=sys.stderr)
    print("written: " + ", ".join(str(p) for p in written))
    return 0
