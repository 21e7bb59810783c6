"""The experiment engine: determinism across executors, seeds, failures, retry, resume, refusal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from functools import partial

import numpy as np
import pandas as pd
import pytest
from engine_helpers import REPO_ROOT, TESTS_DIR, baseline
from engine_models import toy_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.ensembles import run_ensemble
from sim.core.errors import InputError, StoreMismatchError
from sim.core.seeds import replicate_seeds
from sim.engine.design import Design, Point, ensemble_design
from sim.engine.runner import run_design
from sim.engine.store import RESULT_COLUMNS, ResultStore

SCENARIO = baseline()


def _ensemble(out, replicates=8, seed=7, **options):
    options.setdefault("progress", False)
    options.setdefault("workers", 1)
    return run_ensemble(SCENARIO, replicates, seed, out, model=options.pop("model", toy_model), **options)


def _clean(tmp_path_factory, replicates=8, seed=7, detail="full"):
    return _ensemble(tmp_path_factory.mktemp("clean"), replicates, seed, detail=detail).results()


def test_rows_carry_keys_and_spawned_seeds(tmp_path):
    store = _ensemble(tmp_path / "s", replicates=6, seed=11)
    rows = store.results()
    assert list(rows.columns) == RESULT_COLUMNS
    assert rows[["scenario", "sample", "replicate", "seed"]].notna().all().all()
    seeds = rows.groupby("replicate")["seed"].unique()
    assert [int(s[0]) for s in seeds] == replicate_seeds(11, 6)
    assert all(len(s) == 1 for s in seeds)
    assert set(rows["scenario"]) == {"baseline"}
    manifest = store.manifest
    assert manifest["seeds"] == replicate_seeds(11, 6)
    assert manifest["scenario_hash"] == SCENARIO.content_hash()
    assert manifest["scenario"]["name"] == "baseline"
    assert {"numpy", "pandas", "SALib", "python"} <= set(manifest["packages"])
    assert manifest["sessions"][0]["runs_ok"] == 6 and manifest["sessions"][0]["wall_seconds"] > 0


@pytest.mark.slow
def test_serial_equals_process_pool_for_any_chunking(tmp_path, tmp_path_factory):
    clean = _clean(tmp_path_factory)
    for workers, chunk in ((2, 1), (2, 3), (2, None)):
        design = ensemble_design(SCENARIO, 8, 7)
        store = run_design(design, tmp_path / f"w{workers}c{chunk}", model=toy_model, workers=workers,
                           chunk_size=chunk, progress=False)
        pd.testing.assert_frame_equal(store.results(), clean, check_exact=True)


def test_common_random_numbers_across_sample_points(tmp_path):
    points = tuple(Point(i, "grants", {"levers.rd_grants.amount_100m_yuan_per_year": g})
                   for i, g in enumerate([0.0, 5.0, 20.0]))
    design = Design(kind="sweep", scenarios=(SCENARIO,), points=points, replicates=4, base_seed=5,
                    detail="city")
    rows = run_design(design, tmp_path / "s", model=toy_model, workers=1, progress=False).results()
    seeds = rows.groupby(["sample", "replicate"])["seed"].first().unstack("sample")
    assert (seeds.nunique(axis=1) == 1).all()  # replicate r has one seed at every point
    assert list(seeds[0]) == replicate_seeds(5, 4)
    final = rows[(rows["year"] == 2035) & (rows["indicator"] == "chain_leaders")]
    means = final.groupby("sample")["value"].mean()
    assert means[0] < means[1] < means[2]  # the toy responds to the lever the points set


@pytest.mark.parametrize("detail", ["city", "directions", "full"])
def test_detail_selects_rows(tmp_path, detail):
    rows = _ensemble(tmp_path / detail, replicates=2, detail=detail).results()
    if detail == "city":
        assert set(rows["direction"]) == {"all"}
    elif detail == "directions":
        assert set(rows["district"]) == {"all"} and len(set(rows["direction"])) == 10
    else:
        assert len(set(rows["district"])) > 1


def test_failed_runs_are_recorded_the_batch_goes_on_and_retry_runs_only_them(tmp_path, tmp_path_factory):
    seeds = replicate_seeds(7, 8)
    failing = partial(toy_model, fail_seeds={seeds[2], seeds[5]})
    store = _ensemble(tmp_path / "s", model=failing)
    assert store.completed() == {(0, r) for r in range(8)} - {(0, 2), (0, 5)}
    records = {(f["replicate"], f["seed"]) for f in store.failures()}
    assert records == {(2, seeds[2]), (5, seeds[5])}
    assert all("planned failure" in f["error"] and f["traceback"] for f in store.failures())
    assert store.status()["runs_failed"] == 2

    again = _ensemble(tmp_path / "s", model=failing)  # resume: recorded failures are not rerun
    assert again.manifest["sessions"][-1]["runs_planned"] == 0

    retried = _ensemble(tmp_path / "s", retry_failures=True)
    session = retried.manifest["sessions"][-1]
    assert session["runs_planned"] == 2 and session["runs_ok"] == 2
    assert retried.failures() == [] and retried.status()["runs_failed"] == 0
    pd.testing.assert_frame_equal(retried.results(), _clean(tmp_path_factory), check_exact=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_past_its_time_limit_is_recorded_and_the_batch_goes_on(tmp_path, tmp_path_factory, workers):
    seeds = replicate_seeds(7, 8)
    hanging = partial(toy_model, hang_seeds={seeds[3]})
    store = _ensemble(tmp_path / "s", model=hanging, workers=workers, run_timeout=1.0)
    assert store.completed() == {(0, r) for r in range(8)} - {(0, 3)}
    (record,) = store.failures()
    assert record["replicate"] == 3 and "RunTimeoutError" in record["error"] and "time limit of 1 s" in record["error"]
    assert store.manifest["sessions"][-1]["run_timeout_seconds"] == 1.0
    retried = _ensemble(tmp_path / "s", retry_failures=True, workers=workers)  # the model no longer hangs
    pd.testing.assert_frame_equal(retried.results(), _clean(tmp_path_factory), check_exact=True)


def test_the_store_records_the_calibration_and_refuses_other_draws(tmp_path):
    draws = tmp_path / "draws.csv"
    draws.write_text("draw,parameters.startup_rate\n0,20.0\n1,30.0\n")
    scenario = SCENARIO.with_values({"parameter_draws": str(draws)})
    store = run_ensemble(scenario, 3, 7, tmp_path / "s", model=toy_model, workers=1, progress=False)
    assert "draws.csv (2 draws, sha256 " in store.manifest["calibration"]
    assert store.manifest["calibration"] in store.manifest["design"]["parameter_draws"]
    draws.write_text("draw,parameters.startup_rate\n0,20.0\n1,31.0\n")  # a new calibration
    with pytest.raises(StoreMismatchError, match="parameter_draws"):
        run_ensemble(scenario, 3, 7, tmp_path / "s", model=toy_model, workers=1, progress=False)
    defaults = run_ensemble(SCENARIO.with_values({"parameter_draws": "defaults"}), 2, 7, tmp_path / "d",
                            model=toy_model, workers=1, progress=False)
    assert defaults.manifest["calibration"] == "defaults"


def test_bad_sample_point_fails_its_runs_only(tmp_path):
    points = (Point(0, "ok", {}), Point(1, "bad", {"levers.rd_grants.amount_100m_yuan_per_year": -5.0}))
    design = Design(kind="sweep", scenarios=(SCENARIO,), points=points, replicates=2, base_seed=1,
                    detail="city")
    store = run_design(design, tmp_path / "s", model=toy_model, workers=1, progress=False)
    assert store.completed() == {(0, 0), (0, 1)}
    failures = store.failures()
    assert {(f["sample"], f["replicate"]) for f in failures} == {(1, 0), (1, 1)}
    assert failures[0]["parameters"] == {"levers.rd_grants.amount_100m_yuan_per_year": -5.0}
    assert "InputError" in failures[0]["error"]


def test_a_run_that_kills_its_worker_is_isolated_and_recorded(tmp_path, tmp_path_factory):
    seeds = replicate_seeds(7, 8)
    crashing = partial(toy_model, crash_seeds={seeds[3]})
    store = run_design(ensemble_design(SCENARIO, 8, 7), tmp_path / "s", model=crashing, workers=2,
                       chunk_size=3, progress=False)
    assert store.completed() == {(0, r) for r in range(8)} - {(0, 3)}
    [failure] = store.failures()
    assert failure["replicate"] == 3 and failure["seed"] == seeds[3]
    assert "WorkerLost" in failure["error"]
    clean = _clean(tmp_path_factory)
    pd.testing.assert_frame_equal(store.results(), clean[clean["replicate"] != 3].reset_index(drop=True),
                                  check_exact=True)


def test_a_worker_that_dies_once_is_replaced_and_nothing_is_lost(tmp_path, tmp_path_factory):
    seeds = replicate_seeds(7, 8)
    markers = tmp_path / "markers"
    markers.mkdir()
    crash_once = partial(toy_model, crash_seeds={seeds[1], seeds[6]}, crash_once_dir=str(markers))
    store = run_design(ensemble_design(SCENARIO, 8, 7), tmp_path / "s", model=crash_once, workers=2,
                       chunk_size=2, progress=False)
    assert sorted(p.name for p in markers.iterdir()) == sorted(f"crashed-{seeds[i]}" for i in (1, 6))
    assert store.failures() == []
    assert store.manifest["sessions"][-1]["worker_deaths"] >= 2
    pd.testing.assert_frame_equal(store.results(), _clean(tmp_path_factory), check_exact=True)


def test_extending_an_ensemble_runs_only_new_replicates(tmp_path, tmp_path_factory):
    _ensemble(tmp_path / "s", replicates=5)
    store = _ensemble(tmp_path / "s", replicates=8)
    assert store.manifest["sessions"][-1]["runs_planned"] == 3
    pd.testing.assert_frame_equal(store.results(), _clean(tmp_path_factory), check_exact=True)
    assert pd.read_csv(store.path / "targets.csv")["n_replicates"].max() == 8


def test_a_different_design_is_refused_and_says_why(tmp_path):
    _ensemble(tmp_path / "s", seed=7)
    with pytest.raises(StoreMismatchError, match="base_seed: 7 here, 8 now"):
        _ensemble(tmp_path / "s", seed=8)
    other = SCENARIO.with_values({"levers.rd_grants.amount_100m_yuan_per_year": 9.0})
    with pytest.raises(StoreMismatchError, match="scenarios"):
        run_ensemble(other, 8, 7, tmp_path / "s", model=toy_model, workers=1, progress=False)
    with pytest.raises(StoreMismatchError, match="detail"):
        _ensemble(tmp_path / "s", detail="city")
    assert ResultStore(tmp_path / "s").status()["runs_done"] == 8  # nothing was touched


def test_a_store_being_written_is_refused_and_a_stale_lock_is_taken_over(tmp_path):
    store = _ensemble(tmp_path / "s", replicates=2)
    with store.writer_lock():
        with pytest.raises(InputError, match="another process is writing this store"):
            _ensemble(tmp_path / "s", replicates=3)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    import socket

    (store.path / "writer.lock").write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    assert _ensemble(tmp_path / "s", replicates=3).status()["runs_done"] == 3
    assert not (store.path / "writer.lock").exists()


def test_partial_writes_left_by_a_kill_are_removed_and_never_read(tmp_path):
    store = _ensemble(tmp_path / "s", replicates=2)
    (store.path / "parts" / "part-dead.parquet.tmp").write_bytes(b"half a file")
    again = _ensemble(tmp_path / "s", replicates=3)
    assert not list(again.path.glob("parts/*.tmp"))
    assert again.status()["runs_done"] == 3


KILL_SCRIPT = textwrap.dedent("""
    import os, sys
    from functools import partial
    from engine_models import toy_model
    from sim.engine.design import ensemble_design
    from sim.engine.runner import run_design
    from sim.scenario.loading import load_scenario
    from sim.core.seeds import replicate_seeds

    if __name__ == "__main__":
        out, workers, victim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        seed = replicate_seeds(7, 24)[victim]
        model = partial(toy_model, kill_pid_at_seeds={seed}, kill_pid=os.getpid())
        run_design(ensemble_design(load_scenario("baseline"), 24, 7), out, model=model,
                   workers=workers, chunk_size=2, flush_seconds=0, progress=False)
