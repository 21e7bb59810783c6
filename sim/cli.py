"""The ``weilai`` command line (also ``python -m sim``).

Each command is a module of :mod:`sim.commands` exposing ``cli_arguments(parser)`` and
``cli_main(args) -> int``; only the chosen command's module is imported. Input problems
(:class:`~sim.core.errors.InputError`) print one line and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sim.core.errors import InputError

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("sim.commands.run", "run a seeded ensemble of a scenario; print the target table"),
    "compare": ("sim.commands.compare", "compare two scenarios with common random numbers"),
    "check": ("sim.commands.check", "validate a scenario file and print its spending plan"),
    "fonts": ("sim.commands.fonts", "print the chart font for Chinese and run the glyph (tofu) check"),
    "sweep": ("sim.commands.sweep", "run (or resume) a sensitivity sweep into a result store"),
    "analyze": ("sim.commands.analyze", "sensitivity indices and target probabilities from a store"),
    "status": ("sim.commands.status", "progress of a result store"),
    "calibrate": ("sim.commands.calibrate", "fit the behavioural parameters to Ningbo's data; write the report"),
    "brief": ("sim.commands.brief", "write the briefing (HTML page, pptx slides or PDF) from result stores"),
    "export": ("sim.commands.export", "write a store's tables to an Excel workbook (Chinese column names)"),
    "value": ("sim.commands.value", "what each 亿元 buys: every lever +10亿 (or +10%) on common random numbers"),
    "emulate": ("sim.commands.emulate", "train an emulator of the targets on sweep stores, or predict with it"),
    "allocate": ("sim.commands.allocate", "best split of a yearly budget across levers, verified on the model"),
    "discover": ("sim.commands.discover", "scenario discovery (PRIM, CART): where a target fails in a sweep"),
}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: a bad option or value is an :class:`InputError` (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(message, allowed=f"see `{self.prog} --help`")


def build_parser(argv: list[str]) -> tuple[argparse.ArgumentParser, dict]:
    parser = _Parser(
        prog="weilai",
        description="Simulate Ningbo's nine future industries under policy levers (2024-2035).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    handlers: dict = {}
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module_name, help_text) in COMMANDS.items():
        # argparse %-formats a help string (not a description): a literal % must be doubled.
        p = sub.add_parser(name, help=help_text.replace("%", "%%"), description=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            module.cli_arguments(p)
            handlers[name] = module.cli_main
    return parser, handlers


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        parser, handlers = build_parser(argv)
        args = parser.parse_args(argv)
        return int(handlers[args.command](args) or 0)
    except InputError as exc:
        print(f"weilai: error: {exc.message()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("weilai: interrupted; finished runs are on disk and the same command resumes",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
