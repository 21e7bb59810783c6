"""Provenance of a chart's data: code version, seeds and replicates from a store's manifest."""


from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.presentation import labels as L

# ------------------------------------------------------------------------------ provenance


@dataclass
class Provenance:
    """Where the numbers of a chart come from, for its footnote and the briefing's provenance block.

    Attributes:
        store: Path of the result store.
        kind: Store kind from the manifest (ensemble, sweep, comparison, ...).
        scenarios: One dict per scenario: name, hash, file (what the manifest says), replicates and
            seeds (counted from the data).
        base_seed: The design's base seed, if the manifest names one.
        code_version: Code version that wrote the store.
        created: When the store was created.
        calibration: The calibration (parameter draws) used, if the manifest says.
        packages: Package versions from the manifest.
    """

    store: str = ""
    kind: str = ""
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    base_seed: Any = None
    code_version: str = ""
    created: str = ""
    calibration: str = ""
    packages: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store, results: pd.DataFrame | None = None) -> Provenance:
        """Read a store's manifest and count replicates and seeds in its data.

        Args:
            store: A :class:`~sim.engine.store.ResultStore`.
            results: Its results if already read (saves a query).
        """
        manifest = store.manifest
        design = manifest.get("design", {}) or {}
        named = _manifest_scenarios(design)
        for name, entry in _run_scenarios(manifest).items():
            named.pop(entry.get("hash", ""), None)  # the design lists its scenarios by hash alone
            named.setdefault(name, {}).update(entry)
        if results is not None and not results.empty:
            counts = results.groupby("scenario", observed=True).agg(
                replicates=("replicate", "nunique"), seeds=("seed", "nunique"), samples=("sample", "nunique"))
        elif store.part_files():
            counts = store.sql("SELECT scenario, count(DISTINCT replicate) AS replicates, count(DISTINCT seed) AS "
                               "seeds, count(DISTINCT sample) AS samples FROM results GROUP BY scenario "
                               "ORDER BY scenario").df().set_index("scenario")
        else:
            counts = pd.DataFrame(columns=["replicates", "seeds", "samples"])
        scenarios = []
        for name in list(dict.fromkeys(list(named) + [str(s) for s in counts.index])):
            entry = {"name": name, **named.get(name, {})}
            if name in counts.index:
                entry.update({k: int(v) for k, v in counts.loc[name].items()})
            scenarios.append(entry)
        calibration = manifest.get("calibration") or _find_key(design, ("calibration", "parameter_draws")) or ""
        return cls(
            store=str(store.path), kind=str(manifest.get("kind", "")), scenarios=scenarios,
            base_seed=_find_key(design, ("base_seed", "seed")),
            code_version=str(manifest.get("code_version", "")), created=str(manifest.get("created", "")),
            calibration=calibration if isinstance(calibration, str) else json.dumps(calibration, ensure_ascii=False),
            packages=dict(manifest.get("packages", {})),
        )

    def titles(self) -> dict[str, tuple[str, str]]:
        """Scenario name -> (zh, en) title where the manifest gives one."""
        return {s["name"]: (s.get("title_zh", ""), s.get("title_en", "")) for s in self.scenarios
                if s.get("title_zh") or s.get("title_en")}

    def footnote(self, lang: str = "zh", scenarios: list[str] | None = None) -> str:
        """One line: model, scenarios with hashes, replicates, seeds, code version, date."""
        zh = L.check_lang(lang) == "zh"
        chosen = [s for s in self.scenarios if scenarios is None or s["name"] in scenarios]
        if any(s.get("replicates") for s in chosen):  # leave out scenarios without runs (a sweep's base)
            chosen = [s for s in chosen if s.get("replicates")]
        parts = []
        for s in chosen:
            text = s["name"]
            if s.get("hash"):
                text += f"（{str(s['hash'])[:8]}）" if zh else f" ({str(s['hash'])[:8]})"
            if s.get("samples", 1) > 1:
                text += f" {s['samples']}个样本点×" if zh else f", {s['samples']} sample points x"
            if s.get("replicates"):
                text += (f"{'' if s.get('samples', 1) > 1 else ' '}{s['replicates']}次重复" if zh
                         else f"{'' if s.get('samples', 1) > 1 else ','} {s['replicates']} replicates")
            parts.append(text)
        line = (("数据：weilai 模拟 · 情景 " if zh else "Data: weilai simulation · scenario ")
                + ("；" if zh else "; ").join(parts))
        if self.base_seed is not None:
            line += f" · 基准种子 {self.base_seed}" if zh else f" · base seed {self.base_seed}"
        if self.code_version:
            line += f" · 代码 {self.code_version}" if zh else f" · code {self.code_version}"
        if self.created:
            line += f" · {self.created[:10]}"
        return line


