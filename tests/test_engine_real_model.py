"""The engine with the project's model (``sim.model.model.simulate``, the default), at a tiny size."""

from __future__ import annotations

import pandas as pd
import pytest
from engine_helpers import baseline

from sim.analysis.ensembles import run_ensemble
from sim.analysis.sensitivity import analyze_store
from sim.analysis.sweep import Sweep, SweepSpec, run_sweep

pytestmark = pytest.mark.slow  # long runs of the real model (CI runs them; -m "not slow" skips them)

SCENARIO = baseline()


def test_real_model_ensemble_is_bit_identical_serial_and_parallel(tmp_path):
    serial = run_ensemble(SCENARIO, 3, 2024, tmp_path / "serial", workers=1, progress=False)
    parallel = run_ensemble(SCENARIO, 3, 2024, tmp_path / "parallel", workers=2, progress=False)
    assert serial.manifest["model"] == "sim.model.model:simulate"
    a, b = serial.results(), parallel.results()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert {"all"} < set(a["district"]) and len(set(a["direction"])) == 10  # full detail by default
    table = pd.read_csv(serial.path / "targets.csv")
    assert (table["n_replicates"] == 3).all()


def test_real_model_morris_sweep_gives_indices_per_target(tmp_path):
    sweep = Sweep(SweepSpec(name="tiny", scenario="baseline", method="morris", samples=2, seed=7,
                            factors=["levers.new_platforms", "parameters.standard_rate"],
                            outputs=["innovation_platforms", "standards"], years=[2027]))
    store = run_sweep(sweep, tmp_path / "s", workers=2, progress=False)
    assert store.status()["runs_done"] == sweep.n_runs == 6
    result = analyze_store(store)
    platforms = result.indices[(result.indices["output"] == "innovation_platforms")
                               & (result.indices["index"] == "mu_star")].set_index("factor")["value"]
    assert platforms["levers.new_platforms"] > 0  # new platforms are counted as innovation platforms
    outputs, notes = set(result.indices["output"]), " ".join(result.coverage["notes"])
    for target in ("platforms_2027", "standards_2027"):  # analysed, or noted as constant over the sample
        assert f"P({target})" in outputs or f"P({target}) 2027: output constant" in notes
