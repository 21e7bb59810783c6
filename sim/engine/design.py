"""Designs: sample points times replicate seeds, and the spending plans of a design.

A :class:`Design` lists sample points (a base scenario plus dotted-path values set on it) and a number of
replicates; every point runs the same replicate seeds (common random numbers).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from sim.core.errors import InputError
from sim.core.seeds import replicate_seeds
from sim.inputs.draws import draws_fingerprint
from sim.scenario.lever_schemas import lever_projects
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.engine.store import ResultStore

ModelFn = Callable[..., pd.DataFrame]
Detail = Literal["full", "directions", "city"]
MODEL_COLUMNS = ["year", "direction", "district", "indicator", "value"]
DETAILS: tuple[str, ...] = ("full", "directions", "city")


# ------------------------------------------------------------------------------------------ design


@dataclass(frozen=True)
class Point:
    """One sample point of a design: a base scenario with some values set on it.

    Attributes:
        sample: Sample id, unique within the design (the ``sample`` column of the results).
        scenario: Label written in the ``scenario`` column (the scenario or sweep name).
        values: Dotted scenario paths and their values, applied with :meth:`Scenario.with_values`
            (empty for a plain ensemble).
        base: Index of the base scenario in :attr:`Design.scenarios`.
    """

    sample: int
    scenario: str
    values: Mapping[str, float] = field(default_factory=dict)
    base: int = 0


@dataclass(frozen=True)
class Run:
    """One model run: a sample point, a replicate number and that replicate's seed."""

    sample: int
    replicate: int
    seed: int


@dataclass(frozen=True)
class Design:
    """Which runs exist: sample points x replicates, and what each run keeps.

    Attributes:
        kind: ``ensemble``, ``sweep``, ``comparison``, ``calibration``... (stored in the manifest).
        scenarios: Base scenarios the points refer to.
        points: Sample points, in sample order.
        replicates: Replicates per point; replicate ``r`` has the same seed at every point.
        base_seed: Base of ``SeedSequence(base_seed).spawn``.
        detail: ``full`` (all rows), ``directions`` (no per-district rows) or ``city`` (city totals).
        indicators: Keep only these indicators (None: all).
        extendable: True if more replicates may be added to the same store later (ensembles); the
            replicate count is then not part of the design's identity.
        spec: More facts that define the design (e.g. a sweep's method and factors); compared when a
            store is reopened.
    """

    kind: str
    scenarios: tuple[Scenario, ...]
    points: tuple[Point, ...]
    replicates: int
    base_seed: int
    detail: Detail = "full"
    indicators: tuple[str, ...] | None = None
    extendable: bool = False
    spec: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.detail not in DETAILS:
            raise InputError("unknown detail", key="detail", value=self.detail, allowed=", ".join(DETAILS))
        if self.replicates < 1:
            raise InputError("at least one replicate is needed", key="replicates", value=self.replicates,
                             allowed="1 or more")
        if self.base_seed < 0:
            raise InputError("the seed must not be negative", key="seed", value=self.base_seed,
                             allowed="0 or more")
        samples = [p.sample for p in self.points]
        if len(set(samples)) != len(samples):
            raise ValueError("sample ids of a design must be unique")

    @functools.cached_property
    def seeds(self) -> list[int]:
        """Replicate seeds, drawn once from ``SeedSequence(base_seed).spawn(replicates)``."""
        return replicate_seeds(self.base_seed, self.replicates)

    def runs(self) -> list[Run]:
        """Every run of the design, point by point, replicates in order."""
        seeds = self.seeds
        return [Run(p.sample, r, seeds[r]) for p in self.points for r in range(self.replicates)]

    def identity(self, model: str) -> dict[str, Any]:
        """What a store compares on reopening: everything that decides which runs exist and what
        they compute (not the execution: workers, scheduler, chunking)."""
        points = [[p.sample, p.scenario, p.base, sorted((k, float(v)) for k, v in p.values.items())]
                  for p in self.points]
        ident = {
            "model": model,
            "scenarios": [s.content_hash() for s in self.scenarios],
            "points": len(self.points),
            "points_hash": hashlib.sha256(json.dumps(points).encode()).hexdigest()[:16],
            "base_seed": self.base_seed,
            "detail": self.detail,
            "indicators": sorted(self.indicators) if self.indicators else None,
            "spec": dict(self.spec),
            "parameter_draws": sorted({draws_fingerprint(s.parameter_draws) for s in self.scenarios}),
        }
        if not self.extendable:
            ident["replicates"] = self.replicates
        return ident


def ensemble_design(scenario: Scenario, replicates: int, seed: int, *, detail: Detail = "full",
                    indicators: Sequence[str] | None = None) -> Design:
    """The design of a seeded ensemble of one scenario (sample 0, replicates 0..n-1).

    Args:
        scenario: The scenario.
        replicates: Number of replicates.
        seed: Base seed of the replicate seeds.
        detail: Rows to keep (see :class:`Design`).
        indicators: Keep only these indicators (None: all).
    """
    return Design(kind="ensemble", scenarios=(scenario,), points=(Point(0, scenario.name),),
                  replicates=replicates, base_seed=seed, detail=detail,
                  indicators=tuple(indicators) if indicators else None, extendable=True)


def scenarios_design(scenarios: Sequence[Scenario], replicates: int, seed: int, *, detail: Detail = "full",
                     indicators: Sequence[str] | None = None, kind: str = "comparison") -> Design:
    """Several scenarios, one sample each (sample ``i`` = ``scenarios[i]``), with common random numbers.

    Replicate ``r`` has the same seed in every scenario, so differences between scenarios are not
    blurred by different random draws. The basis of scenario comparisons.

    Args:
        scenarios: The scenarios (distinct names).
        replicates: Replicates per scenario.
        seed: Base seed.
        detail, indicators: As in :class:`Design`.
        kind: Store kind written in the manifest.
    """
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError("scenarios need distinct names", key="scenario", value=names,
                         allowed="one entry per scenario")
    points = tuple(Point(i, s.name, {}, base=i) for i, s in enumerate(scenarios))
    return Design(kind=kind, scenarios=tuple(scenarios), points=points, replicates=replicates,
                  base_seed=seed, detail=detail, indicators=tuple(indicators) if indicators else None,
                  extendable=True)


def delivered_spending(store: ResultStore) -> pd.DataFrame:
    """What each lever paid out in a store's runs (the model's ``spending_<lever>`` indicators, mean over
    replicates); this is the store's ``spending.parquet``. See :meth:`ResultStore.delivered_spending`.
    ``weilai check`` prints the planned spending (``Scenario.plan().spending``)."""
    return store.delivered_spending(lever_projects())
