"""``weilai compare A B``: two scenarios on common random numbers; prints and writes the comparison."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim.analysis.compare import run_comparison
from sim.commands.options import (
    MAX_REPLICATES,
    MAX_SEED,
    add_execution_arguments,
    check_count,
    check_out_folder,
    execution_options,
    write_charts,
)
from sim.commands.overrides import add_set_argument, apply_sets
from sim.presentation import labels as L
from sim.scenario.loading import load_scenario


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai compare``."""
    parser.add_argument("scenario_a", help="first scenario (file or name)")
    parser.add_argument("scenario_b", help="second scenario, compared with the first")
    parser.add_argument("--replicates", type=int, default=50, help="replicates of each (default 50)")
    parser.add_argument("--seed", type=int, default=2024, help="base seed (default 2024)")
    parser.add_argument("--out", default=None, help="store folder (default results/compare_<A>_<B>)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels of the charts")
    parser.add_argument("--no-charts", action="store_true",
                        help="do not write the comparison chart, target boards and fan charts")
    add_set_argument(parser)
    parser.add_argument("--set-on", choices=("a", "b", "both"), default="b",
                        help="which scenario the --set values change (default b)")
    add_execution_arguments(parser)


def format_comparison_table(table: pd.DataFrame, medians: pd.DataFrame | None, years: tuple[int, int],
                            lang: str = "zh", titles: dict[str, str] | None = None) -> str:
    """The comparison for the terminal: the scenarios with their titles, Chinese target names (as
    ``weilai run``), each scenario's median and probability, the difference in percentage points with
    its interval, and the cost the runs delivered over the period with its yearly average."""
    zh = lang == "zh"
    a, b = str(table["scenario_a"].iloc[0]), str(table["scenario_b"].iloc[0])
    titles = titles or {}
    named = {s: (f"{s}（{titles[s]}）" if zh else f"{s} ({titles[s]})") if titles.get(s) else s for s in (a, b)}
    scenarios = (f"A = {named[a]}\nB = {named[b]}\n" if titles else f"A = {a}   B = {b}   ")
    head = scenarios + ("（同种子配对；差值 = P(B) − P(A)，单位：个百分点，Newcombe 95%区间）" if zh else
                        "(same seeds; difference = P(B) - P(A) in percentage points, Newcombe 95% interval)")
    cols = ("目标", "中位A", "中位B", "P(A)", "P(B)", "B−A", "95%区间") if zh else \
        ("target", "med A", "med B", "P(A)", "P(B)", "B-A", "95% interval")
    lines = [head,
             L.pad_text(cols[0], 40) + "".join(" " * max(1, w - L.text_columns(c)) + c
                                               for c, w in zip(cols[1:], (8, 8, 7, 7, 7, 16), strict=True))]
    lines.append("-" * 90)
    med = {}
    if medians is not None and not medians.empty:
        med = {(r.scenario, r.target): r.median for r in medians.itertuples()}
    for row in table.itertuples():
        name = L.short_target_label(row.indicator, row.year, lang)
        ma, mb = med.get((a, row.target), float("nan")), med.get((b, row.target), float("nan"))
        interval = f"{row.difference_low * 100:+.0f} … {row.difference_high * 100:+.0f}"
        lines.append(f"{L.pad_text(name, 40)}{ma:>8.1f}{mb:>8.1f}{row.probability_a:>7.0%}{row.probability_b:>7.0%}"
                     f"{row.difference * 100:>+7.0f}{interval:>16}")
    cost_a, cost_b = float(table["cost_a_100m_yuan"].iloc[0]), float(table["cost_b_100m_yuan"].iloc[0])
    first, last = years
    if zh:
        lines.append(f"财政投入（模拟中实际支出，各重复平均）A：{L.money_text(cost_a, first, last)}；"
                     f"B：{L.money_text(cost_b, first, last)}；"
                     f"B比A{'多' if cost_b >= cost_a else '少'}：{L.money_text(abs(cost_b - cost_a), first, last)}")
    else:
        lines.append(f"City spending as the runs delivered it (mean over replicates) A: "
                     f"{L.money_text(cost_a, first, last, 'en')}; "
                     f"B: {L.money_text(cost_b, first, last, 'en')}; "
                     f"B - A: {L.money_text(cost_b - cost_a, first, last, 'en')}")
    return "\n".join(lines)


def _medians(store) -> pd.DataFrame:
    """Each scenario's evaluated targets (median per target) from the comparison's store."""
    from sim.analysis.targets import evaluate_targets, load_targets

    if (store.path / "targets.csv").exists():
        return pd.read_csv(store.path / "targets.csv")
    results = store.results(city_only=True)
    city = results[results["direction"] == "all"]
    if "district" in city:
        city = city[city["district"] == "all"]
    return evaluate_targets(city, load_targets())


def cli_main(args: argparse.Namespace) -> int:
    """``weilai compare``: run both scenarios on common seeds, print and write the comparison."""
    check_count(args.replicates, "--replicates", 2, MAX_REPLICATES)
    check_count(args.seed, "--seed", 0, MAX_SEED)
    a, b = load_scenario(args.scenario_a), load_scenario(args.scenario_b)
    if args.set_on in ("a", "both"):
        a = apply_sets(a, args.set)
    if args.set_on in ("b", "both"):
        b = apply_sets(b, args.set)
    out = check_out_folder(args.out if args.out is not None else Path("results") / f"compare_{a.name}_{b.name}")
    store, table = run_comparison(a, b, args.replicates, args.seed, out, **execution_options(args))
    medians = _medians(store)
    titles = {s.name: (s.title_zh if args.lang == "zh" else s.title_en) for s in (a, b)}
    print(format_comparison_table(table, medians, (b.start_year, b.end_year), args.lang, titles))
    print(f"written: {store.path / 'comparison.csv'}")
    print(f"parameters: {store.manifest.get('calibration', 'not recorded')}")
    if not args.no_charts:
        write_charts(store, args.lang)
    return 0
