"""The split of an allocation's money across the directions, searched on the model itself.

After :mod:`sim.analysis.decision.allocate` has chosen the lever levels on the emulator, one split of
the money across the region's directions (shares summing to one) is searched and applied, as the
lever's ``allocation`` (which overrides the scenario's ``[priorities]``), to every allocated lever
that accepts one and whose plan cost does not depend on the split (money levers split their amount,
count levers apportion whole units; the sandbox's coverage saturates per direction, so its cost
would move with the split and it keeps the priorities). One common split, not one per lever: nine
shares are what a search of at most 500 model runs can explore.

The emulator has no direction inputs, so every trial is evaluated on the model: ``replicates`` runs
of the scenario with the same replicate seeds in every trial (common random numbers, through
:func:`sim.engine.runner.run_scenarios`), so two splits are compared on the same random streams and
calibration draws; these replicates are not the verification's (:func:`search_seed`), so the
verification of the chosen split is not biased by its selection. The objective follows the lever stage,
over the replicates instead of the emulator's sampled futures:

* ``expected``: mean over the replicates of the number of targets met;
* ``worst``: the fewest targets met in any replicate;
* ``weighted``: as ``expected`` with each target weighted by one over the number of targets of its
  year (so each target year counts equally).

optuna's TPE sampler proposes the shares (one ``[0, 1]`` weight per direction, normalised), resumable
through the same ``search.db`` as the lever stage under its own study name. The first trial is the
base's own split (the scenario evaluated unchanged, its priorities in force), and ties go to the
earlier trial, so the chosen split is never worse than the base's on the search's replicates.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.decision.levers import cost_by_lever_100m_yuan, total_cost_100m_yuan
from sim.analysis.decision.value import met_matrix, read_city_rows
from sim.analysis.targets import Targets
from sim.core.errors import InputError
from sim.inputs.region import load_region
from sim.scenario.schema import Scenario

MAX_SEARCH_RUNS = 500  # model runs of the whole search on the model: ranking and direction split (the goal)
SHARE_DECIMALS = 4     # shares are written to allocation.toml with this many decimals
BASE_SPLIT = "base"


@dataclass(frozen=True)
class DirectionProblem:
    """A direction split to search on the model.

    Attributes:
        scenario: The allocation whose lever levels are fixed (what the split is applied to).
        levers: Scenario levers that take the split (``rd_grants``, ``talent_programme``...).
        directions: The region's directions, in order.
        base_shares: The base's default priority shares (the first trial's parameters).
        objective: ``expected``, ``worst`` or ``weighted``.
        replicates: Model runs per trial (same seeds in every trial). seed: Base seed of the runs.
        weights: Weight of each target id in the objective.
    """

    scenario: Scenario
    levers: tuple[str, ...]
    directions: tuple[str, ...]
    base_shares: np.ndarray
    objective: str
    replicates: int
    seed: int
    weights: dict[str, float]


def split_levers(scenario: Scenario, levers: list[str]) -> tuple[list[str], list[str]]:
    """The levers among ``levers`` that take a direction split, and notes on the ones left out.

    A lever takes the split if its schema accepts an ``allocation``, it spends money in the scenario and
    its plan cost is the same under a split concentrated on one direction (so the split moves no money
    between levers and the verified cost is unchanged).
    """
    taken, notes = [], []
    costs = cost_by_lever_100m_yuan(scenario)
    directions = load_region(scenario.region).directions
    for name in dict.fromkeys(levers):
        lever = getattr(scenario.levers, name)
        if not type(lever).BY_DIRECTION:
            notes.append(f"{name}: placed by designations, not shares")
            continue
        if costs.get(name, 0.0) <= 1e-9:
            notes.append(f"{name}: spends nothing in the allocation")
            continue
        probe = cost_by_lever_100m_yuan(with_split(scenario, [name], {directions[0]: 1.0}, "probe"))[name]
        if abs(probe - costs[name]) > 1e-6 * max(1.0, costs[name]):
            notes.append(f"{name}: its cost depends on the split (kept on the priorities)")
            continue
        taken.append(name)
    return taken, notes


def base_shares(scenario: Scenario) -> np.ndarray:
    """The scenario's default priority shares over the region's directions (an equal split if unset)."""
    directions = load_region(scenario.region).directions
    shares = scenario.priorities.shares
    if shares is None:
        return np.full(len(directions), 1.0 / len(directions))
    return np.array([float(shares.get(d, 0.0)) for d in directions])


def rounded_shares(weights: np.ndarray, directions: list[str] | tuple[str, ...]) -> dict[str, float]:
    """Non-negative weights as shares with :data:`SHARE_DECIMALS` decimals summing to one.

    Largest remainder rounding (on units of 10^-decimals), so the written shares sum to one exactly.
    """
    weights = np.maximum(np.asarray(weights, dtype=float), 0.0)
    weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(weights), 1.0 / len(weights))
    units = 10 ** SHARE_DECIMALS
    raw = weights * units
    whole = np.floor(raw).astype(int)
    order = np.argsort(-(raw - whole), kind="stable")
    whole[order[: units - whole.sum()]] += 1
    return {d: int(u) / units for d, u in zip(directions, whole)}


def with_split(scenario: Scenario, levers: list[str] | tuple[str, ...], shares: dict[str, float], name: str
               ) -> Scenario:
    """A copy with ``allocation = shares`` on each of ``levers`` (overriding the priorities for them)."""
    from sim.scenario.schema import validate_scenario

    data = scenario.model_dump(mode="python")
    for lever in levers:
        data["levers"][lever]["allocation"] = {d: float(s) for d, s in shares.items() if s > 0}
    data["name"] = name
    copy = validate_scenario(data, file=scenario.source)
    copy._source = scenario.source
    return copy


def target_weights(targets: Targets, objective: str) -> dict[str, float]:
    """Weight of each target in the objective (one each; ``weighted``: one over its year's count)."""
    years = [t.year for t in targets.target]
    if objective == "weighted":
        return {t.id: 1.0 / years.count(t.year) for t in targets.target}
    return {t.id: 1.0 for t in targets.target}


def check_search_size(trials: int, replicates: int) -> None:
    """Refuse fewer than one trial or replicate, or a search of more than :data:`MAX_SEARCH_RUNS` model runs.

    Raises:
        InputError: naming the option (``--direction-trials``, ``--direction-replicates``).
    """
    for key, value in (("--direction-trials", trials), ("--direction-replicates", replicates)):
        if value < 1:
            raise InputError("must be at least 1", key=key, value=value, allowed="1 or more")
    if trials * replicates > MAX_SEARCH_RUNS:
        raise InputError(f"the direction search may use at most {MAX_SEARCH_RUNS} model runs",
                         key="--direction-trials",
                         value=f"{trials} trials x {replicates} replicates = {trials * replicates} runs",
                         allowed=f"trials x replicates <= {MAX_SEARCH_RUNS}")


def search_seed(seed: int) -> int:
    """Base seed of the direction search's runs, derived from the command's seed but distinct from it, so
    that the verification (which runs on ``seed``) does not reuse the replicates the split was chosen on."""
    return int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])


