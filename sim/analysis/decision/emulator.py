"""An emulator of the model: every target's probability and key indicators' quantiles as functions of
the lever levels and the major uncertainties, fitted to sweep stores, answering in microseconds.

Form (scikit-learn, chosen so that a page can evaluate it with the same numbers in a few lines of
JavaScript, :mod:`sim.analysis.decision.export`): the inputs are mapped onto [-1, 1] over the ranges they were
sampled on and expanded into quadratic features (the inputs, their squares and all pairwise products).
On these features

* each target's probability is a logistic regression (``LogisticRegression``, L2 penalty chosen by
  cross-validation with folds that keep each sample point's replicates together) fitted to the
  met / not met outcome of every replicate, so the calibration draws and random streams that the
  replicates carry are averaged over;
* each key indicator's 5%, 50% and 95% quantile in a target year is a linear quantile regression
  (``QuantileRegressor``, pinball loss) fitted to the replicates' values.

Both are convex fits (no random initialisation, the same numbers every time) and both evaluate as a
dot product, so the exported evaluator is exact; a small neural network would fit curvature better
but needs more runs than this budget has, and gradient-boosted trees do not export as a formula.

Each target also carries an error scale ``sigma``: the out-of-fold error of the emulator on the
training points after the replicates' own binomial noise is taken out; ``p +- 1.96 sigma`` is the
emulator's interval (its coverage on held-out mixes is in the accuracy report).

The emulator records what it emulates (region, base scenario, which inputs, the parameter draws'
fingerprint, the code version and a behavioural fingerprint of the model: the base scenario run
once at a fixed seed) and refuses a scenario of another region, with other parameter draws, a
changed model, levers it was not trained on, or inputs outside the ranges it saw.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from sim.analysis.decision.levers import lever_factors, lever_level
from sim.analysis.targets import Targets, load_targets
from sim.core.errors import InputError
from sim.engine.store import ResultStore, code_version
from sim.inputs.draws import draws_fingerprint
from sim.inputs.region import load_region
from sim.scenario.schema import Scenario, validate_scenario

KEY_INDICATORS = ("head_enterprises", "innovation_platforms", "breakthroughs", "future_industry_va_share")
QUANTILE_LEVELS = (0.05, 0.5, 0.95)
FINGERPRINT_SEED = 20240101
SCHEDULE_FIELDS = ("start_year", "end_year", "ramp_years", "changes")
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
FORMAT_VERSION = 1


@dataclass
class Emulator:
    """A fitted emulator (weights and identity); plain data, saved as JSON.

    Attributes:
        inputs: One dict per input: name, path, section, low, high, base (value in the base scenario).
        targets: One dict per target: id, indicator, year, comparator, threshold, coef, intercept,
            sigma (and ``constant`` when every training replicate had the same outcome).
        quantiles: One dict per (indicator, year, q): coef, intercept, scale, floor.
        identity: region, base scenario (resolved), its hash, calibration, model fingerprint, code
            version, training stores, points and runs.
    """

    inputs: list[dict]
    targets: list[dict]
    quantiles: list[dict]
    identity: dict
    format_version: int = FORMAT_VERSION
    accuracy: dict = field(default_factory=dict)

    @property
    def input_names(self) -> list[str]:
        return [i["name"] for i in self.inputs]

    # ------------------------------------------------------------------ evaluation

    def features(self, x: np.ndarray) -> np.ndarray:
        """Quadratic features of inputs ``x`` (n, d) in their own units."""
        low = np.array([i["low"] for i in self.inputs])
        high = np.array([i["high"] for i in self.inputs])
        return quadratic_features(2 * (np.atleast_2d(x) - low) / (high - low) - 1)

    def predict_matrix(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Target probabilities (n, targets) and quantiles (n, quantile outputs) for inputs (n, d)."""
        phi = self.features(np.asarray(x, dtype=float))
        probs = np.empty((len(phi), len(self.targets)))
        for j, t in enumerate(self.targets):
            if t.get("constant") is not None:
                probs[:, j] = t["constant"]
            else:
                probs[:, j] = 1 / (1 + np.exp(-(phi @ np.asarray(t["coef"]) + t["intercept"])))
        quants = np.empty((len(phi), len(self.quantiles)))
        for j, q in enumerate(self.quantiles):
            quants[:, j] = np.maximum(q["floor"], (phi @ np.asarray(q["coef"]) + q["intercept"]) * q["scale"])
        return probs, _sorted_quantiles(quants, self.quantiles)

    def predict(self, values: dict[str, float]) -> dict[str, Any]:
        """Prediction for one mix of input values (missing inputs: the base scenario's).

        Returns:
            ``{"targets": {id: p}, "quantiles": {"indicator@year": {"q05": .., "q50": .., "q95": ..}}}``.
        """
        x = np.array([[values.get(i["name"], i["base"]) for i in self.inputs]], dtype=float)
        probs, quants = self.predict_matrix(x)
        out: dict[str, Any] = {"targets": {t["id"]: float(p) for t, p in zip(self.targets, probs[0])},
                               "quantiles": {}}
        for q, v in zip(self.quantiles, quants[0]):
            out["quantiles"].setdefault(f"{q['indicator']}@{q['year']}", {})[_qname(q["q"])] = float(v)
        return out

    # ------------------------------------------------------------------ files

    def save(self, folder: str | Path) -> Path:
        """Write ``emulator.json`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "emulator.json"
        data = {"format_version": self.format_version, "identity": self.identity, "inputs": self.inputs,
                "targets": self.targets, "quantiles": self.quantiles, "accuracy": self.accuracy}
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        return path


def load_emulator(folder: str | Path) -> Emulator:
    """Read an emulator folder (``emulator.json``).

    Raises:
        InputError: if the folder holds no emulator or one of another format.
    """
    path = Path(folder)
    path = path / "emulator.json" if path.is_dir() else path
    if not path.is_file():
        raise InputError("no emulator here", file=folder, allowed="a folder written by weilai emulate train")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the emulator: {exc}", file=path) from None
    if data.get("format_version") != FORMAT_VERSION:
        raise InputError("emulator of another format", file=path, key="format_version",
                         value=data.get("format_version"), allowed=f"{FORMAT_VERSION}: rebuild it")
    return Emulator(inputs=data["inputs"], targets=data["targets"], quantiles=data["quantiles"],
                    identity=data["identity"], accuracy=data.get("accuracy", {}))


def quadratic_features(z: np.ndarray) -> np.ndarray:
    """``[z, z**2, z_i * z_j for i < j]`` for rows of ``z`` (n, d) -> (n, 2d + d(d-1)/2)."""
    _n, d = z.shape
    i, j = np.triu_indices(d, k=1)
    return np.hstack([z, z**2, z[:, i] * z[:, j]])


def _qname(q: float) -> str:
    return f"q{round(q * 100):02d}"


def _sorted_quantiles(quants: np.ndarray, spec: list[dict]) -> np.ndarray:
    """Make q05 <= q50 <= q95 within each (indicator, year) (fitted separately, they may cross)."""
    groups: dict[tuple, list[int]] = {}
    for j, q in enumerate(spec):
        groups.setdefault((q["indicator"], q["year"]), []).append(j)
    for cols in groups.values():
        cols = sorted(cols, key=lambda c: spec[c]["q"])
        quants[:, cols] = np.sort(quants[:, cols], axis=1)
    return quants


# ------------------------------------------------------------------------------ training data


@dataclass
class TrainingData:
    """Replicate-level training rows from sweep stores.

    Attributes:
        x: Inputs (rows, d) in their own units. groups: sample point id of each row (for CV folds).
        met: Target id -> bool array per row. values: (indicator, year) -> value per row.
        factors: Input factor names. base: The sweep's base scenario. manifests: Of the stores.
    """

    x: np.ndarray
    groups: np.ndarray
    met: dict[str, np.ndarray]
    values: dict[tuple[str, int], np.ndarray]
    factors: list[str]
    base: Scenario
    manifests: list[dict]


def training_data(stores: Sequence[str | Path], targets: Targets | None = None,
                  indicators: tuple[str, ...] = KEY_INDICATORS) -> TrainingData:
    """Read sweep stores into replicate-level rows (all stores must share factors, base and calibration).

    Raises:
        InputError: a store that is not a sweep, has no lever factor, differs from the first in its
            factors, base scenario or parameter draws, or lacks a target indicator.
    """
    targets = targets or load_targets()
    xs, groups, frames, manifests = [], [], [], []
    first: dict | None = None
    offset = 0
    for ref in stores:
        store = ResultStore(ref)
        manifest = _sweep_manifest(store)
        if first is None:
            first = manifest
            if not any(f.startswith("levers.") for f in manifest["factors"]):
                raise InputError("the sweep varies no lever; an emulator of the levers needs lever factors",
                                 file=store.path, key="factors", value=manifest["factors"][:4],
                                 allowed="a sweep with levers.* factors (scenarios/sweeps/emulator/)")
        for key, what in (("factors", "factors"), ("scenario_hash", "base scenario"),
                          ("calibration", "parameter draws")):
            if manifest.get(key) != first.get(key):
                raise InputError(f"the stores differ in their {what}", file=store.path, key=key,
                                 value=_short(manifest.get(key)),
                                 allowed=f"the same as the first store: {_short(first.get(key))}")
        factors = manifest["factors"]
        samples = store.read_table("samples.parquet").pivot(index="sample", columns="factor", values="value")[factors]
        rows = _city_rows(store, targets, indicators)
        keys = rows[["sample", "replicate"]].drop_duplicates().sort_values(["sample", "replicate"])
        frames.append((keys, rows))
        xs.append(samples.loc[keys["sample"]].to_numpy(dtype=float))
        groups.append(keys["sample"].to_numpy() + offset)
        offset += int(samples.index.max()) + 1
        manifests.append(manifest)
    met: dict[str, list[np.ndarray]] = {t.id: [] for t in targets.target}
    values: dict[tuple[str, int], list[np.ndarray]] = {}
    years = sorted({t.year for t in targets.target})
    for keys, rows in frames:
        table = rows.pivot_table(index=["sample", "replicate"], columns=["indicator", "year"], values="value")
        table = table.reindex(pd.MultiIndex.from_frame(keys))
        for t in targets.target:
            if (t.indicator, t.year) not in table.columns:
                raise InputError("the store lacks a target's indicator", key="target", value=t.id,
                                 allowed="sweeps with targets = true")
            met[t.id].append(t.met(table[(t.indicator, t.year)].to_numpy()))
        for ind in indicators:
            for year in years:
                if (ind, year) in table.columns:
                    values.setdefault((ind, year), []).append(table[(ind, year)].to_numpy())
    assert first is not None, "no store given"
    base = validate_scenario(first["scenario"])
    return TrainingData(x=np.vstack(xs), groups=np.concatenate(groups),
                        met={k: np.concatenate(v) for k, v in met.items()},
                        values={k: np.concatenate(v) for k, v in values.items() if len(v) == len(frames)},
                        factors=list(first["factors"]), base=base, manifests=manifests)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) < 80 else text[:77] + "..."


def _sweep_manifest(store: ResultStore) -> dict:
    if not store.manifest_file.exists():
        raise InputError("not a result store", file=store.path, allowed="a folder written by weilai sweep")
    manifest = store.manifest
    if manifest.get("kind") != "sweep" or not (store.path / "samples.parquet").exists():
        raise InputError("not a sweep's store", file=store.path, key="kind", value=manifest.get("kind"),
                         allowed="a folder written by weilai sweep (with samples.parquet)")
    if not store.part_files():
        raise InputError("the store holds no finished runs", file=store.path, allowed="a sweep with runs")
    return manifest


def _city_rows(store: ResultStore, targets: Targets, indicators: tuple[str, ...]) -> pd.DataFrame:
    names = sorted({t.indicator for t in targets.target} | set(indicators))
    years = sorted({t.year for t in targets.target})
    quoted = ", ".join("'" + n + "'" for n in names)
    return store.sql(
        "SELECT sample, replicate, year, indicator, value FROM results WHERE direction = 'all' AND "
        f"district = 'all' AND indicator IN ({quoted}) AND year IN ({', '.join(map(str, years))})").df()


# ------------------------------------------------------------------------------ fitting


def fit_emulator(data: TrainingData, targets: Targets | None = None, progress: bool = False) -> Emulator:
    """Fit the logistic and quantile regressions (see the module docstring) to training rows."""
    from sklearn.linear_model import LogisticRegression, QuantileRegressor
    from sklearn.model_selection import GroupKFold

    targets = targets or load_targets()
    space = load_region(data.base.region).space
    inputs = []
    for name in data.factors:
        f = space.factors[name]
        inputs.append({"name": name, "path": f.path, "section": f.section, "unit": f.unit,
                       "low": f.low, "high": f.high, "base": input_value(data.base, name)})
    emu = Emulator(inputs=inputs, targets=[], quantiles=[], identity={})
    phi = emu.features(data.x)
    folds = list(GroupKFold(n_splits=5).split(phi, groups=data.groups))
    for t in targets.target:
        y = data.met[t.id].astype(int)
        entry = {"id": t.id, "indicator": t.indicator, "year": t.year, "comparator": t.comparator,
                 "threshold": t.threshold}
        if y.min() == y.max():
            entry.update(coef=[0.0] * phi.shape[1], intercept=0.0, constant=float(y[0]), sigma=0.0, C=None)
            emu.targets.append(entry)
            continue
        best_c, best_loss, best_oof = None, math.inf, None
        for c in C_GRID:
            oof = np.empty(len(y))
            for train, test in folds:
                if np.unique(y[train]).size < 2:
                    oof[test] = y[train].mean()
                    continue
                model = LogisticRegression(C=c, max_iter=5000).fit(phi[train], y[train])
                oof[test] = model.predict_proba(phi[test])[:, 1]
            loss = -np.mean(y * np.log(np.clip(oof, 1e-9, 1)) + (1 - y) * np.log(np.clip(1 - oof, 1e-9, 1)))
            if loss < best_loss:
                best_c, best_loss, best_oof = c, loss, oof
        model = LogisticRegression(C=best_c, max_iter=5000).fit(phi, y)
        entry.update(coef=model.coef_[0].tolist(), intercept=float(model.intercept_[0]), constant=None,
                     sigma=_error_scale(y, cast(np.ndarray, best_oof), data.groups), C=best_c,
                     cv_log_loss=float(best_loss))
        emu.targets.append(entry)
        if progress:
            print(f"  {t.id}: C={best_c}, out-of-fold log loss {best_loss:.3f}, sigma {entry['sigma']:.3f}")
    for (indicator, year), y in sorted(data.values.items()):
        scale = float(np.std(y)) or 1.0
        for q in QUANTILE_LEVELS:
            model = QuantileRegressor(quantile=q, alpha=5e-3, solver="highs").fit(phi, y / scale)
            emu.quantiles.append({"indicator": indicator, "year": int(year), "q": q, "coef": model.coef_.tolist(),
                                  "intercept": float(model.intercept_), "scale": scale, "floor": float(np.min(y))})
    emu.identity = {
        "region": data.base.region,
        "base_scenario": data.base.model_dump(mode="json"),
        "base_scenario_hash": data.base.content_hash(),
        "calibration": data.manifests[0].get("calibration") or draws_fingerprint(data.base.parameter_draws),
        "model_fingerprint": model_fingerprint(data.base),
        "code_version": code_version(),
        "trained_on": [m.get("name") for m in data.manifests],
        "training_points": int(np.unique(data.groups).size),
        "training_runs": len(data.x),
        "seed_streams": int(sum(len(m.get("seeds", [])) for m in data.manifests)),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return emu


def _error_scale(y: np.ndarray, oof: np.ndarray, groups: np.ndarray) -> float:
    """Emulator error (sd of p) from out-of-fold predictions per point, minus the binomial noise."""
    frame = pd.DataFrame({"y": y, "p": oof, "g": groups}).groupby("g").agg(f=("y", "mean"), p=("p", "mean"),
                                                                         n=("y", "size"))
    excess = np.mean((frame["f"] - frame["p"]) ** 2 - frame["p"] * (1 - frame["p"]) / frame["n"])
    return float(math.sqrt(max(excess, 0.0001)))


# ------------------------------------------------------------------------------ identity and inputs


@lru_cache(maxsize=8)
def _fingerprint(scenario_json: str) -> str:
    from sim.engine.runner import default_model

    scenario = validate_scenario(json.loads(scenario_json))
    rows = default_model()(scenario, FINGERPRINT_SEED, detail="city")
    rows = rows.sort_values(["indicator", "year"])
    text = "\n".join(f"{i},{y},{v:.6g}" for i, y, v in zip(rows["indicator"], rows["year"], rows["value"]))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def model_fingerprint(scenario: Scenario) -> str:
    """Behavioural fingerprint of the model: a hash of one run of ``scenario`` at a fixed seed (cached)."""
    return _fingerprint(json.dumps(scenario.model_dump(mode="json"), sort_keys=True))


def input_value(scenario: Scenario, name: str) -> float:
    """An emulator input's value in a scenario: a lever's mean yearly level, else the set or default value."""
    space = load_region(scenario.region).space
    factor = space.factors[name]
    if factor.section == "levers":
        lever = next(f for f in lever_factors(scenario.region) if f.name == name)
        return lever_level(scenario, lever)
    parts = factor.path.split(".")
    section = getattr(scenario, parts[0])
    value = section.get(parts[1])
    if isinstance(value, dict):
        value = value.get(parts[2]) if len(parts) > 2 else None
    return float(cast(float, factor.default if value is None else value))


def staleness(emu: Emulator) -> list[tuple[str, str, str]]:
    """What no longer matches between an emulator and the current base scenario, calibration and model.

    Returns:
        One ``(what, now, at_training)`` per mismatch, empty if the emulator is current. ``what`` is
        ``base_scenario`` (its file changed, is gone, or the recorded one no longer validates),
        ``calibration`` (other parameter draws) or ``model_fingerprint`` (the base scenario run at the
        fixed seed gives other results: the model changed).
    """
    from sim.scenario.loading import load_scenario

    ident = emu.identity
    try:
        trained = validate_scenario(ident["base_scenario"])
    except InputError as exc:
        return [("base_scenario", f"no longer valid ({exc.message()})", str(ident.get("base_scenario_hash")))]
    problems = []
    current = trained
    try:
        current = load_scenario(trained.name)
        if current.content_hash() != trained.content_hash():
            problems.append(("base_scenario", current.content_hash(), trained.content_hash()))
    except InputError:
        problems.append(("base_scenario", "not found", trained.name))
    draws = draws_fingerprint(current.parameter_draws)
    if draws != ident["calibration"]:
        problems.append(("calibration", draws, ident["calibration"]))
    now = model_fingerprint(trained)
    if now != ident["model_fingerprint"]:
        problems.append(("model_fingerprint", now, ident["model_fingerprint"]))
    return problems


def check_scenario(emu: Emulator, scenario: Scenario, check_model: bool = True) -> np.ndarray:
    """The scenario's input vector, after checking that the emulator may answer for it.

    Raises:
        InputError: another region, other parameter draws, a changed model, a lever or setting that
            differs from the training base other than through the emulator's inputs, or an input outside
            the range the emulator was trained on.
    """
    ident = emu.identity
    where = scenario.source or scenario.name
    if scenario.region != ident["region"]:
        raise InputError("the emulator was trained for another region", file=where, key="region",
                         value=scenario.region, allowed=ident["region"])
    draws = draws_fingerprint(scenario.parameter_draws)
    if draws != ident["calibration"]:
        raise InputError("the emulator was trained with other parameter draws (calibration)", file=where,
                         key="parameter_draws", value=draws, allowed=f"{ident['calibration']}, or rebuild the emulator "
                         "(weilai emulate rebuild)")
    base = validate_scenario(ident["base_scenario"])
    _check_same_apart_from_inputs(emu, scenario, base, where)
    if check_model:
        now = model_fingerprint(base)
        if now != ident["model_fingerprint"]:
            raise InputError("the model has changed since the emulator was trained (its base scenario now gives "
                             "other results)", key="model_fingerprint", value=now,
                             allowed=f"{ident['model_fingerprint']}: rebuild it with weilai emulate rebuild")
    x = np.array([input_value(scenario, i["name"]) for i in emu.inputs])
    for value, spec in zip(x, emu.inputs):
        if not spec["low"] - 1e-9 <= value <= spec["high"] + 1e-9:
            raise InputError("outside the range the emulator was trained on", file=where, key=spec["path"],
                             value=round(float(value), 4),
                             allowed=f"{spec['low']:g} to {spec['high']:g} ({spec['unit']})")
    return x


def _check_same_apart_from_inputs(emu: Emulator, scenario: Scenario, base: Scenario, where: Any) -> None:
    trained = {tuple(i["path"].split(".")) for i in emu.inputs}
    trained_levers = {p[1] for p in trained if p[0] == "levers"}
    mine, theirs = scenario.model_dump(mode="json"), base.model_dump(mode="json")
    for name, entry in mine["levers"].items():
        for key, value in entry.items():
            if ("levers", name, key) in trained or (name in trained_levers and key in SCHEDULE_FIELDS):
                continue
            if value != theirs["levers"][name].get(key):
                raise InputError("the emulator was not trained on this lever setting", file=where,
                                 key=f"levers.{name}.{key}", value=_short(value),
                                 allowed=f"{_short(theirs['levers'][name].get(key))} (as in its base "
                                 f"{base.name}), or an emulator trained on it")
    for section in ("uncertainties", "parameters"):
        for key in set(mine[section]) | set(theirs[section]):
            if (section, key) in trained or mine[section].get(key) == theirs[section].get(key):
                continue
            raise InputError("the emulator was not trained on this input", file=where, key=f"{section}.{key}",
                             value=_short(mine[section].get(key)),
                             allowed=f"{_short(theirs[section].get(key))} (as in its base)")
    for key in ("start_year", "end_year", "priorities"):
        if mine[key] != theirs[key]:
            raise InputError("the emulator was not trained on this setting", file=where, key=key,
                             value=_short(mine[key]), allowed=_short(theirs[key]))


def predict_scenario(emu: Emulator, scenario: Scenario, check_model: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Target probabilities (with the emulator's interval) and indicator quantiles for a scenario."""
    x = check_scenario(emu, scenario, check_model)
    probs, quants = emu.predict_matrix(x[None, :])
    rows = []
    for t, p in zip(emu.targets, probs[0]):
        s = t["sigma"]
        rows.append({"target": t["id"], "indicator": t["indicator"], "year": t["year"], "probability": float(p),
                     "low": max(0.0, float(p) - 1.96 * s), "high": min(1.0, float(p) + 1.96 * s)})
    qrows: dict[tuple, dict] = {}
    for q, v in zip(emu.quantiles, quants[0]):
        qrows.setdefault((q["indicator"], q["year"]), {"indicator": q["indicator"], "year": q["year"]})[
            _qname(q["q"])] = float(v)
    return pd.DataFrame(rows), pd.DataFrame(list(qrows.values()))


def shipped_emulator_dir(region: str = "ningbo") -> Path:
    """Where the project's trained emulator of a region lives (``sim/data/<region>/emulator``)."""
    from sim.core.paths import DATA_DIR

    return DATA_DIR / region / "emulator"


def training_sweeps() -> tuple[list[Path], Path]:
    """The shipped sweep files of the emulator: training blocks and the held-out reference."""
    from sim.core.paths import SCENARIOS_DIR

    folder = SCENARIOS_DIR / "sweeps" / "emulator"
    return sorted(folder.glob("train_*.toml")), folder / "reference.toml"
