"""``weilai status``: progress of a result store."""

from __future__ import annotations

import argparse

from sim.core.errors import InputError
from sim.engine.store import ResultStore, format_status


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai status``."""
    parser.add_argument("store", help="result store folder (the --out of run or sweep)")


def cli_main(args: argparse.Namespace) -> int:
    """``weilai status``: print the progress of a result store."""
    store = ResultStore(args.store)
    if not store.manifest_file.exists():
        raise InputError("not a result store (no manifest.json)", file=store.path,
                         allowed="a folder written by weilai run or weilai sweep")
    status = store.status()
    done = store.completed()
    failures = [f for f in store.failures() if (f["sample"], f["replicate"]) not in done]
    print(format_status(status, failures))
    return 0
