"""``weilai calibrate``: fit the behavioural parameters to Ningbo's data by ABC-SMC; write draws and report.

What it does, in order (every model run goes through the experiment engine by way of
:func:`calibration.runs.run_points`, each batch in its own result store, so the same command resumes
an interrupted calibration):

1. **fit**: ABC-SMC (:mod:`calibration.abc`) over the fitted parameters of ``calibration/settings.toml``
   and the scope shares of ``calibration/data/series.toml``, each particle a hindcast 2019-2024 of
   ``scenarios/history.toml`` compared with every observation of series.toml (data up to 2022,
   :mod:`calibration.series`); all other parameters and uncertainties are drawn from their priors in
   every run;
2. **posterior predictive**: a new hindcast of every particle of the posterior, giving the simulated
   (weighted) median and band of every statistic, year by year, and the errors; the same runs predict
   the 2023-2024 figures of ``calibration/data/holdout.toml``, which the fit never reads (a real hold-out);
3. **draws**: equally weighted posterior draws of the fitted parameters, each with a 2024 start state
   set from its own hindcast (:mod:`calibration.start`: forward runs start where the hindcast ends), and
   every other parameter at the value that particle's hindcast ran with, written as ``draws.csv`` (and,
   in full mode, installed as ``calibration/draws.csv``, which ensembles and sweeps use by default);
4. **start check**: forward runs of the baseline with these draws, their 2024 state against the
   hindcast's (:func:`calibration.start.start_table`);
5. **stylized facts**: firm panels of the calibrated baseline 2024-2035 against published regularities
   (:mod:`calibration.stylized`);
6. **report** (:mod:`calibration.report`): ``report.md`` and its tables (in full mode also installed in
   ``calibration/report/``).

Why ABC-SMC: the model is stochastic and its likelihood intractable; the data are a handful of growth
indices whose mapping to the model is loose. ABC with a distance scaled by the stated model-data
discrepancy gives a set of parameter draws consistent with the data within that discrepancy (Wilkinson
2013: ABC is exact under a model-error assumption), not one point, and the sequential version spends
runs where the posterior is. pyabc was not used so that every model run goes through the project's one
runner (STYLE.md), stored and resumable like any other batch.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calibration.abc import ABCSMC, resample
from calibration.runs import hindcast_model, run_points
from calibration.series import (
    FACTS_FILE,
    SeriesSet,
    distances,
    load_facts,
    load_holdout,
    load_series,
    scaled_errors,
)
from calibration.start import (
    QUANTITIES,
    TAIL_EXPONENT,
    corrected_target,
    first_year,
    start_table,
    start_values,
)
from calibration.stylized import compare, stylized_model_at
from sim.core.errors import InputError, from_validation_error
from sim.core.paths import CALIBRATION_DIR, REPO_ROOT
from sim.engine.store import ResultStore
from sim.inputs.region import load_region
from sim.inputs.space import Factor, ParameterSpace
from sim.model.model import simulate
from sim.scenario.loading import load_scenario

SETTINGS_FILE = CALIBRATION_DIR / "settings.toml"
INSTALLED_DRAWS = CALIBRATION_DIR / "draws.csv"
INSTALLED_REPORT = CALIBRATION_DIR / "report"
HISTORY = "history"
FORWARD = "baseline"
START_TARGET_YEAR = 2023  # the hindcast's end-of-2023 state is the forward runs' start-of-2024 state
START_CHECK_YEAR = 2024
START_CHECK_END_YEAR = 2025  # a scenario needs two years at least; the check reads 2024
STAGES = {"fit": 1, "posterior_fit": 3, "draws": 5, "stylized": 6, "start": 7, "start_check": 8, "identification": 9}
START_CHECK_REPLICATES = 300  # forward runs of the start check (2024-2025), as many as the full mode's draws


# ------------------------------------------------------------------ settings


class Mode(BaseModel):
    """How hard one mode works (``[modes.*]`` of settings.toml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    particles: int = Field(ge=4, le=5000)
    max_generations: int = Field(ge=0, le=30)
    max_batch: int = Field(ge=4, le=20000)
    population_scale: float = Field(gt=0.0, le=1.0)
    stylized_replicates: int = Field(ge=1, le=200)
    stylized_population_scale: float = Field(gt=0.0, le=1.0)
    draws: int = Field(ge=2, le=10000)
    workers: int = Field(ge=1, le=256)
    identification_samples: int = Field(0, ge=0, le=4096)


class Method(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    quantile: float = Field(gt=0.0, lt=1.0)
    epsilon_min: float = Field(ge=0.0)
    min_acceptance: float = Field(gt=0.0, le=1.0)
    kernel_scale: float = Field(gt=0.0)


class Identification(BaseModel):
    """``[identification]``: the parameters of the identification sweep, and how many to report."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    top: int = Field(5, ge=1, le=20)
    factors: list[str] = Field(min_length=2)


class Settings(BaseModel):
    """The roles of the inputs and the modes (``calibration/settings.toml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    fitted: dict[str, str]
    start_state: dict[str, str]
    start_2024: dict[str, str] = Field(default_factory=dict)
    identification: Identification | None = None
    method: Method
    modes: dict[str, Mode]


def load_settings(path: str | Path = SETTINGS_FILE) -> Settings:
    """Read and check the settings file against the parameter space.

    Raises:
        InputError: on bad TOML, an unknown key, or a name that is not a parameter of the space.
    """
    from sim.scenario.loading import read_toml

    path = Path(path)
    try:
        settings = Settings.model_validate(read_toml(path))
    except ValidationError as exc:
        raise from_validation_error(exc, path, Settings) from None
    space = load_region().space
    known = sorted(e.split(".", 1)[1] for e, entry in space.entries.items() if entry.section == "parameters")
    for table, names in (("fitted", settings.fitted), ("start_state", settings.start_state),
                         ("start_2024", settings.start_2024)):
        for name in names:
            if name not in known:
                raise InputError("not a parameter of the parameter space", file=path, key=f"{table}.{name}",
                                 allowed=", ".join(known))
    for name, role in settings.start_state.items():
        if role not in ("fit", "prior"):
            raise InputError("unknown role", file=path, key=f"start_state.{name}", value=role,
                             allowed='"fit" or "prior"')
    if settings.identification is not None:
        for i, name in enumerate(settings.identification.factors):
            if name not in space.entries or space.entries[name].section != "parameters":
                raise InputError("not a parameter of the parameter space", file=path,
                                 key=f"identification.factors.{i}", value=name, allowed=", ".join(known))
    for name, quantity in settings.start_2024.items():
        if quantity not in QUANTITIES:
            raise InputError("not a quantity the 2024 start state can match", file=path,
                             key=f"start_2024.{name}", value=quantity, allowed=", ".join(QUANTITIES))
        if name in settings.fitted:
            raise InputError("a fitted behavioural parameter cannot also be set per draw for 2024", file=path,
                             key=f"start_2024.{name}", allowed="a start-state parameter")
        sharing = [other for other, q in settings.start_2024.items() if q == quantity]
        if quantity == "head_enterprises":
            if "leader_relative_tech" not in sharing or not set(sharing) <= {"leader_relative_tech", TAIL_EXPONENT}:
                raise InputError("head enterprises are matched by the leaders' technology, optionally with the "
                                 "size tail exponent", file=path, key=f"start_2024.{name}", value=quantity,
                                 allowed=f"leader_relative_tech, {TAIL_EXPONENT}")
        elif len(sharing) > 1:
            raise InputError("one parameter per quantity", file=path, key=f"start_2024.{name}", value=quantity,
                             allowed=f"one of {', '.join(sharing)}")
    return settings


@dataclass(frozen=True)
class Roles:
    """Factors of the parameter space by their role in the calibration.

    Attributes:
        fitted: Factors ABC-SMC moves, in a fixed order (behavioural first, then start-state ones).
        carried: Names of the fitted factors whose posterior goes into the draws (not start-state ones).
        nuisance: Every other parameter and uncertainty, drawn from its prior in each calibration run.
        start_2024: Names of the parameters set per draw from the draw's hindcast (``[start_2024]``).
        with_particle: Parameters neither carried nor set from the hindcast: in the draws file each draw
            keeps the values its particle's hindcast ran with (drawn from their priors in the fit), so the
            2024 population is built from the same inputs as the hindcast state it starts from.
    """

    fitted: tuple[Factor, ...]
    carried: tuple[str, ...]
    nuisance: tuple[Factor, ...]
    start_2024: tuple[str, ...]
    with_particle: tuple[Factor, ...]


def roles(space: ParameterSpace, settings: Settings) -> Roles:
    """Sort the factors of the space into the roles of ``settings``."""
    behavioural = space.select([f"parameters.{n}" for n in settings.fitted])
    start = space.select([f"parameters.{n}" for n, r in settings.start_state.items() if r == "fit"])
    fitted = tuple(behavioural + start)
    names = {f.name for f in fitted}
    nuisance = tuple(f for f in space.factors.values()
                     if f.section in ("parameters", "uncertainties") and f.name not in names)
    carried = tuple(f.name for f in behavioural)
    start_2024 = tuple(f.name for n in settings.start_2024 for f in space.entries[f"parameters.{n}"].factors)
    with_particle = tuple(f for f in space.factors.values()
                          if f.section == "parameters" and f.name not in carried and f.name not in start_2024)
    return Roles(fitted=fitted, carried=carried, nuisance=nuisance, start_2024=start_2024,
                 with_particle=with_particle)


def stage_seed(seed: int, *parts: int) -> int:
    """A non-negative 63-bit seed for one stage, batch or draw of a calibration with base ``seed``."""
    state = np.random.SeedSequence([seed, *parts]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def values_of(factors: tuple[Factor, ...], unit: np.ndarray) -> pd.DataFrame:
    """Natural values (one column per factor name) of unit-cube rows."""
    unit = np.atleast_2d(unit)
    return pd.DataFrame({f.name: f.from_unit(unit[:, j]) for j, f in enumerate(factors)})


# ------------------------------------------------------------------ a calibration


@dataclass
class Calibration:
    """One calibration in a folder (see the module docstring for its stages).

    Args:
        out: Folder of its state, runs and report.
        mode: ``quick`` or ``full`` (``[modes.*]`` of the settings).
        seed: Base seed of every random choice.
        workers: Processes for model runs (default: the mode's).
        settings: Roles and modes (default: ``calibration/settings.toml``).
        series: Compared series (default: ``calibration/data/series.toml``); the hold-out file is read
            only after the fit (:meth:`holdout_series`).
        identify: The identification sweep ``identify(draws, folder, factors, samples, top=, seed=,
            workers=, population_scale=) -> table`` (from the analysis layer; None: skipped).
    """

    out: Path
    mode: str = "quick"
    seed: int = 2024
    workers: int | None = None
    settings: Settings = field(default_factory=load_settings)
    series: SeriesSet = field(default_factory=load_series)
    progress: bool = True
    identify: Callable[..., pd.DataFrame] | None = None

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if self.mode not in self.settings.modes:
            raise InputError("unknown mode", key="--mode", value=self.mode, allowed=", ".join(self.settings.modes))
        self.config = self.settings.modes[self.mode]
        self.workers = self.workers or self.config.workers
        self.region = load_region()
        self.roles = roles(self.region.space, self.settings)
        self.shares = self.series.share_factors()
        self.abc_factors = self.roles.fitted + self.shares  # what ABC-SMC moves: parameters, then scope shares
        self.history = load_scenario(HISTORY).with_values({"parameter_draws": "defaults"})
        self.observations = self.series.observations(load_facts())
        self.timings: dict[str, float] = {}

    def holdout_series(self) -> SeriesSet:
        """The hold-out series (``calibration/data/holdout.toml``): read after the fit, never by it."""
        return load_holdout(self.series)

    # -------------------------------------------------------------- identity and logging

    def identity(self) -> dict[str, Any]:
        """Everything that decides the runs: a folder refuses a calibration of another identity."""
        def digest(path: Path) -> str:
            return hashlib.sha256(path.read_bytes()).hexdigest()[:16]

        return {
            "mode": self.mode, "config": self.config.model_dump(exclude={"workers"}), "seed": self.seed,
            "roles": hashlib.sha256(self.settings.model_dump_json(include={"fitted", "start_state", "method"})
                                    .encode()).hexdigest()[:16],
            "series": hashlib.sha256(self.series.model_dump_json().encode()).hexdigest()[:16],
            "facts": digest(FACTS_FILE), "parameter_space": digest(self.region.space.file),
            "history": self.history.content_hash(), "initial_state": digest(self.region.folder / "initial_state.csv"),
        }

    def _open(self) -> None:
        from sim.engine.store import code_version

        manifest = self.out / "manifest.json"
        ident = json.loads(json.dumps(self.identity(), sort_keys=True))
        if manifest.exists():
            old = json.loads(manifest.read_text(encoding="utf-8"))
            if old.get("identity") != ident:
                changed = sorted(k for k in ident if old.get("identity", {}).get(k) != ident[k])
                raise InputError(f"this folder holds a different calibration (differs in: {', '.join(changed)})",
                                 file=self.out, allowed="a new --out folder, or the settings that made this one")
            return
        self.out.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps({"identity": ident, "code_version": code_version(),
                                        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "sessions": []},
                                       indent=2), encoding="utf-8")

    def _log(self, text: str) -> None:
        if self.progress:
            print(f"[calibrate {time.strftime('%H:%M:%S')}] {text}", flush=True)

    # -------------------------------------------------------------- stage 1-2: ABC-SMC

    def evaluate(self, stage: str, observations: pd.DataFrame):
        """The ABC evaluator of a stage: unit values of the fitted factors -> distances."""
        folder = self.out / "runs" / stage
        model = hindcast_model(self.config.population_scale)

        def evaluate(unit: np.ndarray, key: tuple[int, int]) -> np.ndarray:
            generation, batch = key
            name = f"g{generation:02d}-b{batch:03d}"
            points = self._proposals(stage, key, unit)
            folder.mkdir(parents=True, exist_ok=True)
            points_file = folder / f"{name}-points.parquet"
            if not points_file.exists():
                points.to_parquet(points_file, index=False)
            rows = run_points(self.history, self._point_values(points), folder / name,
                              base_seed=stage_seed(self.seed, STAGES[stage], generation, batch, 1), model=model,
                              indicators=self.series.indicators(), workers=self.workers)
            errors = scaled_errors(observations, self.series.simulated(rows, shares=self.share_values(points)))
            d = distances(errors, n_observations=len(observations))
            out = d.reindex(range(len(points)), fill_value=np.inf).to_numpy()
            self._log(f"{stage} generation {generation} batch {batch}: {len(points)} runs, "
                      f"{np.sum(np.isfinite(out))} finished, median distance {np.median(out):.2f}")
            return out
        return evaluate

    def _proposals(self, stage: str, key: tuple[int, int], unit: np.ndarray) -> pd.DataFrame:
        """Fitted values and scope shares (from the ABC) and nuisance values drawn from their priors, one
        row per run."""
        generation, batch = key
        rng = np.random.default_rng(stage_seed(self.seed, STAGES[stage], generation, batch, 0))
        nuisance_unit = rng.random((len(unit), len(self.roles.nuisance)))
        frame = pd.concat([values_of(self.abc_factors, unit), values_of(self.roles.nuisance, nuisance_unit)],
                          axis=1)
        frame.insert(0, "sample", np.arange(len(unit)))
        return frame

    def _point_values(self, points: pd.DataFrame) -> list[dict[str, float]]:
        """The model's inputs of each run (scope shares are not model inputs)."""
        names = [f.name for f in self.roles.fitted + self.roles.nuisance]
        return [dict(zip(names, map(float, row))) for row in points[names].itertuples(index=False)]

    def share_values(self, points: pd.DataFrame) -> pd.DataFrame:
        """Scope shares of each run: indexed by sample, one column per share's short name."""
        frame = points.set_index("sample")[[f.name for f in self.shares]]
        return frame.rename(columns=lambda name: name.split(".", 1)[1])

    def fit(self, stage: str) -> tuple[ABCSMC, pd.DataFrame]:
        """Run (or resume) the ABC-SMC of a stage.

        Returns:
            (the fitted ABC object, the posterior: one row per particle with its weight, distance and
            the values of every fitted and nuisance factor).
        """
        observations = self.observations
        method = self.settings.method
        abc = ABCSMC(len(self.abc_factors), self.config.particles, quantile=method.quantile,
                     epsilon_min=method.epsilon_min, max_generations=self.config.max_generations,
                     min_acceptance=method.min_acceptance, kernel_scale=method.kernel_scale,
                     max_batch=self.config.max_batch, seed=stage_seed(self.seed, STAGES[stage]))
        self._log(f"{stage}: ABC-SMC over {len(self.roles.fitted)} parameters and {len(self.shares)} scope shares, "
                  f"{len(observations)} observations")
        abc.fit(self.evaluate(stage, observations))
        post = abc.posterior_
        frames = []
        points_cache: dict[tuple[int, int], pd.DataFrame] = {}
        for (g, b, i), w, d in zip(post.keys, post.weights, post.distances):
            if (g, b) not in points_cache:
                points_cache[(g, b)] = pd.read_parquet(self.out / "runs" / stage / f"g{g:02d}-b{b:03d}-points.parquet")
            row = points_cache[(g, b)].iloc[[i]].drop(columns="sample")
            row.insert(0, "distance", d)
            row.insert(0, "weight", w)
            frames.append(row)
        posterior = pd.concat(frames, ignore_index=True)
        posterior.insert(0, "particle", np.arange(len(posterior)))
        folder = self.out / stage
        folder.mkdir(parents=True, exist_ok=True)
        posterior.to_csv(folder / "posterior.csv", index=False)
        abc.history().assign(stop_reason=abc.stop_reason_).to_csv(folder / "generations.csv", index=False)
        prior = pd.read_parquet(self.out / "runs" / stage / "g00-b000-points.parquet")
        prior_rows = ResultStore(self.out / "runs" / stage / "g00-b000").results(indicators=self.series.indicators())
        scaled_errors(self.observations, self.series.simulated(prior_rows, shares=self.share_values(prior))).merge(
            prior, on="sample").to_parquet(folder / "prior_predictive.parquet", index=False)
        return abc, posterior

    # -------------------------------------------------------------- stage 3: posterior predictive

    def posterior_predictive(self, posterior: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """A new hindcast (new seed) of every particle of the posterior.

        Returns:
            ``fit`` and ``holdout``: the model's statistic of every fitted and every held-out series for
            every year and run, with the particle's importance weight (columns sample, series, year,
            simulated, weight); ``states``: the city totals of :data:`calibration.start.QUANTITIES` by
            sample and year (with weight). Written to ``fit/simulated.csv``, ``fit/holdout_simulated.csv``
            and ``fit/states.csv``.
        """
        holdout = self.holdout_series()
        rows = run_points(self.history, self._point_values(posterior), self.out / "runs" / "posterior_fit",
                          base_seed=stage_seed(self.seed, STAGES["posterior_fit"]),
                          model=hindcast_model(self.config.population_scale), workers=self.workers)
        shares = posterior.rename(columns={"particle": "sample"}).pipe(self.share_values)
        weights = posterior["weight"].to_numpy()
        out = {}
        for name, series in (("fit", self.series), ("holdout", holdout)):
            simulated = series.simulated(rows, shares=shares)
            simulated["weight"] = weights[simulated["sample"].to_numpy()]
            out[name] = simulated
        states = rows[(rows["direction"] == "all") & rows["indicator"].isin(QUANTITIES)][
            ["sample", "year", "indicator", "value"]].copy()
        states["weight"] = weights[states["sample"].to_numpy()]
        out["states"] = states
        out["fit"].to_csv(self.out / "fit" / "simulated.csv", index=False)
        out["holdout"].to_csv(self.out / "fit" / "holdout_simulated.csv", index=False)
        states.to_csv(self.out / "fit" / "states.csv", index=False)
        return out

    # -------------------------------------------------------------- stage 4: draws

    def draws(self, posterior: pd.DataFrame, states: pd.DataFrame) -> pd.DataFrame:
        """Equally weighted draws: fitted behavioural parameters resampled from the posterior, the 2024
        start state of each draw set from its particle's hindcast (:func:`calibration.start.start_values`),
        every other parameter at the value its particle's hindcast ran with (drawn from its prior in the
        fit). Columns ``draw`` and one per full factor name; also
        writes ``start_values.csv`` (per draw: the particle, the hindcast's 2023 and 2024 states, the forward
        model's first-year growth, the corrected start targets, the values and how many were clipped)."""
        n = self.config.draws
        rng = np.random.default_rng(stage_seed(self.seed, STAGES["draws"], 0))
        chosen_index = resample(posterior["weight"].to_numpy(), n, rng)
        chosen = posterior.iloc[chosen_index]
        # the fitted values and the particle's other parameter values: the hindcast state each draw starts
        # from was reached with all of them (a draw from the prior independent of its particle would build
        # a 2024 population unlike that state: other R&D costs, firm sizes, eligibility)
        names = list(self.roles.carried) + [f.name for f in self.roles.with_particle]
        frame = chosen[names].reset_index(drop=True)
        if self.roles.start_2024:
            by_year = states.pivot_table(index=["sample", "year"], columns="indicator", values="value")
            forward = load_scenario(FORWARD)
            # the particle's own values of the solved parameters it ran with (start-state priors such as the
            # size tail exponent): the solver stays as near them as the hindcast's state allows
            own = [name for name in self.roles.start_2024 if name in chosen.columns]
            records, solved = [], []
            for i, particle in enumerate(chosen["particle"].to_numpy()):
                end_2023 = by_year.loc[(int(particle), START_TARGET_YEAR)].to_dict()
                end_2024 = by_year.loc[(int(particle), START_TARGET_YEAR + 1)].to_dict()
                draw = {**chosen.iloc[i][own].to_dict(), **frame.iloc[i].to_dict()}
                seed = stage_seed(self.seed, STAGES["start"], i)
                solve = functools.partial(start_values, self.region, forward, draw, roles=self.settings.start_2024,
                                          seed=seed, population_scale=self.config.population_scale)
                # two passes: the end-of-2023 state, then the same corrected for the forward model's own
                # first year, so that its 2024 state meets the hindcast's 2024 state (calibration/start.py)
                values, _ = solve(end_2023)
                values.pop("achieved_head_enterprises", None)
                start, after = first_year(self.region, forward, draw, values, seed, self.config.population_scale)
                target = corrected_target(end_2023, end_2024, start, after)
                values, clipped = solve(target)
                achieved = values.pop("achieved_head_enterprises", np.nan)
                solved.append(values)
                records.append({"draw": i, "particle": int(particle), "clipped": clipped,
                                **{f"hindcast_2023_{k}": v for k, v in end_2023.items()},
                                **{f"hindcast_2024_{k}": v for k, v in end_2024.items()},
                                **{f"first_year_growth_{k}": after[k] / start[k] if start[k] > 0 else np.nan
                                   for k in start},
                                **{f"target_{k}": v for k, v in target.items()},
                                "achieved_head_enterprises": achieved, **values})
            frame = pd.concat([frame, pd.DataFrame(solved)], axis=1)
            pd.DataFrame(records).to_csv(self.out / "start_values.csv", index=False, float_format="%.6g")
        order = [f.name for f in self.region.space.factors.values() if f.name in frame.columns]
        frame = frame[order]
        frame.insert(0, "draw", np.arange(n))
        frame.to_csv(self.out / "draws.csv", index=False, float_format="%.6g")
        return frame

    def start_check(self, states: pd.DataFrame) -> pd.DataFrame:
        """Forward runs of the baseline with this calibration's draws (2024-2025): their 2024 state
        against the hindcast's 2024 state (:func:`calibration.start.start_table`, ``start_2024.csv``)."""
        scenario = load_scenario(FORWARD).with_values({
            "parameter_draws": str((self.out / "draws.csv").resolve()), "end_year": START_CHECK_END_YEAR})
        rows = run_points(scenario, [{}], self.out / "runs" / "start_check",
                          base_seed=stage_seed(self.seed, STAGES["start_check"]),
                          model=functools.partial(simulate, population_scale=self.config.population_scale),
                          replicates=min(START_CHECK_REPLICATES, self.config.draws), detail="city",
                          indicators=QUANTITIES, workers=self.workers)
        table = start_table(states, rows, START_CHECK_YEAR)
        table.to_csv(self.out / "start_2024.csv", index=False)
        return table

    # -------------------------------------------------------------- stage 5: stylized facts

    def stylized_facts(self) -> pd.DataFrame:
        """Stylized-fact statistics of the calibrated baseline (with this calibration's draws)."""
        scenario = load_scenario(FORWARD).with_values({"parameter_draws": str((self.out / "draws.csv").resolve())})
        rows = run_points(scenario, [{}], self.out / "runs" / "stylized",
                          base_seed=stage_seed(self.seed, STAGES["stylized"]),
                          model=stylized_model_at(self.config.stylized_population_scale),
                          replicates=self.config.stylized_replicates, detail="city", workers=self.workers)
        rows.to_csv(self.out / "stylized_statistics.csv", index=False)
        table = compare(rows)
        table.to_csv(self.out / "stylized_facts.csv", index=False)
        return table

    # -------------------------------------------------------------- identification

    def identification(self) -> pd.DataFrame:
        """The identification sweep (``self.identify``, e.g. :func:`sim.analysis.identification.target_sensitivity`,
        handed in by the command) on this calibration's draws; written to ``target_sensitivity.csv``."""
        ident = self.settings.identification
        assert ident is not None and self.identify is not None  # the command hands both in
        table = self.identify(self.out / "draws.csv", self.out / "identification", ident.factors,
                                   self.config.identification_samples, top=ident.top,
                                   seed=stage_seed(self.seed, STAGES["identification"]) % (2**31),
                                   workers=self.workers, population_scale=self.config.population_scale)
        table.to_csv(self.out / "target_sensitivity.csv", index=False)
        return table

    # -------------------------------------------------------------- all stages

    def _record_session(self, started: float, finished: bool) -> None:
        """Append this session's stage timings to the manifest (``finished`` false: it stopped early)."""
        path = self.out / "manifest.json"
        manifest = json.loads(path.read_text(encoding="utf-8"))
        seconds = dict(self.timings)
        seconds.setdefault("session_total", time.perf_counter() - started)  # as the report states it, if written
        manifest["sessions"].append({"finished" if finished else "stopped": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                     "seconds": seconds, "workers": self.workers})
        path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    def run(self, install: bool = False) -> dict[str, Any]:
        """Run (or resume) every stage and write the report.

        Args:
            install: Also copy the draws to ``calibration/draws.csv`` and the report to
                ``calibration/report/`` (what full mode does by default).

        Returns:
            The summary written to ``summary.json``.
        """
        from calibration import report

        self._open()
        started = time.perf_counter()
        try:
            t0 = time.perf_counter()
            abc, posterior = self.fit("fit")
            self.timings["fit_abc"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            predictive = self.posterior_predictive(posterior)
            self.timings["posterior_predictive"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            self.draws(posterior, predictive["states"])
            start = self.start_check(predictive["states"])
            self.timings["draws_and_start_check"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            self._log("stylized facts of the calibrated baseline")
            stylized = self.stylized_facts()
            self.timings["stylized_facts"] = time.perf_counter() - t0
            if self.identify and self.config.identification_samples and self.settings.identification is not None:
                t0 = time.perf_counter()
                self._log("identification sweep (target probabilities across the priors)")
                self.identification()
                self.timings["identification"] = time.perf_counter() - t0
            self.timings["session_total"] = time.perf_counter() - started
            manifest = json.loads((self.out / "manifest.json").read_text(encoding="utf-8"))
            self.timings["all_sessions_total"] = self.timings["session_total"] + sum(
                s["seconds"].get("session_total", 0.0) for s in manifest["sessions"])
            results = {"abc": abc, "posterior": posterior, **predictive, "start": start}
            summary = report.write(self, results, stylized)
        except BaseException:
            # an interrupted or failed session still counts towards the calibration's wall time: the
            # next session resumes its stages and adds its seconds to all_sessions_total
            self._record_session(started, finished=False)
            raise
        self._record_session(started, finished=True)
        if install:
            shutil.copyfile(self.out / "draws.csv", INSTALLED_DRAWS)
            if INSTALLED_REPORT.exists():
                shutil.rmtree(INSTALLED_REPORT)
            shutil.copytree(self.out / "report", INSTALLED_REPORT)
            self._log(f"installed {INSTALLED_DRAWS.relative_to(REPO_ROOT)} and "
                      f"{INSTALLED_REPORT.relative_to(REPO_ROOT)}/")
        return summary
