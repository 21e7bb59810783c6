"""``weilai run``: a seeded ensemble of a scenario; prints the target table, draws the charts."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.analysis.ensembles import ensemble_targets, run_adaptive_ensemble, run_ensemble
from sim.commands.options import (
    add_execution_arguments,
    execution_options,
    report_failures,
    write_charts,
)
from sim.core.errors import InputError
from sim.engine.design import DETAILS


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai run``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    parser.add_argument("--replicates", type=int, default=50,
                        help="replicates (default 50; with --ci-width: the first batch)")
    parser.add_argument("--seed", type=int, default=2024, help="base seed (default 2024)")
    parser.add_argument("--out", default=None, help="result store folder (default results/<scenario>)")
    parser.add_argument("--detail", choices=DETAILS, default="full",
                        help="rows kept per run: full, directions (no districts), city (totals only)")
    parser.add_argument("--ci-width", type=float, default=None,
                        help="adaptive: add replicates until every target probability's 95%% interval "
                             "is at most this wide (e.g. 0.1)")
    parser.add_argument("--batch", type=int, default=20, help="adaptive: replicates added per step")
    parser.add_argument("--max-replicates", type=int, default=1000, help="adaptive: cap on replicates")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels of the target table and charts")
    parser.add_argument("--no-charts", action="store_true", help="do not write the target board and fan charts")
    add_execution_arguments(parser)




def cli_main(args: argparse.Namespace) -> int:
    """``weilai run``: a seeded ensemble; writes the store, prints the target table, draws the charts."""
    from sim.analysis.targets import format_target_table, load_targets
    from sim.scenario.loading import load_scenario

    if args.replicates < 1:
        raise InputError("at least one replicate is needed", key="--replicates", value=args.replicates,
                         allowed="1 or more")
    if args.seed < 0:
        raise InputError("the seed must not be negative", key="--seed", value=args.seed, allowed="0 or more")
    scenario = load_scenario(args.scenario)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    options = execution_options(args)
    targets = load_targets()
    started = time.perf_counter()
    if args.ci_width is not None:
        store = run_adaptive_ensemble(scenario, args.seed, out, ci_width=args.ci_width,
                                      initial=args.replicates, batch=args.batch,
                                      max_replicates=args.max_replicates, targets=targets,
                                      detail=args.detail, **options)
        adaptive = store.manifest["adaptive"]
        n = adaptive["replicates"]
        print(f"adaptive: stopped at {n} replicates: {adaptive['stopped_because']}")
    else:
        n = args.replicates
        store = run_ensemble(scenario, n, args.seed, out, detail=args.detail, targets=targets, **options)
    status = store.status()
    if status["runs_done"]:
        table = ensemble_targets(store, n, targets)
        print(format_target_table(table[table["n_replicates"] > 0], lang=args.lang))
        if not args.no_charts:
            write_charts(store, args.lang)
    print(f"{status['runs_done']} runs in {out} ({time.perf_counter() - started:.1f} s this session); "
          "targets.csv, spending.parquet, manifest.json written")
    print(f"parameters: {store.manifest.get('calibration', 'not recorded')}")
    return report_failures(store)
