"""The reference tables in docs/ match the data files they describe."""

import pytest

from sim.core.paths import REPO_ROOT
from sim.inputs.region import load_region
from sim.presentation.docs import GENERATED


@pytest.mark.parametrize("file", sorted(GENERATED))
def test_generated_docs_are_current(file):
    expected = GENERATED[file](load_region("ningbo"))
    assert (REPO_ROOT / "docs" / file).read_text(encoding="utf-8") == expected, \
        f"docs/{file} is out of date: run python docs/make_docs.py"
