"""The package's layers (docs/ARCHITECTURE.md) hold: the import-linter contracts in pyproject.toml are kept.

Lower layers never import higher ones (lazy, function-level imports included) and no two modules of a
package import each other in a cycle.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept(capsys):
    importlinter_cli = pytest.importorskip("importlinter.cli")
    here = Path.cwd()
    os.chdir(REPO)  # lint-imports reads pyproject.toml from the working directory
    try:
        status = importlinter_cli.lint_imports(no_cache=True)
    finally:
        os.chdir(here)
    report = capsys.readouterr().out
    assert status == 0, report
    assert "2 kept, 0 broken" in report
