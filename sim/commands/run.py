"""``weilai run``: a seeded ensemble of a scenario; prints the target table, draws the charts."""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from sim.analysis.ensembles import ensemble_targets, run_adaptive_ensemble, run_ensemble
from sim.commands.options import (
    MAX_REPLICATES,
    MAX_SEED,
    add_execution_arguments,
    check_count,
    check_out_folder,
    execution_options,
    report_failures,
    write_charts,
)
from sim.commands.overrides import add_set_argument, apply_sets
from sim.core.errors import InputError
from sim.engine.design import DETAILS
from sim.presentation import labels as L


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
    parser.add_argument("--targets", default=None, metavar="FILE",
                        help="a targets file for the printed table and targets.csv (default: the region's)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels of the target table and charts")
    parser.add_argument("--no-charts", action="store_true", help="do not write the target board and fan charts")
    add_set_argument(parser)
    add_execution_arguments(parser)




def _runs_done(out: Path) -> int:
    """Runs already in a store folder (0 if there is none yet)."""
    if not (out / "manifest.json").exists():
        return 0
    from sim.engine.store import ResultStore

    try:
        return int(ResultStore(out).status()["runs_done"])
    except Exception:  # noqa: BLE001 - an unreadable store is reported by the run itself
        return 0


def cli_main(args: argparse.Namespace) -> int:
    """``weilai run``: a seeded ensemble; writes the store, prints the target table, draws the charts."""
    from sim.analysis.targets import format_target_table, load_targets
    from sim.inputs.region import load_region
    from sim.scenario.loading import load_scenario

    check_count(args.replicates, "--replicates", 1, MAX_REPLICATES)
    check_count(args.seed, "--seed", 0, MAX_SEED)
    if args.ci_width is not None:
        if not (math.isfinite(args.ci_width) and 0 < args.ci_width < 1):
            raise InputError("the interval width is a probability", key="--ci-width", value=args.ci_width,
                             allowed="a number between 0 and 1, e.g. 0.1")
        check_count(args.batch, "--batch", 1, MAX_REPLICATES)
        check_count(args.max_replicates, "--max-replicates", args.replicates, MAX_REPLICATES)
    targets = load_targets(args.targets)
    scenario = apply_sets(load_scenario(args.scenario), args.set)
    out = check_out_folder(args.out if args.out is not None else Path("results") / scenario.name)
    runs_before = _runs_done(out)
    options = execution_options(args)
    region = load_region(scenario.region)  # the scenario says which region the run uses
    targets = load_targets(region=region)
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
        print(format_target_table(table[table["n_replicates"] > 0], region, lang=args.lang))
        if not args.no_charts:
            write_charts(store, args.lang)
    added = status["runs_done"] - runs_before
    session = (f"{added} new this session, {time.perf_counter() - started:.1f} s" if added > 0 else
               "all already in the store: none run this session")
    print(f"{status['runs_done']} runs in {out} ({session}); targets.csv, spending.parquet, manifest.json written")
    total = float(scenario.plan().total_spending().sum())
    print(("city spending: " + L.money_text(total, scenario.start_year, scenario.end_year, args.lang)))
    print(f"parameters: {store.manifest.get('calibration', 'not recorded')}")
    return report_failures(store)
