"""``weilai compare A B``: two scenarios on common random numbers; prints and writes the comparison."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.compare import format_comparison, run_comparison
from sim.commands.options import (
    add_execution_arguments,
    execution_options,
    write_charts,
)
from sim.core.errors import InputError
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
    add_execution_arguments(parser)


def cli_main(args: argparse.Namespace) -> int:
    """``weilai compare``: run both scenarios on common seeds, print and write the comparison."""
    if args.replicates < 2:
        raise InputError("a comparison needs at least two replicates", key="--replicates",
                         value=args.replicates, allowed="2 or more")
    if args.seed < 0:
        raise InputError("the seed must not be negative", key="--seed", value=args.seed, allowed="0 or more")
    a, b = load_scenario(args.scenario_a), load_scenario(args.scenario_b)
    out = Path(args.out) if args.out else Path("results") / f"compare_{a.name}_{b.name}"
    store, table = run_comparison(a, b, args.replicates, args.seed, out, **execution_options(args))
    print(format_comparison(table))
    print(f"written: {store.path / 'comparison.csv'}")
    print(f"parameters: {store.manifest.get('calibration', 'not recorded')}")
    if not args.no_charts:
        write_charts(store, args.lang)
    return 0
