"""The briefing pack: one self-contained HTML page from one or more result stores (``weilai brief``).

The page works offline: the Vega, Vega-Lite and Vega-Embed libraries are inlined (vl-convert's
JavaScript bundle) and every chart's spec, with its aggregated data, is embedded as JSON. It holds,
in order: a short generated summary (which targets are likely, at risk or unlikely, and what a
comparison or a sensitivity analysis says; every number read from the evaluated tables), the target
board of each scenario, the key fan charts, the scenario comparison (if a comparison is among the
inputs), the sensitivity ranking (if a store has ``indices.parquet``), spending by major project and
money against outcome, the breakdown by direction, the indicator definitions, and a provenance block
(scenario names, files and hashes, seeds, replicates, code version, calibration, packages).

Inputs are result-store folders (an ensemble or sweep store, with ``targets.csv``,
``indices.parquet``, ``spending.parquet`` and ``comparison.csv``/``comparison.parquet`` used where
present) or comparison tables (``.csv``/``.parquet`` files with the columns ``weilai compare`` writes).

The page sets ``window.weilaiBrief = {total, rendered, failed, done}`` as its charts render, which
the browser test reads.
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import pandas as pd

from sim.analysis.targets import load_targets
from sim.core.errors import InputError
from sim.engine.store import ResultStore
from sim.inputs.region import Region, load_region
from sim.presentation import charts as C
from sim.presentation import labels as L

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
        results = store.results()
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
                                        spending=store.spending(), indices=indices))
    unique: list[tuple[pd.DataFrame, C.Provenance | None]] = []
    for table, provenance in inputs.comparisons:  # a store's comparison.csv may also be named on its own
        same = [i for i, (kept, _) in enumerate(unique) if kept.equals(table)]
        if not same:
            unique.append((table, provenance))
        elif provenance is not None:
            unique[same[0]] = (table, provenance)
    inputs.comparisons = unique
    if not inputs.stores and not inputs.comparisons:
        raise InputError("nothing to brief", key="STORE", allowed="at least one result store or comparison table")
    return inputs


# ------------------------------------------------------------------------------ generated text


def target_summary(targets_table: pd.DataFrame, scenario: str, lang: str = "zh",
                   titles: dict[str, tuple[str, str]] | None = None, region: Region | None = None) -> str:
    """One paragraph on a scenario's targets: how many are likely, at risk, unlikely, which ones,
    and the least likely; every number read from the evaluated table."""
    region = region or load_region("ningbo")
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
    worst = rated.sort_values("probability", kind="stable").iloc[0] if len(rated) else None
    if zh:
        text = (f"{name}（{n}次重复模拟）：{len(board)}项目标（未注年份的为{first_year}年目标）中，"
                + "；".join(parts) + "。")
        if groups["no_data"]:
            text += f"无数据：{'、'.join(groups['no_data'])}。"
        if worst is not None:
            text += (f"达成概率最低的是{short[worst['target']]}：目标{worst['threshold']:g}，"
                     f"中位数{C._fmt_value(worst['median'], worst['indicator'], region)}，"
                     f"概率{worst['probability']:.0%}。")
    else:
        text = (f"{name} ({n} replicates): of {len(board)} targets ({first_year} unless marked), "
                + "; ".join(parts) + ".")
        if groups["no_data"]:
            text += f" No data: {', '.join(groups['no_data'])}."
        if worst is not None:
            text += (f" Least likely: {short[worst['target']]}, target {worst['threshold']:g}, median "
                     f"{C._fmt_value(worst['median'], worst['indicator'], region)}, probability "
                     f"{worst['probability']:.0%}.")
    return text


def comparison_summary(comparison: pd.DataFrame, lang: str = "zh", titles: dict[str, tuple[str, str]] | None = None,
                       region: Region | None = None) -> str:
    """One paragraph on a comparison: targets where B is clearly better or worse than A, and the cost."""
    region = region or load_region("ningbo")
    zh = L.check_lang(lang) == "zh"
    data = comparison.copy()
    if C.difference_sense(data) == "a-b":
        data["difference_low"], data["difference_high"] = -data["difference_high"], -data["difference_low"]
    a, b = (L.scenario_title(str(data[c].iloc[0]), lang, titles) for c in ("scenario_a", "scenario_b"))
    name = {r.target: L.indicator_label(r.indicator, lang, region) + (f"（{r.year}年）" if zh else f" ({r.year})")
            for r in data.itertuples()}
    better = [name[t] for t in data[data["difference_low"] > 0]["target"]]
    worse = [name[t] for t in data[data["difference_high"] < 0]["target"]]
    extra = float(data["cost_b_100m_yuan"].iloc[0]) - float(data["cost_a_100m_yuan"].iloc[0])
    if zh:
        return (f"{b}对比{a}：{len(data)}项目标中，达成概率显著提高{len(better)}项"
                + (f"（{'、'.join(better)}）" if better else "") + f"，显著降低{len(worse)}项"
                + (f"（{'、'.join(worse)}）" if worse else "")
                + f"，其余差异不显著（95%置信区间跨过0）；财政投入{'多' if extra >= 0 else '少'}"
                  f"{abs(extra):,.1f}亿元。")
    return (f"{b} vs {a}: of {len(data)} targets, {len(better)} clearly more likely"
            + (f" ({', '.join(better)})" if better else "") + f", {len(worse)} clearly less likely"
            + (f" ({', '.join(worse)})" if worse else "")
            + f"; the rest show no clear difference (95% interval across 0). City spending "
              f"{'+' if extra >= 0 else '-'}{abs(extra):,.1f} (100m yuan).")


def sensitivity_summary(indices: pd.DataFrame, lang: str = "zh", region: Region | None = None, top: int = 3) -> str:
    """One sentence: the most influential factors across the analysed outputs."""
    region = region or load_region("ningbo")
    zh = L.check_lang(lang) == "zh"
    ranking = C.sensitivity_ranking(indices, top=top)
    order = ranking.groupby("factor")["score"].mean().sort_values(ascending=False)
    names = [f"{L.factor_label(f, lang, region)}（{L.section_label(L.factor_section(f), lang)}）" if zh else
             f"{L.factor_label(f, lang, region)} ({L.section_label(L.factor_section(f), lang).lower()})"
             for f in order.index]
    outputs = ranking["output"].nunique()
    measure = ("Sobol总效应" if zh else "Sobol total index") if ranking["method"].iloc[0] == "sobol" else "Morris μ*"
    if zh:
        return f"在已分析的{outputs}个输出上（{measure}平均），影响最大的因素依次是：{'、'.join(names)}。"
    return f"Across the {outputs} outputs analysed (mean {measure}), the most influential factors are: {', '.join(names)}."


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


def _script_json(value) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


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
                 html.escape(str(p.base_seed if p.base_seed is not None else "–")), f"<code>{html.escape(p.code_version)}</code>",
                 html.escape(p.created), html.escape(p.calibration or "–"), f"<small>{html.escape(packages)}</small>"]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    for table, p in inputs.comparisons:
        if p is None:
            rows.append("<tr>" + f"<td colspan='{len(heads)}'>" + html.escape(
                ("比较表：" if zh else "Comparison table: ") + f"{table['scenario_a'].iloc[0]} / {table['scenario_b'].iloc[0]}")
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
    head = "<tr><th>指标</th><th>模型定义</th></tr>" if lang == "zh" else "<tr><th>Indicator</th><th>Definition</th></tr>"
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
                region: Region | None = None) -> str:
    """The briefing page as an HTML string (see the module docstring for its contents)."""
    import vl_convert

    region = region or load_region("ningbo")
    L.check_lang(lang)
    sections: list[tuple[str, list[str], list[alt.TopLevelMixin]]] = []
    summary: list[str] = []
    boards, fans, sens, money, breakdowns = [], [], [], [], []
    for s in inputs.stores:
        titles = s.provenance.titles()
        if s.targets is not None and not s.targets.empty:
            for scenario in s.targets["scenario"].unique():
                summary.append(target_summary(s.targets, str(scenario), lang, titles, region))
                boards.append(C.target_board(s.targets, str(scenario), lang, s.provenance, region))
        if not s.results.empty:
            fans.append(C.fan_charts(C.city_totals(s.results), lang=lang, source=s.provenance, region=region))
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
        if s.indices is not None and not s.indices.empty:
            summary.append(sensitivity_summary(s.indices, lang, region))
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
        summary.append(comparison_summary(table, lang, titles, region))
        comparisons.append(C.comparison_chart(table, lang, provenance, region))
    sections = [("boards", [_t("classes", lang)], boards), ("fans", [], fans), ("comparison", [], comparisons),
                ("sensitivity", [], sens), ("spending", [], money), ("breakdown", [], breakdowns)]
    specs = []
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
    page_title = title or _t("title", lang)
    generated = time.strftime("%Y-%m-%d %H:%M")
    summary_html = "".join(f"<p>{html.escape(p)}</p>" for p in summary)
    bundle = vl_convert.javascript_bundle().replace("</script", "<\\/script")
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(page_title)}</title>
<style>{PAGE_CSS}</style>
<script>{bundle}</script>
</head>
<body>
<main>
<h1>{html.escape(page_title)}</h1>
<p class="meta">{_t('generated', lang)}: {generated} · weilai</p>
<section id="summary" class="summary"><h2>{_t('summary', lang)}</h2>{summary_html}</section>
{''.join(body)}
<section id="definitions"><h2>{_t('definitions', lang)}</h2>{_definitions_html(lang, region)}</section>
<section id="provenance"><h2>{_t('provenance', lang)}</h2>{_provenance_html(inputs, lang)}</section>
</main>
<script type="application/json" id="weilai-specs">{_script_json(specs)}</script>
<script>{LOADER_JS}</script>
</body>
</html>
"""


def write_brief(paths: list[str | Path], out: str | Path, lang: str = "zh", title: str | None = None) -> Path:
    """Read the inputs and write the briefing page.

    Returns:
        The written file.
    """
    inputs = load_inputs(paths)
    text = build_brief(inputs, lang, title)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
