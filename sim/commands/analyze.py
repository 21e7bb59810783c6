"""``weilai analyze``: sensitivity indices and target probabilities from a sweep's store."""

from __future__ import annotations

import argparse

from sim.analysis.sensitivity import analyze_store, format_notes, format_summary
from sim.commands.options import check_analysis_folder
from sim.core.errors import InputError
from sim.engine.store import ResultStore


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai analyze``."""
    parser.add_argument("store", help="a sweep's result store folder")
    parser.add_argument("--outputs", nargs="+", default=None, help="indicators (default: the sweep's)")
    parser.add_argument("--years", nargs="+", type=int, default=None, help="years (default: the sweep's)")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="analysers (default: the sweep's; Latin-hypercube sweeps: rbd_fast delta pawn)")
    parser.add_argument("--allow-partial", action="store_true",
                        help="analyse the complete blocks of an unfinished or partly failed sweep")
    parser.add_argument("--out", default=None, help="folder for indices.parquet etc. (default: the store)")
    parser.add_argument("--top", type=int, default=5, help="factors shown per output")
    parser.add_argument("--keep-unreliable", action="store_true",
                        help="keep indices of nearly constant outputs (left out by default)")


def cli_main(args: argparse.Namespace) -> int:
    """``weilai analyze``: indices and target probabilities from a sweep's store."""
    if args.top < 1:
        raise InputError("value out of range", key="--top", value=args.top, allowed="1 or more")
    store = ResultStore(args.store)
    if not store.manifest_file.exists():
        raise InputError("not a result store (no manifest.json)", file=store.path,
                         allowed="a folder written by weilai sweep")
    if args.out is not None:
        check_analysis_folder(args.out)
    scenario = store.manifest.get("scenario") or {}
    first, last = int(scenario.get("start_year", 2024)), int(scenario.get("end_year", 2035))
    for year in args.years or []:
        if not first <= year <= last:
            raise InputError("year outside the sweep's scenario", key="--years", value=year,
                             allowed=f"{first} to {last}")
    result = analyze_store(store, outputs=args.outputs, years=args.years, methods=args.methods,
                           allow_partial=args.allow_partial, out=args.out, keep_unreliable=args.keep_unreliable)
    print(format_summary(result, top=args.top, notes=False))  # results first, the verdict, then the notes
    from sim.presentation.brief import sweep_problems

    problems = sweep_problems(result.indices, result.convergence, lang="en")
    if problems:
        print("verdict: NOT converged (" + "; ".join(problems) + "): quote no ranking from this sweep without "
              "this caveat; raise the sample size (samples/N) and rerun")
    else:
        print("verdict: converged (indices moved by at most 10% of the top factor between half and full sample; "
              "no index outside its bounds)")
    for line in format_notes(result.coverage.get("notes", [])):
        print(line)
    folder = args.out or store.path
    print(f"written: {folder}/indices.parquet, convergence.parquet, sweep_targets.csv, analysis.json")
    return 0