def direction_problem(scenario: Scenario, levers: list[str], objective: str, targets: Targets, replicates: int,
                      seed: int) -> tuple[DirectionProblem, list[str]]:
    """Set up the search on ``scenario``: the levers that take the split, and notes on the others."""
    taken, notes = split_levers(scenario, levers)
    directions = tuple(load_region(scenario.region).directions)
    problem = DirectionProblem(scenario, tuple(taken), directions, base_shares(scenario), objective, replicates,
                               seed, target_weights(targets, objective))
    return problem, notes


def direction_key(problem: DirectionProblem) -> str:
    """Identity of a direction search (its optuna study name)."""
    text = json.dumps({"scenario": problem.scenario.content_hash(), "levers": list(problem.levers),
                       "objective": problem.objective, "replicates": problem.replicates, "seed": problem.seed},
                      sort_keys=True)
    return "directions-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def replicate_scores(store: Any, targets: Targets, weights: dict[str, float]) -> pd.Series:
    """Weighted number of targets met in each replicate of a store's runs."""
    rows = read_city_rows(store, [t.indicator for t in targets.target])
    met = met_matrix(rows, targets)
    return (met.astype(float) * pd.Series(weights)[met.columns]).sum(axis=1)


def score(per_replicate: np.ndarray, objective: str) -> float:
    """The objective of a trial from its per-replicate weighted counts."""
    values = np.asarray(per_replicate, dtype=float)
    return float(values.min()) if objective == "worst" else float(values.mean())