def _manifest_scenarios(design: dict) -> dict[str, dict[str, Any]]:
    """Scenario name -> {hash, file, title_zh, title_en} from whatever shape the design uses."""
    found: dict[str, dict[str, Any]] = {}

    def add(item: Any, fallback_name: str | None = None) -> None:
        if isinstance(item, str):
            found.setdefault(item if fallback_name is None else fallback_name, {})
            return
        if not isinstance(item, dict):
            return
        name = item.get("name") or fallback_name
        if not name:
            return
        entry = found.setdefault(str(name), {})
        for key, keys in (("hash", ("hash", "content_hash", "scenario_hash")), ("file", ("file", "source", "path")),
                          ("title_zh", ("title_zh",)), ("title_en", ("title_en",))):
            for k in keys:
                if item.get(k):
                    entry[key] = str(item[k])
                    break

    for key in ("scenarios", "scenario", "scenario_a", "scenario_b", "base", "alternative"):
        value = design.get(key)
        if isinstance(value, list):
            for item in value:
                add(item)
        elif (isinstance(value, dict) and "name" not in value
              and all(isinstance(v, (str, dict)) for v in value.values())):
            for name, item in value.items():
                add(item if isinstance(item, dict) else {"hash": item}, fallback_name=name)
        elif value is not None:
            add(value)
    return found


def _run_scenarios(manifest: dict) -> dict[str, dict[str, Any]]:
    """Scenario name -> {hash, file, title_zh, title_en} from the entries ``run_ensemble``,
    ``run_scenarios`` and sweeps add to a manifest (``scenario``/``scenario_hash``/``scenario_file``,
    or ``scenarios``/``scenario_hashes``/``scenario_files``; a sweep's ``sweep``/``sweep_file``, its
    hash computed from the stored specification, wherever the file was kept)."""
    dumps = dict(manifest.get("scenarios") or {}) if isinstance(manifest.get("scenarios"), dict) else {}
    hashes = dict(manifest.get("scenario_hashes") or {})
    files = dict(manifest.get("scenario_files") or {})
    single = manifest.get("scenario")
    if isinstance(single, dict) and single.get("name"):
        dumps[single["name"]] = single
        if manifest.get("scenario_hash"):
            hashes[single["name"]] = manifest["scenario_hash"]
        if manifest.get("scenario_file"):
            files[single["name"]] = manifest["scenario_file"]
    sweep = manifest.get("sweep")
    if isinstance(sweep, dict) and sweep.get("name"):  # a sweep's rows carry the sweep's name as scenario
        name = str(sweep["name"])
        dumps[name] = sweep
        hashes.setdefault(name, spec_hash(sweep))
        if manifest.get("sweep_file"):
            files.setdefault(name, manifest["sweep_file"])
    found: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys([*dumps, *hashes]):
        entry = {k: str(dumps.get(name, {}).get(k)) for k in ("title_zh", "title_en") if dumps.get(name, {}).get(k)}
        if hashes.get(name):
            entry["hash"] = str(hashes[name])
        if files.get(name):
            entry["file"] = str(files[name])
        found[str(name)] = entry
    return found


def spec_hash(spec: dict) -> str:
    """Hash of a stored specification (a sweep's), computed as a scenario's content hash is."""
    text = json.dumps(spec, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _find_key(obj: Any, keys: tuple[str, ...]) -> Any:
    """The first value under any of ``keys`` in nested dicts (breadth first), or None."""
    queue = [obj]
    while queue:
        node = queue.pop(0)
        if isinstance(node, dict):
            for k in keys:
                if k in node and not isinstance(node[k], (dict, list)):
                    return node[k]
            queue.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            queue.extend(node)
    return None


def data_note(frame: pd.DataFrame, lang: str) -> str:
    """A footnote from the data alone, when no manifest is given: replicates and seeds per scenario."""
    if frame.empty or "replicate" not in frame:
        return "数据：weilai 模拟" if lang == "zh" else "Data: weilai simulation"
    counts = frame.groupby("scenario", observed=True)["replicate"].nunique()
    parts = [f"{s} {n}次重复" if lang == "zh" else f"{s}, {n} replicates" for s, n in counts.items()]
    return ("数据：weilai 模拟 · " if lang == "zh" else "Data: weilai simulation · ") + "；".join(parts)
