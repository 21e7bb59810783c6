"""The briefing pack: one self-contained HTML page from one or more result stores (``weilai brief``).

The page works offline: the Vega, Vega-Lite and Vega-Embed libraries are inlined (vl-convert's
JavaScript bundle) and every chart's spec, with its aggregated data, is embedded as JSON. It holds,
in order: a short generated summary (which targets are likely, at risk or unlikely, and what a
comparison or a sensitivity analysis says; every number read from the evaluated tables), the what-if
panel (:mod:`sim.presentation.whatif`, when an emulator is given), the target board of each scenario,
the key fan charts, the scenario comparison (if a comparison is among the inputs), the sensitivity
ranking (if a store has ``indices.parquet``), spending by major project and money against outcome,
the breakdown by direction, the indicator definitions, and a provenance block (scenario names,
files and hashes, seeds, replicates, code version, calibration, packages).

Inputs are result-store folders (an ensemble or sweep store, with ``targets.csv``,
``indices.parquet``, ``spending.parquet`` and ``comparison.csv``/``comparison.parquet`` used where
present) or comparison tables (``.csv``/``.parquet`` files with the columns ``weilai compare`` writes).

The page sets ``window.weilaiBrief = {total, rendered, failed, done}`` as its charts render, which
the browser test reads.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.analysis.compare import clear_direction, uses_holm
from sim.analysis.targets import load_targets
from sim.core.errors import InputError
from sim.engine.store import ResultStore
from sim.inputs.region import Region, load_region
from sim.presentation import charts as C
from sim.presentation import labels as L

if TYPE_CHECKING:
    from sim.presentation.whatif import WhatIf

COMPARISON_FILES = ("comparison.parquet", "comparison.csv")


@dataclass
class StoreInput:
    """One result store read for the briefing."""

    store: ResultStore
    provenance: C.Provenance
    results: pd.DataFrame
    targets: pd.DataFrame | None
    spending: pd.DataFrame
    indices: pd.DataFrame | None
    convergence: pd.DataFrame | None = None


@dataclass
class BriefInputs:
    """Everything the briefing draws."""

    stores: list[StoreInput] = field(default_factory=list)
    comparisons: list[tuple[pd.DataFrame, C.Provenance | None]] = field(default_factory=list)


def _read_table(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable table is an input problem
        raise InputError(f"cannot read the table: {exc}", file=path) from None


def _comparison(path: Path) -> pd.DataFrame:
    table = _read_table(path)
    missing = [c for c in C.COMPARISON_COLUMNS if c not in table]
    if missing:
        raise InputError("not a comparison table (missing column)", file=path, key=missing[0],
                         allowed="the columns weilai compare writes: " + ", ".join(C.COMPARISON_COLUMNS))
    return table


def _brief_rows(store: ResultStore) -> pd.DataFrame:
    """The rows the page draws, filtered in DuckDB, so memory does not grow with a full-detail store's
    districts: the target and key indicators; city totals in every year, per-direction totals in the
    target years and the last year (the breakdown and spending charts read those); no per-district rows."""
    if not store.part_files():
        return store.results()
    region = load_region(str((store.manifest.get("scenario") or {}).get("region", "ningbo")))
    targets = load_targets(region=region).target
    present = [r[0] for r in store.sql("SELECT DISTINCT indicator FROM results ORDER BY 1").fetchall()]
    wanted = sorted({t.indicator for t in targets} | set(C.KEY_INDICATORS)) if \
        {t.indicator for t in targets} & set(present) else present[:4]  # another model's: as the fan charts do
    last_row = store.sql("SELECT max(year) FROM results").fetchone()
    assert last_row is not None  # max() always returns one row
    last = int(last_row[0])
    years = ", ".join(str(y) for y in sorted({t.year for t in targets} | {last}))
    indicators = ", ".join("'" + i.replace("'", "''") + "'" for i in wanted)
    return store.frame(f"SELECT * FROM results WHERE district = 'all' AND indicator IN ({indicators}) AND "
                       f"(direction = 'all' OR year IN ({years})) "
                       "ORDER BY scenario, sample, replicate, year, direction, district, indicator")


def load_inputs(paths: list[str | Path]) -> BriefInputs:
    """Read stores and comparison tables.

    Raises:
        InputError: for a path that is neither a result store nor a comparison table, or a store
            with nothing to show.
    """
    inputs = BriefInputs()
    for raw in paths:
        path = Path(raw)
        if path.is_file() and path.suffix in (".csv", ".parquet"):
            inputs.comparisons.append((_comparison(path), None))
            continue
        if not path.is_dir() or not (path / "manifest.json").exists():
            raise InputError("not a result store (a folder with manifest.json) nor a comparison table", file=path,
                             allowed="result-store folders, or .csv/.parquet comparison tables")
        store = ResultStore(path)
        results = _brief_rows(store)
        provenance = C.Provenance.from_store(store, results)
        if store.manifest.get("kind") == "sweep":
            # A sweep's runs sample levers and uncertainties: they are not replicates of one
            # scenario, so they give the sensitivity ranking, not target boards or fan charts.
            results = results.iloc[0:0]
        indices_file = path / "indices.parquet"
        indices = _read_table(indices_file) if indices_file.exists() else None
        targets = None
        if not results.empty:
            targets = C.evaluated_targets(store, C.city_totals(results))
        for name in COMPARISON_FILES:
            if (path / name).exists():
                inputs.comparisons.append((_comparison(path / name), provenance))
                break
        if results.empty and indices is None:
            if any(p is provenance for _, p in inputs.comparisons):
                continue
            raise InputError("the store has no results, indices or comparison yet", file=path)
        inputs.stores.append(StoreInput(store=store, provenance=provenance, results=results, targets=targets,
                                        spending=store.spending(), indices=indices,
                                        convergence=_read_table(path / "convergence.parquet")
                                        if (path / "convergence.parquet").exists() else None))
    unique: list[tuple[pd.DataFrame, C.Provenance | None]] = []
    for table, source in inputs.comparisons:  # a store's comparison.csv may also be named on its own
        same = [i for i, (kept, _) in enumerate(unique) if kept.equals(table)]
        if not same:
            unique.append((table, source))
        elif source is not None:
            unique[same[0]] = (table, source)
    inputs.comparisons = unique
    if not inputs.stores and not inputs.comparisons:
        raise InputError("nothing to brief", key="STORE", allowed="at least one result store or comparison table")
    return inputs


# ------------------------------------------------------------------------------ generated text


def target_summary(targets_table: pd.DataFrame, scenario: str, lang: str = "zh",
                   titles: dict[str, tuple[str, str]] | None = None, region: Region | None = None) -> str:
    """One paragraph on a scenario's targets: how many are likely, at risk, unlikely, which ones,
    and the least likely; every number read from the evaluated table."""
    region = region or load_region()
    zh = L.check_lang(lang) == "zh"
    board = C.board_table(targets_table, scenario, lang, region)
    name = L.scenario_title(scenario, lang, titles)
    n = int(board["n_replicates"].max())
    first_year = int(board["year"].min())  # targets of the first target year are named without their year
    short = {r.target: L.indicator_label(r.indicator, lang, region) + (
        "" if r.year == first_year else (f"（{r.year}年）" if zh else f" ({r.year})")) for r in board.itertuples()}
    groups = {c: [short[t] for t in board[board["likelihood"] == c]["target"]] for c in (*C.LIKELIHOODS, "no_data")}
    parts = []
    for c in C.LIKELIHOODS:
        names = groups[c]
        label = L.pick(C.LIKELIHOOD_LABELS[c], lang)
        if zh:
            parts.append(f"{label}{len(names)}项" + (f"（{'、'.join(names)}）" if names else ""))
        else:
            parts.append(f"{len(names)} {label}" + (f" ({', '.join(names)})" if names else ""))
    rated = board.dropna(subset=["probability"])
    lowest = float(rated["probability"].min()) if len(rated) else float("nan")
    tied = rated[(rated["probability"] - lowest).abs() < 1e-9] if len(rated) else rated
    worst = tied.iloc[0] if len(tied) else None
    if zh:
        text = (f"{name}（{n}次重复模拟）：{len(board)}项目标（未注年份的为{first_year}年目标）中，"
                + "；".join(parts) + "。")
        if groups["no_data"]:
            text += f"无数据：{'、'.join(groups['no_data'])}。"
        n_border = int((board["reading"] == "borderline").sum())
        if n_border:
            text += f"（按95%置信区间判读，其中{n_border}项为临界：区间跨越分界，看板以棕色标出。）"
        if worst is not None and len(tied) > 1:
            text += (f"达成概率最低的{len(tied)}项并列（均为{lowest:.0%}）："
                     f"{L.names_list([short[t] for t in tied['target']], lang)}。")
        elif worst is not None:
            text += (f"达成概率最低的是{short[worst['target']]}：目标{worst['threshold']:g}，"
                     f"中位数{C.format_value(worst['median'], worst['indicator'], region)}，"
                     f"概率{worst['probability']:.0%}。")
    else:
        text = (f"{name} ({n} replicates): of {len(board)} targets ({first_year} unless marked), "
                + "; ".join(parts) + ".")
        if groups["no_data"]:
            text += f" No data: {', '.join(groups['no_data'])}."
        if worst is not None and len(tied) > 1:
            text += (f" Least likely, tied at {lowest:.0%}: "
                     f"{L.names_list([short[t] for t in tied['target']], lang)}.")
        elif worst is not None:
            text += (f" Least likely: {short[worst['target']]}, target {worst['threshold']:g}, median "
                     f"{C.format_value(worst['median'], worst['indicator'], region)}, probability "
                     f"{worst['probability']:.0%}.")
    return text


def comparison_summary(comparison: pd.DataFrame, lang: str = "zh", titles: dict[str, tuple[str, str]] | None = None,
                       region: Region | None = None, years: tuple[int, int] = (2024, 2035)) -> str:
    """One paragraph on a comparison: targets where B is clearly better or worse than A, and the cost."""
    region = region or load_region()
    zh = L.check_lang(lang) == "zh"
    data = comparison.copy()
    if C.difference_sense(data) == "a-b":
        data["difference"], data["difference_low"], data["difference_high"] = (
            -data["difference"], -data["difference_high"], -data["difference_low"])
    a, b = (L.scenario_title(str(data[c].iloc[0]), lang, titles) for c in ("scenario_a", "scenario_b"))
    name = {r.target: L.indicator_label(r.indicator, lang, region) + (f"（{r.year}年）" if zh else f" ({r.year})")
            for r in data.itertuples()}
    direction = clear_direction(data)
    holm = uses_holm(data)
    rule_zh = "配对检验经Holm校正，p≥0.05" if holm else "95%置信区间跨过0"
    rule_en = "paired test, Holm-corrected over the targets, p >= 0.05" if holm else "95% interval across 0"
    better = [name[t] for t in data[direction > 0]["target"]]
    worse = [name[t] for t in data[direction < 0]["target"]]
    extra = float(data["cost_b_100m_yuan"].iloc[0]) - float(data["cost_a_100m_yuan"].iloc[0])
    if zh:
        return (f"{b}对比{a}：{len(data)}项目标中，达成概率显著提高{len(better)}项"
                + (f"（{'、'.join(better)}）" if better else "") + f"，显著降低{len(worse)}项"
                + (f"（{'、'.join(worse)}）" if worse else "")
                + f"，其余差异不显著（{rule_zh}）；B的财政投入比A{'多' if extra >= 0 else '少'}"
                  f"（{L.money_text(abs(extra), *years)}）。")
    return (f"{b} vs {a}: of {len(data)} targets, {len(better)} clearly more likely"
            + (f" ({', '.join(better)})" if better else "") + f", {len(worse)} clearly less likely"
            + (f" ({', '.join(worse)})" if worse else "")
            + f"; the rest show no clear difference ({rule_en}). "
              f"City spending of B minus A: "
              f"{L.money_text(extra, *years, lang)}.")


def sensitivity_summary(indices: pd.DataFrame, lang: str = "zh", region: Region | None = None, top: int = 3,
                        convergence: pd.DataFrame | None = None) -> str:
    """One sentence: the most influential factors across the analysed outputs, with a caveat when the
    sweep has not converged (see :func:`sweep_problems`)."""
    region = region or load_region()
    zh = L.check_lang(lang) == "zh"
    ranking = C.sensitivity_ranking(indices, top=top)
    order = ranking.groupby("factor")["score"].mean().sort_values(ascending=False)
    names = [f"{L.factor_label(f, lang, region)}（{L.section_label(L.factor_section(f), lang)}）" if zh else
             f"{L.factor_label(f, lang, region)} ({L.section_label(L.factor_section(f), lang).lower()})"
             for f in order.index]
    outputs = ranking["output"].nunique()
    sobol = ranking["method"].iloc[0] == "sobol"
    measure = ("总效应指数（含交互作用）" if zh else "total-effect index, interactions included") if sobol else \
        ("Morris筛选的平均绝对效应" if zh else "Morris mean absolute effect")
    problems = sweep_problems(indices, convergence, lang=lang)
    if zh:
        text = f"在已分析的{outputs}个指标上（按{measure}平均），影响最大的因素依次是：{'、'.join(names)}。"
        if problems:
            text += f"注意：这次敏感性分析尚未收敛（{'；'.join(problems)}），排序仅供参考，请加大样本量后再引用。"
        return text
    text = (f"Across the {outputs} outputs analysed (mean {measure}), "
            f"the most influential factors are: {', '.join(names)}.")
    if problems:
        text += (f" Caution: this sensitivity analysis has not converged ({'; '.join(problems)}); "
                 "quote it only after a larger sample.")
    return text


def sweep_problems(indices: pd.DataFrame, convergence: pd.DataFrame | None = None, tolerance: float = 0.1,
                   lang: str = "zh") -> list[str]:
    """Why a sweep's indices cannot be quoted without a caveat: total indices above 1, first-order
    above total, leading factors with bootstrap intervals wider than half their index, no convergence
    check, or indices that moved by more than ``tolerance`` (relative) between half and full sample."""
    zh = lang == "zh"
    problems = []
    sob = indices[indices["method"] == "sobol"]
    if not sob.empty:
        wide = sob.pivot_table(index=["output", "year", "factor"], columns="index", values="value", aggfunc="first")
        if "ST" in wide and (wide["ST"] > 1).any():
            problems.append(f"{int((wide['ST'] > 1).sum())}个总效应指数大于1" if zh else
                            f"{int((wide['ST'] > 1).sum())} total indices above 1")
        if {"S1", "ST"} <= set(wide.columns) and (wide["S1"] > wide["ST"] + 1e-12).any():
            problems.append(f"{int((wide['S1'] > wide['ST'] + 1e-12).sum())}处一阶指数大于总效应指数" if zh else
                            "first-order above total indices")
    wide = _wide_top_intervals(indices)
    if wide:
        n_wide, n_outputs = wide
        problems.append(f"{n_outputs}个输出中有{n_wide}个的首要因素置信区间宽于其指数的一半" if zh else
                        f"the leading factor's bootstrap interval is wider than half its index for {n_wide} of "
                        f"{n_outputs} outputs")
    if convergence is None or convergence.empty:
        problems.append("没有收敛检验" if zh else "no convergence check")
    elif "relative_change" in convergence and (convergence["relative_change"] > tolerance).any():
        worst = float(convergence["relative_change"].max())
        problems.append(f"半样本与全样本的指数相差最多{worst:.0%}" if zh else
                        f"indices moved by up to {worst:.0%} between half and full sample")
    return problems


def _wide_top_intervals(indices: pd.DataFrame, share: float = 0.5) -> tuple[int, int] | None:
    """(outputs whose leading factor's 95% bootstrap half-width exceeds ``share`` of its index, outputs
    with intervals) over the Sobol total and Morris mu* indices; None when none is that wide."""
    main = indices[((indices["method"] == "sobol") & (indices["index"] == "ST"))
                   | ((indices["method"] == "morris") & (indices["index"] == "mu_star"))]
    main = main.dropna(subset=["value", "conf"])
    if main.empty:
        return None
    top = main.sort_values("value", ascending=False).groupby(["method", "output", "year"], sort=False).head(1)
    top = top[top["value"] > 0]
    n_wide = int((top["conf"] > share * top["value"]).sum())
    return (n_wide, len(top)) if n_wide else None


# ------------------------------------------------------------------------------ the page

PAGE_CSS = """
body { font-family: 'Microsoft YaHei', 'PingFang SC', 'Noto Sans CJK SC', 'Source Han Sans SC',
       'WenQuanYi Micro Hei', sans-serif; margin: 0; color: #222; background: #f6f7f9; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
h1 { font-size: 30px; margin: 8px 0 4px; } h2 { font-size: 22px; margin: 40px 0 12px;
  border-bottom: 2px solid #1f5fa8; padding-bottom: 4px; }
.meta { color: #666; font-size: 14px; }
.summary p { font-size: 17px; line-height: 1.7; margin: 8px 0; }
figure.chart { margin: 16px 0 28px; overflow-x: auto; }
.vega-embed svg, .vega-embed canvas { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f3f7; } code { font-size: 12px; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: bold; }
"""

PRINT_CSS = """
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { background: #fff; } main { max-width: none; padding: 0; }
  figure.chart { break-inside: avoid; overflow: visible; } h2 { break-after: avoid; }
  #first-screen { break-after: page; } details { display: block; } details > * { display: block; }
}
"""

LOADER_JS = """
(function () {
  var specs = JSON.parse(document.getElementById('weilai-specs').textContent);
  var state = window.weilaiBrief = {total: specs.length, rendered: 0, failed: 0, done: false};
  var jobs = specs.map(function (spec, i) {
    return vegaEmbed('#chart-' + i, spec, {renderer: 'svg', actions: false})
      .then(function () { state.rendered += 1; })
      .catch(function (err) { state.failed += 1; console.error('chart ' + i + ' failed: ' + err); });
  });
  Promise.all(jobs).then(function () { state.done = true; });
})();
"""

TEXT = {
    "title": ("宁波未来产业发展模拟简报", "Ningbo future industries: simulation briefing"),
    "generated": ("生成时间", "Generated"),
    "summary": ("要点", "Summary"),
    "boards": ("目标达成情况", "Targets"),
    "fans": ("关键指标走势", "Key indicators"),
    "comparison": ("情景比较", "Scenario comparison"),
    "sensitivity": ("哪些因素最重要", "What matters most"),
    "spending": ("财政投入与产出", "Money and outcome"),
    "breakdown": ("方向分布", "By direction"),
    "definitions": ("指标定义（模型口径）", "Indicator definitions (as the model counts them)"),
    "provenance": ("数据来源与可追溯信息", "Provenance"),
    "classes": (f"判读标准：达成概率≥{C.LIKELY_AT:.0%}为“很可能达成”，{C.AT_RISK_AT:.0%}–{C.LIKELY_AT:.0%}为“有风险”，"
                f"<{C.AT_RISK_AT:.0%}为“难以达成”。概率为达到目标的模拟重复所占比例。",
                f"Reading: probability >= {C.LIKELY_AT:.0%} likely, {C.AT_RISK_AT:.0%}-{C.LIKELY_AT:.0%} at risk, "
                f"< {C.AT_RISK_AT:.0%} unlikely; the probability is the share of replicates meeting the target."),
}


def _t(key: str, lang: str) -> str:
    return L.pick(TEXT[key], lang)


def _finite(value: Any) -> Any:
    """The value with NaN and infinities as null: browsers' JSON.parse refuses NaN (Python's json writes it)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element (strict JSON: no NaN)."""
    text = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _provenance_html(inputs: BriefInputs, lang: str) -> str:
    zh = lang == "zh"
    heads = (["结果库", "类型", "情景（名称、哈希、文件）", "重复次数 / 种子数", "基准种子", "代码版本", "创建时间",
              "校准", "软件包"] if zh else
             ["Store", "Kind", "Scenarios (name, hash, file)", "Replicates / seeds", "Base seed", "Code version",
              "Created", "Calibration", "Packages"])
    rows = []
    provenances = [s.provenance for s in inputs.stores] + [p for _, p in inputs.comparisons
                                                            if p is not None and all(p is not s.provenance
                                                                                     for s in inputs.stores)]
    for p in provenances:
        scen = "<br>".join(
            html.escape(f"{s['name']} · {s.get('hash', '–')} · {s.get('file', '–')}") for s in p.scenarios)
        reps = "<br>".join(html.escape(f"{s['name']}: {s.get('replicates', '–')} / {s.get('seeds', '–')}")
                           for s in p.scenarios)
        packages = ", ".join(f"{k} {v}" for k, v in sorted(p.packages.items()))
        cells = [f"<code>{html.escape(p.store)}</code>", html.escape(p.kind), scen, reps,
                 html.escape(str(p.base_seed if p.base_seed is not None else "–")),
                 f"<code>{html.escape(p.code_version)}</code>",
                 html.escape(p.created), html.escape(p.calibration or "–"), f"<small>{html.escape(packages)}</small>"]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    for table, source in inputs.comparisons:
        if source is None:
            rows.append("<tr>" + f"<td colspan='{len(heads)}'>" + html.escape(
                ("比较表：" if zh else "Comparison table: ")
                + f"{table['scenario_a'].iloc[0]} / {table['scenario_b'].iloc[0]}")
                + "</td></tr>")
    return ("<table><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>" + "".join(rows) + "</table>")


def _definitions_html(lang: str, region: Region) -> str:
    targets = load_targets(region=region)
    seen = []
    items = []
    for t in targets.target:
        if t.indicator in seen:
            continue
        seen.append(t.indicator)
        items.append(f"<tr><td>{html.escape(L.indicator_label(t.indicator, lang, region))}</td>"
                     f"<td>{html.escape(L.indicator_definition(t.indicator, lang, region))}</td></tr>")
    head = ("<tr><th>指标</th><th>模型定义</th></tr>" if lang == "zh"
            else "<tr><th>Indicator</th><th>Definition</th></tr>")
    return f"<details><summary>{_t('definitions', lang)}</summary><table>{head}{''.join(items)}</table></details>"


def _first_target_output(indices: pd.DataFrame, region: Region) -> tuple[str, int | None]:
    """The output whose Sobol bars the page shows: the first target (in the targets file's order, as
    on the board) whose indicator and year the sweep analysed; else the first output analysed."""
    have = set(zip(indices["output"], indices["year"])) if "year" in indices else set()
    for target in load_targets(region=region).target:
        if (target.indicator, target.year) in have:
            return target.indicator, target.year
    return str(indices["output"].iloc[0]), None


def build_brief(inputs: BriefInputs, lang: str = "zh", title: str | None = None,
                region: Region | None = None, value: pd.DataFrame | None = None,
                progress: Callable[[str], None] | None = None, whatif: WhatIf | None = None) -> str:
    """The briefing page as an HTML string (see the module docstring for its contents).

    Args:
        value: ``value.csv`` of ``weilai value`` (what each 亿元 buys), for the first screen.
        whatif: The emulator of the what-if panel (:func:`sim.presentation.whatif.load_whatif`); None: no panel.
        progress: Called with a short message as each part is built.
    """
    import vl_convert

    from sim.presentation.first_screen import FIRST_SCREEN_CSS, first_screen_html
    from sim.presentation.whatif import WHATIF_CSS, whatif_html

    region = region or load_region()
    L.check_lang(lang)
    say = progress or (lambda _message: None)
    say("first screen")
    first_screen = first_screen_html(inputs, lang, value, region)
    sections: list[tuple[str, list[str], list[Any]]] = []
    summary: list[str] = []
    boards, fans, sens, money, breakdowns = [], [], [], [], []
    for s in inputs.stores:
        say(f"charts of {s.store.path}")
        titles = s.provenance.titles()
        if s.targets is not None and not s.targets.empty:
            for scenario in s.targets["scenario"].unique():
                summary.append(target_summary(s.targets, str(scenario), lang, titles, region))
                boards.append(C.target_board(s.targets, str(scenario), lang, s.provenance, region))
        if not s.results.empty:
            fans.append(C.fan_charts(C.city_totals(s.results), lang=lang, source=s.provenance, region=region,
                                     targets_table=s.targets))
            has_directions = (s.results["direction"] != "all").any()
            first = str(s.results["scenario"].iloc[0])
            if not s.spending.empty:
                for scenario in s.spending["scenario"].unique():
                    money.append(C.spending_chart(s.spending, str(scenario), lang, s.provenance))
                if has_directions:
                    money.append(C.spending_outcome_chart(s.spending, s.results, scenario=first, lang=lang,
                                                          source=s.provenance, region=region))
            if has_directions:
                breakdowns.append(C.breakdown_chart(s.results, scenario=first, lang=lang, source=s.provenance,
                                                    region=region))
            if "district" in s.results and ((s.results["district"] != "all")
                                            & (s.results["indicator"] == "revenue_100m_yuan")).any():
                from sim.presentation.charts.districts import district_map, scenario_designations

                for scenario in map(str, s.results["scenario"].unique()):
                    breakdowns.append(district_map(s.results, scenario, designations=scenario_designations(scenario),
                                                   lang=lang, source=s.provenance, region=region))
        if s.indices is not None and not s.indices.empty:
            summary.append(sensitivity_summary(s.indices, lang, region, convergence=s.convergence))
            sens.append(C.sensitivity_ranking_chart(s.indices, lang=lang, source=s.provenance, region=region))
            sobol = s.indices[(s.indices["method"] == "sobol") & (s.indices["index"] == "ST")]
            if not sobol.empty:
                output, year = _first_target_output(sobol, region)
                sens.append(C.sobol_chart(s.indices, output, year, lang=lang, source=s.provenance, region=region))
    comparisons = []
    for table, provenance in inputs.comparisons:
        titles = provenance.titles() if provenance else {}
        for s in inputs.stores:
            titles = {**s.provenance.titles(), **titles}
        years = _spending_years(inputs)
        summary.append(comparison_summary(table, lang, titles, region, years))
        comparisons.append(C.comparison_chart(table, lang, provenance, region, years=years))
    sections = [("boards", [_t("classes", lang)], boards), ("fans", [], fans), ("comparison", [], comparisons),
                ("sensitivity", [], sens), ("spending", [], money), ("breakdown", [], breakdowns)]
    specs: list[dict] = []
    body = []
    for key, notes, chart_list in sections:
        if not chart_list:
            continue
        body.append(f"<section id='{key}'><h2>{_t(key, lang)}</h2>")
        body += [f"<p class='meta'>{html.escape(n)}</p>" for n in notes]
        for chart in chart_list:
            body.append(f"<figure class='chart'><div id='chart-{len(specs)}' class='vega'></div></figure>")
            specs.append(chart.to_dict())
        body.append("</section>")
    say(f"page: {len(specs)} charts")
    page_title = title or _t("title", lang)
    generated = time.strftime("%Y-%m-%d %H:%M")
    summary_html = "".join(f"<p>{html.escape(p)}</p>" for p in summary)
    bundle = vl_convert.javascript_bundle().replace(  # type: ignore[call-arg]  # the stub requires the optional snippet
        "</script", "<\\/script")
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(page_title)}</title>
<style>{PAGE_CSS}{FIRST_SCREEN_CSS}{WHATIF_CSS}{PRINT_CSS}</style>
<script>{bundle}</script>
</head>
<body>
<main>
<h1>{html.escape(page_title)}</h1>
<p class="meta">{_t('generated', lang)}: {generated} · weilai</p>
{first_screen}
<section id="summary" class="summary"><h2>{_t('summary', lang)}</h2>{summary_html}</section>
{whatif_html(whatif, lang, region)}
{''.join(body)}
<section id="definitions"><h2>{_t('definitions', lang)}</h2>{_definitions_html(lang, region)}</section>
<section id="provenance"><h2>{_t('provenance', lang)}</h2>{_provenance_html(inputs, lang)}</section>
</main>
<script type="application/json" id="weilai-specs">{_script_json(specs)}</script>
<script>{LOADER_JS}</script>
</body>
</html>
"""


def _spending_years(inputs: BriefInputs) -> tuple[int, int]:
    """First and last year of the briefed spending tables (2024-2035 if there is none)."""
    years = [s.spending["year"] for s in inputs.stores if not s.spending.empty]
    if not years:
        return 2024, 2035
    joined = pd.concat(years)
    return int(joined.min()), int(joined.max())


def write_brief(paths: list[str | Path], out: str | Path, lang: str = "zh", title: str | None = None,
                value: str | Path | None = None, progress: Callable[[str], None] | None = None,
                whatif: WhatIf | None = None) -> Path:
    """Read the inputs and write the briefing page.

    Args:
        value: A ``value.csv`` of ``weilai value`` for the first screen's "what each 亿元 buys".
        whatif: The what-if panel's emulator (:func:`sim.presentation.whatif.load_whatif`); None: no panel.
        progress: Called with a short message per step (``weilai brief`` prints them).

    Returns:
        The written file.
    """
    from sim.presentation.first_screen import read_value

    say = progress or (lambda _message: None)
    say("reading " + ", ".join(map(str, paths)))
    inputs = load_inputs(paths)
    table = read_value(value) if value is not None else None
    text = build_brief(inputs, lang, title, value=table, progress=progress, whatif=whatif)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
