"""Briefing charts: tidy stored results in, altair charts out, Chinese first.

Every builder aggregates first with :func:`summarise` (median and 5/25/75/95% quantiles across
replicates, or across samples for spending), then draws; no chart carries raw replicate rows. Each
returned chart has a title, units, the scenario name and a footnote with the data's provenance (code
version, seeds, replicates, from the store's manifest through :class:`Provenance`), and is sized for a
16:9 slide with large type. ``lang="en"`` gives the same chart in English.

Target likelihood classes (the colours of the target board and the briefing summary), on the
estimated probability of meeting a target across replicates:

* likely (很可能达成): probability >= 0.8 (``LIKELY_AT``);
* at risk (有风险): 0.4 <= probability < 0.8 (``AT_RISK_AT``);
* unlikely (难以达成): probability < 0.4.

The thresholds are a reading convention, not a statistic: with 20 replicates the Wilson interval of
a probability is about +-0.2 wide, which the board draws next to every bar.

Builders: :func:`target_board`, :func:`fan_chart` / :func:`fan_charts`, :func:`comparison_chart`,
:func:`sobol_chart`, :func:`morris_chart`, :func:`sensitivity_ranking_chart`,
:func:`spending_chart`, :func:`spending_outcome_chart`, :func:`breakdown_chart`.
Export: :func:`save_chart` (PNG at slide resolution and SVG through vl-convert, self-contained
HTML); :func:`write_run_charts` writes the charts of an ensemble store for ``weilai run``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import altair as alt
import numpy as np
import pandas as pd

from sim import labels as L
from sim.errors import InputError
from sim.region import Region, load_region
from sim.targets import Targets, evaluate_targets, load_targets

QUANTILES: dict[str, float] = {"p05": 0.05, "p25": 0.25, "median": 0.5, "p75": 0.75, "p95": 0.95}
LIKELY_AT = 0.8
AT_RISK_AT = 0.4
LIKELIHOODS = ("likely", "at_risk", "unlikely")
LIKELIHOOD_LABELS = {
    "likely": ("很可能达成", "likely"),
    "at_risk": ("有风险", "at risk"),
    "unlikely": ("难以达成", "unlikely"),
    "no_data": ("无数据", "no data"),
}
LIKELIHOOD_COLOURS = {"likely": "#2e7d32", "at_risk": "#e69500", "unlikely": "#c62828", "no_data": "#9e9e9e"}
SCENARIO_COLOURS = ["#1f5fa8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"]
PROJECT_COLOURS = ["#1f5fa8", "#e69500", "#2e7d32", "#c62828", "#7b3fa0", "#00838f", "#9e9e9e"]
SECTION_COLOURS = {"levers": "#1f5fa8", "uncertainties": "#d95f02", "parameters": "#7f7f7f", "other": "#bdbdbd"}
KEY_INDICATORS = ("head_enterprises", "innovation_platforms", "breakthroughs", "revenue_100m_yuan")
SLIDE_SCALE = 2.0  # PNG pixels per chart pixel: a ~960x540 chart becomes ~1920x1080
INK = "#222222"
MUTED = "#666666"


# ------------------------------------------------------------------------------ aggregation


def summarise(frame: pd.DataFrame, by: Iterable[str], value: str = "value") -> pd.DataFrame:
    """Median and 5/25/75/95% quantiles of ``value`` per group: the one aggregation every chart uses.

    Args:
        frame: Tidy rows, one per replicate (or per sample) and group.
        by: Grouping columns; everything else is pooled (normally the replicates).
        value: The column to summarise.

    Returns:
        One row per group: the ``by`` columns, ``p05, p25, median, p75, p95`` (linear interpolation,
        as ``numpy.quantile``) and ``n`` (rows pooled).
    """
    by = list(by)
    if frame.empty:
        return pd.DataFrame(columns=by + list(QUANTILES) + ["n"])
    grouped = frame.groupby(by, observed=True, sort=True)[value]
    table = grouped.quantile(list(QUANTILES.values())).unstack(level=-1)
    table.columns = list(QUANTILES)
    table["n"] = grouped.size()
    return table.reset_index()


def city_totals(results: pd.DataFrame) -> pd.DataFrame:
    """Rows of the city as a whole: direction ``all`` and district ``all``."""
    mask = results["direction"] == "all"
    if "district" in results:
        mask &= results["district"] == "all"
    return results[mask]


def likelihood(probability: float) -> str:
    """Likelihood class of a probability: ``likely``, ``at_risk``, ``unlikely`` or ``no_data`` (NaN)."""
    if probability is None or (isinstance(probability, float) and math.isnan(probability)):
        return "no_data"
    if probability >= LIKELY_AT:
        return "likely"
    if probability >= AT_RISK_AT:
        return "at_risk"
    return "unlikely"


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
            store: A :class:`~sim.store.ResultStore`.
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
        line = ("数据：weilai 模拟 · 情景 " if zh else "Data: weilai simulation · scenario ") + ("；" if zh else "; ").join(parts)
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
        elif isinstance(value, dict) and "name" not in value and all(isinstance(v, (str, dict)) for v in value.values()):
            for name, item in value.items():
                add(item if isinstance(item, dict) else {"hash": item}, fallback_name=name)
        elif value is not None:
            add(value)
    return found


def _run_scenarios(manifest: dict) -> dict[str, dict[str, Any]]:
    """Scenario name -> {hash, file, title_zh, title_en} from the entries ``run_ensemble``,
    ``run_scenarios`` and sweeps add to a manifest (``scenario``/``scenario_hash``/``scenario_file``,
    or ``scenarios``/``scenario_hashes``/``scenario_files``)."""
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
    found: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys([*dumps, *hashes]):
        entry = {k: str(dumps.get(name, {}).get(k)) for k in ("title_zh", "title_en") if dumps.get(name, {}).get(k)}
        if hashes.get(name):
            entry["hash"] = str(hashes[name])
        if files.get(name):
            entry["file"] = str(files[name])
        found[str(name)] = entry
    return found


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


def _data_note(frame: pd.DataFrame, lang: str) -> str:
    """A footnote from the data alone, when no manifest is given: replicates and seeds per scenario."""
    if frame.empty or "replicate" not in frame:
        return "数据：weilai 模拟" if lang == "zh" else "Data: weilai simulation"
    counts = frame.groupby("scenario", observed=True)["replicate"].nunique()
    parts = [f"{s} {n}次重复" if lang == "zh" else f"{s}, {n} replicates" for s, n in counts.items()]
    return ("数据：weilai 模拟 · " if lang == "zh" else "Data: weilai simulation · ") + "；".join(parts)


# ------------------------------------------------------------------------------ look and finish


def _font() -> str:
    from sim.fonts import PREFERRED_FAMILIES, CjkFontMissingError, font_stack

    try:
        return font_stack()
    except CjkFontMissingError:
        return ", ".join(f"'{f}'" for f in PREFERRED_FAMILIES) + ", sans-serif"


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "", anchor="start", fontSize=24, fontWeight="bold",
                           subtitleFontSize=15, subtitleColor=MUTED, color=INK, offset=14)


def _finish(chart: alt.TopLevelMixin, title: str, subtitle: str | list[str] | None, footnote: str,
            lang: str, kind: str) -> alt.VConcatChart:
    """Wrap a chart with its title and footnote, apply the slide theme, record metadata.

    The title sits on an outer vertical concatenation so that legends stay below it; the footnote
    is a one-line text mark under the chart.
    """
    foot = alt.Chart(pd.DataFrame({"footnote": [footnote]})).mark_text(
        align="left", baseline="top", fontSize=12, color=MUTED).encode(
        text="footnote:N", x=alt.value(0), y=alt.value(0)).properties(width=10, height=12)
    if not isinstance(chart, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart)):
        chart = alt.hconcat(chart)  # a single view's top legend would otherwise sit above the title
    wrapped = alt.vconcat(chart, foot, spacing=20).properties(
        title=_title(title, subtitle),
        usermeta={"weilai": {"lang": lang, "chart": kind}},
        padding={"left": 16, "right": 24, "top": 16, "bottom": 12},
    )
    return (
        wrapped.configure(font=_font(), background="white")
        .configure_axis(labelFontSize=14, titleFontSize=15, labelColor=INK, titleColor=INK, gridColor="#e6e6e6",
                        domainColor="#999999", tickColor="#999999", titleFontWeight="normal")
        .configure_legend(labelFontSize=14, titleFontSize=14, symbolSize=160, labelLimit=360, titleLimit=360)
        .configure_header(labelFontSize=15, titleFontSize=15)
        .configure_view(stroke=None)
        .configure_concat(spacing=24)
    )


def _footnote(source: Provenance | None, frame: pd.DataFrame, lang: str, scenarios: list[str] | None = None) -> str:
    return source.footnote(lang, scenarios) if source is not None else _data_note(frame, lang)


def _titles(source: Provenance | None) -> dict[str, tuple[str, str]]:
    return source.titles() if source is not None else {}


def _fmt(value: float) -> str:
    """A number for a label: integers without decimals, others with up to three significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value - round(value)) < 1e-9 and abs(value) < 1e7:
        return f"{int(round(value)):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _fmt_value(value: float, indicator: str, region: Region) -> str:
    """An indicator value for a label: counts as whole numbers, shares in percent, others by :func:`_fmt`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if L.is_share(indicator, region):
        return f"{value:.1%}"
    if indicator in region.indicators:  # the target indicators are counts: at most one decimal
        return L.format_count(value)
    return _fmt(value)


def _unit_suffix(indicator: str, lang: str, region: Region) -> str:
    unit = L.indicator_unit(indicator, lang, region)
    if not unit:
        return ""
    return f"（{unit}）" if lang == "zh" else f" ({unit})"


# ------------------------------------------------------------------------------ target board


def board_table(targets_table: pd.DataFrame, scenario: str | None = None, lang: str = "zh",
                region: Region | None = None) -> pd.DataFrame:
    """The rows the target board draws, one per target, in board order (by year, then file order).

    Adds to the evaluated table: ``label``, ``likelihood`` (class id), ``likelihood_label``,
    ``progress_median/p05/p95`` (indicator over threshold), ``value_text`` and ``probability_text``.
    """
    region = region or load_region("ningbo")
    table = targets_table
    if scenario is None:
        scenario = str(table["scenario"].iloc[0])
    table = table[table["scenario"] == scenario].copy()
    if table.empty:
        raise InputError("no evaluated targets for this scenario", key="scenario", value=scenario,
                         allowed=", ".join(map(str, targets_table["scenario"].unique())))
    table["order"] = np.arange(len(table))
    table = table.sort_values(["year", "order"], kind="stable")
    table["label"] = [L.target_label(r.indicator, r.year, r.comparator, r.threshold, lang, region)
                      for r in table.itertuples()]
    table["likelihood"] = [likelihood(p) for p in table["probability"]]
    table["likelihood_label"] = [L.pick(LIKELIHOOD_LABELS[c], lang) for c in table["likelihood"]]
    for col in ("median", "p05", "p95"):
        table[f"progress_{col}"] = table[col] / table["threshold"].where(table["threshold"] != 0)
    word = ("中位 ", "区间 ") if lang == "zh" else ("median ", "range ")
    table["value_text"] = [f"{word[0]}{_fmt_value(r.median, r.indicator, region)}　{word[1]}"
                           f"{_fmt_value(r.p05, r.indicator, region)}–{_fmt_value(r.p95, r.indicator, region)}"
                           for r in table.itertuples()]
    table["probability_text"] = [f"{p:.0%}" if not math.isnan(p) else "–" for p in table["probability"]]
    return table.reset_index(drop=True)


def target_board(targets_table: pd.DataFrame, scenario: str | None = None, lang: str = "zh",
                 source: Provenance | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Every target of one scenario: median projection and 5-95% band against the target, and the
    probability of reaching it with its 95% interval, coloured likely / at risk / unlikely.

    Args:
        targets_table: Output of :func:`sim.targets.evaluate_targets` (or a store's ``targets.csv``).
        scenario: Which scenario (default: the first in the table).
        lang: ``zh`` or ``en``.
        source: Provenance for the footnote and the scenario title.
        region: The region (default Ningbo).
    """
    region = region or load_region("ningbo")
    L.check_lang(lang)
    zh = lang == "zh"
    data = board_table(targets_table, scenario, lang, region)
    data = data[["scenario", "target", "indicator", "year", "threshold", "n_replicates", "median", "p05", "p95",
                 "probability", "probability_low", "probability_high", "label", "likelihood", "likelihood_label",
                 "progress_median", "progress_p05", "progress_p95", "value_text", "probability_text"]]
    scenario = str(data["scenario"].iloc[0])
    order = list(data["label"])
    row_height = 34
    height = row_height * len(data)
    classes = [c for c in (*LIKELIHOODS, "no_data") if c in set(data["likelihood"]) or c in LIKELIHOODS]
    colour = alt.Color(
        "likelihood_label:N",
        scale=alt.Scale(domain=[L.pick(LIKELIHOOD_LABELS[c], lang) for c in classes],
                        range=[LIKELIHOOD_COLOURS[c] for c in classes]),
        legend=alt.Legend(title=None, orient="top", direction="horizontal"),
    )
    y = alt.Y("label:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=420, labelFontSize=15, ticks=False, domain=False, labelPadding=8))
    y_hidden = alt.Y("label:N", sort=order, axis=None)
    base = alt.Chart(data)

    top = float(np.nanmax(data["progress_p95"].to_numpy())) if data["progress_p95"].notna().any() else 1.5
    x_max = float(min(3.0, max(1.5, math.ceil(top * 4) / 4)))
    x_progress = alt.X("progress_p05:Q", title="占目标的比例（中位数与5–95%区间）" if zh else
                       "Share of target (median and 5-95% range)",
                       scale=alt.Scale(domain=[0, x_max], clamp=True), axis=alt.Axis(format="%", tickCount=6))
    band = base.mark_bar(height=12, color="#b9c7d6", cornerRadius=3).encode(
        y=y, x=x_progress, x2="progress_p95:Q")
    median = base.mark_point(filled=True, size=220, shape="diamond", opacity=1).encode(
        y=y, x="progress_median:Q", color=colour,
        tooltip=["label:N", "median:Q", "p05:Q", "p95:Q", "threshold:Q"])
    goal = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[6, 4], color=INK, strokeWidth=1.5).encode(x="x:Q")
    progress = alt.layer(band, goal, median).properties(width=360, height=height)

    values = base.mark_text(align="left", fontSize=14, color=INK).encode(
        y=y_hidden, text="value_text:N", x=alt.value(0)).properties(width=190, height=height,
                                                                     title=alt.TitleParams("", fontSize=1))

    x_prob = alt.X("probability:Q", title="达成概率（及95%置信区间）" if zh else "Probability of meeting (95% interval)",
                   scale=alt.Scale(domain=[0, 1.2]), axis=alt.Axis(format="%", values=[0, 0.2, 0.4, 0.6, 0.8, 1.0]))
    bars = base.mark_bar(height=18, cornerRadiusEnd=3).encode(y=y_hidden, x=x_prob, color=colour)
    whisker = base.mark_rule(color=INK, strokeWidth=1.5).encode(y=y_hidden, x="probability_low:Q",
                                                                  x2="probability_high:Q")
    text = base.mark_text(align="left", dx=6, fontSize=15, fontWeight="bold", color=INK).encode(
        y=y_hidden, x="probability_high:Q", text="probability_text:N")
    cuts = alt.Chart(pd.DataFrame({"x": [AT_RISK_AT, LIKELY_AT]})).mark_rule(
        color="#999999", strokeDash=[2, 3]).encode(x="x:Q")
    probability = alt.layer(cuts, bars, whisker, text).properties(width=330, height=height)

    chart = alt.hconcat(progress, values, probability, spacing=12).resolve_scale(color="shared")
    title_name = L.scenario_title(scenario, lang, _titles(source))
    n = int(data["n_replicates"].max())
    if zh:
        title = f"目标达成看板｜{title_name}"
        subtitle = [f"菱形为{n}次重复模拟的中位数，灰条为5–95%区间，虚线为目标值；右侧为达成目标的重复占比及其95%置信区间。",
                    f"很可能达成：概率≥{LIKELY_AT:.0%}；有风险：{AT_RISK_AT:.0%}–{LIKELY_AT:.0%}；难以达成：<{AT_RISK_AT:.0%}。"]
    else:
        title = f"Target board: {title_name}"
        subtitle = [f"Diamond: median of {n} replicates; grey bar: 5-95% range; dashed line: the target. "
                    "Right: share of replicates meeting it, with 95% interval.",
                    f"Likely: probability >= {LIKELY_AT:.0%}; at risk: {AT_RISK_AT:.0%}-{LIKELY_AT:.0%}; "
                    f"unlikely: < {AT_RISK_AT:.0%}."]
    return _finish(chart, title, subtitle, _footnote(source, data, lang, [scenario]) if source else
                   (f"数据：weilai 模拟 · 情景 {scenario}，{n}次重复" if zh else
                    f"Data: weilai simulation · scenario {scenario}, {n} replicates"), lang, "target_board")


