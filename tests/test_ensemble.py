"""Ensembles: ``weilai run`` end to end, the adaptive replication stopping rule, Ctrl-C and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial

import pandas as pd
import pytest
from engine_helpers import REPO_ROOT, TESTS_DIR, baseline, run_weilai, weilai_in_process
from engine_models import bernoulli_model, slow_toy_model, toy_model

from sim.analysis.ensembles import run_adaptive_ensemble, run_ensemble
from sim.analysis.targets import Targets, wilson_interval
from sim.core.errors import InputError
from sim.core.seeds import replicate_seeds
from sim.engine.store import ResultStore

SCENARIO = baseline()
ONE_TARGET = Targets(policy="test", base_year=2024, target=[
    {"id": "hit", "indicator": "breakthroughs", "year": 2027, "comparator": ">=", "threshold": 1, "clause": "test"}])


def _expected_stop(probability, seed, ci_width, initial, batch, cap):
    """The stopping point worked out directly from the seeds, without the engine."""
    import numpy as np

    hits = [float(np.random.default_rng(s).random() < probability) for s in replicate_seeds(seed, cap)]
    n = min(initial, cap)
    while True:
        low, high = wilson_interval(int(sum(hits[:n])), n)
        if high - low <= ci_width or n >= cap:
            return n, high - low
        n = min(n + batch, cap)


@pytest.mark.parametrize("ci_width, cap", [(0.25, 400), (0.2, 400), (0.05, 120)])
def test_adaptive_replication_stops_where_the_rule_says(tmp_path, ci_width, cap):
    store = run_adaptive_ensemble(SCENARIO, 5, tmp_path / "s", ci_width=ci_width, initial=10, batch=10,
                                  max_replicates=cap, targets=ONE_TARGET, model=bernoulli_model,
                                  workers=1, progress=False)
    expected_n, expected_width = _expected_stop(0.3, 5, ci_width, 10, 10, cap)
    adaptive = store.manifest["adaptive"]
    assert adaptive["replicates"] == expected_n
    assert adaptive["steps"][-1]["widest_interval"] == pytest.approx(expected_width)
    assert store.status()["runs_done"] == expected_n
    assert [s["replicates"] for s in adaptive["steps"]] == list(range(10, expected_n + 1, 10))
    if expected_n == cap:
        assert "cap" in adaptive["stopped_because"] and expected_width > ci_width
    else:
        assert expected_width <= ci_width < adaptive["steps"][-2]["widest_interval"]
    table = pd.read_csv(store.path / "targets.csv")
    assert table.loc[0, "n_replicates"] == expected_n


@pytest.mark.slow
def test_adaptive_replication_is_repeatable_and_resumable(tmp_path):
    kwargs = dict(ci_width=0.2, initial=10, batch=10, max_replicates=200, targets=ONE_TARGET,
                  model=bernoulli_model, progress=False)
    first = run_adaptive_ensemble(SCENARIO, 9, tmp_path / "a", workers=2, **kwargs)
    again = run_adaptive_ensemble(SCENARIO, 9, tmp_path / "a", workers=1, **kwargs)
    assert again.manifest["sessions"][-1]["runs_planned"] == 0
    assert again.manifest["adaptive"]["replicates"] == first.manifest["adaptive"]["replicates"]
    other = run_adaptive_ensemble(SCENARIO, 9, tmp_path / "b", workers=1, **kwargs)
    pd.testing.assert_frame_equal(other.results(), first.results(), check_exact=True)


def test_adaptive_replication_checks_its_arguments(tmp_path):
    with pytest.raises(InputError, match="between 0 and 1"):
        run_adaptive_ensemble(SCENARIO, 1, tmp_path / "s", ci_width=1.5, model=bernoulli_model)


@pytest.mark.slow
def test_run_command_writes_the_store_and_prints_the_target_table(tmp_path):
    out = tmp_path / "run"
    proc = run_weilai("run", "baseline", "--replicates", "6", "--seed", "3", "--out", str(out),
                      "--model", "engine_models:toy_model", "--workers", "2", "--no-progress", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert "Scenario: baseline   (n = 6 replicates)" in proc.stdout
    assert "P(met)" in proc.stdout and "6 runs in" in proc.stdout
    table = pd.read_csv(out / "targets.csv")
    assert {"target", "median", "p05", "p95", "probability", "probability_low", "probability_high"} <= set(table)
    assert (table.loc[table["n_replicates"] > 0, "n_replicates"] == 6).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario_hash"] == SCENARIO.content_hash()
    assert manifest["seeds"] == replicate_seeds(3, 6)
    assert manifest["code_version"] and manifest["packages"]["pandas"]
    assert manifest["sessions"][0]["wall_seconds"] > 0
    assert f"parameters: {manifest['calibration']}" in proc.stdout and "draws, sha256" in manifest["calibration"]
    spending = pd.read_parquet(out / "spending.parquet")
    assert spending["value"].sum() == pytest.approx(SCENARIO.plan().spending["value"].sum())
    serial = run_ensemble(SCENARIO, 6, 3, tmp_path / "serial", model=toy_model, workers=1, progress=False)
    pd.testing.assert_frame_equal(ResultStore(out).results(), serial.results(), check_exact=True)


@pytest.mark.parametrize("args, key", [
    (["--replicates", "0"], "--replicates"),
    (["--seed", "-1"], "--seed"),
    (["--workers", "0"], "--workers"),
    (["--run-timeout", "0"], "--run-timeout"),
    (["--ci-width", "2"], "--ci-width"),
    (["--model", "nowhere:nothing"], "--model"),
    (["--scheduler", "nonsense"], "--scheduler"),
])
def test_run_command_refuses_bad_options_without_a_traceback(tmp_path, args, key, capsys):
    proc = weilai_in_process(capsys, "run", "baseline", "--out", str(tmp_path / "x"), "--no-progress", *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"key '{key}'" in proc.stderr and "allowed" in proc.stderr


@pytest.mark.slow
def test_run_command_refuses_a_store_of_another_design(tmp_path, capsys):
    out = str(tmp_path / "s")
    common = ["--out", out, "--model", "engine_models:toy_model", "--workers", "1", "--no-progress"]
    assert weilai_in_process(capsys, "run", "baseline", "--replicates", "2", "--seed", "1", *common).returncode == 0
    proc = weilai_in_process(capsys, "run", "baseline", "--replicates", "2", "--seed", "2", *common)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "different design (base_seed: 1 here, 2 now)" in proc.stderr


@pytest.mark.slow
def test_ctrl_c_keeps_finished_runs_and_the_same_command_resumes(tmp_path):
    touch = tmp_path / "ran"
    touch.mkdir()
    out = tmp_path / "s"
    env = dict(os.environ, PYTHONPATH=str(TESTS_DIR), WEILAI_TEST_TOUCH_DIR=str(touch))
    command = [sys.executable, "-m", "sim", "run", "baseline", "--replicates", "60", "--seed", "4",
               "--out", str(out), "--model", "engine_models:slow_toy_model", "--detail", "city",
               "--workers", "2", "--no-progress"]
    # the child starts with the default Ctrl-C handling even when this test runs in a background job
    # (where the shell makes SIGINT ignored, and a child would inherit that and never stop)
    proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while len(list(touch.iterdir())) < 6 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # polling for a condition, with a deadline
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "finished runs are on disk" in stderr
    store = ResultStore(out)
    done = store.completed()
    ran = len(list(touch.iterdir()))
    assert 6 <= len(done) < 60
    assert len(done) >= ran  # every run that finished, even during the stop, is on disk
    assert store.manifest["sessions"][-1]["interrupted"] is True

    resumed = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert ResultStore(out).manifest["sessions"][-1]["runs_planned"] == 60 - len(done)
    clean = run_ensemble(SCENARIO, 60, 4, tmp_path / "clean", model=partial(slow_toy_model), workers=2,
                         detail="city", progress=False)
    pd.testing.assert_frame_equal(ResultStore(out).results(), clean.results(), check_exact=True)


@pytest.mark.slow
def test_run_command_reports_failed_runs_with_exit_status_1(tmp_path):
    out = tmp_path / "f"
    proc = run_weilai("run", "baseline", "--replicates", "8", "--seed", "2", "--out", str(out),
                      "--model", "engine_models:odd_seed_failing_model", "--workers", "1", "--no-progress")
    odd = sum(s % 2 for s in replicate_seeds(2, 8))
    assert 0 < odd < 8
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"{odd} runs FAILED" in proc.stderr and "--retry-failures" in proc.stderr
    assert f"(n = {8 - odd} replicates)" in proc.stdout  # the table of the runs that finished
    assert len(ResultStore(out).failures()) == odd
