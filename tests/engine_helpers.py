"""Helpers shared by the experiment-engine tests (imported by them; not a conftest, on purpose)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent


def baseline():
    """The baseline scenario."""
    from sim.scenario.loading import load_scenario

    return load_scenario("baseline")


def weilai_in_process(capsys, *args: str) -> subprocess.CompletedProcess:
    """Run the ``weilai`` command in this process (``sim.cli.main``) and capture what it prints.

    For the command-line bad-input tests: the same exit status and messages as the installed command,
    without starting a Python process per test. ``capsys`` is pytest's fixture.
    """
    from sim.cli import main

    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    printed = capsys.readouterr()
    return subprocess.CompletedProcess(["weilai", *args], code, printed.out, printed.err)


def run_weilai(*args: str, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run the ``weilai`` command in a subprocess (test helper models importable via PYTHONPATH)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("WEILAI_SCHEDULER", None)
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=cwd or REPO_ROOT, env=env, timeout=timeout)
