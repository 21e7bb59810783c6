"""``weilai fonts``: the font the charts use for Chinese, and the glyph (tofu) check."""

from __future__ import annotations

import argparse
import sys


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai fonts`` (none)."""


def cli_main(args: argparse.Namespace) -> int:  # noqa: ARG001 - the command takes no arguments
    """Print the font the charts use and the result of the tofu check; 1 if no CJK font or tofu."""
    from sim.presentation.fonts import CjkFontMissingError, check_cjk_rendering, cjk_font

    try:
        font = cjk_font()
    except CjkFontMissingError as exc:
        print(f"weilai: {exc.message()}", file=sys.stderr)
        return 1
    print(f"chart font: {font.family} ({font.path}, found via {font.origin})")
    result = check_cjk_rendering()
    print("Chinese glyphs render: " + ("yes" if result.ok else "NO (tofu): " + "; ".join(result.problems)))
    return 0 if result.ok else 1
