"""The result store cannot be silently corrupted: live writers, damaged files, copies, strays, a full
disk and another model are all refused or repaired with a clear message."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import time
from functools import partial

import pandas as pd
import pyarrow.parquet as pq
import pytest
from engine_helpers import baseline
from engine_models import LINEAR_FACTORS, bernoulli_model, linear_model, toy_model

from sim.analysis.ensembles import ensemble_targets, run_ensemble
from sim.analysis.sweep import Sweep, SweepSpec, run_sweep
from sim.cli import main
from sim.core.errors import InputError, StoreMismatchError
from sim.engine.design import ensemble_design
from sim.engine.runner import run_design
from sim.engine.store import ResultStore

SCENARIO = baseline()


def _ensemble(out, replicates=8, **options):
    options = {"model": toy_model, "workers": 1, "detail": "city", "progress": False} | options
    return run_ensemble(SCENARIO, replicates, 5, out, **options)


def _one_line_error(capsys, argv, *words):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, (out, err)
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def test_a_second_writer_leaves_a_live_writers_temporary_parts_alone(tmp_path):
    store = _ensemble(tmp_path / "s")
    (store.path / "writer.lock").write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    in_flight = store.path / "parts" / "part-live.parquet.tmp"
    in_flight.write_bytes(b"being written by the live process")
    with pytest.raises(InputError, match="another process is writing"):
        _ensemble(tmp_path / "s", replicates=10)
    assert in_flight.read_bytes() == b"being written by the live process"
    (store.path / "writer.lock").unlink()
    _ensemble(tmp_path / "s", replicates=10)  # the lock is free: leftovers of a dead writer are cleaned
    assert not in_flight.exists()


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_a_damaged_part_is_named_and_repair_sets_it_aside_so_its_runs_are_rerun(tmp_path, capsys, damage):
    out = tmp_path / "s"
    store = _ensemble(out, chunk_size=2)
    clean = store.results()
    part = store.part_files()[0]
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"")
    for argv in (["status", out], ["run", "baseline", "--out", out, "--replicates", "8", "--seed", "5",
                                   "--detail", "city", "--workers", "1", "--no-progress", "--no-charts",
                                   "--model", "engine_models:toy_model"]):
        _one_line_error(capsys, argv, part.name, "damaged", "weilai status --repair")
    assert main(["status", str(out), "--repair"]) == 0
    assert "set aside" in capsys.readouterr().out
    assert (out / "damaged" / part.name).exists() and not part.exists()
    assert store.status()["runs_missing"] > 0
    repaired = _ensemble(out)  # the same command reruns the runs of the damaged part
    pd.testing.assert_frame_equal(repaired.results(), clean, check_exact=True)


@pytest.mark.parametrize("content", ["", '{"kind": "ensem', "[1, 2]", "null", "\xff\xfe"])
@pytest.mark.parametrize("command", ["status", "run", "analyze", "brief"])
def test_a_damaged_manifest_is_a_clear_error_in_every_command(tmp_path, capsys, content, command):
    out = tmp_path / "s"
    _ensemble(out)
    (out / "manifest.json").write_bytes(content.encode("latin-1"))
    argv = {"status": ["status", out], "analyze": ["analyze", out],
            "brief": ["brief", out, "--out", tmp_path / "b.html"],
            "run": ["run", "baseline", "--out", out, "--workers", "1", "--no-progress", "--model",
                    "engine_models:toy_model"]}[command]
    _one_line_error(capsys, argv, "manifest.json", "damaged")


def test_a_truncated_samples_table_is_named(tmp_path, capsys):
    sweep = Sweep(SweepSpec(name="lin", scenario="baseline", method="morris", samples=4, seed=2,
                            factors=list(LINEAR_FACTORS), outputs=["standards"], years=[2027], targets=False))
    store = run_sweep(sweep, tmp_path / "w", model=linear_model, workers=1, progress=False)
    samples = store.path / "samples.parquet"
    samples.write_bytes(samples.read_bytes()[:100])
    _one_line_error(capsys, ["analyze", store.path], "samples.parquet", "damaged", "--repair")
    assert main(["status", str(store.path), "--repair"]) == 0
    capsys.readouterr()
    again = run_sweep(sweep, tmp_path / "w", model=linear_model, workers=1, progress=False)  # rewrites it
    assert len(again.read_table("samples.parquet")) == len(sweep.unit_samples()) * len(LINEAR_FACTORS)


def test_a_run_stored_twice_is_counted_once_and_repair_sets_the_copy_aside(tmp_path, capsys):
    store = _ensemble(tmp_path / "s", chunk_size=4)
    before = ensemble_targets(store)
    part = store.part_files()[0]
    n_parts = len(store.part_files())
    copied = len(pq.read_table(part).select(["sample", "replicate"]).group_by(["sample", "replicate"]).aggregate([]))
    shutil.copy(part, part.with_name("part-zzzz-copy.parquet"))
    assert len(store.part_files()) == n_parts + 1
    assert store.duplicate_runs() == copied > 0
    assert len(store.completed()) == 8
    after = ensemble_targets(store)
    assert set(after["n_replicates"]) <= {0, 8} and (after["n_replicates"] == 8).any()  # not 8 + copies
    pd.testing.assert_frame_equal(before, after)
    assert main(["status", str(store.path)]) == 0
    assert f"{copied} runs are stored in two parts" in capsys.readouterr().out
    assert main(["status", str(store.path), "--repair"]) == 0
    assert "part-zzzz-copy.parquet" in capsys.readouterr().out
    assert len(store.part_files()) == n_parts and store.duplicate_runs() == 0


def test_parts_in_a_folder_without_a_manifest_are_never_adopted(tmp_path):
    store = _ensemble(tmp_path / "old")
    stray = tmp_path / "new"
    shutil.copytree(store.path / "parts", stray / "parts")
    with pytest.raises(InputError, match="no manifest.json: they are not adopted"):
        _ensemble(stray)
    assert not (stray / "manifest.json").exists()


def test_a_full_disk_is_a_clear_error_and_the_store_stays_consistent(tmp_path, capsys, monkeypatch):
    out = tmp_path / "s"
    _ensemble(out, replicates=4)
    import sim.engine.store as store_module

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.pq, "write_table", full)
    _one_line_error(capsys, ["run", "baseline", "--out", out, "--replicates", "8", "--seed", "5", "--detail",
                             "city", "--workers", "1", "--no-progress", "--no-charts", "--model",
                             "engine_models:toy_model"], "No space left", "free some space")
    monkeypatch.undo()
    store = ResultStore(out)
    assert not list(out.rglob("*.tmp"))
    assert store.completed() == {(0, r) for r in range(4)}
    resumed = _ensemble(out)
    clean = _ensemble(tmp_path / "clean")
    pd.testing.assert_frame_equal(resumed.results(), clean.results(), check_exact=True)


def test_the_store_records_the_model_with_its_arguments_and_refuses_another(tmp_path):
    design = ensemble_design(SCENARIO, 4, 3, detail="city")
    store = run_design(design, tmp_path / "s", model=partial(bernoulli_model, probability=0.3), workers=1,
                       progress=False)
    assert store.manifest["model"] == "engine_models:bernoulli_model(probability=0.3)"
    with pytest.raises(StoreMismatchError, match="model"):
        run_design(design, tmp_path / "s", model=partial(bernoulli_model, probability=0.5), workers=1,
                   progress=False)
    with pytest.raises(StoreMismatchError, match="model"):
        run_design(design, tmp_path / "s", model=bernoulli_model, workers=1, progress=False)


def test_the_first_finished_runs_reach_the_disk_within_a_few_seconds(tmp_path):
    out = tmp_path / "s"
    seen: list[tuple[float, int]] = []
    started = time.monotonic()

    def slow(scenario, seed):
        time.sleep(0.4)
        seen.append((time.monotonic() - started, len(list((out / "parts").glob("part-*.parquet")))))
        return toy_model(scenario, seed, detail="city")

    run_design(ensemble_design(SCENARIO, 14, 3, detail="city"), out, model=slow, workers=1, chunk_size=1,
               progress=False)  # flush_seconds stays at its default (10 s)
    on_disk = [t for t, parts in seen if parts > 0]
    assert on_disk and on_disk[0] < 4.0, seen
