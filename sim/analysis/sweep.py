"""Sensitivity sweeps: a sweep file in, a SALib design run through the experiment engine, a store out.

A sweep file (``scenarios/sweeps/*.toml``) names a base scenario, the factors (by their names in
``parameter_space.toml``; an entry name selects all of its per-direction factors), optional SALib
groups, the method and its sample size, replicates per point, the output indicators and years. It is
validated like a scenario (unknown keys, bad values and unknown factors fail with the file, the key,
the value and what is allowed). The SALib problem is generated from the parameter-space declaration:
samples are drawn on the unit cube with an explicit seed and mapped onto each factor's range and
distribution (:meth:`sim.inputs.space.Factor.from_unit`).

Methods: ``sobol`` (Saltelli/Sobol' sampling; S1, ST and optionally S2), ``morris`` (elementary
effects: mu*, sigma), and three for many factors on one Latin-hypercube sample: ``rbd_fast`` (S1),
``delta`` (delta and S1) and ``pawn`` (KS statistics). ``lhs`` is a plain space-filling Latin
hypercube (scipy.stats.qmc) for training emulators (:mod:`sim.analysis.decision.emulator`); ``weilai
analyze`` gives it the delta method by default. The indices are computed from the store by
:mod:`sim.analysis.sensitivity` (``weilai analyze``).

Every sample point runs the same replicate seeds (common random numbers). The sample points are
stored with the results (``samples.parquet``: sample, factor, unit, value), so the analysis never
re-samples.
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.core.errors import InputError, from_validation_error
from sim.engine.design import Design, Point
from sim.engine.executors import SCHEDULER_PATTERN
from sim.engine.runner import run_design
from sim.engine.store import ResultStore
from sim.inputs.region import load_region
from sim.inputs.space import Factor, salib_problem
from sim.scenario.loading import load_scenario, read_toml, resolve_path
from sim.scenario.schema import NAME_PATTERN, Scenario

LATIN_METHODS = ("rbd_fast", "delta", "pawn", "lhs")  # "lhs": a plain Latin hypercube (emulator training)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SobolOptions(_Frozen):
    """Options of the Sobol' method (SALib ``sample.sobol`` and ``analyze.sobol``)."""

    second_order: bool = Field(False, description="also S2 (costs N(2D+2) runs instead of N(D+2))")
    num_resamples: int = Field(100, ge=10, le=10_000, description="bootstrap resamples of the intervals")
    conf_level: float = Field(0.95, gt=0.5, lt=1.0)


class MorrisOptions(_Frozen):
    """Options of the Morris method (SALib ``sample.morris`` and ``analyze.morris``)."""

    num_levels: int = Field(4, ge=2, le=20, description="grid levels (even)")
    optimal_trajectories: int | None = Field(None, ge=2, le=1000,
                                             description="keep this many of `samples` trajectories")
    local_optimization: bool = True
    num_resamples: int = Field(100, ge=10, le=10_000)
    conf_level: float = Field(0.95, gt=0.5, lt=1.0)


class RbdFastOptions(_Frozen):
    """Options of RBD-FAST (SALib ``analyze.rbd_fast``) on a Latin-hypercube sample."""

    M: int = Field(10, ge=1, le=50, description="interference factor (harmonics)")
    num_resamples: int = Field(100, ge=10, le=10_000)
    conf_level: float = Field(0.95, gt=0.5, lt=1.0)


class DeltaOptions(_Frozen):
    """Options of the delta moment-independent method (SALib ``analyze.delta``)."""

    num_resamples: int = Field(20, ge=2, le=10_000)
    conf_level: float = Field(0.95, gt=0.5, lt=1.0)


class PawnOptions(_Frozen):
    """Options of PAWN (SALib ``analyze.pawn``)."""

    S: int = Field(10, ge=2, le=100, description="conditioning slices")


class LhsOptions(_Frozen):
    """Options of a plain Latin-hypercube design (scipy ``stats.qmc.LatinHypercube``)."""

    optimization: Literal["random-cd", "none"] = Field(
        "random-cd", description="improve the space filling by coordinate swaps (centred discrepancy)")


