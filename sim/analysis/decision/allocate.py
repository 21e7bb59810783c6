"""The best split of a yearly budget across levers: searched on the emulator, verified on the model.

A candidate is a set of shares of the yearly budget ``B`` (亿元 a year) over the allocatable levers
(the lever inputs of the emulator). Shares become constant yearly levels through each lever's cost
per unit from the base scenario's spending plan (so a platform costs its set-up and the operating
cost of the platforms it adds, a recruit its unit cost); a level above the range the emulator was
trained on is capped there and the rest of the money goes to the other levers in proportion.

Objectives, over a fixed Latin-hypercube sample of the emulator's uncertainty inputs ("futures"); the
calibration draws are averaged inside the emulator, which was fitted over them:

* ``expected``: mean over the futures of the expected number of targets met (sum of probabilities);
* ``worst``: the same number in the worst of the futures;
* ``weighted``: each target year counts equally (mean probability of the 2027 targets plus mean
  probability of the 2035 targets).

The search is optuna's TPE sampler (a maintained Bayesian optimiser for mixed, bounded variables,
and its SQLite storage makes a search resumable: the same command adds only the missing trials).
Verification runs the best candidates on the model with common random numbers next to the full
package and the base scenario, each scaled to the same total cost by multiplying every lever's
schedule (step ``changes``; :func:`sim.analysis.decision.levers.scaled_to_cost`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.decision.emulator import Emulator, check_scenario
from sim.analysis.decision.levers import LeverFactor, lever_factors, lever_level, total_cost_100m_yuan, with_levels
from sim.core.errors import InputError
from sim.scenario.schema import Scenario

OBJECTIVES = ("expected", "worst", "weighted")


@dataclass
class Problem:
    """An allocation problem on an emulator.

    Attributes:
        emulator: The emulator. base: The base scenario (levels of levers not allocated, other settings).
        levers: The allocated levers. budget: 亿元 a year split across them.
        unit_cost: Yearly cost of one unit of each lever's level (亿元 per unit per year).
        minimum: Floor level of each allocated lever (units per year).
        futures: Uncertainty inputs (n, d) with the levers' columns to be filled.
        objective: One of :data:`OBJECTIVES`.
        cost_base: The scenario the unit costs come from: the base as the model will run it (with the
            comparator's designations, which change what support per zone costs).
    """

    emulator: Emulator
    base: Scenario
    levers: list[LeverFactor]
    budget: float
    unit_cost: np.ndarray
    minimum: np.ndarray
    high: np.ndarray
    futures: np.ndarray
    objective: str
    weights: np.ndarray
    cost_base: Scenario | None = None

    @property
    def costed(self) -> Scenario:
        """The scenario unit costs are measured on (``cost_base``, else the base)."""
        return self.cost_base or self.base

    @property
    def columns(self) -> list[int]:
        names = self.emulator.input_names
        return [names.index(f.name) for f in self.levers]

    def levels(self, shares: np.ndarray) -> np.ndarray:
        """Levels (units per year) of shares of the budget above the floors, capped at the trained range."""
        shares = np.asarray(shares, dtype=float)
        shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(shares), 1 / len(shares))
        money = self.minimum * self.unit_cost + shares * (self.budget - float(self.minimum @ self.unit_cost))
        cap = self.high * self.unit_cost
        for _ in range(len(shares) + 1):  # water-filling: money above a cap goes to the uncapped levers
            over = np.maximum(money - cap, 0.0)
            if over.sum() <= 1e-12:
                break
            money = np.minimum(money, cap)
            free = (money < cap - 1e-12) & (shares > 0)
            if not free.any():
                free = money < cap - 1e-12
            weights = np.where(free, np.maximum(shares, 1e-9), 0.0)
            money = money + over.sum() * weights / weights.sum()
        return money / self.unit_cost

    def scores(self, levels: np.ndarray) -> np.ndarray:
        """Objective of each row of levels (k, levers)."""
        levels = np.atleast_2d(levels)
        k, n = len(levels), len(self.futures)
        x = np.repeat(self.futures[None, :, :], k, axis=0)
        x[:, :, self.columns] = levels[:, None, :]
        probs, _ = self.emulator.predict_matrix(x.reshape(k * n, -1))
        per_future = (probs @ self.weights).reshape(k, n)
        return per_future.min(axis=1) if self.objective == "worst" else per_future.mean(axis=1)


def build_problem(emu: Emulator, base: Scenario, budget: float, levers: list[LeverFactor] | None = None,
                  minimum: dict[str, float] | None = None, objective: str = "expected", futures: int = 64,
                  seed: int = 2024, cost_base: Scenario | None = None) -> Problem:
    """Check the inputs and set up the problem.

    ``cost_base`` (default: ``base``) is the base as the model will run it, where that differs from the
    emulator's training base in settings that are not budget (the comparator's designations): each
    lever's unit cost is measured on it, so that a candidate spends the budget when it is run.

    Raises:
        InputError: budget not positive, unknown objective, a lever the emulator does not take, floors
            that cost more than the budget, or a budget more than the levers can take within their ranges.
    """
    from scipy.stats import qmc

    if not budget > 0:
        raise InputError("the budget must be positive", key="--budget", value=budget, allowed="亿元 a year > 0")
    if objective not in OBJECTIVES:
        raise InputError("unknown objective", key="--objective", value=objective, allowed=", ".join(OBJECTIVES))
    check_scenario(emu, base, check_model=True)
    known = {f.name: f for f in lever_factors(base.region)}
    inputs = emu.input_names
    trained = [known[n] for n in inputs if n in known]
    levers = levers or trained
    for f in levers:
        if f.name not in inputs:
            raise InputError("the emulator was not trained on this lever", key="--levers", value=f.short,
                             allowed=", ".join(t.short for t in trained))
    cost_base = cost_base or base
    unit_cost = np.array([lever_unit_cost(cost_base, f) for f in levers])
    if (unit_cost <= 0).any():
        bad = [f.short for f, c in zip(levers, unit_cost) if c <= 0]
        raise InputError("these levers spend nothing in the base scenario and cannot take money", key="--levers",
                         value=bad, allowed="levers with a cost")
    minimum = minimum or {}
    by_short = {f.short: f for f in levers}
    for name in minimum:
        if name not in by_short:
            raise InputError("a floor names a lever that is not allocated", key="--min", value=name,
                             allowed=", ".join(by_short))
    floors = np.array([float(minimum.get(f.short, 0.0)) for f in levers])
    high = np.array([emu.inputs[inputs.index(f.name)]["high"] for f in levers])
    if (floors > high).any() or (floors < 0).any():
        bad = [f.short for f, m, h in zip(levers, floors, high) if m > h or m < 0]
        raise InputError("a floor is outside the lever's range", key="--min", value=bad,
                         allowed="0 up to the range the emulator was trained on")
    if floors @ unit_cost > budget + 1e-9:
        raise InputError("infeasible: the floors cost more than the budget", key="--min",
                         value=f"{floors @ unit_cost:.1f}亿 a year", allowed=f"floors within {budget:g}亿 a year")
    if high @ unit_cost < budget:
        raise InputError("infeasible: the levers cannot take this budget within the ranges the emulator was "
                         "trained on", key="--budget", value=budget, allowed=f"at most {high @ unit_cost:.1f}亿 a year")
    base_x = np.array([i["base"] for i in emu.inputs])
    uncertain = [j for j, i in enumerate(emu.inputs) if i["section"] != "levers"]
    unit = qmc.LatinHypercube(d=max(1, len(uncertain)), seed=seed).random(futures)
    x = np.repeat(base_x[None, :], futures, axis=0)
    for col, j in enumerate(uncertain):
        x[:, j] = emu.inputs[j]["low"] + unit[:, col] * (emu.inputs[j]["high"] - emu.inputs[j]["low"])
    weights = np.ones(len(emu.targets))
    if objective == "weighted":
        years = np.array([t["year"] for t in emu.targets])
        weights = np.array([1.0 / np.sum(years == y) for y in years])
    return Problem(emu, base, levers, float(budget), unit_cost, floors, high, x, objective, weights, cost_base)


def lever_unit_cost(base: Scenario, lever: LeverFactor) -> float:
    """Yearly cost of one unit of level (difference of plans 10 units apart, over the years)."""
    level = lever_level(base, lever)
    low = with_levels(base, {lever.name: level}, "probe")
    high = with_levels(base, {lever.name: level + 10.0}, "probe")
    return (total_cost_100m_yuan(high) - total_cost_100m_yuan(low)) / 10.0 / len(base.years)


def problem_key(problem: Problem) -> str:
    """Identity of a search (its optuna study name): what decides the candidates and their scores."""
    text = json.dumps({"budget": problem.budget, "levers": [f.name for f in problem.levers],
                       "minimum": problem.minimum.tolist(), "objective": problem.objective,
                       "unit_cost": np.round(problem.unit_cost, 9).tolist(),
                       "base": problem.base.content_hash(), "emulator": problem.emulator.identity["model_fingerprint"],
                       "trained": problem.emulator.identity["created"], "futures": len(problem.futures)},
                      sort_keys=True)
    return "allocate-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def search(problem: Problem, folder: Path, trials: int, seed: int = 2024) -> pd.DataFrame:
    """TPE search over budget shares, resumable through ``folder/search.db``.

    Returns:
        Every finished trial: trial, score, shares and levels per lever, sorted best first.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folder.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(study_name=problem_key(problem), storage=f"sqlite:///{folder / 'search.db'}",
                                direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed),
                                load_if_exists=True)
    names = [f.short for f in problem.levers]
    if not study.trials:
        study.enqueue_trial({n: 0.5 for n in names})  # the even split
        base_money = np.array([lever_level(problem.base, f) for f in problem.levers]) * problem.unit_cost
        if base_money.sum() > 0:
            study.enqueue_trial({n: float(v) for n, v in zip(names, base_money / base_money.max())})

    def objective(trial) -> float:
        shares = np.array([trial.suggest_float(n, 0.0, 1.0) for n in names])
        return float(problem.scores(problem.levels(shares))[0])

    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    if trials > done:
        study.optimize(objective, n_trials=trials - done)
    rows = []
    for t in study.trials:
        if t.state != optuna.trial.TrialState.COMPLETE:
            continue
        shares = np.array([t.params[n] for n in names])
        levels = problem.levels(shares)
        rows.append({"trial": t.number, "score": t.value,
                     **{f"level.{n}": v for n, v in zip(names, levels)},
                     **{f"money.{n}": v for n, v in zip(names, levels * problem.unit_cost)}})
    return pd.DataFrame(rows).sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def random_best(problem: Problem, n: int, seed: int = 2024, batch: int = 250) -> float:
    """Best score of ``n`` random allocations (flat Dirichlet shares) on the emulator."""
    rng = np.random.default_rng(seed)
    best = -math.inf
    for start in range(0, n, batch):
        shares = rng.dirichlet(np.ones(len(problem.levers)), size=min(batch, n - start))
        levels = np.array([problem.levels(s) for s in shares])
        best = max(best, float(problem.scores(levels).max()))
    return best


