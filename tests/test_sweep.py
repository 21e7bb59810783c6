"""Sweep files: validation (like scenarios), SALib designs from the parameter space, the sweep command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_helpers import REPO_ROOT, run_weilai, weilai_in_process
from engine_models import toy_model

from sim.analysis.sweep import Sweep, SweepSpec, load_sweep, run_sweep, sweep_spending
from sim.core.errors import InputError, StoreMismatchError
from sim.core.paths import SCENARIOS_DIR
from sim.engine.store import ResultStore
from sim.inputs.region import load_region

SPACE = load_region("ningbo").space


def _sweep(**fields) -> Sweep:
    base = dict(name="t", scenario="baseline", method="sobol", samples=8, seed=3,
                factors=["parameters.startup_rate", "levers.rd_grants"], outputs=["chain_leaders"],
                years=[2035], targets=False)
    base.update(fields)
    return Sweep(SweepSpec(**base))


@pytest.mark.parametrize("name", sorted(p.stem for p in (SCENARIOS_DIR / "sweeps").glob("*.toml")))
def test_shipped_sweep_files_are_valid(name):
    sweep = load_sweep(name)
    assert sweep.n_runs == len(sweep.unit_samples()) * sweep.spec.replicates
    assert len(sweep.factors) >= 12
    assert set(sweep.spec.years) == {2027, 2035}


def test_the_baseline_sobol_sweep_is_the_size_the_brief_asks_for():
    sweep = load_sweep("baseline_sobol")
    assert sweep.spec.method == "sobol" and sweep.spec.samples == 512
    assert sweep.n_groups >= 12


def test_an_entry_name_selects_all_its_per_direction_factors_and_groups_them():
    sweep = _sweep(factors=["uncertainties.market_growth", "parameters.startup_rate"], group_directions=True)
    directions = load_region("ningbo").directions
    assert [f.name for f in sweep.factors[:-1]] == [f"uncertainties.market_growth.{d}" for d in directions]
    assert sweep.group_of == ["uncertainties.market_growth"] * len(directions) + ["parameters.startup_rate"]
    assert sweep.n_groups == 2
    assert sweep.block_size == 4  # Saltelli without S2: groups + 2
    assert sweep.unit_samples().shape == (8 * 4, len(directions) + 1)


def test_samples_are_mapped_onto_each_factors_range_and_distribution():
    sweep = _sweep(method="rbd_fast", samples=64,
                   factors=["parameters.startup_rate", "parameters.agglomeration_elasticity"])
    table = sweep.samples_table()
    for name, rows in table.groupby("factor"):
        f = SPACE.factor(name)
        assert rows["value"].between(f.low, f.high).all()
        np.testing.assert_allclose(rows["value"], f.from_unit(rows["unit"].to_numpy()))
    startup = table[table["factor"] == "parameters.startup_rate"]
    assert SPACE.factor("parameters.startup_rate").distribution == "loguniform"
    np.testing.assert_allclose(np.log(startup["value"]),
                               np.log(8.0) + startup["unit"] * (np.log(50.0) - np.log(8.0)))
    design = sweep.design()
    assert design.points[5].values["parameters.startup_rate"] == pytest.approx(
        float(startup[startup["sample"] == 5]["value"].iloc[0]))
    assert set(design.points[5].values) == {"parameters.startup_rate", "parameters.agglomeration_elasticity"}


def test_sampling_is_seeded():
    a, b, c = _sweep(seed=3), _sweep(seed=3), _sweep(seed=4)
    np.testing.assert_array_equal(a.unit_samples(), b.unit_samples())
    assert not np.array_equal(a.unit_samples(), c.unit_samples())
    assert a.design().identity("m") == b.design().identity("m")


def test_run_sweep_stores_samples_and_refuses_another_design(tmp_path):
    sweep = _sweep(method="morris", samples=4)
    store = run_sweep(sweep, tmp_path / "s", model=toy_model, workers=1, progress=False)
    samples = store.read_table("samples.parquet")
    assert list(samples.columns) == ["sample", "factor", "unit", "value"]
    assert samples["sample"].nunique() == sweep.n_runs
    assert set(store.results()["indicator"]) == {"chain_leaders"}
    assert store.manifest["block_size"] == 3 and store.manifest["factors"] == [f.name for f in sweep.factors]
    with pytest.raises(StoreMismatchError, match="different design"):
        run_sweep(_sweep(method="morris", samples=6), tmp_path / "s", model=toy_model, workers=1, progress=False)
    spending = sweep_spending(store, samples=[0, 1])
    assert set(spending["sample"]) == {0, 1}
    grants = samples[(samples["factor"] == "levers.rd_grants") & (samples["sample"] == 1)]["value"].iloc[0]
    spent = spending[(spending["sample"] == 1) & (spending["lever"] == "rd_grants")]["value"]
    np.testing.assert_allclose(spent.to_numpy(), grants)  # the lever's amount, every year


BAD_SWEEPS = [
    ("unknown key", 'scenario = "baseline"\nmethod = "sobol"\nsamples = 8\nfactors = ["levers.rd_grants", '
     '"parameters.startup_rate"]\nrepliactes = 2\n', "repliactes", "replicates"),
    ("unknown factor", 'scenario = "baseline"\nmethod = "morris"\nsamples = 8\nfactors = ["levers.rd_grant"]\n',
     "factors.0", "levers.rd_grants"),
    ("unknown method", 'scenario = "baseline"\nmethod = "sobel"\nsamples = 8\nfactors = ["levers.rd_grants"]\n',
     "method", "sobol"),
    ("sobol size", 'scenario = "baseline"\nmethod = "sobol"\nsamples = 500\nfactors = ["levers.rd_grants", '
     '"parameters.startup_rate"]\n', "samples", "512"),
    ("unknown output", 'scenario = "baseline"\nmethod = "morris"\nsamples = 8\nfactors = ["levers.rd_grants"]\n'
     'outputs = ["breakthrus"]\n', "outputs.0", "breakthroughs"),
    ("year outside", 'scenario = "baseline"\nmethod = "morris"\nsamples = 8\nfactors = ["levers.rd_grants"]\n'
     'years = [2040]\n', "years.0", "2024 to 2035"),
    ("bad option", 'scenario = "baseline"\nmethod = "morris"\nsamples = 8\nfactors = ["levers.rd_grants"]\n'
     '[morris]\nnum_levels = 3\n', "morris.num_levels", "2, 4, 6"),
    ("bad type", 'scenario = "baseline"\nmethod = "morris"\nsamples = "many"\nfactors = ["levers.rd_grants"]\n',
     "samples", "whole number"),
    ("missing base", 'scenario = "no_such_scenario"\nmethod = "morris"\nsamples = 8\n'
     'factors = ["levers.rd_grants"]\n', "scenario", "baseline"),
    ("groups with rbd", 'scenario = "baseline"\nmethod = "rbd_fast"\nsamples = 8\nfactors = ["levers.rd_grants",'
     ' "levers.angel_fund"]\n[groups]\nmoney = ["levers.rd_grants", "levers.angel_fund"]\n', "groups", "morris"),
    ("group member", 'scenario = "baseline"\nmethod = "sobol"\nsamples = 8\nfactors = ["levers.rd_grants",'
     ' "levers.angel_fund"]\n[groups]\nmoney = ["levers.guidance_fund"]\n', "groups.money.0", "levers.rd_grants"),
    ("one group", 'scenario = "baseline"\nmethod = "sobol"\nsamples = 8\nfactors = ["levers.rd_grants",'
     ' "levers.angel_fund"]\n[groups]\nmoney = ["levers.rd_grants", "levers.angel_fund"]\n', "groups", "two or more"),
    ("toml syntax", 'scenario = "baseline\n', None, None),
]


@pytest.mark.parametrize("case, text, key, allowed", BAD_SWEEPS, ids=[c[0] for c in BAD_SWEEPS])
def test_bad_sweep_files_are_refused_in_python_with_file_key_and_allowed(tmp_path, case, text, key, allowed):
    file = tmp_path / "bad.toml"
    file.write_text(text)
    with pytest.raises(InputError) as info:
        load_sweep(file)
    err = info.value
    assert err.file == str(file)
    if key:
        assert err.key == key and allowed in (err.allowed or "")


@pytest.mark.parametrize("case", ["unknown key", "unknown factor", "sobol size", "bad option"])
def test_bad_sweep_files_exit_2_with_one_line_and_no_traceback(tmp_path, case, capsys):
    _, text, key, allowed = next(c for c in BAD_SWEEPS if c[0] == case)
    file = tmp_path / "bad.toml"
    file.write_text(text)
    proc = weilai_in_process(capsys, "sweep", str(file), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert str(file) in line and f"key '{key}'" in line and allowed in line
    values = {"unknown factor": "(got 'levers.rd_grant')", "sobol size": "(got 500)", "bad option": "(got 3)"}
    assert values.get(case, "") in line
    assert not (tmp_path / "out").exists()


def test_sweep_command_runs_resumes_and_reports(tmp_path):
    file = tmp_path / "tiny.toml"
    file.write_text('scenario = "baseline"\nmethod = "morris"\nsamples = 4\nseed = 5\nreplicates = 2\n'
                    'factors = ["levers.rd_grants", "parameters.startup_rate"]\noutputs = ["chain_leaders"]\n'
                    'years = [2035]\ntargets = false\n')
    out = tmp_path / "out"
    first = run_weilai("sweep", str(file), "--out", str(out), "--model", "engine_models:toy_model",
                       "--workers", "1", "--no-progress")
    assert first.returncode == 0, first.stderr
    assert "24 of 24 runs" in first.stdout
    again = run_weilai("sweep", str(file), "--out", str(out), "--model", "engine_models:toy_model",
                       "--no-progress", "--analyze")
    assert again.returncode == 0, again.stderr
    assert "morris mu_star chain_leaders 2035" in again.stdout
    indices = pd.read_parquet(out / "indices.parquet")
    assert list(indices.columns) == ["method", "output", "year", "factor", "index", "value", "conf"]
    status = run_weilai("status", str(out))
    assert status.returncode == 0 and "24 of 24 done" in status.stdout
    assert (REPO_ROOT / "scenarios" / "sweeps").is_dir()


def test_an_interrupted_sweep_keeps_its_samples_and_finished_runs_and_can_be_analysed(tmp_path):
    from functools import partial

    from engine_models import LINEAR_FACTORS, interrupting_model, linear_model

    from sim.analysis.sensitivity import analyze_store
    from sim.core.seeds import replicate_seeds

    sweep = _sweep(method="morris", samples=10, replicates=2, factors=list(LINEAR_FACTORS),
                   outputs=["standards"], years=[2027])
    seed = replicate_seeds(3, 2)[1]
    # Interrupt at the second replicate of a late point: the serial runner stops there.
    model = partial(interrupting_model, at_seeds={seed})
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, tmp_path / "s", model=model, workers=1, chunk_size=1, progress=False)
    store = ResultStore(tmp_path / "s")
    assert (store.path / "samples.parquet").exists()
    assert store.completed() == {(0, 0)}
    assert store.manifest["sessions"][-1]["interrupted"] is True
    with pytest.raises(InputError, match="no complete block"):
        analyze_store(store, allow_partial=True)
    with pytest.raises(StoreMismatchError, match="model"):  # another model function may not finish it
        run_sweep(sweep, tmp_path / "s", model=linear_model, workers=1, progress=False)
    resumed = run_sweep(sweep, tmp_path / "s", model=interrupting_model, workers=1, progress=False)
    assert resumed.status()["runs_done"] == sweep.n_runs
    assert not analyze_store(resumed).indices.empty