class Execution(_Frozen):
    """Where a sweep runs; not part of its design (changing it never invalidates a store)."""

    scheduler: str | None = Field(None, pattern=SCHEDULER_PATTERN, max_length=300,
                                  description="Dask scheduler address, e.g. tcp://10.0.0.5:8786; used only "
                                  "when confirmed on the command line")
    workers: int | None = Field(None, ge=1, le=4096)
    chunk_size: int | None = Field(None, ge=1, le=10_000)


class SweepSpec(_Frozen):
    """A validated sweep file."""

    name: str = Field(pattern=NAME_PATTERN, max_length=80)
    title_zh: str = ""
    title_en: str = ""
    description: str = ""
    scenario: str = Field(description="base scenario, by name or path relative to the sweep file")
    method: Literal["sobol", "morris", "rbd_fast", "delta", "pawn", "lhs"]
    samples: int = Field(ge=2, le=1_048_576, description="Sobol: base samples N (a power of 2); "
                         "Morris: trajectories; others: Latin-hypercube points")
    replicates: int = Field(1, ge=1, le=1000, description="seeded replicates per point (same seeds at every point)")
    seed: int = Field(2024, ge=0, le=2**62)
    factors: list[str] = Field(min_length=1)
    groups: dict[str, list[str]] = Field(default_factory=dict)
    group_directions: bool = Field(False, description="group each per-direction entry's factors")
    outputs: list[str] | None = Field(None, description="indicators to analyse (default: the targets')")
    years: list[int] = Field(default_factory=lambda: [2027, 2035], min_length=1)
    targets: bool = Field(True, description="also analyse the probability of meeting each target")
    detail: Literal["city", "directions", "full"] = "city"
    sobol: SobolOptions = SobolOptions()
    morris: MorrisOptions = MorrisOptions()
    rbd_fast: RbdFastOptions = RbdFastOptions()
    delta: DeltaOptions = DeltaOptions()
    pawn: PawnOptions = PawnOptions()
    lhs: LhsOptions = LhsOptions()
    execution: Execution = Execution()

    def options(self) -> BaseModel:
        """The options of the chosen method."""
        return getattr(self, self.method)

    def identity(self) -> dict[str, Any]:
        """What defines the runs of this sweep (compared when its store is reopened)."""
        return {"method": self.method, "options": self.options().model_dump(), "samples": self.samples,
                "factors": self.factors, "groups": self.groups, "group_directions": self.group_directions}


