"""Benchmark of the experiment engine: throughput, parallel efficiency, overhead, a full Sobol sweep.

Prints, for the baseline scenario and the real model (``sim.model.model.simulate``):

1. single-core rate: runs per second of a bare ``for`` loop of model runs in one process (the faster
   of two passes, alternating with item 2);
2. engine overhead: the same runs through :func:`sim.engine.runner.run_design` with ``workers=1``
   (chunking, result tables, Parquet parts, manifest), as seconds per run above the bare loop;
3. parallel efficiency on all local cores: the engine's process pool against cores x the single-core
   rate (goal >= 0.95), wall time from the call to the last part on disk (pool start-up included),
   and the pool's start-up cost on its own (a session of one run per core, less one run's time);
4. the machine's ceiling: as many independent bare loops as cores, in separate processes at once;
5. Mesa's ``batch_run`` on the same runs and cores, as a reference (the model wrapped in a Mesa
   ``DataCollector`` that collects the same city table at the end), in its own process because
   ``batch_run`` switches the global multiprocessing start method to spawn;
6. with ``--sobol``: the time of the full ``scenarios/sweeps/baseline_sobol.toml`` sweep
   (12+ factors, N = 512) and of its analysis (goal: under 30 minutes on 2 cores).

Performance lives here, never in the timed tests.

Usage: ``python benchmarks/bench_engine.py [--runs 480] [--single 30] [--sobol] [--out DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DETAIL = "city"  # what sweeps keep; ensembles keep "full" (more rows per run, same model time)


def bare_loop(n: int, seed: int) -> tuple[float, float]:
    """Wall and CPU seconds for n model runs in a plain loop in this process."""
    from sim.core.seeds import replicate_seeds
    from sim.model.model import simulate
    from sim.scenario.loading import load_scenario

    scenario = load_scenario("baseline")
    seeds = replicate_seeds(seed, n)
    simulate(scenario, seeds[0], detail=DETAIL)  # warm caches (region data, imports)
    started, cpu = time.perf_counter(), time.process_time()
    for s in seeds:
        simulate(scenario, s, detail=DETAIL)
    return time.perf_counter() - started, time.process_time() - cpu


def concurrent_bare_loops(n: int, seed: int, processes: int) -> float:
    """Runs per second of ``processes`` independent bare loops of n runs each, started together in
    separate processes: what the machine's cores give when nothing is shared (the hardware ceiling
    of any parallel runner; 2 virtual CPUs can be one physical core's two threads)."""
    procs = [subprocess.Popen([sys.executable, __file__, "--bare-loop", str(n), "--seed", str(seed + i)],
                              stdout=subprocess.PIPE, text=True) for i in range(processes)]
    walls = [json.loads(p.communicate()[0].strip().splitlines()[-1])["wall"] for p in procs]
    return processes * n / max(walls)


def engine(n: int, seed: int, workers: int, folder: Path) -> tuple[float, dict]:
    """Wall seconds for n runs through the engine (result store written), and the session record."""
    from sim.engine.design import ensemble_design
    from sim.engine.runner import run_design
    from sim.model.model import simulate
    from sim.scenario.loading import load_scenario

    scenario = load_scenario("baseline")
    simulate(scenario, 1, detail=DETAIL)  # same warm-up as the bare loop
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    store = run_design(ensemble_design(scenario, n, seed, detail=DETAIL), folder, model=simulate,
                       workers=workers, progress=False)
    wall = time.perf_counter() - started
    assert store.status()["runs_done"] == n, store.status()
    return wall, store.manifest["sessions"][-1]


MESA_SCRIPT = r"""
import json, sys, time
import mesa
from sim.model.model import FutureIndustryModel
from sim.scenario.loading import load_scenario
from sim.core.seeds import replicate_seeds

_SCENARIOS = {}


class BatchRunModel(FutureIndustryModel):
    # The model as Mesa's batch_run wants it: keyword parameters, a seed, a DataCollector.
    def __init__(self, scenario_name="baseline", seed=None):
        if scenario_name not in _SCENARIOS:
            _SCENARIOS[scenario_name] = load_scenario(scenario_name)
        super().__init__(_SCENARIOS[scenario_name], seed)
        self.datacollector = mesa.DataCollector(model_reporters={"city": lambda m: m.results("%s")})

    def step(self):
        super().step()
        if not self.running:
            self.datacollector.collect(self)


if __name__ == "__main__":
    n, seed, processes = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    seeds = replicate_seeds(seed, n)
    started = time.perf_counter()
    out = mesa.batch_run(BatchRunModel, parameters={"scenario_name": "baseline"}, rng=seeds,
                         number_processes=processes, data_collection_period=-1, max_steps=100,
                         display_progress=False)
    wall = time.perf_counter() - started
    assert len(out) == n, len(out)
    print(json.dumps({"wall": wall}))
""" % DETAIL


