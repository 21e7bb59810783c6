"""Model runs of the calibration, through the project's experiment engine (:mod:`sim.engine.runner`).

:func:`run_points` is the calibration's one way to run the model: it turns a batch of parameter sets
into an engine :class:`~sim.engine.design.Design` and runs it with :func:`~sim.engine.runner.run_design`,
which stores every finished run in a result store and resumes an interrupted batch.

One difference from ensembles and sweeps: the engine gives replicate ``r`` the same seed at every
point (common random numbers), which suits comparisons of scenarios, but ABC needs each parameter set
to meet its own noise, otherwise a whole batch is judged on one draw of chance. The calibration's
model functions therefore run on :func:`run_seed`, the replicate seed mixed with the content of the
run's scenario (so with its parameter values): deterministic, the same on resume and in parallel, and
different for every parameter set. The rows keep the replicate seed they were dispatched with; the
seed the model ran on follows from it and the stored point values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.design import Design, Detail, Point
from sim.engine.runner import run_design
from sim.model.model import simulate
from sim.scenario.schema import Scenario

ModelFn = Callable[..., pd.DataFrame]
SEED_RULE = "SeedSequence([replicate seed, int(scenario.content_hash(), 16)])"


def run_seed(seed: int, scenario: Scenario) -> int:
    """The seed a calibration run uses: its replicate seed mixed with its scenario's content (see the
    module docstring). A non-negative 63-bit integer."""
    state = np.random.SeedSequence([int(seed), int(scenario.content_hash(), 16)]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def hindcast(scenario: Scenario, seed: int, *, detail: str = "directions", population_scale: float = 1.0
             ) -> pd.DataFrame:
    """Model function of the calibration: :func:`sim.model.model.simulate` on :func:`run_seed`."""
    return simulate(scenario, run_seed(seed, scenario), detail=detail, population_scale=population_scale)


def hindcast_model(population_scale: float = 1.0) -> ModelFn:
    """:func:`hindcast` at a population scale (1 = the data; quick mode and tests use less)."""
    return functools.partial(hindcast, population_scale=population_scale)


def run_points(
    scenario: Scenario,
    points: Sequence[Mapping[str, Any]],
    out: str | Path,
    *,
    base_seed: int,
    model: ModelFn | None = None,
    replicates: int = 1,
    detail: Detail = "directions",
    indicators: Sequence[str] | None = None,
    workers: int | None = 1,
) -> pd.DataFrame:
    """Run the model at each point (scenario values set by dotted paths) through the engine.

    Args:
        scenario: The base scenario.
        points: Dotted scenario paths and values, one mapping per point.
        out: Result-store folder of this batch (resumed if it holds the same batch).
        base_seed: Base of the replicate seeds (``SeedSequence(base_seed).spawn``).
        model: ``model(scenario, seed[, detail])`` (default: :func:`hindcast_model`).
        replicates: Runs per point.
        detail: ``full``, ``directions`` or ``city`` rows.
        indicators: Keep only these indicators (None: all).
        workers: Local processes.

    Returns:
        The batch's rows: scenario, sample (position in ``points``), replicate, seed (the replicate
        seed), year, direction, district, indicator, value. A run that fails has no rows; the engine
        records it in the store's ``failures/`` and the batch goes on.
    """
    design = Design(kind="calibration", scenarios=(scenario,),
                    points=tuple(Point(i, scenario.name, dict(values)) for i, values in enumerate(points)),
                    replicates=replicates, base_seed=int(base_seed), detail=detail,
                    indicators=tuple(indicators) if indicators else None, spec={"run_seed": SEED_RULE})
    store = run_design(design, out, model=model or hindcast_model(), workers=workers, progress=False)
    return store.results()
