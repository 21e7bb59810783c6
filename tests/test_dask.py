"""The Dask path: a real LocalCluster (worker processes) gives exactly the local results."""

from __future__ import annotations

from functools import partial

import pandas as pd
import pytest
from engine_helpers import baseline
from engine_models import LINEAR_FACTORS, linear_model, toy_model

from sim.analysis.ensembles import run_ensemble
from sim.analysis.sweep import Sweep, SweepSpec, run_sweep
from sim.core.seeds import replicate_seeds
from sim.engine.design import ensemble_design
from sim.engine.runner import run_design

SCENARIO = baseline()


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as local:
        with Client(local) as client:
            yield local, client


def test_dask_ensemble_equals_the_local_run_exactly(cluster, tmp_path):
    local, _ = cluster
    on_dask = run_ensemble(SCENARIO, 10, 21, tmp_path / "dask", model=toy_model, scheduler=local.scheduler_address,
                           progress=False)
    assert "Dask" in on_dask.manifest["sessions"][-1]["executor"]
    serial = run_ensemble(SCENARIO, 10, 21, tmp_path / "serial", model=toy_model, workers=1, progress=False)
    pd.testing.assert_frame_equal(on_dask.results(), serial.results(), check_exact=True)
    assert (on_dask.path / "targets.csv").read_text() == (serial.path / "targets.csv").read_text()


def test_dask_sweep_equals_the_local_sweep_and_resumes_locally(cluster, tmp_path):
    _, client = cluster
    sweep = Sweep(SweepSpec(name="lin", scenario="baseline", method="morris", samples=6, seed=2,
                            factors=list(LINEAR_FACTORS), outputs=["standards"], years=[2027], targets=False))
    on_dask = run_sweep(sweep, tmp_path / "dask", model=linear_model, scheduler=client, chunk_size=4,
                        progress=False)
    pool = run_sweep(sweep, tmp_path / "pool", model=linear_model, workers=2, progress=False)
    pd.testing.assert_frame_equal(on_dask.results(), pool.results(), check_exact=True)
    # A store started on the cluster is finished locally (and the reverse) with identical results.
    design = ensemble_design(SCENARIO, 8, 4, detail="city")
    run_design(design, tmp_path / "mixed", model=partial(toy_model, fail_seeds=set(replicate_seeds(4, 8)[4:])),
               scheduler=client, progress=False)
    mixed = run_design(design, tmp_path / "mixed", model=toy_model, workers=2, retry_failures=True,
                       progress=False)
    clean = run_design(design, tmp_path / "clean", model=toy_model, workers=1, progress=False)
    pd.testing.assert_frame_equal(mixed.results(), clean.results(), check_exact=True)


def test_a_lost_dask_worker_is_replaced_and_its_runs_are_redone(cluster, tmp_path):
    _, client = cluster
    seeds = replicate_seeds(8, 8)
    markers = tmp_path / "markers"
    markers.mkdir()
    model = partial(toy_model, crash_seeds={seeds[2]}, crash_once_dir=str(markers))
    store = run_ensemble(SCENARIO, 8, 8, tmp_path / "lost", model=model, scheduler=client, detail="city",
                         progress=False)
    assert (markers / f"crashed-{seeds[2]}").exists()  # a worker process really died
    assert store.failures() == []
    clean = run_ensemble(SCENARIO, 8, 8, tmp_path / "clean", model=toy_model, workers=1, detail="city",
                         progress=False)
    pd.testing.assert_frame_equal(store.results(), clean.results(), check_exact=True)
    client.wait_for_workers(2, timeout=60)


def test_failed_runs_on_dask_are_recorded_and_the_batch_goes_on(cluster, tmp_path):
    _, client = cluster
    seeds = replicate_seeds(6, 6)
    store = run_ensemble(SCENARIO, 6, 6, tmp_path / "f", model=partial(toy_model, fail_seeds={seeds[0]}),
                         scheduler=client, detail="city", progress=False)
    assert store.completed() == {(0, r) for r in range(1, 6)}
    [failure] = store.failures()
    assert failure["seed"] == seeds[0] and "planned failure" in failure["error"]