class Sweep:
    """A loaded sweep: the spec, its base scenario, its factors and groups, and the SALib problem.

    Attributes:
        spec: The validated sweep file.
        file: Where it was read from (None if built in Python).
        scenario: The base scenario.
        factors: Selected factors, in problem order.
        group_of: Group name of each factor (its own name if ungrouped), or None without groups.
        outputs: Output indicators (stored and analysed).
    """

    def __init__(self, spec: SweepSpec, file: Path | None = None) -> None:
        self.spec = spec
        self.file = file
        where = file or "sweep"
        base_ref = spec.scenario
        try:
            path = resolve_path(base_ref, relative_to=file.parent if file else None)
        except InputError as exc:
            raise InputError("the base scenario was not found", file=where, key="scenario", value=base_ref,
                             allowed=exc.allowed) from None
        self.scenario: Scenario = load_scenario(path)
        region = load_region(self.scenario.region)
        space = region.space
        self.factors: list[Factor] = []
        seen: set[str] = set()
        for i, name in enumerate(spec.factors):
            if name in space.factors:
                chosen = [space.factors[name]]
            elif name in space.entries:
                chosen = list(space.entries[name].factors)
            else:
                raise InputError("unknown factor", file=where, key=f"factors.{i}", value=name,
                                 allowed=_suggest(name, list(space.entries) + list(space.factors)))
            for f in chosen:
                if f.name in seen:
                    raise InputError("factor named twice", file=where, key=f"factors.{i}", value=f.name,
                                     allowed="each factor once")
                seen.add(f.name)
                self.factors.append(f)
        if spec.method == "sobol" and len(self.factors) < 2:
            raise InputError("too few factors", file=where, key="factors", value=len(self.factors),
                             allowed="2 or more for sobol")
        self.group_of = self._groups(space, where)
        self.outputs = self._outputs(region, where)
        window = f"{self.scenario.start_year} to {self.scenario.end_year}"
        for i, year in enumerate(spec.years):
            if not self.scenario.start_year <= year <= self.scenario.end_year:
                raise InputError("year outside the base scenario", file=where, key=f"years.{i}", value=year,
                                 allowed=window)
        self._check_method(where)

    # ------------------------------------------------------------------ validation helpers

    def _groups(self, space: Any, where: Any) -> list[str] | None:
        spec = self.spec
        if not spec.groups and not spec.group_directions:
            return None
        names = [f.name for f in self.factors]
        group_of: dict[str, str] = {}
        for group, members in spec.groups.items():
            if group in space.factors and group not in members:
                raise InputError("a group may not take the name of another factor", file=where,
                                 key=f"groups.{group}", allowed="a new name")
            for j, member in enumerate(members):
                if member in names:
                    expanded = [member]
                elif member in space.entries:
                    expanded = [f.name for f in space.entries[member].factors]
                    if not set(expanded) <= set(names):
                        raise InputError("group member is not among the factors", file=where,
                                         key=f"groups.{group}.{j}", value=member, allowed=_listing(names))
                else:
                    raise InputError("group member is not among the factors", file=where,
                                     key=f"groups.{group}.{j}", value=member, allowed=_listing(names))
                for name in expanded:
                    if name in group_of:
                        raise InputError("factor in two groups", file=where, key=f"groups.{group}.{j}",
                                         value=name, allowed=f"one group (it is in {group_of[name]})")
                    group_of[name] = group
        if spec.group_directions:
            for f in self.factors:
                entry = f.name.rsplit(".", 1)[0]
                if f.name not in group_of and entry in space.entries and space.entries[entry].per_direction:
                    group_of[f.name] = entry
        return [group_of.get(n, n) for n in names]

    def _outputs(self, region: Any, where: Any) -> list[str]:
        if self.spec.outputs is None:
            from sim.analysis.targets import load_targets

            return sorted({t.indicator for t in load_targets(region=region).target})
        for i, name in enumerate(self.spec.outputs):
            if name not in region.indicators:
                raise InputError("unknown indicator", file=where, key=f"outputs.{i}", value=name,
                                 allowed=_listing(list(region.indicators), limit=40))
        return list(dict.fromkeys(self.spec.outputs))

    def _check_method(self, where: Any) -> None:
        spec = self.spec
        n = spec.samples
        if spec.method == "sobol" and n & (n - 1):
            raise InputError("Sobol' samples must be a power of 2", file=where, key="samples", value=n,
                             allowed=f"e.g. {2 ** max(1, round(math.log2(n)))}")
        if self.group_of and spec.method in ("sobol", "morris") and self.n_groups < 2:
            raise InputError("all factors are in one group: there is nothing to compare", file=where,
                             key="groups", allowed="two or more groups (ungrouped factors count as their own)")
        if self.group_of and spec.method in ("rbd_fast", "delta"):
            raise InputError("this method takes no groups", file=where, key="groups",
                             allowed="groups with sobol, morris or pawn; none with rbd_fast or delta")
        if spec.method == "morris":
            opts = spec.morris
            if opts.num_levels % 2:
                raise InputError("Morris levels must be even", file=where, key="morris.num_levels",
                                 value=opts.num_levels, allowed="2, 4, 6, ...")
            if opts.optimal_trajectories is not None and opts.optimal_trajectories >= n:
                raise InputError("optimal trajectories must be fewer than the trajectories sampled",
                                 file=where, key="morris.optimal_trajectories",
                                 value=opts.optimal_trajectories, allowed=f"2 to {n - 1}")

    # ------------------------------------------------------------------ the design

    @property
    def problem(self) -> dict[str, Any]:
        """SALib problem over the unit cube (groups included when given)."""
        problem = salib_problem(self.factors)
        if self.group_of:
            problem["groups"] = list(self.group_of)
        return problem

    @property
    def n_groups(self) -> int:
        """Number of factors, or of groups when grouped (D in SALib's run counts)."""
        return len(dict.fromkeys(self.group_of)) if self.group_of else len(self.factors)

    @property
    def block_size(self) -> int:
        """Rows per independent block of the sample (Sobol: one base point; Morris: one trajectory)."""
        d = self.n_groups
        if self.spec.method == "sobol":
            return 2 * d + 2 if self.spec.sobol.second_order else d + 2
        if self.spec.method == "morris":
            return d + 1
        return 1

    def unit_samples(self) -> np.ndarray:
        """The SALib sample on the unit cube, drawn with the sweep's seed (rows = sample points)."""
        from SALib.sample import latin, morris, sobol

        spec, problem = self.spec, self.problem
        if spec.method == "sobol":
            return sobol.sample(problem, spec.samples, calc_second_order=spec.sobol.second_order,
                                scramble=True, seed=spec.seed)
        if spec.method == "morris":
            opts = spec.morris
            return morris.sample(problem, spec.samples, num_levels=opts.num_levels,
                                 optimal_trajectories=opts.optimal_trajectories,
                                 local_optimization=opts.local_optimization, seed=spec.seed)
        if spec.method == "lhs":  # scipy's optimised Latin hypercube, one column per factor
            from scipy.stats import qmc

            optimization = None if spec.lhs.optimization == "none" else spec.lhs.optimization
            return qmc.LatinHypercube(d=len(self.factors), optimization=optimization,
                                      seed=spec.seed).random(spec.samples)
        return latin.sample(problem, spec.samples, seed=spec.seed)

    def samples_table(self, unit: np.ndarray | None = None) -> pd.DataFrame:
        """Sample points in long form: sample, factor, unit ([0, 1]), value (in the factor's unit)."""
        unit = self.unit_samples() if unit is None else unit
        n, d = unit.shape
        values = np.column_stack([f.from_unit(unit[:, j]) for j, f in enumerate(self.factors)])
        return pd.DataFrame({
            "sample": np.repeat(np.arange(n, dtype=np.int32), d),
            "factor": np.tile([f.name for f in self.factors], n),
            "unit": unit.reshape(-1),
            "value": values.reshape(-1),
        })

    def design(self, unit: np.ndarray | None = None) -> Design:
        """The engine's design: one point per sample row, the paths set to the factors' values."""
        unit = self.unit_samples() if unit is None else unit
        values = np.column_stack([f.from_unit(unit[:, j]) for j, f in enumerate(self.factors)])
        paths = [f.path for f in self.factors]
        points = tuple(Point(i, self.spec.name, {p: float(v) for p, v in zip(paths, row)})
                       for i, row in enumerate(values))
        from sim.analysis.targets import load_targets

        targets = load_targets(region=load_region(self.scenario.region))
        target_indicators = {t.indicator for t in targets.target} if self.spec.targets else set()
        indicators = tuple(sorted(set(self.outputs) | target_indicators))
        identity = self.spec.identity() | {
            "factor_ranges": {f.name: [f.low, f.high, f.distribution, f.path] for f in self.factors}}
        return Design(kind="sweep", scenarios=(self.scenario,), points=points,
                      replicates=self.spec.replicates, base_seed=self.spec.seed, detail=self.spec.detail,
                      indicators=indicators, spec=identity)

    @property
    def n_runs(self) -> int:
        """Runs of the whole sweep."""
        spec = self.spec
        if spec.method == "sobol":
            points = spec.samples * self.block_size
        elif spec.method == "morris":
            points = (spec.morris.optimal_trajectories or spec.samples) * self.block_size
        else:
            points = spec.samples
        return points * spec.replicates


