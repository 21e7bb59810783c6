"""Every notebook runs top to bottom at a small size (WEILAI_NOTEBOOK_SMALL=1) and is stored without outputs;
its markdown cells start with real markdown, and its chart outputs load nothing from a CDN."""

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks_for_every_job():
    names = {p.stem for p in NOTEBOOKS}
    assert {"01_quick_start", "02_compare_scenarios", "03_sensitivity_sweep", "04_calibration_report",
            "05_briefing", "06_decision_support"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: clear outputs before committing"


# A markdown cell starts with a heading, text, a list, a quote, a table, code, an image or HTML; a bare
# token before a heading ("md# Title") shows the heading as plain text.
STRAY_TOKEN = re.compile(r"\A[A-Za-z]{1,4}(?=[#>*`|])")
CDN = re.compile(r"cdn\.jsdelivr|unpkg\.com|cdnjs|https?://[^\"' ]*/(vega|vega-lite|vega-embed)@", re.I)


def stray_token(source: str) -> str | None:
    """The stray token a markdown cell starts with, or None."""
    match = STRAY_TOKEN.match(source)
    return match.group(0) if match else None


def test_stray_token_check_catches_md_before_a_heading():
    assert stray_token("md# Title") == "md" and stray_token("md## 1. x") == "md"
    assert stray_token("# Title") is None and stray_token("Text with a # inside") is None
    assert CDN.search('<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>')
    assert not CDN.search("<svg><text>宁波</text></svg>")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_markdown_cells_start_with_markdown(path):
    book = nbformat.read(path, as_version=4)
    for i, cell in enumerate(book.cells):
        if cell.cell_type == "markdown":
            assert stray_token(cell.source) is None, f"{path.name} cell {i} starts with {stray_token(cell.source)!r}"
    assert any(c.cell_type == "markdown" and c.source.startswith("#") for c in book.cells), "no heading"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    monkeypatch.setenv("WEILAI_NOTEBOOK_SMALL", "1")
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert os.listdir(tmp_path), "the notebook wrote its results into its working folder"
    outputs = json.dumps([o for c in book.cells if c.cell_type == "code" for o in c.outputs], ensure_ascii=False)
    found = CDN.search(outputs)
    assert not found, f"{path.name}: an output loads {found.group(0)} from the network"
