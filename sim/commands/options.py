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
    parser.add_argument("--tls-ca-file", default=None, metavar="FILE",
                        help="TLS: the certificate authority of a tls:// scheduler (default: Dask's configuration)")
    parser.add_argument("--tls-cert", default=None, metavar="FILE", help="TLS: this client's certificate")
    parser.add_argument("--tls-key", default=None, metavar="FILE", help="TLS: this client's private key")
    parser.add_argument("--model", default=None, metavar="MODULE:FUNCTION",
                        help="advanced: another model function (default sim.model.model:simulate)")


MAX_REPLICATES = 100_000  # a stated bound: seeds and run keys are held in memory (a few MB at this size)
MAX_SEED = 2**62
MAX_WORKERS = 4096
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")


def check_count(value: int, flag: str, low: int, high: int) -> None:
    """Refuse a whole-number option outside ``low..high``."""
    if not low <= value <= high:
        raise InputError("value out of range", key=flag, value=value, allowed=f"{low} or more (at most {high:,})")


def check_out_folder(out: str | Path, flag: str = "--out", any_folder: bool = False, shown: str | None = None
                     ) -> Path:
    """Refuse an output folder the tool must not write: a file, a path under a file, a system folder,
    a folder that cannot be written, or an existing non-empty folder that is not a store of this tool
    (its files are never overwritten; ``any_folder``: any folder will do). Nothing is created here.
    """
    path = Path(out)
    out = shown if shown is not None else out  # the value as the user typed it, for the messages
    resolved = path.expanduser().absolute()
    text = str(resolved)
    if any(text == root or text.startswith(root + "/") for root in SYSTEM_FOLDERS):
        raise InputError("not a place for results", key=flag, value=str(out), allowed="a folder of your own")
    if path.exists() and not path.is_dir():
        raise InputError("this is a file, not a folder", key=flag, value=str(out),
                         allowed="a new folder, or a result store of weilai")
    for parent in resolved.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError("a file is in the way", key=flag, value=str(out),
                                 allowed=f"a folder not under the file {parent}")
            if not os.access(parent, os.W_OK | os.X_OK) and not path.exists():
                raise InputError("cannot write here", key=flag, value=str(out),
                                 allowed=f"a folder under one you may write ({parent} is not)")
            break
    if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
        raise InputError("cannot write here", key=flag, value=str(out), allowed="a folder you may write")
    if not any_folder and path.is_dir() and any(path.iterdir()) and not (path / "manifest.json").is_file():
        raise InputError("the folder exists and is not a result store of weilai: its files are not overwritten",
                         key=flag, value=str(out), allowed="a new or empty folder, or a store written by weilai")
    return path


def check_analysis_folder(out: str | Path, flag: str = "--out") -> Path:
    """Refuse a folder for analysis files that is a file, under a file or a system folder, or an
    existing folder holding files other than a store's or an earlier analysis's."""
    path = Path(out)
    if path.is_dir() and any(path.iterdir()) and not ((path / "manifest.json").is_file()
                                                     or (path / "analysis.json").is_file()):
        raise InputError("the folder exists and holds other files: they are not overwritten", key=flag,
                         value=str(out), allowed="a new or empty folder, a store, or an earlier analysis folder")
    if path.is_dir():
        return path
    return check_out_folder(out, flag)


def check_out_file(out: str | Path, flag: str = "--out") -> Path:
    """Refuse a file to write that is a folder, under a file, in a system folder or in a folder that
    cannot be written (nothing is created here)."""
    path = Path(out)
    if path.is_dir():
        raise InputError("this is a folder, not a file", key=flag, value=str(out),
                         allowed="a file name, e.g. brief.html")
    check_out_folder(path.parent, flag, any_folder=True, shown=str(out))  # the same rules for its folder
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError("cannot write this file", key=flag, value=str(out), allowed="a file you may write")
    return path


def scheduler_choice(args: argparse.Namespace, file_scheduler: str | None = None,
                     file: str | Path | None = None) -> tuple[str | None, str]:
    """The scheduler to connect to and where its address came from (checked, not yet connected).

    The command line (``--scheduler``) comes first, then ``WEILAI_SCHEDULER``. An address written in a
    sweep file is never used on its own (a Dask scheduler runs pickled code in both directions): it is
    shown, and used only when the same address is given with ``--scheduler``.
    """
    from sim.engine.executors import check_scheduler_address

    if args.scheduler is not None:
        check_scheduler_address(args.scheduler, "--scheduler")
        return args.scheduler, "--scheduler"
    env = os.environ.get("WEILAI_SCHEDULER")
    if env:
        check_scheduler_address(env, "WEILAI_SCHEDULER (environment variable)")
        return env, "WEILAI_SCHEDULER (environment variable)"
    if file_scheduler:
        check_scheduler_address(file_scheduler, "execution.scheduler", file=str(file) if file else None)
        print(f"weilai: the sweep file names the Dask scheduler {file_scheduler}; not connecting to it "
              f"without confirmation: add --scheduler {file_scheduler} to use it. Running locally.",
              file=sys.stderr)
    return None, "--scheduler"


def execution_options(args: argparse.Namespace, config_scheduler: str | None = None,
                      config_file: str | Path | None = None) -> dict[str, Any]:
    """Keyword arguments of :func:`run_design` from the shared command-line options (all checked)."""
    import math

    if args.workers is not None:
        check_count(args.workers, "--workers", 1, MAX_WORKERS)
    if args.run_timeout is not None and not (math.isfinite(args.run_timeout) and args.run_timeout > 0):
        raise InputError("the time limit of a run must be a positive number of seconds", key="--run-timeout",
                         value=args.run_timeout, allowed="seconds > 0, finite")
    scheduler, source = scheduler_choice(args, config_scheduler, config_file)
    security = tls_security(args) if scheduler else None
    return {
        "security": security,
        "scheduler_source": source,
        "model": load_model(args.model) if args.model else None,
        "workers": args.workers,
        "scheduler": scheduler,
        "retry_failures": args.retry_failures,
        "progress": not args.no_progress,
        "run_timeout": args.run_timeout,
    }


def tls_security(args: argparse.Namespace) -> Any:
    """A ``distributed.security.Security`` from ``--tls-*`` (None: Dask's own configuration)."""
    files = {"--tls-ca-file": args.tls_ca_file, "--tls-cert": args.tls_cert, "--tls-key": args.tls_key}
    if not any(files.values()):
        return None
    for flag, value in files.items():
        if value is None:
            raise InputError("TLS needs all three files", key=flag, allowed="--tls-ca-file, --tls-cert and --tls-key")
        if not Path(value).is_file():
            raise InputError("file not found", key=flag, value=value, allowed="a PEM file")
    from distributed.security import Security

    return Security(tls_ca_file=args.tls_ca_file, tls_client_cert=args.tls_cert, tls_client_key=args.tls_key,
                    require_encryption=True)


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