def _suggest(name: str, names: list[str]) -> str:
    """Closest known names first, then the listing."""
    import difflib

    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    head = f"did you mean {' or '.join(close)}? " if close else ""
    return head + "known: " + _listing(sorted(n for n in names if n.count(".") == 1))


def _listing(names: list[str], limit: int = 14) -> str:
    text = ", ".join(names[:limit])
    return text + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def load_sweep(ref: str | Path) -> Sweep:
    """Read and validate a sweep file (by path, or by name in ``scenarios/sweeps/``).

    Raises:
        InputError: naming the file, the key, the bad value and what is allowed.
    """
    from sim.core.paths import SCENARIOS_DIR

    path = Path(ref)
    if not path.is_file():
        for candidate in (Path.cwd() / "scenarios" / "sweeps" / f"{ref}.toml",
                          SCENARIOS_DIR / "sweeps" / f"{ref}.toml", SCENARIOS_DIR / "sweeps" / str(ref)):
            if candidate.is_file():
                path = candidate
                break
        else:
            known = sorted(p.stem for p in (SCENARIOS_DIR / "sweeps").glob("*.toml"))
            raise InputError("sweep file not found", file=ref, allowed="a path, or one of: " + ", ".join(known))
    data = read_toml(path)
    data.setdefault("name", path.stem)
    try:
        spec = SweepSpec.model_validate(data, strict=True)
    except ValidationError as exc:
        raise from_validation_error(exc, path, SweepSpec) from None
    return Sweep(spec, path)


