"""``weilai brief``: write the one-page briefing (HTML) from result stores."""

from __future__ import annotations

import argparse

from sim.presentation.brief import write_brief


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai brief``."""
    parser.add_argument("stores", nargs="+", metavar="STORE",
                        help="result-store folders (ensemble, sweep with indices) or comparison tables (.csv/.parquet)")
    parser.add_argument("--out", default="brief.html", help="the HTML file to write (default: brief.html)")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the page (default zh)")
    parser.add_argument("--title", default=None, help="page title (default: a generic briefing title)")


def cli_main(args: argparse.Namespace) -> int:
    """``weilai brief``: write the briefing page and say where it is."""
    out = write_brief(args.stores, args.out, args.lang, args.title)
    size = out.stat().st_size / 1e6
    print(f"wrote {out} ({size:.1f} MB, self-contained; open it in any browser, no network needed)")
    return 0
