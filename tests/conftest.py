"""Shared fixtures: a synthetic ensemble store (2 scenarios x 20 replicates, 2024-2035), its
evaluated targets, indices and a comparison table; two tiny sweeps of the real model and the emulator
trained on them (weilai emulate train, with an accuracy report); the rule that tests needing Chromium fail in CI
(``CI=true``) instead of skipping; and the chart font, which every installation has (noto-cjk[sans] is a
dependency), so its absence fails the tests that draw Chinese."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import make_ensemble_store, synthetic_comparison, synthetic_indices  # noqa: E402


def require(condition: bool, reason: str) -> None:
    """Skip the test if ``condition`` is false, but fail it in CI, where everything must be present."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ensemble_store(tmp_path_factory):
    """A synthetic ensemble store with indices and a comparison table beside its results."""
    from sim.presentation import charts as C

    path = tmp_path_factory.mktemp("stores") / "ensemble"
    store = make_ensemble_store(path)
    synthetic_indices().to_parquet(path / "indices.parquet")
    table = C.evaluated_targets(store, C.city_totals(store.results()))
    synthetic_comparison(table).to_csv(path.parent / "comparison.csv", index=False)
    return store


@pytest.fixture(scope="session")
def results(ensemble_store):
    return ensemble_store.results()


@pytest.fixture(scope="session")
def targets_table(ensemble_store, results):
    from sim.presentation import charts as C

    return C.evaluated_targets(ensemble_store, C.city_totals(results))


@pytest.fixture(scope="session")
def source(ensemble_store, results):
    from sim.presentation import charts as C

    return C.Provenance.from_store(ensemble_store, results)


@pytest.fixture(scope="session")
def comparison_file(ensemble_store):
    return ensemble_store.path.parent / "comparison.csv"


@pytest.fixture(scope="session")
def cjk_font_available():
    """True once the chart font is found; a missing font is a broken installation, so the test fails."""
    from sim.presentation.fonts import CjkFontMissingError, cjk_font

    try:
        cjk_font()
    except CjkFontMissingError as exc:
        pytest.fail(f"no CJK font for the charts (weilai installs noto-cjk[sans]): {exc.message()}")
    return True


TINY_SWEEP = """
scenario = "baseline"
method = "lhs"
samples = {samples}
replicates = 2
seed = {seed}
targets = true
detail = "city"
factors = ["levers.rd_grants", "levers.guidance_fund", "levers.talent_young", "uncertainties.vc_climate"]
"""


def _sweep(folder: Path, name: str, samples: int, seed: int) -> Path:
    from sim.analysis.sweep import load_sweep, run_sweep

    file = folder / f"{name}.toml"
    file.write_text(TINY_SWEEP.format(samples=samples, seed=seed), encoding="utf-8")
    out = folder / name
    run_sweep(load_sweep(file), out, workers=2, progress=False)
    return out


@pytest.fixture(scope="session")
def stores(tmp_path_factory):
    """Two tiny sweeps of the real model over three levers and one uncertainty: training and reference."""
    folder = tmp_path_factory.mktemp("decision")
    return _sweep(folder, "train", 12, 11), _sweep(folder, "reference", 3, 99)


@pytest.fixture(scope="session")
def emulator_dir(stores, tmp_path_factory):
    """An emulator trained on the tiny sweeps (with accuracy.json from the reference sweep)."""
    from sim.cli import main

    out = tmp_path_factory.mktemp("emulator") / "emu"
    train, reference = stores
    assert main(["emulate", "train", str(train), "--reference", str(reference), "--out", str(out)]) == 0
    return out
