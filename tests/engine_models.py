"""Model functions with known behaviour for testing the experiment engine (not the project's model).

The engine takes any ``model(scenario, seed) -> DataFrame``; these stand in for ``sim.model.model.simulate``
in the engine's tests: a small seeded toy with the model's table shape, the Ishigami function and a
linear function whose sensitivity indices are known analytically, and switches that make chosen runs
raise, hang, kill their worker process or kill the whole program, to test failure recording and resume.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.inputs.region import load_region

TOY_INDICATORS = ("innovation_platforms", "breakthroughs", "standards", "head_enterprises",
                  "new_star_enterprises", "chain_leaders")
ISHIGAMI_FACTORS = ("parameters.exit_hazard_multiplier", "parameters.innovation_elasticity",
                    "parameters.agglomeration_elasticity")
LINEAR_FACTORS = ISHIGAMI_FACTORS + ("parameters.exit_size_elasticity",)
LINEAR_COEFFICIENTS = (4.0, -2.0, 1.0, 0.0)


def toy_model(scenario, seed, *, detail="full", fail_seeds=(), crash_seeds=(), crash_once_dir=None,
              kill_pid_at_seeds=(), kill_pid=None, hang_seeds=()):
    """A seeded toy with the model's table shape: city totals, per-direction and per-district rows.

    Values depend on the seed, on the R&D-grant lever and on ``parameters.startup_rate``, so sweeps
    over those see an effect.

    Args:
        fail_seeds: Seeds at which the run raises RuntimeError.
        crash_seeds: Seeds at which the process exits at once (``os._exit``), like a crash.
        crash_once_dir: If set, a crash happens only once per seed (a marker file is left here).
        kill_pid_at_seeds, kill_pid: Send SIGKILL to process ``kill_pid`` at these seeds.
        hang_seeds: Seeds at which the run hangs (sleeps for an hour in short steps).
    """
    if seed in hang_seeds:
        for _ in range(36000):
            time.sleep(0.1)
    if seed in fail_seeds:
        raise RuntimeError(f"planned failure at seed {seed}")
    if seed in crash_seeds:
        marker = Path(crash_once_dir) / f"crashed-{seed}" if crash_once_dir else None
        if marker is None or not marker.exists():
            if marker is not None:
                marker.touch()
            os._exit(3)
    if seed in kill_pid_at_seeds:
        os.kill(kill_pid, signal.SIGKILL)
    rng = np.random.default_rng(seed)
    region = load_region(scenario.region)
    years = np.arange(scenario.start_year, scenario.end_year + 1)
    grants = scenario.levers.rd_grants.amount_100m_yuan_per_year
    startup = scenario.parameters.get("startup_rate", 22.0)
    rows = []
    for k, indicator in enumerate(TOY_INDICATORS):
        rate = (1.0 + k) * (0.5 + grants / 10.0) * (startup / 22.0)
        by_direction = rng.poisson(rate / len(region.directions), size=(len(years), len(region.directions)))
        by_direction = np.cumsum(by_direction, axis=0)
        for t, year in enumerate(years):
            rows.append((int(year), "all", "all", indicator, float(by_direction[t].sum())))
            if detail != "city":
                for d, direction in enumerate(region.directions):
                    rows.append((int(year), direction, "all", indicator, float(by_direction[t, d])))
                    if detail == "full" and k == 0:
                        rows.append((int(year), direction, region.districts[d % len(region.districts)],
                                     indicator, float(by_direction[t, d])))
    # the toy pays out exactly its plan (the real model records what it delivered)
    for row in scenario.plan(region).spending.itertuples():
        if detail != "city":
            rows.append((int(row.year), row.direction, "all", f"spending_{row.lever}", float(row.value)))
    city = scenario.plan(region).spending.groupby(["year", "lever"], as_index=False)["value"].sum()
    rows += [(int(r.year), "all", "all", f"spending_{r.lever}", float(r.value)) for r in city.itertuples()]
    return pd.DataFrame(rows, columns=["year", "direction", "district", "indicator", "value"])


# fault injection does not change what a successful run computes: not part of the store's model identity
toy_model.execution_keywords = ("fail_seeds", "crash_seeds", "crash_once_dir", "kill_pid_at_seeds", "kill_pid",
                                "hang_seeds")


def _unit_values(scenario, names):
    """The [0, 1] position of each named (uniform) factor's value within its declared range."""
    space = load_region(scenario.region).space
    out = []
    for name in names:
        factor = space.factor(name)
        value = scenario.parameters.get(name.split(".", 1)[1], factor.default)
        out.append((value - factor.low) / (factor.high - factor.low))
    return np.array(out)


