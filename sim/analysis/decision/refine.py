"""Refinement of the lever levels on the model itself, between the emulator's best and the city's package.

The emulator answers in milliseconds but smooths what the model does in steps: a target that counts
units (platforms built, new stars) jumps at a threshold the emulator rounds off, so its best split can
starve a lever whose payoff is a step (measured: the emulator's best bought about 1 new platform a year
where the full package buys 4, and lost about half a target to it on the model). The refinement
therefore ranks a small set of candidates on the model, with common random numbers:

* the emulator's best allocations (the best distinct trials of the lever search);
* the *package mix*: the full package's money per lever, averaged over its years and scaled to the
  budget, as constant yearly levels (the package's own split, without its schedule);
* blends of the two: ``(1 - w) x package mix + w x emulator best`` (levels, so money per lever too) for the weights of
  :data:`BLEND_WEIGHTS`, then, around the best of those, the two midpoints with its neighbours.

Every candidate spends the same budget (the blend of two allocations of ``B`` spends ``B``), so the
ranking is by targets met alone. The runs use the search's seeds (not the verification's), so the chosen
allocation is then verified on fresh replicates without selection bias. A warm start from the policy in
force and a search that moves away from it only where the model agrees is how a decision-maker would
want a budget split found: the result can equal the package's split where nothing on the model beats it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.decision.allocate import Problem, allocation_scenario, lever_unit_cost
from sim.analysis.decision.directions import replicate_scores, score
from sim.analysis.decision.levers import (
    cost_by_lever_100m_yuan,
    lever_factors,
    lever_level,
    scaled_to_cost,
    total_cost_100m_yuan,
)
from sim.analysis.decision.verify import runs_key
from sim.analysis.targets import Targets
from sim.scenario.schema import Scenario

BLEND_WEIGHTS = (0.0, 1 / 3, 2 / 3, 1.0)  # weight of the emulator's best against the package mix (first round)
EMULATOR_CANDIDATES = 3  # the emulator's best distinct trials ranked on the model
MIDPOINTS = 2  # second round: midpoints around the best blend
MAX_REFINE_CANDIDATES = len(BLEND_WEIGHTS) + EMULATOR_CANDIDATES - 1 + MIDPOINTS


@dataclass(frozen=True)
class Candidate:
    """A set of lever levels to rank on the model.

    Attributes:
        label: What it is (``emulator_1``, ``package_mix``, ``blend_0.33``...).
        levels: Units per year of each allocated lever (the problem's order).
        weight: Weight of the emulator's best in a blend (None for the emulator's other trials).
    """

    label: str
    levels: np.ndarray
    weight: float | None


def package_levels(problem: Problem, package: Scenario) -> np.ndarray:
    """Constant yearly levels that spend the package's money per lever, scaled to the problem's budget.

    The package is first scaled to the budget over its years (:func:`scaled_to_cost`); each allocated
    lever's plan spending (for factors sharing a scenario lever, such as the talent tiers, its part by
    level x unit cost) is its money; money of levers the problem does not allocate is shared by the
    allocated ones in proportion (:meth:`Problem.levels`), so the mix spends the budget.
    """
    years = len(problem.base.years)
    scaled = scaled_to_cost(package, problem.budget * years, "package_mix_probe")  # the package's own designations
    by_lever = cost_by_lever_100m_yuan(scaled)
    every = lever_factors(problem.base.region)
    cost = {f.name: lever_unit_cost(problem.costed, f) for f in every
            if f.lever in {g.lever for g in problem.levers}}
    money = np.zeros(len(problem.levers))
    for i, f in enumerate(problem.levers):
        # factors sharing one scenario lever (the talent tiers) split its plan money by level x unit cost
        tiers = [g for g in every if g.lever == f.lever]
        parts = np.array([lever_level(scaled, g) * cost[g.name] for g in tiers])
        share = parts[[g.name for g in tiers].index(f.name)] / parts.sum() if parts.sum() > 0 else 1 / len(tiers)
        money[i] = by_lever.get(f.lever, 0.0) / years * share
    return problem.levels(money)


def blend(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """Levels ``(1 - weight) x a + weight x b``: money per lever is linear in the level, so the blend of two
    allocations that spend the budget spends it, and stays within the floors and caps both respect."""
    return (1.0 - weight) * np.asarray(a, dtype=float) + weight * np.asarray(b, dtype=float)


def first_round(emulator_levels: list[np.ndarray], package: np.ndarray) -> list[Candidate]:
    """The package mix, the blends towards the emulator's best, and the emulator's other best trials."""
    emulator_levels = emulator_levels[:EMULATOR_CANDIDATES]  # the run cap counts this many
    best = emulator_levels[0]
    out = [Candidate("package_mix" if w == 0 else ("emulator_1" if w == 1 else f"blend_{w:.2f}"),
                     blend(package, best, w), w) for w in BLEND_WEIGHTS]
    out += [Candidate(f"emulator_{i + 2}", lv, None) for i, lv in enumerate(emulator_levels[1:])]
    return _distinct(out)


def second_round(ranked: pd.DataFrame, emulator_best: np.ndarray, package: np.ndarray
                 ) -> list[Candidate]:
    """Midpoints between the best blend of the first round and its neighbours on the blend line."""
    blends = ranked[ranked["weight"].notna()]
    if blends.empty:
        return []
    best_w = float(blends.iloc[0]["weight"])
    step = (BLEND_WEIGHTS[1] - BLEND_WEIGHTS[0]) / 2
    out = [Candidate(f"blend_{w:.2f}", blend(package, emulator_best, w), w)
           for w in (best_w - step, best_w + step) if 0.0 < w < 1.0]
    return out


def _distinct(candidates: list[Candidate]) -> list[Candidate]:
    kept: list[Candidate] = []
    for c in candidates:
        if not any(np.abs(c.levels - k.levels).max() < 1e-6 for k in kept):
            kept.append(c)
    return kept


def candidate_scenario(problem: Problem, candidate: Candidate, designations: list | None) -> Scenario:
    """The base with the candidate's levels (and the comparator's designations, if given)."""
    from sim.analysis.decision.levers import with_designations

    scenario = allocation_scenario(problem, candidate.levels, f"refine_{candidate.label}")
    return with_designations(scenario, designations) if designations is not None else scenario


def rank_on_model(problem: Problem, candidates: list[Candidate], designations: list | None, folder: Path,
                  replicates: int, seed: int, targets: Targets, weights: dict[str, float], objective: str,
                  run_options: dict[str, Any] | None = None) -> tuple[pd.DataFrame, int]:
    """Run every candidate ``replicates`` times on the same seeds and rank them by the objective.

    Resumable: the runs go to ``folder/<key of the candidate set>`` (a result store), so a repeated call
    runs only what is missing.

    Returns:
        (table best first: label, weight, score, emulator_score, cost_100m_yuan, n_replicates and one
        ``level.<lever>`` column per lever; model runs made by this call).
    """
    from sim.engine.runner import run_scenarios
    from sim.engine.store import ResultStore

    scenarios = [candidate_scenario(problem, c, designations) for c in candidates]
    key = runs_key(scenarios, replicates, seed)
    before = len(ResultStore(folder / key).completed()) if (folder / key).exists() else 0
    store = run_scenarios(scenarios, replicates, seed, folder / key, detail="city", **(run_options or {}))
    per = replicate_scores(store, targets, weights)
    emulator = problem.scores(np.array([c.levels for c in candidates]))
    rows = []
    for c, s, emu in zip(candidates, scenarios, emulator):
        values = per.loc[s.name].to_numpy()
        if len(values) != replicates:
            raise RuntimeError(f"{s.name}: {len(values)} of {replicates} runs finished")
        rows.append({"label": c.label, "weight": c.weight, "score": score(values, objective),
                     "emulator_score": float(emu), "cost_100m_yuan": total_cost_100m_yuan(s),
                     "n_replicates": replicates,
                     **{f"level.{f.short}": float(v) for f, v in zip(problem.levers, c.levels)}})
    table = pd.DataFrame(rows).sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    return table, len(store.completed()) - before
