"""Sensitivity analysis through the whole pipeline, checked on models whose answers are known.

Sweep spec -> parameter space -> SALib sample -> engine runs (as for the real model) -> store ->
analysis. The Ishigami function must give its analytic Sobol' indices within the tolerances of
SALib's own regression tests (``tests/test_regression.py``: atol 0.05, rtol 0.1); a linear function
gives exact Morris elementary effects and known first-order indices.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pandas as pd
import pytest
from engine_helpers import weilai_in_process
from engine_models import (
    ISHIGAMI_FACTORS,
    LINEAR_COEFFICIENTS,
    LINEAR_FACTORS,
    failing_linear_model,
    ishigami_model,
    linear_model,
    toy_model,
)

from sim.analysis.sensitivity import analyze_store, format_summary
from sim.analysis.sweep import Sweep, SweepSpec, run_sweep
from sim.analysis.targets import load_targets, wilson_interval
from sim.core.errors import InputError

# Analytic Ishigami indices for a = 7, b = 0.1 (Saltelli et al. 2008; Sobol' & Levitan 1999).
A, B = 7.0, 0.1
V = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
V2 = A**2 / 8
V13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
ISHIGAMI_S1 = [V1 / V, V2 / V, 0.0]
ISHIGAMI_ST = [(V1 + V13) / V, V2 / V, V13 / V]
ISHIGAMI_S13 = V13 / V
TOLERANCE = dict(atol=5e-2, rtol=1e-1)


def _spec(**fields) -> SweepSpec:
    base = dict(name="known", scenario="baseline", replicates=1, seed=11, years=[2027], targets=False)
    base.update(fields)
    return SweepSpec(**base)


@pytest.fixture(scope="module")
def ishigami_store(tmp_path_factory):
    sweep = Sweep(_spec(method="sobol", samples=1024, factors=list(ISHIGAMI_FACTORS),
                        outputs=["breakthroughs"], sobol={"second_order": True}))
    return run_sweep(sweep, tmp_path_factory.mktemp("ishigami") / "s", model=ishigami_model, workers=2,
                     progress=False)


def test_analytic_values_are_the_textbook_ones():
    np.testing.assert_allclose(ISHIGAMI_S1, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(ISHIGAMI_ST, [0.5576, 0.4424, 0.2437], atol=1e-4)


@pytest.mark.slow
def test_ishigami_sobol_indices_are_recovered_through_the_runner(ishigami_store):
    result = analyze_store(ishigami_store)
    idx = result.indices.set_index(["index", "factor"])["value"]
    names = list(ISHIGAMI_FACTORS)
    np.testing.assert_allclose([idx[("S1", n)] for n in names], ISHIGAMI_S1, **TOLERANCE)
    np.testing.assert_allclose([idx[("ST", n)] for n in names], ISHIGAMI_ST, **TOLERANCE)
    s2 = [idx[("S2", f"{names[0]}:{names[1]}")], idx[("S2", f"{names[0]}:{names[2]}")],
          idx[("S2", f"{names[1]}:{names[2]}")]]
    np.testing.assert_allclose(s2, [0.0, ISHIGAMI_S13, 0.0], **TOLERANCE)
    confs = result.indices.set_index(["index", "factor"])["conf"]
    assert all(0 < confs[("ST", n)] < 0.15 for n in names)


@pytest.mark.slow
def test_ishigami_indices_on_disk_in_the_long_schema(ishigami_store):
    analyze_store(ishigami_store)
    indices = pd.read_parquet(ishigami_store.path / "indices.parquet")
    assert list(indices.columns) == ["method", "output", "year", "factor", "index", "value", "conf"]
    assert set(indices["method"]) == {"sobol"} and set(indices["output"]) == {"breakthroughs"}
    assert set(indices["index"]) == {"S1", "ST", "S2"}
    assert len(indices) == 3 * 2 + 3


@pytest.mark.slow
def test_convergence_compares_half_and_full_sample(ishigami_store):
    result = analyze_store(ishigami_store, write=False)
    conv = result.convergence
    assert (conv["n_half"] * 2 == conv["n_full"]).all() and conv["n_full"].iloc[0] == 1024 * 8
    st = conv[conv["index"] == "ST"]
    assert st["change"].max() < 0.15  # the estimate has settled at this size
    np.testing.assert_allclose(st["change"], (st["value_full"] - st["value_half"]).abs())
    assert "convergence (sobol ST" in format_summary(result)


@pytest.mark.slow
def test_common_random_numbers_cancel_replicate_noise_exactly(tmp_path):
    # The noise of replicate r is the same at every point (its seed is), so the replicate mean is
    # f(x) + constant and the indices equal the noiseless ones. Without common random numbers the
    # noise (variance 36/3 = 12, about the Ishigami variance of 13.8) would halve them.
    common = dict(method="sobol", samples=256, factors=list(ISHIGAMI_FACTORS), outputs=["breakthroughs"])
    clean = run_sweep(Sweep(_spec(**common)), tmp_path / "clean", model=ishigami_model, workers=1,
                      progress=False)
    noisy = run_sweep(Sweep(_spec(replicates=3, **common)), tmp_path / "noisy",
                      model=partial(ishigami_model, noise=6.0), workers=2, progress=False)
    per_replicate = noisy.results().groupby("replicate")["seed"].nunique()
    assert (per_replicate == 1).all() and len(per_replicate) == 3
    a = analyze_store(clean, write=False).indices
    b = analyze_store(noisy, write=False).indices
    np.testing.assert_allclose(b["value"], a["value"], atol=1e-9)
    spread = noisy.results().groupby("sample")["value"].std()
    assert spread.min() > 1.0  # the replicates really are noisy


def test_morris_on_a_linear_function_gives_exact_elementary_effects(tmp_path):
    sweep = Sweep(_spec(method="morris", samples=20, factors=list(LINEAR_FACTORS), outputs=["standards"]))
    store = run_sweep(sweep, tmp_path / "s", model=linear_model, workers=1, progress=False)
    idx = analyze_store(store).indices.set_index(["index", "factor"])["value"]
    for name, a in zip(LINEAR_FACTORS, LINEAR_COEFFICIENTS):
        assert idx[("mu_star", name)] == pytest.approx(abs(a), abs=1e-9)
        assert idx[("mu", name)] == pytest.approx(a, abs=1e-9)
        assert idx[("sigma", name)] == pytest.approx(0.0, abs=1e-9)


@pytest.fixture(scope="module")
def linear_latin_store(tmp_path_factory):
    sweep = Sweep(_spec(method="rbd_fast", samples=1000, factors=list(LINEAR_FACTORS), outputs=["standards"]))
    return run_sweep(sweep, tmp_path_factory.mktemp("lin") / "s", model=linear_model, workers=1, progress=False)


def test_rbd_fast_recovers_first_order_indices_of_a_linear_function(linear_latin_store):
    idx = analyze_store(linear_latin_store, write=False).indices.set_index(["index", "factor"])["value"]
    a2 = np.square(LINEAR_COEFFICIENTS)
    np.testing.assert_allclose([idx[("S1", n)] for n in LINEAR_FACTORS], a2 / a2.sum(), **TOLERANCE)


@pytest.mark.slow
def test_delta_and_pawn_rank_the_factors_of_a_linear_function(linear_latin_store):
    result = analyze_store(linear_latin_store, methods=["delta", "pawn"], write=False)
    for method, index in (("delta", "delta"), ("pawn", "median")):
        frame = result.indices[(result.indices["method"] == method) & (result.indices["index"] == index)]
        ranked = list(frame.sort_values("value", ascending=False)["factor"])
        assert ranked == [LINEAR_FACTORS[i] for i in np.argsort(-np.abs(LINEAR_COEFFICIENTS), kind="stable")]


def test_target_probability_is_an_output_and_is_reported_over_the_space(tmp_path):
    sweep = Sweep(_spec(method="morris", samples=6, replicates=3, targets=True, years=[2027, 2035],
                        factors=["levers.rd_grants", "parameters.startup_rate"], outputs=["chain_leaders"]))
    store = run_sweep(sweep, tmp_path / "s", model=toy_model, workers=1, progress=False)
    result = analyze_store(store)
    outputs = set(result.indices["output"])
    assert "P(head_enterprises_2027)" in outputs and "chain_leaders" in outputs
    # Overall probability recomputed by plain SQL from the stored rows.
    target = next(t for t in load_targets().target if t.id == "head_enterprises_2027")
    hits, n = store.sql(f"SELECT sum(CASE WHEN value >= {target.threshold} THEN 1 ELSE 0 END), count(*) "
                        "FROM results WHERE indicator = 'head_enterprises' AND year = 2027 "
                        "AND direction = 'all'").fetchone()
    row = result.targets.set_index("target").loc["head_enterprises_2027"]
    assert row["runs"] == n == sweep.n_runs
    assert row["probability"] == pytest.approx(hits / n)
    assert (row["probability_low"], row["probability_high"]) == pytest.approx(wilson_interval(int(hits), n))
    assert pd.read_csv(store.path / "sweep_targets.csv")["target"].tolist() == list(result.targets["target"])


def test_a_partial_store_is_refused_unless_asked_and_then_uses_whole_blocks(tmp_path):
    sweep = Sweep(_spec(method="morris", samples=30, factors=list(LINEAR_FACTORS), outputs=["standards"]))
    store = run_sweep(sweep, tmp_path / "s", model=failing_linear_model, workers=1, progress=False)
    failed_samples = {f["sample"] for f in store.failures()}
    assert failed_samples
    with pytest.raises(InputError, match="--allow-partial"):
        analyze_store(store)
    result = analyze_store(store, allow_partial=True, write=False)
    blocks = sweep.block_size
    bad_blocks = {s // blocks for s in failed_samples}
    assert result.coverage["blocks_complete"] == 30 - len(bad_blocks)
    idx = result.indices.set_index(["index", "factor"])["value"]
    for name, a in zip(LINEAR_FACTORS, LINEAR_COEFFICIENTS):  # still exact on the complete trajectories
        assert idx[("mu_star", name)] == pytest.approx(abs(a), abs=1e-9)


def test_analyze_command_refuses_an_ensemble_store_without_a_traceback(tmp_path, capsys):
    from sim.analysis.ensembles import run_ensemble
    from sim.scenario.loading import load_scenario

    run_ensemble(load_scenario("baseline"), 2, 1, tmp_path / "e", model=toy_model, workers=1, progress=False)
    proc = weilai_in_process(capsys, "analyze", str(tmp_path / "e"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "not a sweep's store" in proc.stderr and "weilai sweep" in proc.stderr


def test_nearly_constant_outputs_are_left_out_unless_asked(tmp_path):
    from engine_models import rare_step_model

    sweep = Sweep(_spec(method="rbd_fast", samples=200, factors=list(LINEAR_FACTORS),
                        outputs=["standards", "breakthroughs"]))
    store = run_sweep(sweep, tmp_path / "s", model=rare_step_model, workers=1, progress=False)
    steps = store.results(indicators=["standards"])["value"]
    assert 0 < steps.sum() <= 0.05 * len(steps)  # nearly constant, not constant
    default = analyze_store(store, write=False)
    kept = analyze_store(store, write=False, keep_unreliable=True)
    [note] = [n for n in default.coverage["notes"] if "left out" in n]
    assert "standards 2027" in note and "nearly constant" in note
    assert set(default.indices["output"]) == {"breakthroughs"}
    assert set(kept.indices["output"]) == {"breakthroughs", "standards"}


def test_notes_are_grouped_by_message_and_said_once():
    from sim.analysis.sensitivity import group_notes

    notes = ["sobol standards 2027: output constant over the sample",
             "sobol standards 2035: output constant over the sample",
             "sobol P(clusters_2027) 2027: output constant over the sample",
             "sobol standards 2027: output constant over the sample",
             "morris standards 2027: output constant over the sample",
             "partial: 2 incomplete blocks left out", "partial: 2 incomplete blocks left out"]
    assert group_notes(notes) == [
        "sobol output constant over the sample (3): standards 2027, 2035; P(clusters_2027) 2027",
        "morris output constant over the sample (1): standards 2027",
        "partial: 2 incomplete blocks left out"]


def test_sweep_problems_name_wide_bootstrap_intervals():
    from sim.presentation.brief import sweep_problems

    def indices(conf: float) -> pd.DataFrame:
        rows = [("sobol", "standards", 2027, f, i, v, conf if i == "ST" else 0.01)
                for f, v in (("a", 0.6), ("b", 0.3)) for i in ("S1", "ST")]
        return pd.DataFrame(rows, columns=["method", "output", "year", "factor", "index", "value", "conf"])

    converged = pd.DataFrame({"relative_change": [0.01]})
    assert sweep_problems(indices(0.05), converged, lang="en") == []
    problems = sweep_problems(indices(0.4), converged, lang="en")
    assert problems == ["the leading factor's bootstrap interval is wider than half its index for 1 of 1 outputs"]
    assert "置信区间" in sweep_problems(indices(0.4), converged)[0]


def test_analyze_prints_results_then_one_verdict_line_then_grouped_notes(tmp_path, capsys):
    sweep = Sweep(_spec(method="sobol", samples=16, factors=list(ISHIGAMI_FACTORS),
                        outputs=["breakthroughs", "standards"]))
    run_sweep(sweep, tmp_path / "s", model=ishigami_model, workers=1, progress=False)
    proc = weilai_in_process(capsys, "analyze", str(tmp_path / "s"))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    verdicts = [i for i, line in enumerate(lines) if line.startswith("verdict:")]
    assert len(verdicts) == 1 and lines[verdicts[0]].startswith("verdict: NOT converged (")
    first_result = next(i for i, line in enumerate(lines) if line.startswith("sobol ST breakthroughs"))
    notes = next(i for i, line in enumerate(lines) if line.startswith("notes ("))
    assert first_result < verdicts[0] < notes
    assert not any("note:" in line for line in lines[:verdicts[0]])
    assert "standards 2027: no rows stored" in "\n".join(lines[notes:])
