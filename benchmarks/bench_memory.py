"""Benchmark of memory: the peak resident memory of ``weilai brief`` and of the end of ``weilai run``
on a large full-detail store (goal: under 1.5 GB each, at any store size).

1. ``--real`` runs of the real model (baseline, full detail) are saved;
2. a store of ``--replicates`` runs (default 2,000) is built by ``weilai run --detail full`` with a model
   that replays those runs (:mod:`benchmarks.replay_model`): the real model's row shape and values;
3. the same ``weilai run`` command again: every run is on disk, so it does only what ends a run (the
   target table, ``targets.csv`` and the charts); its peak is measured;
4. ``weilai brief`` of that store; its peak is measured.

Each command runs in its own process; its peak is ``ru_maxrss`` of that child (the largest of the
process and any process it waited for). Memory lives here, never in the timed tests.

Usage: ``python benchmarks/bench_memory.py [--replicates 2000] [--real 8] [--out DIR]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def peak_of(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run a command in a child process; its peak resident memory (GB), wall time (s) and exit status."""
    code = ("import resource, subprocess, sys\n"
            "status = subprocess.call(sys.argv[1:])\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.exit(status)\n")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode:
        print(proc.stderr[-2000:], file=sys.stderr)
    kib = int(proc.stdout.strip().splitlines()[-1])
    return kib / 1024**2, wall, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--real", type=int, default=8, help="real model runs replayed")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", default=None, help="working folder (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.out or tempfile.mkdtemp(prefix="weilai-memory-"))
    work.mkdir(parents=True, exist_ok=True)

    import pandas as pd

    from sim.model.model import simulate
    from sim.scenario.loading import load_scenario

    replay_file = work / "replay.parquet"
    if not replay_file.exists():
        scenario = load_scenario("baseline")
        frames = [simulate(scenario, 1000 + k, detail="full").assign(run=k) for k in range(args.real)]
        pd.concat(frames, ignore_index=True).to_parquet(replay_file)
    env = dict(os.environ, WEILAI_REPLAY_FILE=str(replay_file),
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    weilai = [sys.executable, "-m", "sim"]
    store = work / "store"
    run = [*weilai, "run", "baseline", "--replicates", str(args.replicates), "--detail", "full", "--out", str(store),
           "--model", "replay_model:replay", "--no-progress", "--lang", "en"]
    if args.workers:
        run += ["--workers", str(args.workers)]
    build_gb, build_s, status = peak_of(run, env)
    rows = subprocess.run([*weilai, "status", str(store)], env=env, capture_output=True, text=True).stdout
    print(f"built {store}: {args.replicates} replicates, full detail, in {build_s:.0f} s "
          f"(peak {build_gb:.2f} GB, exit {status})\n{rows}")
    end_gb, end_s, status = peak_of(run, env)
    print(f"end of weilai run (targets, targets.csv, charts) on it: peak {end_gb:.2f} GB, {end_s:.0f} s, exit {status}")
    brief_gb, brief_s, status = peak_of([*weilai, "brief", str(store), "--out", str(work / "brief.html"),
                                         "--lang", "en"], env)
    print(f"weilai brief of it: peak {brief_gb:.2f} GB, {brief_s:.0f} s, exit {status}")
    goal = 1.5
    print(f"goal < {goal} GB: end of run {'met' if end_gb < goal else 'NOT met'}, "
          f"brief {'met' if brief_gb < goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
