"""The calibration notebook runs top to bottom at small size (a quick calibration it runs itself)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from sim.paths import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "04_calibration_report.ipynb"


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    assert 'SIZE = "committed"' in nb.cells[0].source  # the size parameter is the first cell


@pytest.mark.slow
def test_notebook_runs_at_small_size(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace('SIZE = "committed"', 'SIZE = "quick"')
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "observations inside the 90% band" in text
