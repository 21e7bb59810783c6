"""``weilai status``: progress of a result store."""

from __future__ import annotations

import argparse

from sim.core.errors import InputError
from sim.engine.store import ResultStore, format_status


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai status``."""
    parser.add_argument("store", help="result store folder (the --out of run or sweep)")
    parser.add_argument("--repair", action="store_true",
                        help="set damaged parts (empty, truncated) and duplicate parts aside in damaged/; "
                             "the same run or sweep command then reruns their runs")


def cli_main(args: argparse.Namespace) -> int:
    """``weilai status``: print the progress of a result store."""
    store = ResultStore(args.store)
    if not store.manifest_file.exists():
        raise InputError("not a result store (no manifest.json)", file=store.path,
                         allowed="a folder written by weilai run or weilai sweep")
    if args.repair:
        from sim.engine.repair import repair_store

        moved = repair_store(store)
        print(f"set aside in {store.path / 'damaged'}: {', '.join(p.name for p in moved)}" if moved
              else "nothing to repair: every part is readable and no run is stored twice")
    status = store.status()
    duplicates = store.duplicate_runs()
    if duplicates:
        print(f"note: {duplicates} runs are stored in two parts (a copied part?): each is counted once; "
              f"weilai status --repair {store.path} sets the copies aside")
    done = store.completed()
    failures = [f for f in store.failures() if (f["sample"], f["replicate"]) not in done]
    print(format_status(status, failures))
    return 0
