"""``weilai analyze``: sensitivity indices and target probabilities from a sweep's store."""

from __future__ import annotations

import argparse

from sim.analysis.sensitivity import analyze_store, format_summary
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
    store = ResultStore(args.store)
    if not store.manifest_file.exists():
        raise InputError("not a result store (no manifest.json)", file=store.path,
                         allowed="a folder written by weilai sweep")
    result = analyze_store(store, outputs=args.outputs, years=args.years, methods=args.methods,
                           allow_partial=args.allow_partial, out=args.out, keep_unreliable=args.keep_unreliable)
    print(format_summary(result, top=args.top))
    folder = args.out or store.path
    print(f"written: {folder}/indices.parquet, convergence.parquet, sweep_targets.csv, analysis.json")
    return 0
