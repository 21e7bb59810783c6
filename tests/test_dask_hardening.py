"""Dask: failures on a cluster are recorded like local ones, a scheduler named in a sweep file is never
connected to without confirmation, bad addresses are refused before any folder exists, and TLS works."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import dask
import pytest
from engine_helpers import baseline
from engine_models import GOOD_LINEAR_SWEEP, toy_model, wrong_result_chunk

from sim.analysis.ensembles import run_ensemble
from sim.cli import main
from sim.core.errors import InputError
from sim.core.seeds import replicate_seeds
from sim.engine.store import ResultStore

SCENARIO = baseline()


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    # a task that kills its worker is given up at the first death (Dask's default retries it 3 times)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=50) as local:
            with Client(local) as client:
                yield local, client


def test_a_run_that_kills_its_dask_worker_is_recorded_as_failed_and_the_batch_goes_on(cluster, tmp_path):
    _, client = cluster
    seeds = replicate_seeds(8, 6)
    model = partial(toy_model, crash_seeds={seeds[1]})  # dies every time it is run
    store = run_ensemble(SCENARIO, 6, 8, tmp_path / "s", model=model, scheduler=client, detail="city",
                         progress=False)
    assert store.completed() == {(0, r) for r in range(6)} - {(0, 1)}
    [failure] = store.failures()
    assert failure["replicate"] == 1 and "WorkerLost" in failure["error"]
    clean = run_ensemble(SCENARIO, 6, 8, tmp_path / "clean", model=toy_model, workers=1, detail="city",
                         progress=False)
    done = clean.results()
    assert store.results().equals(done[done["replicate"] != 1].reset_index(drop=True))
    client.wait_for_workers(2, timeout=120)


def test_a_task_result_the_engine_does_not_expect_is_a_failure_not_a_crash(cluster, tmp_path, monkeypatch):
    _, client = cluster
    seeds = replicate_seeds(3, 5)
    import sim.engine.executors as executors

    monkeypatch.setattr(executors, "run_chunk", partial(wrong_result_chunk, bad_seeds={seeds[2]}))
    store = run_ensemble(SCENARIO, 5, 3, tmp_path / "s", model=toy_model, scheduler=client, detail="city",
                         progress=False)
    assert (0, 2) not in store.completed() and len(store.completed()) >= 4 - 1
    assert any(f["replicate"] == 2 and "not the engine's ChunkResult" in f["error"] for f in store.failures())


def _sweep_file(folder: Path, scheduler: str) -> Path:
    path = folder / "w.toml"
    path.write_text(GOOD_LINEAR_SWEEP + f'[execution]\nscheduler = "{scheduler}"\n', encoding="utf-8")
    return path


def test_a_scheduler_in_a_sweep_file_is_shown_and_used_only_when_confirmed(cluster, tmp_path, capsys, monkeypatch):
    local, _ = cluster
    monkeypatch.delenv("WEILAI_SCHEDULER", raising=False)
    address = local.scheduler_address
    sweep = _sweep_file(tmp_path, address)
    assert main(["sweep", str(sweep), "--check"]) == 0
    assert address in capsys.readouterr().out
    common = ["--no-progress", "--model", "engine_models:linear_model"]
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "local"), "--workers", "1", *common]) == 0
    assert "not connecting" in capsys.readouterr().err
    assert "Dask" not in ResultStore(tmp_path / "local").manifest["sessions"][-1]["executor"]
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "dask"), "--scheduler", address, *common]) == 0
    assert "Dask" in ResultStore(tmp_path / "dask").manifest["sessions"][-1]["executor"]
    assert ResultStore(tmp_path / "dask").results().equals(ResultStore(tmp_path / "local").results())


@pytest.mark.parametrize("source", ["flag", "environment"])
def test_an_unreachable_scheduler_is_refused_before_any_folder_is_made(tmp_path, capsys, monkeypatch, source):
    import sim.engine.executors as executors

    monkeypatch.setattr(executors, "CONNECT_SECONDS", 2)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WEILAI_SCHEDULER", raising=False)
    argv = ["run", "baseline", "--out", "out", "--replicates", "2", "--no-progress"]
    if source == "flag":
        argv += ["--scheduler", "tcp://127.0.0.1:9"]
    else:
        monkeypatch.setenv("WEILAI_SCHEDULER", "tcp://127.0.0.1:9")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "cannot reach the Dask scheduler" in err
    assert ("--scheduler" if source == "flag" else "WEILAI_SCHEDULER") in err
    assert list(tmp_path.iterdir()) == []


def test_a_tls_cluster_with_certificates_made_here_runs_the_same_ensemble(tmp_path, capsys, monkeypatch):
    pytest.importorskip("cryptography")
    from distributed import LocalCluster
    from distributed.security import Security

    security = Security.temporary()  # a certificate authority and a certificate made for this test
    files = {}
    for name, pem in (("ca", security.tls_ca_file), ("cert", security.tls_client_cert),
                      ("key", security.tls_client_key)):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_text(pem, encoding="utf-8")
    monkeypatch.delenv("WEILAI_SCHEDULER", raising=False)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, protocol="tls", security=security,
                      dashboard_address=None, silence_logs=50) as local:
        address = local.scheduler_address
        assert address.startswith("tls://")
        common = ["--replicates", "3", "--seed", "4", "--detail", "city", "--no-progress", "--no-charts",
                  "--model", "engine_models:toy_model"]
        status = main(["run", "baseline", "--out", str(tmp_path / "tls"), "--scheduler", address, "--tls-ca-file",
                       str(files["ca"]), "--tls-cert", str(files["cert"]), "--tls-key", str(files["key"]), *common])
        assert status == 0, capsys.readouterr().err
        with pytest.raises(InputError, match="cannot reach"):  # no certificates: the cluster refuses
            import sim.engine.executors as executors

            monkeypatch.setattr(executors, "CONNECT_SECONDS", 3)
            executors.connect_scheduler(address.replace("tls://", "tcp://"))
    assert main(["run", "baseline", "--out", str(tmp_path / "local"), "--workers", "1", *common]) == 0
    assert "Dask cluster at tls://" in ResultStore(tmp_path / "tls").manifest["sessions"][-1]["executor"]
    assert ResultStore(tmp_path / "tls").results().equals(ResultStore(tmp_path / "local").results())