""")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_killed_sweep_resumes_with_only_the_missing_runs_to_identical_results(tmp_path, tmp_path_factory,
                                                                                 workers):
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(TESTS_DIR))
    out = tmp_path / "s"
    proc = subprocess.run([sys.executable, str(script), str(out), str(workers), "15"], env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    store = ResultStore(out)
    done_before = store.completed()
    assert 0 < len(done_before) < 24 and (0, 15) not in done_before
    assert (out / "writer.lock").exists()  # left by the killed writer; the next run takes it over
    assert not store.status()["writing"]  # status knows its writer is dead

    resumed = run_design(ensemble_design(SCENARIO, 24, 7), out, model=toy_model, workers=workers,
                         progress=False)
    assert resumed.manifest["sessions"][-1]["runs_planned"] == 24 - len(done_before)
    clean = _ensemble(tmp_path_factory.mktemp("clean"), replicates=24).results()
    pd.testing.assert_frame_equal(resumed.results(), clean, check_exact=True)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(failing=st.sets(st.integers(0, 5), max_size=6), chunk=st.integers(1, 7))
def test_property_fail_then_retry_equals_a_clean_run(tmp_path_factory, failing, chunk):
    seeds = replicate_seeds(3, 6)
    out = tmp_path_factory.mktemp("prop")
    design = ensemble_design(SCENARIO, 6, 3, detail="city")
    model = partial(toy_model, fail_seeds={seeds[i] for i in failing})
    first = run_design(design, out, model=model, workers=1, chunk_size=chunk, progress=False)
    assert first.failed_keys() == {(0, i) for i in failing}
    final = run_design(design, out, model=toy_model, workers=1, chunk_size=chunk, retry_failures=True,
                       progress=False)
    clean = run_design(design, tmp_path_factory.mktemp("clean"), model=toy_model, workers=1,
                       progress=False)
    pd.testing.assert_frame_equal(final.results(), clean.results(), check_exact=True)
    assert final.failures() == []


def test_duckdb_reads_the_store_with_plain_sql(tmp_path):
    store = _ensemble(tmp_path / "s", replicates=4, detail="city")
    by_sql = store.sql("SELECT replicate, value FROM results WHERE indicator = 'chain_leaders' "
                       "AND year = 2035 ORDER BY replicate").df()
    rows = store.results(indicators=["chain_leaders"])
    expected = rows[rows["year"] == 2035]["value"].to_numpy()
    np.testing.assert_array_equal(by_sql["value"].to_numpy(), expected)
    assert len(store.part_files()) >= 1


def test_scenarios_share_replicate_seeds_and_spending_is_written(tmp_path):
    from sim.engine.runner import run_scenarios

    more = SCENARIO.with_values({"levers.rd_grants.amount_100m_yuan_per_year": 20.0}, name="more_grants")
    store = run_scenarios([SCENARIO, more], 5, 13, tmp_path / "c", model=toy_model, workers=1, detail="city",
                          progress=False)
    rows = store.results()
    assert set(rows["scenario"]) == {"baseline", "more_grants"}
    seeds = rows.groupby(["scenario", "replicate"])["seed"].first().unstack("scenario")
    assert (seeds["baseline"] == seeds["more_grants"]).all()
    spending = store.spending()
    totals = spending.groupby("scenario")["value"].sum()
    assert totals["more_grants"] - totals["baseline"] == pytest.approx((20.0 - 6.0) * 12)
    with pytest.raises(InputError, match="distinct names"):
        run_scenarios([SCENARIO, SCENARIO], 2, 1, tmp_path / "d", model=toy_model, workers=1)


def test_status_command_refuses_a_folder_that_is_no_store(tmp_path, capsys):
    from engine_helpers import weilai_in_process

    proc = weilai_in_process(capsys, "status", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "not a result store" in proc.stderr


def test_status_gives_the_rate_and_time_left_of_the_session_in_progress(tmp_path):
    store = _ensemble(tmp_path / "s", replicates=4)
    status = store.status()
    assert not status["writing"] and status["running_rate"] != status["running_rate"]  # NaN: none running
    assert "running" not in store.manifest
    with store.writer_lock():  # as a writer in another process would look
        store.start_session(runs_planned=10, already_done=0, executor="2 local processes")
        status = store.status()
    assert status["writing"] and status["running_rate"] > 0
    assert status["running_seconds_left"] == pytest.approx(6 / status["running_rate"])
