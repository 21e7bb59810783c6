"""``weilai calibrate``: fit the behavioural parameters; write the draws and report."""

from __future__ import annotations

import argparse
from pathlib import Path

from calibration.fit import Calibration
from sim.analysis.identification import target_sensitivity
from sim.core.errors import InputError


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai calibrate``."""
    parser.add_argument("--mode", default="full", help="quick (a smoke-sized fit, about a minute) or full "
                        "(the calibration whose draws the project uses; under an hour on 2 cores)")
    parser.add_argument("--out", default=None, help="folder for the state, runs and report "
                        "(default results/calibration/<mode>); the same command resumes an interrupted run")
    parser.add_argument("--seed", type=int, default=2024, help="base seed (default 2024)")
    parser.add_argument("--workers", type=int, default=None, help="processes for model runs (default: the mode's)")
    parser.add_argument("--install", dest="install", action="store_true", default=None,
                        help="copy the draws to calibration/draws.csv and the report to calibration/report/ "
                        "(default in full mode)")
    parser.add_argument("--no-install", dest="install", action="store_false",
                        help="leave calibration/draws.csv and calibration/report/ alone")


def cli_main(args: argparse.Namespace) -> int:
    """``weilai calibrate``: run or resume a calibration; print where the draws and report are."""
    if args.seed < 0:
        raise InputError("the seed must not be negative", key="--seed", value=args.seed, allowed="0 or more")
    if args.workers is not None and args.workers < 1:
        raise InputError("at least one worker is needed", key="--workers", value=args.workers, allowed="1 or more")
    out = Path(args.out) if args.out else Path("results") / "calibration" / args.mode
    install = args.install if args.install is not None else args.mode == "full"
    calibration = Calibration(out=out, mode=args.mode, seed=args.seed, workers=args.workers,
                              identify=target_sensitivity)
    summary = calibration.run(install=install)
    print(f"calibration ({args.mode}) finished: {summary['headline']}")
    print(f"report: {out / 'report' / 'report.md'}; draws: {out / 'draws.csv'}")
    return 0