def allocation_scenario(problem: Problem, levels: np.ndarray, name: str) -> Scenario:
    """The base with the allocated levers at constant yearly levels."""
    return with_levels(problem.base, {f.name: float(v) for f, v in zip(problem.levers, levels)}, name)


def scenario_toml(problem: Problem, levels: np.ndarray, base_ref: str, title_zh: str, title_en: str,
                  comment: str, designations: list | None = None, allocation: dict[str, float] | None = None,
                  allocation_levers: list[str] | None = None) -> str:
    """A scenario file (extends the base) with the allocated levels, the split across directions of
    ``allocation_levers`` (``allocation``; None: the base's priorities) and the municipal pilot-zone
    designations it was verified with (None: the base's); every command can run it."""
    by_lever: dict[str, dict[str, float]] = {}
    for f, v in zip(problem.levers, levels):
        by_lever.setdefault(f.lever, {})[f.attribute] = float(v)
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [f"extends = {json.dumps(base_ref)}", f"title_zh = {json.dumps(title_zh, ensure_ascii=False)}",
              f"title_en = {json.dumps(title_en)}", ""]
    start, end = problem.base.start_year, problem.base.end_year
    zones = []
    if designations is not None:  # in the pilot-zone lever's table (one table per lever in TOML)
        zones = ["# designations are decisions, not budget: those of the comparator", "designations = ["]
        zones += [f'  {{ district = "{d.district}", direction = "{d.direction}", year = {d.year} }},'
                  for d in designations]
        zones.append("]")
        by_lever.setdefault("pilot_zones", {})
    for lever, values in by_lever.items():
        lines.append(f"[levers.{lever}]")
        lines += [f"{attr} = {value:.6g}" for attr, value in values.items()]
        if values:
            lines += [f"start_year = {start}", f"end_year = {end}", "ramp_years = 0", "changes = []"]
        if allocation is not None and lever in (allocation_levers or []):
            shares = ", ".join(f"{json.dumps(d)} = {s!r}" for d, s in allocation.items() if s > 0)
            lines.append(f"allocation = {{ {shares} }}")
        if lever == "pilot_zones":
            lines += zones
        lines.append("")
    return "\n".join(lines)
