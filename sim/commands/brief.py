"""``weilai brief``: write the briefing (HTML page, 16:9 slides or PDF) from result stores."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sim.commands.options import check_out_file
from sim.presentation.brief import write_brief

FORMATS = ("html", "pptx", "pdf")


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai brief``."""
    parser.add_argument("stores", nargs="+", metavar="STORE",
                        help="result-store folders (ensemble, compare, sweep with indices) "
                        "or comparison tables (.csv/.parquet)")
    parser.add_argument("--out", default=None, help="the file to write (default: brief.<format>)")
    parser.add_argument("--format", choices=FORMATS, default="html",
                        help="html: one offline page (default); pptx: 16:9 slides; pdf: the page printed by Chromium "
                        "(slides and PDF have no what-if panel)")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the page (default zh)")
    parser.add_argument("--title", default=None, help="page title (default: a generic briefing title)")
    parser.add_argument("--value", default=None, metavar="VALUE_CSV",
                        help="value.csv of weilai value: the first screen then says what each 亿元 buys")
    parser.add_argument("--emulator", default=None, metavar="DIR",
                        help="emulator of the page's what-if panel (default: the shipped one, "
                        "sim/data/<region>/emulator); one that does not match the current model gives a note instead")
    parser.add_argument("--no-whatif", action="store_true", help="leave the what-if panel out of the page")


def cli_main(args: argparse.Namespace) -> int:
    """``weilai brief``: write the briefing, printing progress, and say where it is."""
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:5.1f} s] {message}", flush=True)  # stdout: stderr is for errors

    check_out_file(args.out or f"brief.{args.format}")
    out = Path(args.out or f"brief.{args.format}")
    if args.format == "pptx":
        from sim.presentation.brief import load_inputs
        from sim.presentation.exports import brief_pptx
        from sim.presentation.first_screen import read_value

        progress("reading " + ", ".join(args.stores))
        inputs = load_inputs(args.stores)
        value = read_value(args.value) if args.value else None
        brief_pptx(inputs, out, args.lang, args.title, value, progress=progress)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, 16:9 slides)")
        return 0
    if args.format == "pdf":
        from sim.presentation.exports import html_to_pdf

        with tempfile.TemporaryDirectory() as tmp:
            page = write_brief(args.stores, Path(tmp) / "brief.html", args.lang, args.title, value=args.value,
                               progress=progress)
            progress("printing with Chromium")
            html_to_pdf(page, out)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, PDF)")
        return 0
    whatif = None
    if not args.no_whatif:
        from sim.presentation.whatif import load_whatif

        progress("checking the emulator of the what-if panel against the current model")
        whatif = load_whatif(args.emulator)
        print(whatif.status_line(), flush=True)
    out = write_brief(args.stores, out, args.lang, args.title, value=args.value, progress=progress, whatif=whatif)
    size = out.stat().st_size / 1e6
    print(f"wrote {out} ({size:.1f} MB, self-contained; open it in any browser, no network needed)")
    return 0