# ------------------------------------------------------------------------------ fan charts


def fan_table(results: pd.DataFrame, indicator: str, scenarios: list[str] | None = None,
              direction: str = "all", district: str = "all", lang: str = "zh",
              titles: dict[str, tuple[str, str]] | None = None, region: Region | None = None) -> pd.DataFrame:
    """Quantiles per scenario and year of one indicator in one scope (what a fan chart draws).

    Shares are converted to percent. Adds ``scenario_title``.
    """
    region = region or load_region("ningbo")
    rows = results[(results["indicator"] == indicator) & (results["direction"] == direction)]
    if "district" in rows:
        rows = rows[rows["district"] == district]
    if scenarios is not None:
        rows = rows[rows["scenario"].isin(scenarios)]
    if rows.empty:
        raise InputError("no results for this indicator and scope", key="indicator", value=indicator,
                         allowed=", ".join(sorted(results["indicator"].unique())))
    table = summarise(rows, ["scenario", "year"])
    if L.is_share(indicator, region):
        for col in QUANTILES:
            table[col] = table[col] * 100
    table["year"] = table["year"].astype(int)
    table["scenario_title"] = [L.scenario_title(s, lang, titles) for s in table["scenario"]]
    return table


def _fan_panel(table: pd.DataFrame, indicator: str, lang: str, region: Region, targets: Targets | None,
               scope_is_city: bool, width: int, height: int) -> alt.LayerChart:
    zh = lang == "zh"
    order = list(dict.fromkeys(table["scenario_title"]))
    colour_scale = alt.Scale(domain=order, range=SCENARIO_COLOURS[:len(order)])
    legend_spec = alt.Legend(title=None, orient="top", direction="horizontal", symbolType="stroke",
                             symbolStrokeWidth=4, symbolSize=300, symbolOpacity=1) if len(order) > 1 else None
    # Every layer carries the same legend: Vega-Lite merges the legends of a shared colour scale, and
    # one layer with ``legend=None`` would hide the merged legend of the small multiples.
    colour = alt.Color("scenario_title:N", scale=colour_scale, legend=legend_spec)
    years = sorted(table["year"].unique())
    x = alt.X("year:Q", title=None, scale=alt.Scale(domain=[years[0], years[-1]], nice=False),
              axis=alt.Axis(format="d", values=years[::2] if len(years) > 8 else years, labelAngle=0))
    base = alt.Chart(table)  # no y title: the unit is in the panel's title, upright
    outer = base.mark_area(opacity=0.15).encode(x=x, y=alt.Y("p05:Q", title=None), y2="p95:Q", color=colour)
    inner = base.mark_area(opacity=0.35).encode(x=x, y="p25:Q", y2="p75:Q", color=colour)
    line = base.mark_line(strokeWidth=3).encode(x=x, y="median:Q", color=colour)
    layers = [outer, inner, line]
    if targets is not None and scope_is_city:
        goals = [t for t in targets.target if t.indicator == indicator and years[0] <= t.year <= years[-1]]
        if goals:
            sign = {">=": "≥", "<=": "≤"}
            goal_frame = pd.DataFrame({
                "year": [t.year for t in goals], "threshold": [t.threshold for t in goals],
                "text": [(f"{t.year}年目标 {sign.get(t.comparator, '')}{t.threshold:g}" if zh else
                          f"{t.year} target {sign.get(t.comparator, '')}{t.threshold:g}") for t in goals],
            })
            marks = alt.Chart(goal_frame)
            layers.append(marks.mark_point(shape="diamond", size=200, filled=True, color=INK).encode(
                x="year:Q", y="threshold:Q"))
            layers.append(marks.mark_text(align="right", dx=-10, dy=-12, fontSize=14, color=INK,
                                          fontWeight="bold").encode(x="year:Q", y="threshold:Q", text="text:N"))
    return alt.layer(*layers).properties(width=width, height=height)