# ------------------------------------------------------------------------------------------ running


def run_sweep(sweep: Sweep | str | Path, out: str | Path, **run_options: Any) -> ResultStore:
    """Run (or resume) a sweep into a result store.

    The store gets the results of every run (indicators: the outputs and, if ``targets``, the
    target indicators; city totals unless ``detail`` says otherwise), ``samples.parquet`` and a
    manifest holding the sweep file's content. Running it again resumes; a store of another design
    is refused.

    Args:
        sweep: A :class:`Sweep` or a sweep file.
        out: Store folder.
        **run_options: ``model``, ``workers``, ``scheduler``, ``chunk_size``, ``retry_failures``,
            ``progress`` as in :func:`sim.engine.runner.run_design` (default: the file's ``[execution]``,
            except its scheduler, which is used only when passed here).

    Returns:
        The result store.
    """
    sweep = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
    spec = sweep.spec
    # the file's scheduler is never connected to on its own: a caller passes ``scheduler`` to use it
    options: dict[str, Any] = {"workers": spec.execution.workers, "scheduler": None,
                               "chunk_size": spec.execution.chunk_size}
    options.update({k: v for k, v in run_options.items() if v is not None or k not in options})
    unit = sweep.unit_samples()
    design = sweep.design(unit)
    store = run_design(design, out, manifest={
        "name": spec.name, "sweep": spec.model_dump(mode="json"),
        "sweep_file": str(sweep.file) if sweep.file else None,
        "factors": [f.name for f in sweep.factors], "groups": sweep.group_of,
        "outputs": sweep.outputs, "block_size": sweep.block_size,
        "scenario": sweep.scenario.model_dump(mode="json"), "scenario_hash": sweep.scenario.content_hash(),
        "scenario_file": str(sweep.scenario.source) if sweep.scenario.source else None,
    }, label=f"{spec.method} {spec.name}", on_open=partial(_write_samples, sweep, unit), **options)
    return store


def _write_samples(sweep: Sweep, unit: np.ndarray, store: ResultStore) -> None:
    """``samples.parquet``, written before the first run, so an interrupted sweep can be analysed."""
    if not (store.path / "samples.parquet").exists():
        store.write_table("samples.parquet", sweep.samples_table(unit))


def sweep_spending(store: ResultStore, samples: list[int] | None = None) -> pd.DataFrame:
    """Spending of sweep points, totalled over directions: what the levers paid out (mean over
    replicates) when the sweep kept the model's ``spending_<lever>`` indicators, else the spending plan
    recomputed from ``samples.parquet``.

    Sweeps do not write spending by default (it costs about 7 ms per point); this gives it on demand.

    Args:
        store: A sweep store.
        samples: Sample ids (default: all).

    Returns:
        Columns sample, year, lever, project, value (100m yuan per year).
    """
    from sim.scenario.lever_schemas import lever_projects
    from sim.scenario.schema import validate_scenario

    delivered = store.delivered_spending(lever_projects())
    if not delivered.empty:  # the runs kept the model's spending indicators: what was paid out
        if samples is not None:
            delivered = delivered[delivered["sample"].isin(samples)]
        return (delivered.groupby(["sample", "year", "lever", "project"], as_index=False)["value"].sum()
                .astype({"sample": int}))
    manifest = store.manifest
    base = validate_scenario(manifest["scenario"])
    table = store.read_table("samples.parquet")
    paths = {f.name: f.path for f in load_region(base.region).space.factors.values()}
    frames = []
    for sample, rows in table.groupby("sample"):
        if samples is not None and sample not in samples:
            continue
        values = {paths[f]: float(v) for f, v in zip(rows["factor"], rows["value"])}
        spending = base.with_values(values).plan().spending
        total = spending.groupby(["year", "lever", "project"], as_index=False)["value"].sum()
        total.insert(0, "sample", int(sample))
        frames.append(total)
    return pd.concat(frames, ignore_index=True)