def mesa_batch_run(n: int, seed: int, processes: int, folder: Path) -> float:
    """Seconds for n runs through ``mesa.batch_run`` with this many processes (in a fresh process)."""
    script = folder / "mesa_batch_run.py"
    script.write_text(MESA_SCRIPT)
    proc = subprocess.run([sys.executable, str(script), str(n), str(seed), str(processes)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])["wall"]


def sobol_sweep(out: Path, workers: int | None) -> dict:
    """Run (or resume) the baseline Sobol sweep and analyse it; seconds of each."""
    from sim.analysis.sensitivity import analyze_store, format_summary
    from sim.analysis.sweep import load_sweep, run_sweep

    sweep = load_sweep("baseline_sobol")
    started = time.perf_counter()
    store = run_sweep(sweep, out, workers=workers, progress=True)
    sweep_wall = time.perf_counter() - started
    started = time.perf_counter()
    result = analyze_store(store)
    analyze_wall = time.perf_counter() - started
    print(format_summary(result, top=3))
    status = store.status()
    return {"factors": len(sweep.factors), "groups": sweep.n_groups, "samples": sweep.spec.samples,
            "runs": sweep.n_runs, "runs_done": status["runs_done"], "runs_failed": status["runs_failed"],
            "sweep_seconds": sweep_wall, "analyze_seconds": analyze_wall,
            "all_sessions_seconds": status["wall_seconds"]}


