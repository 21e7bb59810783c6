"""``weilai value SCENARIO``: what each 亿元 buys, lever by lever (see :mod:`sim.analysis.decision.value`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.core.errors import InputError
from sim.commands.options import add_execution_arguments, execution_options


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai value``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    parser.add_argument("--replicates", type=int, default=50, help="replicates per variant (default 50)")
    parser.add_argument("--seed", type=int, default=2024, help="base seed (default 2024)")
    parser.add_argument("--out", default=None, help="output folder (default results/value/<scenario>)")
    parser.add_argument("--levers", nargs="+", default=None, metavar="LEVER",
                        help="only these levers (names as in parameter_space.toml, e.g. rd_grants talent_young)")
    parser.add_argument("--extra", type=float, default=10.0,
                        help="extra money per money lever over the whole period, 亿元 (default 10)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="chart labels")
    parser.add_argument("--no-chart", action="store_true", help="do not draw the chart")
    add_execution_arguments(parser)


def cli_main(args: argparse.Namespace) -> int:
    """Run the scenario and one variant per lever on common random numbers; write value.csv and the chart."""
    from sim.presentation.charts import KEY_INDICATORS, save_chart
    from sim.presentation.charts.decision import value_chart
    from sim.analysis.decision.levers import resolve_levers
    from sim.analysis.decision.value import indicator_table, read_city_rows, value_tables, value_variants, write_value
    from sim.engine.runner import run_scenarios
    from sim.scenario.loading import load_scenario
    from sim.analysis.targets import load_targets

    if args.replicates < 2:
        raise InputError("paired intervals need at least two replicates", key="--replicates",
                         value=args.replicates, allowed="2 or more")
    if args.seed < 0:
        raise InputError("the seed must not be negative", key="--seed", value=args.seed, allowed="0 or more")
    if not args.extra > 0:
        raise InputError("the extra amount must be positive", key="--extra", value=args.extra, allowed="亿元 > 0")
    base = load_scenario(args.scenario)
    levers = resolve_levers(args.levers, base.region)
    variants, notes = value_variants(base, levers, extra_money_100m_yuan=args.extra)
    for note in notes:
        print(f"note: {note}")
    if not variants:
        raise InputError("no lever can take the extra amount in this scenario", key="--levers",
                         value=args.levers, allowed="levers that spend more when raised")
    out = Path(args.out) if args.out else Path("results") / "value" / base.name
    targets = load_targets()
    store = run_scenarios([base] + [v.scenario for v in variants], args.replicates, args.seed, out / "runs",
                          detail="city", **execution_options(args))
    indicators = sorted({t.indicator for t in targets.target} | set(KEY_INDICATORS))
    rows = read_city_rows(store, indicators)
    table, lever_table = value_tables(rows, base, variants, targets)
    key = [i for i in KEY_INDICATORS if i in set(rows["indicator"])]
    ind = indicator_table(rows, base, variants, key, sorted({t.year for t in targets.target}))
    written = write_value(out, table, lever_table, ind, notes)
    print(f"{base.name}: {len(variants)} levers x {args.replicates} replicates on common random numbers")
    for _, row in lever_table.iterrows():
        print(f"  {int(row['rank']):>2} {row['lever']:<24} +{row['extra_cost_100m_yuan']:7.1f}亿  "
              f"targets met {row['delta_expected_targets_met']:+.3f} "
              f"[{row['delta_expected_low']:+.3f}, {row['delta_expected_high']:+.3f}]  "
              f"per 亿 {row['expected_targets_met_per_100m_yuan']:+.4f}")
    if not args.no_chart:
        from sim.presentation.fonts import CjkFontMissingError

        try:
            written += save_chart(value_chart(lever_table, table, args.lang, _footnote(store, base, args, "zh")),
                                  out / f"value_{args.lang}")
        except CjkFontMissingError as exc:
            print(f"weilai: {exc.message()}\nweilai: writing the chart with English labels instead", file=sys.stderr)
            written += save_chart(value_chart(lever_table, table, "en", _footnote(store, base, args, "en")),
                                  out / "value_en")
    print("written: " + ", ".join(str(p) for p in written))
    return 0


def _footnote(store, base, args: argparse.Namespace, lang: str) -> str:
    """One short provenance line (the store's own footnote would list every variant)."""
    version = store.manifest.get("code_version", "?")
    calibration = store.manifest.get("calibration", "?")
    if lang == "zh" and args.lang == "zh":
        return (f"数据：weilai 模拟 · {base.name}与各杠杆变体 · 基准种子{args.seed} · 每个情景{args.replicates}次重复 · "
                f"代码 {version} · 参数抽样 {calibration} · {store.path}")
    return (f"Data: weilai simulation · {base.name} and one variant per lever · base seed {args.seed} · "
            f"{args.replicates} replicates each · code {version} · parameter draws {calibration} · {store.path}")
