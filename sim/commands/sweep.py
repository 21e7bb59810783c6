"""``weilai sweep``: validate, run or resume a sensitivity sweep."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.sensitivity import analyze_store, format_summary
from sim.analysis.sweep import load_sweep, run_sweep
from sim.commands.options import (
    add_execution_arguments,
    check_count,
    check_out_folder,
    execution_options,
    report_failures,
)


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai sweep``."""
    parser.add_argument("sweep", help="sweep file, or its name in scenarios/sweeps/")
    parser.add_argument("--out", default=None, help="result store folder (default results/sweeps/<name>)")
    parser.add_argument("--chunk-size", type=int, default=None, help="runs per task (default: automatic)")
    parser.add_argument("--check", action="store_true",
                        help="only validate the file and print the design's size")
    parser.add_argument("--analyze", action="store_true", help="run weilai analyze on the store afterwards")
    add_execution_arguments(parser)


def cli_main(args: argparse.Namespace) -> int:
    """``weilai sweep``: validate, run or resume a sweep; print where the results are."""
    sweep = load_sweep(args.sweep)
    spec = sweep.spec
    print(f"{spec.name}: {spec.method}, {len(sweep.factors)} factors"
          + (f" in {sweep.n_groups} groups" if sweep.group_of else "")
          + f", {spec.samples} samples x {spec.replicates} replicates = {sweep.n_runs} runs; "
          f"base scenario {sweep.scenario.name}; outputs {', '.join(sweep.outputs)}; years "
          f"{', '.join(map(str, spec.years))}")
    if spec.execution.scheduler:
        print(f"the file names the Dask scheduler {spec.execution.scheduler} (execution.scheduler): it is "
              f"used only with --scheduler {spec.execution.scheduler} on the command line")
    if args.check:
        return 0
    if args.chunk_size is not None:
        check_count(args.chunk_size, "--chunk-size", 1, 10_000)
    out = check_out_folder(args.out if args.out is not None else Path("results") / "sweeps" / spec.name)
    options = execution_options(args, config_scheduler=spec.execution.scheduler, config_file=sweep.file)
    if args.workers is None:
        options["workers"] = spec.execution.workers
    store = run_sweep(sweep, out, chunk_size=args.chunk_size or spec.execution.chunk_size, **options)
    status = store.status()
    print(f"{status['runs_done']} of {status['runs_total']} runs in {out}")
    if args.analyze and status["runs_done"]:
        result = analyze_store(store, allow_partial=bool(status["runs_failed"]))
        print(format_summary(result))
    else:
        print(f"next: weilai analyze {out}")
    return report_failures(store)