def ishigami_model(scenario, seed, *, noise=0.0):
    """The Ishigami function (a=7, b=0.1) of three uniform parameters mapped onto [-pi, pi].

    Returned as indicator ``breakthroughs`` in 2027 and 2035 (same value), plus seeded noise of
    standard deviation ``noise`` if asked.
    """
    x1, x2, x3 = -np.pi + 2 * np.pi * _unit_values(scenario, ISHIGAMI_FACTORS)
    value = np.sin(x1) + 7.0 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
    if noise:
        value += noise * np.random.default_rng(seed).standard_normal()
    return pd.DataFrame({"year": [2027, 2035], "direction": "all", "district": "all",
                         "indicator": "breakthroughs", "value": [value, value]})


def linear_model(scenario, seed):
    """``sum(a_i * u_i)`` over four uniform parameters at unit positions ``u_i``, as ``standards``.

    Morris elementary effects are exactly ``a_i`` per unit step, so mu* = |a_i| x (range of u = 1)
    and sigma = 0; first-order indices are ``a_i^2 / sum(a_j^2)``.
    """
    u = _unit_values(scenario, LINEAR_FACTORS)
    value = float(np.dot(LINEAR_COEFFICIENTS, u))
    return pd.DataFrame({"year": [2027, 2035], "direction": "all", "district": "all",
                         "indicator": "standards", "value": [value, value]})


def slow_toy_model(scenario, seed):
    """:func:`toy_model` at city detail that takes about 0.1 s and leaves a marker file per run.

    The marker folder is ``$WEILAI_TEST_TOUCH_DIR`` (set by a test before it starts the program), so
    a test can wait until some runs have happened before it interrupts the program.
    """
    import time

    folder = os.environ.get("WEILAI_TEST_TOUCH_DIR")
    time.sleep(0.1)
    frame = toy_model(scenario, seed, detail="city")
    if folder:
        Path(folder, f"ran-{seed}").touch()
    return frame


def bernoulli_model(scenario, seed, *, probability=0.3):
    """``breakthroughs`` in 2027 is 1 with the given probability, else 0 (one seeded draw per run)."""
    hit = float(np.random.default_rng(seed).random() < probability)
    return pd.DataFrame({"year": [2027], "direction": ["all"], "district": ["all"],
                         "indicator": ["breakthroughs"], "value": [hit]})


def failing_linear_model(scenario, seed, *, threshold=0.9):
    """:func:`linear_model`, but raises when the first factor's unit position exceeds ``threshold``."""
    if _unit_values(scenario, LINEAR_FACTORS[:1])[0] > threshold:
        raise RuntimeError("planned failure in a corner of the factor space")
    return linear_model(scenario, seed)


def odd_seed_failing_model(scenario, seed):
    """:func:`toy_model` at city detail that raises for odd seeds (about half the runs)."""
    if seed % 2:
        raise RuntimeError(f"odd seed {seed}")
    return toy_model(scenario, seed, detail="city")


def interrupting_model(scenario, seed, *, at_seeds=()):
    """:func:`linear_model` that raises KeyboardInterrupt (as Ctrl-C does) at the given seeds."""
    if seed in at_seeds:
        raise KeyboardInterrupt
    return linear_model(scenario, seed)


def rare_step_model(scenario, seed):
    """``standards`` is 1 only in the top 3% of the first factor's range (else 0): nearly constant;
    ``breakthroughs`` is :func:`linear_model`'s value."""
    u = _unit_values(scenario, LINEAR_FACTORS)
    step = float(u[0] > 0.97)
    value = float(np.dot(LINEAR_COEFFICIENTS, u))
    return pd.DataFrame({"year": [2027, 2027], "direction": "all", "district": "all",
                         "indicator": ["standards", "breakthroughs"], "value": [step, value]})


interrupting_model.execution_keywords = ("at_seeds",)  # fault injection: not part of the model identity


def wrong_result_chunk(job, scenarios, *, bad_seeds=()):
    """The engine's ``run_chunk``, except that a chunk holding one of ``bad_seeds`` returns a text instead
    of a ChunkResult (as a worker with other code might)."""
    from sim.engine.worker import run_chunk

    if any(run.seed in bad_seeds for run in job.runs):
        return "not a chunk result"
    return run_chunk(job, scenarios)


GOOD_LINEAR_SWEEP = (  # a small Morris sweep of linear_model, as a sweep file
    'scenario = "baseline"\nmethod = "morris"\nsamples = 4\nseed = 2\ntargets = false\noutputs = ["standards"]\n'
    'years = [2027]\nfactors = [' + ", ".join(f'"{f}"' for f in LINEAR_FACTORS) + "]\n")