def search_directions(problem: DirectionProblem, folder: Path, trials: int, targets: Targets,
                      run_options: dict[str, Any] | None = None) -> tuple[pd.DataFrame, int]:
    """TPE search over the direction split, each trial run on the model; resumable through ``folder/search.db``.

    Args:
        problem: The search. folder: Output folder (``search.db``; each trial's runs in
            ``direction_runs/<study name>/trial_NNNN``).
        trials: Trials in all (finished trials of an earlier call count).
        targets: The targets. run_options: Passed to :func:`sim.engine.runner.run_scenarios` (workers...).

    Returns:
        (table, runs): every finished trial best first (trial, split ``base`` or ``searched``, score,
        model runs, one share column per direction; ties keep trial order) and the model runs made by this call.
    """
    import optuna

    from sim.engine.runner import run_scenarios

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folder.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(study_name=direction_key(problem), storage=f"sqlite:///{folder / 'search.db'}",
                                direction="maximize", sampler=optuna.samplers.TPESampler(seed=problem.seed),
                                load_if_exists=True)
    names = list(problem.directions)
    if not any(t.user_attrs.get("split") == BASE_SPLIT for t in study.trials
               if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.WAITING)):
        top = problem.base_shares.max()
        study.enqueue_trial({d: float(v / top) for d, v in zip(names, problem.base_shares)},
                            user_attrs={"split": BASE_SPLIT})
    runs = 0

    def objective(trial: optuna.Trial) -> float:
        nonlocal runs
        weights = np.array([trial.suggest_float(d, 0.0, 1.0) for d in names])
        if trial.user_attrs.get("split") == BASE_SPLIT:
            scenario = problem.scenario.model_copy(update={"name": f"directions_trial_{trial.number}"})
        else:
            trial.set_user_attr("split", "searched")
            scenario = with_split(problem.scenario, problem.levers, rounded_shares(weights, names),
                                  f"directions_trial_{trial.number}")
        store = run_scenarios([scenario], problem.replicates, problem.seed,
                              folder / "direction_runs" / study.study_name / f"trial_{trial.number:04d}", detail="city",
                              **(run_options or {}))
        runs += problem.replicates
        trial.set_user_attr("model_runs", problem.replicates)
        per_replicate = replicate_scores(store, targets, problem.weights)
        if len(per_replicate) != problem.replicates:
            raise RuntimeError(f"trial {trial.number}: {len(per_replicate)} of {problem.replicates} runs finished")
        return score(per_replicate.to_numpy(), problem.objective)

    complete = optuna.trial.TrialState.COMPLETE
    done = sum(t.state == complete for t in study.trials)
    if trials > done:
        study.optimize(objective, n_trials=trials - done)
    rows = []
    for t in study.trials:
        if t.state != complete:
            continue
        split = t.user_attrs.get("split", "searched")
        shares = (dict(zip(names, problem.base_shares)) if split == BASE_SPLIT
                  else rounded_shares(np.array([t.params[d] for d in names]), names))
        rows.append({"trial": t.number, "split": split, "score": t.value,
                     "model_runs": int(t.user_attrs.get("model_runs", 0)),
                     **{f"share.{d}": float(shares[d]) for d in names}})
    table = pd.DataFrame(rows).sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    return table, runs


def best_split(table: pd.DataFrame, directions: tuple[str, ...]) -> dict[str, float] | None:
    """The best trial's shares, or None if the base's own split is best (the priorities stay in force)."""
    best = table.iloc[0]
    if best["split"] == BASE_SPLIT:
        return None
    return {d: float(best[f"share.{d}"]) for d in directions}


def direction_money(scenario: Scenario, levers: list[str], split_levers_: list[str] | tuple[str, ...]
                    ) -> pd.DataFrame:
    """Money per year by lever and direction from the scenario's plan (``allocation_directions.csv``).

    Returns:
        lever, direction, share (of the lever's money), money_100m_yuan_per_year (mean over the years),
        split (``searched`` if the lever took the split, else ``priorities``).
    """
    spending = scenario.plan().spending
    n_years = len(scenario.years)
    directions = load_region(scenario.region).directions
    rows = []
    for lever in dict.fromkeys(levers):
        part = spending[spending["lever"] == lever].groupby("direction")["value"].sum()
        total = float(part.sum())
        for d in directions:
            money = float(part.get(d, 0.0))
            rows.append({"lever": lever, "direction": d, "share": money / total if total > 0 else math.nan,
                         "money_100m_yuan_per_year": money / n_years,
                         "split": "searched" if lever in split_levers_ else "priorities"})
    table = pd.DataFrame(rows)
    if abs(table["money_100m_yuan_per_year"].sum() * n_years
           - sum(cost_by_lever_100m_yuan(scenario).get(lv, 0.0) for lv in dict.fromkeys(levers))) > 1e-6:
        raise RuntimeError("direction money does not add up to the levers' plan cost")
    return table


def split_cost_unchanged(before: Scenario, after: Scenario) -> bool:
    """True if applying the split left the plan's total cost unchanged (as :func:`split_levers` ensures)."""
    a, b = total_cost_100m_yuan(before), total_cost_100m_yuan(after)
    return abs(a - b) <= 1e-6 * max(1.0, a)
