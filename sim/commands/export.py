"""``weilai export STORE --xlsx FILE``: a store's tables as an Excel workbook with Chinese column names."""

from __future__ import annotations

import argparse


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai export``."""
    parser.add_argument("store", metavar="STORE", help="result-store folder (ensemble or compare store)")
    parser.add_argument("--xlsx", required=True, metavar="FILE", help="the workbook to write (.xlsx)")


def cli_main(args: argparse.Namespace) -> int:
    """``weilai export``: write the workbook and list its sheets."""
    from sim.core.errors import InputError
    from sim.presentation.exports import store_tables, write_xlsx

    if not str(args.xlsx).lower().endswith(".xlsx"):
        raise InputError("the workbook must be an .xlsx file", key="--xlsx",
                         value=args.xlsx, allowed="a path ending in .xlsx")
    sheets = store_tables(args.store)
    out = write_xlsx(sheets, args.xlsx)
    print(f"wrote {out}: " + ", ".join(f"{name} ({len(frame)} rows)" for name, frame in sheets.items()))
    return 0