def fan_chart(results: pd.DataFrame, indicator: str, scenarios: list[str] | None = None, direction: str = "all",
              district: str = "all", lang: str = "zh", source: Provenance | None = None,
              targets: Targets | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Fan chart of one indicator 2024-2035: median line, 50% and 90% bands, one colour per scenario,
    and the indicator's targets as diamonds.

    Args:
        results: Tidy results (store schema).
        indicator: Indicator id.
        scenarios: Scenarios to draw (default: all in ``results``).
        direction, district: Scope (default the city total).
        lang: ``zh`` or ``en``.
        source: Provenance for the footnote and scenario titles.
        targets: Targets to mark (default: the region's).
        region: The region (default Ningbo).
    """
    region = region or load_region("ningbo")
    L.check_lang(lang)
    targets = targets or load_targets(region=region)
    table = fan_table(results, indicator, scenarios, direction, district, lang, _titles(source), region)
    scope_is_city = direction == "all" and district == "all"
    panel = _fan_panel(table, indicator, lang, region, targets, scope_is_city, 820, 400)
    scope = L.scope_label(direction, district, lang, region)
    name = L.indicator_label(indicator, lang, region)
    note = L.indicator_note(indicator, lang, region)
    titles = list(dict.fromkeys(table["scenario_title"]))
    if lang == "zh":
        title = f"{scope}{name}{_unit_suffix(indicator, lang, region)}，{table['year'].min()}–{table['year'].max()}年"
        subtitle = (f"{'、'.join(titles)} · 实线为中位数，深色带为50%区间，浅色带为90%区间"
                    + (f" · {note}" if note else ""))
    else:
        title = f"{name}{_unit_suffix(indicator, lang, region)}, {scope.lower() if scope == 'City' else scope}, " \
                f"{table['year'].min()}-{table['year'].max()}"
        subtitle = (f"{'; '.join(titles)} · line: median; dark band: 50% range; light band: 90% range"
                    + (f" · {note}" if note else ""))
    return _finish(panel, title, subtitle, _footnote(source, results, lang, list(table["scenario"].unique())),
                   lang, "fan_chart")


def fan_charts(results: pd.DataFrame, indicators: list[str] | None = None, scenarios: list[str] | None = None,
               lang: str = "zh", source: Provenance | None = None, targets: Targets | None = None,
               region: Region | None = None, columns: int = 2) -> alt.VConcatChart:
    """Small multiples of fan charts (city totals), one panel per indicator, each with its own scale.

    Args:
        indicators: Indicator ids (default: the key indicators present in the results).
        columns: Panels per row.
        Other arguments as :func:`fan_chart`.
    """
    region = region or load_region("ningbo")
    L.check_lang(lang)
    targets = targets or load_targets(region=region)
    present = set(results["indicator"].unique())
    if indicators is None:
        indicators = [i for i in KEY_INDICATORS if i in present] or sorted(present)[:4]
    missing = [i for i in indicators if i not in present]
    if missing:
        raise InputError("indicator not in the results", key="indicators", value=missing[0],
                         allowed=", ".join(sorted(present)))
    city = city_totals(results)
    width = 440 if columns >= 2 else 820
    height = 230 if len(indicators) > columns else 300
    panels = []
    scenario_names: list[str] = []
    for indicator in indicators:
        table = fan_table(city, indicator, scenarios, lang=lang, titles=_titles(source), region=region)
        scenario_names = list(table["scenario"].unique())
        panel = _fan_panel(table, indicator, lang, region, targets, True, width, height)
        panels.append(panel.properties(title=alt.TitleParams(
            L.indicator_label(indicator, lang, region) + _unit_suffix(indicator, lang, region),
            anchor="start", fontSize=17, fontWeight="bold", color=INK)))
    chart = alt.concat(*panels, columns=columns).resolve_scale(y="independent", color="shared")
    titles = [L.scenario_title(s, lang, _titles(source)) for s in scenario_names]
    if lang == "zh":
        title = "关键指标走势（全市）"
        subtitle = f"{'、'.join(titles)} · 实线为中位数，深色带为50%区间，浅色带为90%区间，菱形为政策目标"
    else:
        title = "Key indicators (city)"
        subtitle = f"{'; '.join(titles)} · line: median; dark band: 50% range; light band: 90% range; diamond: target"
    return _finish(chart, title, subtitle, _footnote(source, results, lang, scenario_names), lang, "fan_charts")


# ------------------------------------------------------------------------------ scenario comparison

COMPARISON_COLUMNS = ["scenario_a", "scenario_b", "target", "indicator", "year", "threshold", "probability_a",
                      "probability_b", "difference", "difference_low", "difference_high", "cost_a_100m_yuan",
                      "cost_b_100m_yuan"]


def difference_sense(comparison: pd.DataFrame) -> str:
    """Whether the table's ``difference`` is ``b-a`` or ``a-b``, read from its own numbers.

    Raises:
        InputError: if ``difference`` is neither.
    """
    b_minus_a = (comparison["probability_b"] - comparison["probability_a"] - comparison["difference"]).abs().max()
    a_minus_b = (comparison["probability_a"] - comparison["probability_b"] - comparison["difference"]).abs().max()
    if b_minus_a <= 1e-6:
        return "b-a"
    if a_minus_b <= 1e-6:
        return "a-b"
    raise InputError("the comparison's difference is neither probability_b - probability_a nor the reverse",
                     key="difference")


def comparison_chart(comparison: pd.DataFrame, lang: str = "zh", source: Provenance | None = None,
                     region: Region | None = None, targets: Targets | None = None) -> alt.VConcatChart:
    """Per target: the probability under each scenario, and their difference with its interval.

    Args:
        comparison: Table written by ``weilai compare`` (columns ``COMPARISON_COLUMNS``).
        lang: ``zh`` or ``en``.
        source: Provenance for the footnote and scenario titles.
        region, targets: Defaults: Ningbo and its targets (for comparator signs in labels).
    """
    region = region or load_region("ningbo")
    L.check_lang(lang)
    zh = lang == "zh"
    missing = [c for c in COMPARISON_COLUMNS if c not in comparison]
    if missing:
        raise InputError("not a comparison table", key=missing[0], allowed=", ".join(COMPARISON_COLUMNS))
    targets = targets or load_targets(region=region)
    comparator = {t.id: t.comparator for t in targets.target}
    data = comparison.copy()
    data["order"] = np.arange(len(data))
    data = data.sort_values(["year", "order"], kind="stable").reset_index(drop=True)
    data["label"] = [L.target_label(r.indicator, r.year, comparator.get(r.target, ">="), r.threshold, lang, region)
                     for r in data.itertuples()]
    order = list(data["label"])
    a, b = str(data["scenario_a"].iloc[0]), str(data["scenario_b"].iloc[0])
    title_a, title_b = (L.scenario_title(a, lang, _titles(source)), L.scenario_title(b, lang, _titles(source)))
    sense = difference_sense(data)
    if sense == "a-b":  # draw B - A everywhere
        data["difference"], data["difference_low"], data["difference_high"] = (
            -data["difference"], -data["difference_high"], -data["difference_low"])
    verdicts = (("B更好", "B better"), ("B更差", "B worse"), ("无显著差异", "no clear difference"))
    data["verdict"] = np.where(data["difference_low"] > 0, L.pick(verdicts[0], lang),
                               np.where(data["difference_high"] < 0, L.pick(verdicts[1], lang), L.pick(verdicts[2], lang)))
    data["difference_text"] = [f"{d:+.0%}" for d in data["difference"]]
    long = pd.concat([
        data.assign(which=title_a, probability=data["probability_a"]),
        data.assign(which=title_b, probability=data["probability_b"]),
    ])
    height = 34 * len(data)
    y = alt.Y("label:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=420, labelFontSize=15, ticks=False, domain=False, labelPadding=8))
    y_hidden = alt.Y("label:N", sort=order, axis=None)
    colour = alt.Color("which:N", scale=alt.Scale(domain=[title_a, title_b], range=["#9e9e9e", SCENARIO_COLOURS[0]]),
                       legend=alt.Legend(title=None, orient="top", direction="horizontal"))
    x_prob = alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", tickCount=5),
                   title="达成概率" if zh else "Probability of meeting")
    link = alt.Chart(data).mark_rule(color="#bbbbbb", strokeWidth=3).encode(
        y=y, x=alt.X("probability_a:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", tickCount=5),
                     title="达成概率" if zh else "Probability of meeting"), x2="probability_b:Q")
    dots = alt.Chart(long).mark_point(filled=True, size=200, opacity=1).encode(y=y, x=x_prob, color=colour)
    left = alt.layer(link, dots).properties(width=380, height=height)

    verdict_domain = [L.pick(v, lang) for v in verdicts]
    lo = float(min(-0.2, data["difference_low"].min()))
    hi = float(max(0.2, data["difference_high"].max()))
    x_diff = alt.X("difference_low:Q", scale=alt.Scale(domain=[lo, hi + 0.12]), axis=alt.Axis(format="+%", tickCount=6),
                   title="概率差（B − A）及95%置信区间" if zh else "Difference (B − A) and 95% interval")
    verdict_colour = alt.Color("verdict:N", scale=alt.Scale(domain=verdict_domain,
                                                            range=["#2e7d32", "#c62828", "#9e9e9e"]),
                               legend=alt.Legend(title=None, orient="top", direction="horizontal"))
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=INK).encode(x="x:Q")
    interval = alt.Chart(data).mark_rule(strokeWidth=3).encode(y=y_hidden, x=x_diff, x2="difference_high:Q",
                                                               color=verdict_colour)
    point = alt.Chart(data).mark_point(filled=True, size=150, opacity=1).encode(
        y=y_hidden, x="difference:Q", color=verdict_colour)
    text = alt.Chart(data).mark_text(align="left", dx=8, fontSize=14, color=INK).encode(
        y=y_hidden, x="difference_high:Q", text="difference_text:N")
    right = alt.layer(zero, interval, point, text).properties(width=360, height=height)
    chart = alt.hconcat(left, right, spacing=16).resolve_scale(color="independent")
    cost_a, cost_b = float(data["cost_a_100m_yuan"].iloc[0]), float(data["cost_b_100m_yuan"].iloc[0])
    if zh:
        title = f"情景比较：{title_b}（B）对比 {title_a}（A）"
        subtitle = ["各目标的达成概率与概率差（B − A）；区间跨过0即差异不显著。",
                    f"财政投入：A {cost_a:,.1f} 亿元，B {cost_b:,.1f} 亿元（差 {cost_b - cost_a:+,.1f} 亿元）。"]
    else:
        title = f"Scenario comparison: {title_b} (B) vs {title_a} (A)"
        subtitle = ["Probability of meeting each target and the difference B − A; an interval across 0 is no "
                    "clear difference.",
                    f"City spending: A {cost_a:,.1f}, B {cost_b:,.1f} (100m yuan; difference {cost_b - cost_a:+,.1f})."]
    foot = source.footnote(lang) if source is not None else (
        f"数据：weilai compare · 情景 {a}、{b}" if zh else f"Data: weilai compare · scenarios {a}, {b}")
    return _finish(chart, title, subtitle, foot, lang, "comparison")


# ------------------------------------------------------------------------------ sensitivity


def _indices_for(indices: pd.DataFrame, method: str, output: str, year: int | None) -> tuple[pd.DataFrame, int | None]:
    rows = indices[(indices["method"] == method) & (indices["output"] == output)]
    if rows.empty:
        have = indices[indices["method"] == method]["output"].unique()
        raise InputError(f"no {method} indices for this output", key="output", value=output,
                         allowed=", ".join(map(str, have)) or f"(the store has no {method} indices)")
    if "year" in rows and rows["year"].notna().any():
        year = int(rows["year"].max()) if year is None else int(year)
        rows = rows[rows["year"] == year]
    return rows, year


def _factor_frame(rows: pd.DataFrame, lang: str, region: Region) -> pd.DataFrame:
    rows = rows.copy()
    rows["section"] = [L.factor_section(f) for f in rows["factor"]]
    rows["section_label"] = [L.section_label(s, lang) for s in rows["section"]]
    rows["factor_label"] = [L.factor_label(f, lang, region) for f in rows["factor"]]
    return rows


def _section_colour(sections: Iterable[str], lang: str) -> alt.Color:
    present = [s for s in SECTION_COLOURS if s in set(sections)]
    return alt.Color("section_label:N", scale=alt.Scale(domain=[L.section_label(s, lang) for s in present],
                                                        range=[SECTION_COLOURS[s] for s in present]),
                     legend=alt.Legend(title=None, orient="top", direction="horizontal"))


def sobol_chart(indices: pd.DataFrame, output: str, year: int | None = None, lang: str = "zh", top: int = 12,
                source: Provenance | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Sobol first-order (S1) and total (ST) indices of one output, with confidence intervals,
    the ``top`` factors by ST; the factor's kind (lever, uncertainty, parameter) colours its label dot.

    Args:
        indices: ``indices.parquet`` in long form (method, output, year, factor, index, value, conf).
        output: An indicator or ``P(<target id>)``.
        year: Year of the indices (default the latest).
    """
    region = region or load_region("ningbo")
    L.check_lang(lang)
    zh = lang == "zh"
    rows, year = _indices_for(indices, "sobol", output, year)
    rows = _factor_frame(rows[rows["index"].isin(["S1", "ST"])], lang, region)
    total = rows[rows["index"] == "ST"].sort_values("value", ascending=False).head(top)
    rows = rows[rows["factor"].isin(total["factor"])].copy()
    order = list(total["factor_label"])
    names = {"S1": ("一阶效应 S1", "first order S1"), "ST": ("总效应 ST", "total ST")}
    rows["index_label"] = [L.pick(names[i], lang) for i in rows["index"]]
    rows["low"] = rows["value"] - rows["conf"].fillna(0)
    rows["high"] = rows["value"] + rows["conf"].fillna(0)
    y = alt.Y("factor_label:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=360, labelFontSize=15, labelPadding=26, ticks=False))
    offset = alt.YOffset("index_label:N", sort=[L.pick(names["S1"], lang), L.pick(names["ST"], lang)])
    colour = alt.Color("index_label:N", scale=alt.Scale(domain=[L.pick(names["S1"], lang), L.pick(names["ST"], lang)],
                                                        range=["#9ecae1", "#1f5fa8"]),
                       legend=alt.Legend(title=None, orient="top", direction="horizontal"))
    x = alt.X("value:Q", title="敏感性指数（误差线为置信区间）" if zh else "Sensitivity index (lines: confidence interval)",
              axis=alt.Axis(format=".1f", tickCount=6))
    base = alt.Chart(rows)
    bars = base.mark_bar(height={"band": 0.9}).encode(y=y, yOffset=offset, x=x, color=colour)
    errors = base.mark_rule(color=INK).encode(y=y, yOffset=offset, x="low:Q", x2="high:Q")
    kinds = alt.Chart(total).mark_point(filled=True, size=140, shape="circle").encode(
        y=y, x=alt.value(-10),
        color=_section_colour(total["section"], lang))
    chart = alt.layer(bars, errors, kinds).resolve_scale(color="independent").properties(
        width=640, height=max(200, 40 * len(order)))
    year_text = f"{year}年" if (zh and year) else (f" in {year}" if year else "")
    label = L.output_label(output, lang, region)
    if zh:
        title = f"哪些因素最影响“{label}”{year_text}"
        subtitle = ["Sobol指数：S1为单独作用，ST含交互作用；左侧圆点颜色表示因素类型（政策杠杆、外部不确定性、行为参数）"]
    else:
        title = f"What drives '{label}'{year_text}"
        subtitle = ["Sobol indices: S1 alone, ST including interactions; the dot shows the factor's kind"]
    subtitle += _estimate_warning(total["value"], lang)
    foot = source.footnote(lang) if source is not None else ("数据：weilai analyze" if zh else "Data: weilai analyze")
    return _finish(chart, title, subtitle, foot, lang, "sobol")


def morris_chart(indices: pd.DataFrame, output: str, year: int | None = None, lang: str = "zh", label_top: int = 8,
                 source: Provenance | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Morris screening of one output: mean absolute elementary effect (mu*) against its spread
    (sigma); far right = important, high = non-linear or interacting. The ``label_top`` factors by mu*
    are named."""
    region = region or load_region("ningbo")
    L.check_lang(lang)
    zh = lang == "zh"
    rows, year = _indices_for(indices, "morris", output, year)
    wide = rows.pivot_table(index="factor", columns="index", values="value", aggfunc="first").reset_index()
    if "mu_star" not in wide or "sigma" not in wide:
        raise InputError("Morris indices need mu_star and sigma", key="index", allowed="mu_star, sigma")
    wide = _factor_frame(wide, lang, region).sort_values("mu_star", ascending=False)
    big = wide["mu_star"] >= 0.15 * float(wide["mu_star"].max())
    wide["named"] = np.where((np.arange(len(wide)) < label_top) & big, wide["factor_label"], "")
    wide["label_sigma"] = _spread_labels(wide["mu_star"].to_numpy(float), wide["sigma"].to_numpy(float),
                                         wide["named"].to_numpy() != "")
    base = alt.Chart(wide)
    x = alt.X("mu_star:Q", title="μ*（平均绝对效应）" if zh else "μ* (mean absolute effect)",
              axis=alt.Axis(tickCount=6))
    y = alt.Y("sigma:Q", title="σ（效应离散度）" if zh else "σ (spread of effects)", axis=alt.Axis(tickCount=6))
    points = base.mark_point(filled=True, size=180, opacity=0.9).encode(
        x=x, y=y, color=_section_colour(wide["section"], lang), tooltip=["factor_label:N", "mu_star:Q", "sigma:Q"])
    names = base.mark_text(align="left", dx=10, fontSize=14, color=INK).encode(
        x="mu_star:Q", y="label_sigma:Q", text="named:N")
    moved = alt.Chart(wide[(wide["named"] != "") & (wide["label_sigma"] != wide["sigma"])]).mark_rule(
        color="#bbbbbb").encode(x="mu_star:Q", y="sigma:Q", y2="label_sigma:Q")
    chart = alt.layer(moved, points, names).properties(width=760, height=420)
    label = L.output_label(output, lang, region)
    year_text = f"{year}年" if (zh and year) else (f" in {year}" if year else "")
    title = f"Morris筛选：“{label}”{year_text}" if zh else f"Morris screening: '{label}'{year_text}"
    subtitle = ("越靠右影响越大，越靠上越非线性或与其他因素交互" if zh else
                "Further right: more influence; higher: more non-linear or interacting")
    foot = source.footnote(lang) if source is not None else ("数据：weilai analyze" if zh else "Data: weilai analyze")
    return _finish(chart, title, subtitle, foot, lang, "morris")


def _spread_labels(x: np.ndarray, y: np.ndarray, named: np.ndarray, step: float = 0.06) -> np.ndarray:
    """Label heights that keep labels of nearby points apart: a label within a label's width and
    line height of one already placed moves up (in data units) until it is clear."""
    x_span = max(float(np.nanmax(x)) if len(x) else 1.0, 1e-12)
    y_span = max(float(np.nanmax(y)) if len(y) else 1.0, 1e-12)
    placed: list[tuple[float, float]] = []
    out = y.astype(float).copy()
    for i in range(len(x)):
        if not named[i]:
            continue
        level = out[i] / y_span
        while any(abs(x[i] / x_span - px) < 0.3 and abs(level - py) < step for px, py in placed):
            level += step
        placed.append((x[i] / x_span, level))
        out[i] = level * y_span
    return out


def sensitivity_ranking(indices: pd.DataFrame, outputs: list[str] | None = None, top: int = 10) -> pd.DataFrame:
    """The factors that matter most across outputs: Sobol ST if the indices have it, else Morris mu*
    scaled to the largest per output. Latest year per output.

    Returns:
        Rows (method, output, year, factor, score), the ``top`` factors by mean score across outputs.
    """
    method, index = ("sobol", "ST") if ((indices["method"] == "sobol") & (indices["index"] == "ST")).any() \
        else ("morris", "mu_star")
    rows = indices[(indices["method"] == method) & (indices["index"] == index)].copy()
    if rows.empty:
        raise InputError("the indices have neither Sobol ST nor Morris mu_star", key="index")
    if outputs is not None:
        rows = rows[rows["output"].isin(outputs)]
    if "year" in rows and rows["year"].notna().any():
        latest = rows.groupby("output")["year"].transform("max")
        rows = rows[rows["year"] == latest]
    rows["score"] = rows["value"]
    if method == "morris":
        rows["score"] = rows["value"] / rows.groupby("output")["value"].transform("max")
    keep = rows.groupby("factor")["score"].mean().sort_values(ascending=False).head(top).index
    out = rows[rows["factor"].isin(keep)][["method", "output", "year", "factor", "score"]]
    return out.reset_index(drop=True)


def _estimate_warning(total_indices: pd.Series, lang: str) -> list[str]:
    """A subtitle line when a total index is above 1, which no true index can be: the sample is too
    small for that output (heavy tails, rare events); see the store's convergence report."""
    if not (total_indices > 1.0).any():
        return []
    return (["注意：有ST估计值大于1（真实值不可能超过1），说明该输出的样本量不足，请看收敛检验或加大N"]
            if lang == "zh" else
            ["Note: a total index above 1 (impossible for the true index) means too small a sample for that "
             "output; see the convergence report or raise N"])


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters: Chinese at any character, other text at spaces."""
    if not re.search(r"[\u4e00-\u9fff]", text):
        lines: list[str] = []
        for word in text.split():
            if lines and len(lines[-1]) + 1 + len(word) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return lines or [""]
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def sensitivity_ranking_chart(indices: pd.DataFrame, outputs: list[str] | None = None, top: int = 10,
                              lang: str = "zh", source: Provenance | None = None,
                              region: Region | None = None) -> alt.VConcatChart:
    """Heat table of the most influential factors (rows) across outputs (columns), see
    :func:`sensitivity_ranking`."""
    region = region or load_region("ningbo")
    L.check_lang(lang)
    zh = lang == "zh"
    rows = _factor_frame(sensitivity_ranking(indices, outputs, top), lang, region)
    method = str(rows["method"].iloc[0])
    rows["output_label"] = [L.output_label(o, lang, region) for o in rows["output"]]
    line = 7 if zh else 16  # characters per line of a column heading: ten outputs fit a slide
    wrapped = {label: _wrap(label, line) for label in rows["output_label"]}
    n_lines = max(len(lines) for lines in wrapped.values())
    # Vega stacks a multi-line axis label downwards from its anchor: headings are padded to the same
    # number of lines at the top and lifted by the extra lines, so they end just above the table.
    rows["output_heading"] = ["|".join([" "] * (n_lines - len(wrapped[label])) + wrapped[label])
                              for label in rows["output_label"]]
    rows["score_text"] = [f"{v:.2f}" for v in rows["score"]]
    order = list(rows.groupby("factor_label")["score"].mean().sort_values(ascending=False).index)
    columns = list(dict.fromkeys(rows["output_heading"]))
    base = alt.Chart(rows)
    y = alt.Y("factor_label:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=360, labelFontSize=15, labelPadding=26, ticks=False, domain=False))
    x = alt.X("output_heading:N", sort=columns, title=None,
              axis=alt.Axis(orient="top", labelAngle=0, labelLimit=600, labelFontSize=13,
                            labelExpr="split(datum.label, '|')", labelBaseline="bottom",
                            labelLineHeight=16, labelPadding=4 + 16 * (n_lines - 1)))
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        y=y, x=x, color=alt.Color("score:Q", scale=alt.Scale(scheme="blues", domain=[0, float(max(rows["score"].max(), 1e-9))]),
                                  legend=None))
    text = base.mark_text(fontSize=14).encode(
        y=y, x=x, text="score_text:N",
        color=alt.condition(alt.datum.score > 0.6 * float(rows["score"].max()), alt.value("white"), alt.value(INK)))
    kinds = alt.Chart(rows.drop_duplicates("factor")).mark_point(filled=True, size=140).encode(
        y=y, x=alt.value(-12), color=_section_colour(rows["section"], lang))
    chart = alt.layer(cells, text, kinds).resolve_scale(color="independent").properties(
        width=max(240, len(columns) * (110 if zh else 130)), height=36 * len(order))
    measure = ("Sobol总效应指数 ST" if zh else "Sobol total index ST") if method == "sobol" else (
        "Morris μ*（按各指标最大值归一）" if zh else "Morris μ* (scaled to each output's largest)")
    title = "哪些政策杠杆与不确定性最重要" if zh else "Which levers and uncertainties matter most"
    subtitle = [f"{measure}；行按平均值排序，圆点颜色表示因素类型" if zh else
                f"{measure}; rows by mean score; the dot shows the factor's kind"]
    if method == "sobol":
        subtitle += _estimate_warning(rows["score"], lang)
    foot = source.footnote(lang) if source is not None else ("数据：weilai analyze" if zh else "Data: weilai analyze")
    return _finish(chart, title, subtitle, foot, lang, "sensitivity_ranking")


# ------------------------------------------------------------------------------ spending and outcome


def spending_table(spending: pd.DataFrame, scenario: str | None = None, years: tuple[int, int] | None = None,
                   by: tuple[str, ...] = ("lever",)) -> pd.DataFrame:
    """Spending (100m yuan) summed over the years (and the other keys), then summarised across samples.

    Args:
        spending: The store's spending table (scenario, sample, year, lever, project, direction, value).
        scenario: Which scenario (default the first).
        years: Inclusive (first, last) year range (default all).
        by: Keys to keep (``lever``, ``project``, ``direction``).

    Returns:
        ``summarise`` output over samples, plus ``scenario``.
    """
    if spending.empty:
        raise InputError("the store has no spending table", key="spending.parquet")
    scenario = scenario if scenario is not None else str(spending["scenario"].iloc[0])
    rows = spending[spending["scenario"] == scenario]
    if years is not None:
        rows = rows[(rows["year"] >= years[0]) & (rows["year"] <= years[1])]
    per_sample = rows.groupby(["sample", *by], observed=True)["value"].sum().reset_index()
    table = summarise(per_sample, list(by))
    table["scenario"] = scenario
    return table


def spending_chart(spending: pd.DataFrame, scenario: str | None = None, lang: str = "zh",
                   source: Provenance | None = None) -> alt.VConcatChart:
    """City spending per lever over the whole scenario, grouped and coloured by the six major
    projects (重大工程). Median across samples (one value for an ensemble)."""
    L.check_lang(lang)
    zh = lang == "zh"
    table = spending_table(spending, scenario, by=("lever",))
    scenario = str(table["scenario"].iloc[0])
    table["project"] = [L.lever_project(lv) for lv in table["lever"]]
    table["project_label"] = [L.project_label(p, lang) for p in table["project"]]
    table["lever_label"] = [L.lever_label(lv, lang) for lv in table["lever"]]
    table = table.sort_values(["project", "median"], ascending=[True, False])
    table["value_text"] = [_fmt(round(v, 1)) for v in table["median"]]
    years = spending[spending["scenario"] == scenario]["year"]
    projects = sorted(table["project"].unique())
    colour = alt.Color("project_label:N", scale=alt.Scale(domain=[L.project_label(p, lang) for p in projects],
                                                          range=[PROJECT_COLOURS[(p - 1) % len(PROJECT_COLOURS)]
                                                                 for p in projects]),
                       legend=alt.Legend(title="重大工程" if zh else "Major project", orient="right"))
    y = alt.Y("lever_label:N", sort=list(table["lever_label"]), title=None,
              axis=alt.Axis(labelLimit=300, labelFontSize=15))
    x = alt.X("median:Q", title="累计投入（亿元）" if zh else "Total spending (100m yuan)")
    base = alt.Chart(table)
    bars = base.mark_bar(height=20, cornerRadiusEnd=3).encode(y=y, x=x, color=colour)
    text = base.mark_text(align="left", dx=6, fontSize=14, color=INK).encode(y=y, x="median:Q", text="value_text:N")
    chart = alt.layer(bars, text).properties(width=560, height=30 * len(table))
    total = float(table["median"].sum())
    name = L.scenario_title(scenario, lang, _titles(source))
    span = f"{int(years.min())}–{int(years.max())}"
    if zh:
        title = f"财政投入：按重大工程与政策杠杆（{span}年累计）"
        subtitle = f"{name} · 合计 {_fmt(round(total, 1))} 亿元"
    else:
        title = f"City spending by major project and lever ({span} total)"
        subtitle = f"{name} · total {_fmt(round(total, 1))} (100m yuan)"
    foot = source.footnote(lang, [scenario]) if source is not None else (
        f"数据：情景 {scenario} 的支出计划" if zh else f"Data: spending plan of scenario {scenario}")
    return _finish(chart, title, subtitle, foot, lang, "spending")


def _target_year(indicator: str, targets: Targets, default: int) -> int:
    years = [t.year for t in targets.target if t.indicator == indicator]
    return min(years) if years else default


def spending_outcome_table(spending: pd.DataFrame, results: pd.DataFrame, indicators: list[str],
                           scenario: str | None = None, targets: Targets | None = None,
                           region: Region | None = None) -> pd.DataFrame:
    """Per direction and indicator: money spent on the direction up to the indicator's target year
    (median across samples) and the indicator in that year (quantiles across replicates).

    Returns:
        Rows (direction, indicator, year, spent, p05, p25, median, p75, p95, n).
    """
    region = region or load_region("ningbo")
    targets = targets or load_targets(region=region)
    scenario = scenario if scenario is not None else str(results["scenario"].iloc[0])
    rows = results[(results["scenario"] == scenario) & (results["direction"] != "all")]
    if "district" in rows:
        rows = rows[rows["district"] == "all"]
    present = set(rows["indicator"].unique())
    absent = [i for i in indicators if i not in present]
    if not indicators or absent:
        raise InputError("no per-direction results for the indicator", key="indicators",
                         value=absent[0] if absent else None, allowed=", ".join(sorted(present)))
    first_year, last_year = int(spending["year"].min()), int(rows["year"].max())
    frames = []
    for indicator in indicators:
        year = _target_year(indicator, targets, last_year)
        money = spending_table(spending, scenario, (first_year, year), by=("direction",))
        money = money[money["direction"] != "all"][["direction", "median"]].rename(columns={"median": "spent"})
        outcome = summarise(rows[(rows["indicator"] == indicator) & (rows["year"] == year)], ["direction"])
        frames.append(outcome.merge(money, on="direction", how="left").fillna({"spent": 0.0})
                      .assign(indicator=indicator, year=year))
    return pd.concat(frames, ignore_index=True)


def spending_outcome_chart(spending: pd.DataFrame, results: pd.DataFrame, indicators: list[str] | None = None,
                           scenario: str | None = None, lang: str = "zh", source: Provenance | None = None,
                           targets: Targets | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Money and outcome per direction: a bar of city spending on each of the nine directions up to the
    target year, next to the target indicators it is meant to move in that year (median dot, 25-75%
    line across replicates), one column per indicator, rows in policy order.

    Args:
        indicators: Indicators to set against spending (default: head enterprises, platforms,
            breakthroughs, new stars where present). Each uses its first target's year, or the last year.
    """
    region = region or load_region("ningbo")
    L.check_lang(lang)
    zh = lang == "zh"
    targets = targets or load_targets(region=region)
    scenario = scenario if scenario is not None else str(results["scenario"].iloc[0])
    if indicators is None:
        per_direction = set(results[results["direction"] != "all"]["indicator"].unique())
        indicators = [i for i in ("head_enterprises", "innovation_platforms", "breakthroughs", "new_star_enterprises")
                      if i in per_direction]
    data = spending_outcome_table(spending, results, indicators, scenario, targets, region)
    data["direction_label"] = [L.direction_label(d, lang, region) for d in data["direction"]]
    order = [L.direction_label(d, lang, region) for d in region.directions if d in set(data["direction"])]
    first_year = int(spending["year"].min())
    money_year = int(data["year"].max())
    money = data[data["year"] == money_year].drop_duplicates("direction").copy()
    money["spent_text"] = [_fmt(round(v, 1)) for v in money["spent"]]
    height = 44 * len(order)
    y = alt.Y("direction_label:N", sort=order, title=None, axis=alt.Axis(labelFontSize=15, labelLimit=200))
    y_hidden = alt.Y("direction_label:N", sort=order, axis=None)
    bars = alt.Chart(money).mark_bar(height=18, color="#7f9cc0", cornerRadiusEnd=3).encode(
        y=y, x=alt.X("spent:Q", title=None, axis=alt.Axis(tickCount=4)))
    bar_text = alt.Chart(money).mark_text(align="left", dx=5, fontSize=13, color=INK).encode(
        y=y, x="spent:Q", text="spent_text:N")
    spent_title = (f"财政投入（亿元，{first_year}–{money_year}年）" if zh
                   else f"Spending (100m yuan, {first_year}-{money_year})")
    panels = [alt.layer(bars, bar_text).properties(width=200, height=height, title=alt.TitleParams(
        spent_title, fontSize=15, color=INK, anchor="start"))]
    for indicator in indicators:
        part = data[data["indicator"] == indicator].copy()
        year = int(part["year"].iloc[0])
        part["median_text"] = [_fmt_value(v, indicator, region) for v in part["median"]]
        base = alt.Chart(part)
        x = alt.X("p25:Q", title=None, scale=alt.Scale(zero=True), axis=alt.Axis(tickCount=4))
        spread = base.mark_rule(color="#999999", strokeWidth=3).encode(y=y_hidden, x=x, x2="p75:Q")
        dots = base.mark_point(filled=True, size=150, opacity=1, color=SCENARIO_COLOURS[0]).encode(
            y=y_hidden, x="median:Q", tooltip=["direction_label:N", "median:Q", "p25:Q", "p75:Q", "spent:Q"])
        text = base.mark_text(align="left", dx=9, dy=-9, fontSize=12, color=INK).encode(
            y=y_hidden, x="median:Q", text="median_text:N")
        name = L.indicator_label(indicator, lang, region).removeprefix("未来产业")
        head = f"{name}（{year}年，{L.indicator_unit(indicator, lang, region)}）" if zh else \
            f"{name} ({year}, {L.indicator_unit(indicator, lang, region)})"
        panels.append(alt.layer(spread, dots, text).properties(
            width=170, height=height, title=alt.TitleParams(head, fontSize=15, color=INK, anchor="start")))
    chart = alt.hconcat(*panels, spacing=22)
    unsplit = spending_table(spending, scenario, (first_year, money_year), by=("direction",))
    unsplit_total = float(unsplit[unsplit["direction"] == "all"]["median"].sum())
    name = L.scenario_title(scenario, lang, _titles(source))
    if zh:
        title = "投入与产出：各方向的财政投入与目标指标"
        subtitle = (f"{name} · 圆点为中位数，灰线为25–75%区间" +
                    (f"；不分方向的投入 {_fmt(round(unsplit_total, 1))} 亿元未计入" if unsplit_total > 0 else ""))
    else:
        title = "Money and outcome: city spending per direction and the target indicators"
        subtitle = (f"{name} · dot: median; grey line: 25-75% range" +
                    (f"; spending not split by direction ({_fmt(round(unsplit_total, 1))}) left out"
                     if unsplit_total > 0 else ""))
    return _finish(chart, title, subtitle, _footnote(source, results, lang, [scenario]), lang, "spending_outcome")


# ------------------------------------------------------------------------------ breakdowns


def breakdown_table(results: pd.DataFrame, indicators: list[str], by: str = "direction", scenario: str | None = None,
                    targets: Targets | None = None, lang: str = "zh", region: Region | None = None) -> pd.DataFrame:
    """Which direction (or district) carries each indicator in its target year.

    ``share`` is the part's share of the indicator pooled over all replicates (sum over replicates of
    the part / sum over replicates of all parts; NaN when the indicator is zero everywhere); ``value``
    is the part's median across replicates (:func:`summarise`), ``city_median`` the median of the sum.

    Args:
        by: ``direction`` or ``district``.

    Returns:
        Rows (indicator, year, part, part_label, indicator_label, share, value, city_median).
    """
    region = region or load_region("ningbo")
    if by not in ("direction", "district"):
        raise InputError("unknown breakdown", key="by", value=by, allowed="direction, district")
    targets = targets or load_targets(region=region)
    scenario = scenario if scenario is not None else str(results["scenario"].iloc[0])
    rows = results[(results["scenario"] == scenario) & results["indicator"].isin(indicators)]
    other = "district" if by == "direction" else "direction"
    parts = rows[(rows[by] != "all") & (rows[other] == "all")]
    if parts.empty and by == "district":  # only direction x district rows: add up the directions
        cross = rows[(rows["district"] != "all") & (rows["direction"] != "all")]
        parts = cross.groupby(["scenario", "replicate", "year", "district", "indicator"], observed=True)[
            "value"].sum().reset_index().assign(direction="all")
    if parts.empty:
        raise InputError(f"the results have no per-{by} rows", key=by)
    last_year = int(parts["year"].max())
    frames = []
    for indicator in indicators:
        year = _target_year(indicator, targets, last_year)
        sub = parts[(parts["indicator"] == indicator) & (parts["year"] == year)].copy()
        part_sum = sub.groupby(by, observed=True)["value"].sum()
        total = float(part_sum.sum())
        shares = (part_sum / total if total > 0 else part_sum * np.nan).rename("share").reset_index()
        values = summarise(sub, [by])[[by, "median"]].rename(columns={"median": "value"})
        table = values.merge(shares, on=by, how="left")
        table["city_median"] = float(sub.groupby("replicate")["value"].sum().median())
        table["indicator"], table["year"] = indicator, year
        frames.append(table)
    out = pd.concat(frames, ignore_index=True).rename(columns={by: "part"})
    label = L.direction_label if by == "direction" else L.district_label
    out["part_label"] = [label(p, lang, region) for p in out["part"]]
    out["indicator_label"] = [
        L.indicator_label(i, lang, region) + (f"（{y}年，全市中位 {_fmt_value(m, i, region)}）" if lang == "zh"
                                              else f" ({y}, city median {_fmt_value(m, i, region)})")
        for i, y, m in zip(out["indicator"], out["year"], out["city_median"])]
    return out


def breakdown_chart(results: pd.DataFrame, indicators: list[str] | None = None, by: str = "direction",
                    scenario: str | None = None, lang: str = "zh", source: Provenance | None = None,
                    targets: Targets | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Heat table: rows are target indicators (in their target year), columns the nine directions
    (or the districts); colour is the part's median share of the total, the number its median value.

    Args:
        indicators: Default: the target indicators present with per-part rows.
        by: ``direction`` or ``district``.
    """
    region = region or load_region("ningbo")
    L.check_lang(lang)
    zh = lang == "zh"
    targets = targets or load_targets(region=region)
    if indicators is None:
        wanted = list(dict.fromkeys(t.indicator for t in targets.target))
        indicators = [i for i in wanted if i in set(results["indicator"].unique())]
    data = breakdown_table(results, indicators, by, scenario, targets, lang, region)
    scenario = scenario if scenario is not None else str(results["scenario"].iloc[0])
    if by == "direction":
        part_order = [L.direction_label(d, lang, region) for d in region.directions]
    else:
        part_order = [L.district_label(d, lang, region) for d in region.districts]
    part_order = [p for p in part_order if p in set(data["part_label"])] + sorted(
        set(data["part_label"]) - set(part_order))
    row_order = list(dict.fromkeys(data["indicator_label"]))
    data["share_text"] = ["–" if pd.isna(v) else f"{v:.0%}" for v in data["share"]]
    base = alt.Chart(data)
    x = alt.X("part_label:N", sort=part_order, title=None,
              axis=alt.Axis(orient="top", labelAngle=0 if len(part_order) <= 9 else -30, labelFontSize=14,
                            labelLimit=120))
    y = alt.Y("indicator_label:N", sort=row_order, title=None, axis=alt.Axis(labelLimit=480, labelFontSize=15))
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=y, color=alt.condition("isValid(datum.share)", alt.Color(
            "share:Q", scale=alt.Scale(scheme="blues", domain=[0, 0.5], clamp=True),
            legend=alt.Legend(title="占全市比重" if zh else "Share of city", format="%", orient="right",
                              gradientLength=200)), alt.value("#eeeeee")))
    text = base.mark_text(fontSize=14).encode(
        x=x, y=y, text="share_text:N",
        color=alt.condition(alt.datum.share > 0.3, alt.value("white"), alt.value(INK)))
    cell = 92 if len(part_order) <= 9 else 72
    chart = alt.layer(cells, text).properties(width=cell * len(part_order), height=34 * len(row_order))
    name = L.scenario_title(scenario, lang, _titles(source))
    what = ("方向", "directions") if by == "direction" else ("区（县、市）", "districts")
    if zh:
        title = f"各{what[0]}对目标指标的贡献"
        subtitle = f"{name} · 目标年份各{what[0]}占全市的比重（全部重复模拟合计）；“–”表示全市为零"
    else:
        title = f"Which {what[1]} carry each target indicator"
        subtitle = f"{name} · share of the city total in the target year (pooled over replicates); '–': zero city-wide"
    return _finish(chart, title, subtitle, _footnote(source, results, lang, [scenario]), lang, f"breakdown_{by}")


# ------------------------------------------------------------------------------ export

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def chart_spec(chart: alt.TopLevelMixin) -> dict:
    """The Vega-Lite spec (dict) of a chart."""
    return chart.to_dict()


def save_chart(chart: alt.TopLevelMixin, path: str | Path, formats: Iterable[str] = ("png", "svg", "html"),
               scale: float = SLIDE_SCALE) -> list[Path]:
    """Write a chart as PNG (``scale`` x its size: ~1920x1080 for the builders' charts), SVG and a
    self-contained HTML page (Vega libraries inlined, works offline).

    Args:
        chart: An altair chart.
        path: Output path; its suffix, if any, is replaced per format.
        formats: Any of ``png``, ``svg``, ``html``.
        scale: PNG pixels per chart pixel.

    Raises:
        CjkFontMissingError: if the chart has Chinese text and no CJK font is available.
    """
    import vl_convert

    spec = chart_spec(chart)
    text = json.dumps(spec, ensure_ascii=False)
    if CJK.search(text):
        from sim.fonts import cjk_font

        cjk_font()  # raises with instructions if there is none; registers a non-system font
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        out = path.with_suffix(f".{fmt}")
        if fmt == "png":
            out.write_bytes(vl_convert.vegalite_to_png(spec, scale=scale))
        elif fmt == "svg":
            out.write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")
        elif fmt == "html":
            out.write_text(vl_convert.vegalite_to_html(spec, bundle=True), encoding="utf-8")
        else:
            raise InputError("unknown chart format", key="formats", value=fmt, allowed="png, svg, html")
        written.append(out)
    return written


def evaluated_targets(store, results: pd.DataFrame | None = None, region: Region | None = None) -> pd.DataFrame:
    """The store's evaluated target table: its ``targets.csv`` if present, else evaluated from its results."""
    file = Path(store.path) / "targets.csv"
    if file.exists():
        return pd.read_csv(file)
    region = region or load_region("ningbo")
    results = results if results is not None else store.results(city_only=True)
    return evaluate_targets(city_totals(results), load_targets(region=region))


def write_run_charts(store_path: str | Path, out_dir: str | Path | None = None, lang: str = "zh") -> list[Path]:
    """Charts of an ensemble store for ``weilai run`` and ``weilai compare``: the target board of each
    scenario, a fan chart of the key indicators (all scenarios of the store) and, when the store holds
    a ``comparison.csv``, the comparison chart; each as PNG, SVG and HTML.

    Args:
        store_path: The ensemble's result store.
        out_dir: Where to write (default ``<store>/charts``).
        lang: ``zh`` or ``en``.

    Returns:
        The files written.
    """
    from sim.store import ResultStore

    L.check_lang(lang)
    store = ResultStore(store_path)
    results = store.results(city_only=True)
    if results.empty:
        raise InputError("the store has no results yet", file=store.path)
    source = Provenance.from_store(store, results)
    out = Path(out_dir) if out_dir is not None else store.path / "charts"
    table = evaluated_targets(store, results)
    written: list[Path] = []
    for scenario in table["scenario"].unique():
        board = target_board(table, scenario=str(scenario), lang=lang, source=source)
        written += save_chart(board, out / f"target_board_{_slug(str(scenario))}_{lang}")
    written += save_chart(fan_charts(results, lang=lang, source=source), out / f"key_indicators_{lang}")
    comparison = store.path / "comparison.csv"
    if comparison.exists():
        chart = comparison_chart(pd.read_csv(comparison), lang=lang, source=source)
        written += save_chart(chart, out / f"comparison_{lang}")
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)
