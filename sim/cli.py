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
    "sweep": ("sim.commands.sweep", "run (or resume) a sensitivity sweep into a result store"),
    "analyze": ("sim.commands.analyze", "sensitivity indices and target probabilities from a store"),
    "status": ("sim.commands.status", "progress of a result store"),
    "calibrate": ("sim.commands.calibrate", "fit the behavioural parameters to Ningbo's data; write the report"),
    "brief": ("sim.commands.brief", "write the one-page briefing (HTML) from result stores"),
}



def build_parser(argv: list[str]) -> tuple[argparse.ArgumentParser, dict]:
    parser = argparse.ArgumentParser(
        prog="weilai",
        description="Simulate Ningbo's nine future industries under policy levers (2024-2035).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    handlers: dict = {}
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
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
