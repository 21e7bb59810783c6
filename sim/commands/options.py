"""Command-line options and output shared by ``weilai run``, ``compare`` and ``sweep``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from sim.core.errors import InputError
from sim.engine.runner import load_model
from sim.engine.store import ResultStore


def add_execution_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``weilai run`` and ``weilai sweep``."""
    parser.add_argument("--workers", type=int, default=None,
                        help="local processes (default: all cores; 1 = this process only)")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                             "(default: $WEILAI_SCHEDULER, else local processes)")
    parser.add_argument("--retry-failures", action="store_true",
                        help="rerun only the runs recorded as failed in the store")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--run-timeout", type=float, default=None, metavar="SECONDS",
                        help="a run taking longer is recorded as failed and the batch goes on "
                             "(local processes; default: no limit)")
    parser.add_argument("--model", default=None, metavar="MODULE:FUNCTION",
                        help="advanced: another model function (default sim.model.model:simulate)")


def execution_options(args: argparse.Namespace, config_scheduler: str | None = None) -> dict[str, Any]:
    """Keyword arguments of :func:`run_design` from the shared command-line options."""
    if args.workers is not None and args.workers < 1:
        raise InputError("at least one worker is needed", key="--workers", value=args.workers,
                         allowed="1 or more")
    if args.run_timeout is not None and not args.run_timeout > 0:
        raise InputError("the time limit of a run must be positive", key="--run-timeout", value=args.run_timeout,
                         allowed="seconds > 0")
    scheduler = args.scheduler or config_scheduler or os.environ.get("WEILAI_SCHEDULER") or None
    return {
        "model": load_model(args.model) if args.model else None,
        "workers": args.workers,
        "scheduler": scheduler,
        "retry_failures": args.retry_failures,
        "progress": not args.no_progress,
        "run_timeout": args.run_timeout,
    }




def write_charts(store: ResultStore, lang: str) -> list[Path]:
    """The target board and key fan charts of an ensemble (PNG, SVG, HTML in ``<store>/charts``).

    Chinese labels need a CJK font for PNG and SVG; without one, the message says how to get one and
    the charts are written with English labels instead, so the run still ends with a chart.
    """
    from sim.presentation.charts.export import write_run_charts
    from sim.presentation.fonts import CjkFontMissingError

    try:
        files = write_run_charts(store.path, lang=lang)
    except CjkFontMissingError as exc:
        print(f"weilai: {exc.message()}\nweilai: writing the charts with English labels instead", file=sys.stderr)
        files = write_run_charts(store.path, lang="en")
    pngs = [f for f in files if f.suffix == ".png"]
    print(f"charts: {', '.join(str(f) for f in pngs)} (SVG and HTML beside them)")
    return files



def report_failures(store: ResultStore) -> int:
    """Print the failed runs (if any) and the command's exit status: 0, or 1 if runs failed."""
    done = store.completed()
    failures = [f for f in store.failures() if (f["sample"], f["replicate"]) not in done]
    if not failures:
        return 0
    first = failures[0]
    print(f"weilai: {len(failures)} runs FAILED; the first (sample {first['sample']}, replicate "
          f"{first['replicate']}, seed {first['seed']}): {first['error'].splitlines()[0][:200]}\n"
          f"  records in {store.path / 'failures'}; rerun only them with the same command and "
          "--retry-failures", file=sys.stderr)
    return 1