def main() -> int:
    from sim.engine.runner import default_workers

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--single", type=int, default=30, help="runs of the single-core measurements")
    parser.add_argument("--runs", type=int, default=480, help="runs of the all-core measurements")
    parser.add_argument("--seed", type=int, default=99)
    parser.add_argument("--no-mesa", action="store_true", help="skip the Mesa batch_run reference")
    parser.add_argument("--sobol", action="store_true", help="also time the full baseline Sobol sweep")
    parser.add_argument("--out", default="results/bench_sobol", help="store of the Sobol sweep (resumable)")
    parser.add_argument("--bare-loop", type=int, default=None, help=argparse.SUPPRESS)  # one concurrent loop
    args = parser.parse_args()
    if args.bare_loop is not None:
        print(json.dumps({"wall": bare_loop(args.bare_loop, args.seed)[0]}))
        return 0

    cores = default_workers()
    folder = Path(tempfile.mkdtemp(prefix="bench_engine_"))
    report: dict = {"cores": cores, "detail": DETAIL, "load_average_at_start": os.getloadavg()}
    print(f"{cores} cores; load average at start {os.getloadavg()[0]:.2f} (other processes on the machine "
          "lower every figure below)")
    try:
        # Bare loop and one-process engine alternate, twice each, and the faster of each pair counts:
        # a single pass in a fixed order has shown a few per cent of drift either way.
        bares, serials = [], []
        for _ in range(2):
            bares.append(bare_loop(args.single, args.seed))
            serials.append(engine(args.single, args.seed, 1, folder / "serial"))
        bare, bare_cpu = min(bares)
        serial, serial_session = min(serials, key=lambda pair: pair[0])
        report.update(bare_loop_seconds_per_run_each_pass=[b / args.single for b, _ in bares],
                      engine_serial_seconds_per_run_each_pass=[w / args.single for w, _ in serials])
        single_rate = args.single / bare
        in_runner = (serial_session["worker_cpu_seconds"] - bare_cpu) / args.single
        fixed = serial - serial_session["worker_seconds"]
        report.update(single_core_runs_per_second=single_rate, seconds_per_run=bare / args.single,
                      cpu_seconds_per_run=bare_cpu / args.single,
                      engine_overhead_seconds_per_run=(serial - bare) / args.single,
                      engine_overhead_share=(serial - bare) / bare,
                      engine_overhead_cpu_seconds_per_run_in_runner=in_runner,
                      engine_fixed_seconds_per_session=fixed)
        print(f"single core: {single_rate:.2f} runs/s ({1000 * bare / args.single:.0f} ms per run, "
              f"{1000 * bare_cpu / args.single:.0f} ms CPU; {args.single} runs, bare loop, the faster of two passes: "
              f"{', '.join(f'{1000 * b / args.single:.0f}' for b, _ in bares)} ms)")
        print(f"engine overhead (workers=1, store written): {1000 * (serial - bare) / args.single:+.1f} ms per run "
              f"in all ({100 * (serial - bare) / bare:+.1f}%) = {1000 * in_runner:+.1f} ms CPU per run in the runner "
              f"(result tables) + {fixed:.2f} s per session (store, manifest, last part) spread over the runs")

        cold_wall, _ = engine(cores, args.seed, cores, folder / "startup")  # starts the fork server too
        startup_wall, _ = engine(cores, args.seed, cores, folder / "startup")
        startup = startup_wall - bare / args.single
        report.update(pool_startup_seconds=startup, first_pool_startup_seconds=cold_wall - bare / args.single)
        print(f"pool start-up: {startup:.2f} s per session, {cold_wall - bare / args.single:.2f} s for the first "
              f"pool of a process (fork server start); each a session of {cores} runs on {cores} cores, "
              "less one run's time")
        parallel, session = engine(args.runs, args.seed, cores, folder / "parallel")
        rate = args.runs / parallel
        worker_cpu = session["worker_cpu_seconds"] / args.runs
        report.update(parallel_runs_per_second=rate, parallel_runs_per_second_per_core=rate / cores,
                      parallel_efficiency=rate / (cores * single_rate),
                      parallel_worker_cpu_seconds_per_run=worker_cpu,
                      parallel_dispatcher_cpu_seconds_per_run=session["engine_cpu_seconds"] / args.runs)
        steady = args.runs / (parallel - startup)
        report.update(parallel_efficiency_without_startup=steady / (cores * single_rate))
        print(f"engine on {cores} cores: {rate:.2f} runs/s = {rate / cores:.2f} per core; parallel efficiency "
              f"{rate / (cores * single_rate):.3f} (goal >= 0.95; {args.runs} runs incl. pool start-up; "
              f"{steady / (cores * single_rate):.3f} without it)")
        print(f"  CPU per run in the workers {1000 * worker_cpu:.0f} ms (bare loop {1000 * bare_cpu / args.single:.0f}"
              f" ms); dispatching process {1000 * session['engine_cpu_seconds'] / args.runs:.1f} ms per run")
        ceiling = concurrent_bare_loops(args.single, args.seed, cores)
        report.update(concurrent_bare_loops_runs_per_second=ceiling,
                      concurrent_bare_loops_efficiency=ceiling / (cores * single_rate),
                      engine_share_of_concurrent_bare_loops=rate / ceiling)
        print(f"{cores} bare loops at once in separate processes (the machine's ceiling): {ceiling:.2f} runs/s; "
              f"efficiency {ceiling / (cores * single_rate):.3f}; the engine reaches {rate / ceiling:.3f} of it")
        if not args.no_mesa:
            mesa_wall = mesa_batch_run(args.runs, args.seed, cores, folder)
            mesa_rate = args.runs / mesa_wall
            report.update(mesa_batch_run_runs_per_second=mesa_rate,
                          mesa_batch_run_efficiency=mesa_rate / (cores * single_rate))
            print(f"mesa.batch_run on {cores} processes: {mesa_rate:.2f} runs/s; efficiency "
                  f"{mesa_rate / (cores * single_rate):.3f} (reference)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.sobol:
        sobol = sobol_sweep(Path(args.out), None)
        report["sobol"] = sobol
        print(f"Sobol sweep: {sobol['factors']} factors in {sobol['groups']} groups, N={sobol['samples']}, "
              f"{sobol['runs']} runs: {sobol['sweep_seconds'] / 60:.1f} min this session "
              f"({sobol['all_sessions_seconds'] / 60:.1f} min over all sessions; goal < 30 min); "
              f"analysis {sobol['analyze_seconds']:.1f} s; {sobol['runs_failed']} failed")
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
