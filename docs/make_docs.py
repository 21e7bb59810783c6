"""Rewrite the generated reference tables in docs/ from the data files.

``docs/parameters.md`` (the parameter space) and ``docs/indicators.md`` (the indicator declarations) of
the default region; ``tests/test_docs.py`` fails when they differ from what the data says.
Usage: ``python docs/make_docs.py``.
"""

from __future__ import annotations

from sim.core.paths import REPO_ROOT
from sim.inputs.region import load_region
from sim.presentation.docs import GENERATED


def main() -> None:
    region = load_region()
    for file, build in GENERATED.items():
        (REPO_ROOT / "docs" / file).write_text(build(region), encoding="utf-8")
        print(f"wrote docs/{file}")


if __name__ == "__main__":
    main()
