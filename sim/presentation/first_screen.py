"""The first screen of the briefing page: a one-line headline, a tile per scenario, the decision in
three bullets and a caveat box; every number read from the evaluated tables, the comparison, an
optional ``value.csv`` (``weilai value``) and the calibration report.

Text is built here as plain strings and escaped once, in :func:`first_screen_html`.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import pandas as pd

from sim.analysis.compare import clear_direction, uses_holm
from sim.analysis.targets import load_targets
from sim.core.paths import CALIBRATION_DIR
from sim.inputs.region import Region, load_region
from sim.presentation import charts as C
from sim.presentation import labels as L

VALUE_COLUMNS = ("lever", "target", "delta_p", "delta_p_low", "delta_p_high", "extra_cost_100m_yuan",
                 "delta_p_per_100m_yuan")
CALIBRATION_SUMMARY = CALIBRATION_DIR / "report" / "summary.json"


@dataclass
class Tile:
    """One scenario's tile: counts per reading and the cost over the period."""

    scenario: str
    title: str
    counts: dict[str, int]
    n_targets: int
    cost_text: str
    years: tuple[int, int] | None = None


def reading_counts(targets_table: pd.DataFrame, scenario: str, region: Region) -> dict[str, int]:
    """Targets per reading (likely, borderline, at risk, unlikely, no data) of one scenario."""
    board = C.board_table(targets_table, scenario, "zh", region)
    return {c: int((board["reading"] == c).sum()) for c in (*C.READINGS, "no_data")}


def scenario_cost(spending: pd.DataFrame, scenario: str) -> tuple[float, int, int] | None:
    """City spending of a scenario summed over its years (median over samples), and the years."""
    rows = spending[spending["scenario"] == scenario] if not spending.empty else spending
    if rows.empty:
        return None
    per_sample = rows.groupby("sample")["value"].sum()
    return float(per_sample.median()), int(rows["year"].min()), int(rows["year"].max())


def tiles(stores, lang: str, region: Region) -> list[Tile]:
    """A tile per scenario of the briefed stores."""
    out = []
    for s in stores:
        if s.targets is None or s.targets.empty:
            continue
        titles = s.provenance.titles()
        for scenario in map(str, s.targets["scenario"].unique()):
            counts = reading_counts(s.targets, scenario, region)
            cost = scenario_cost(s.spending, scenario)
            cost_text = L.money_text(*cost, lang) if cost else ("无支出表" if lang == "zh" else "no spending table")
            out.append(Tile(scenario, L.scenario_title(scenario, lang, titles), counts,
                            int(sum(counts.values())), cost_text, (cost[1], cost[2]) if cost else None))
    return out


def _names(table: pd.DataFrame, lang: str, region: Region) -> list[str]:
    return [L.short_target_label(r.indicator, r.year, lang, region) for r in table.itertuples()]


def _b_minus_a(comparison: pd.DataFrame) -> pd.DataFrame:
    data = comparison.copy()
    if C.difference_sense(data) == "a-b":
        data["difference"], data["difference_low"], data["difference_high"] = (
            -data["difference"], -data["difference_high"], -data["difference_low"])
    return data


def headline(tile_list: list[Tile], comparison: pd.DataFrame | None, titles: dict, lang: str) -> str:
    """One line: the comparison's result if there is one, else the first scenario's target count."""
    zh = lang == "zh"
    if comparison is not None:
        data = _b_minus_a(comparison)
        a, b = (_short(L.scenario_title(str(data[c].iloc[0]), lang, titles)) for c in ("scenario_a", "scenario_b"))
        direction = clear_direction(data)
        better, worse = int((direction > 0).sum()), int((direction < 0).sum())
        extra = float(data["cost_b_100m_yuan"].iloc[0] - data["cost_a_100m_yuan"].iloc[0])
        years = _years(tile_list)
        per_year = extra / (years[1] - years[0] + 1) if years else float("nan")
        if zh:
            return (f"{b}对比{a}：{len(data)}项目标中{better}项达成概率显著提高、{worse}项显著降低，"
                    f"财政年均{'多' if extra >= 0 else '少'}投入{abs(per_year):,.1f}亿元")
        return (f"{b} vs {a}: {better} of {len(data)} targets clearly more likely, {worse} clearly less, "
                f"for {per_year:+,.1f} (100m yuan) a year")
    if not tile_list:
        return "情景比较简报" if zh else "Scenario briefing"
    t = tile_list[0]
    if zh:
        return (f"{t.title}：{t.n_targets}项目标中{t.counts['likely']}项很可能达成，"
                f"{t.counts['unlikely']}项难以达成，{t.counts['borderline'] + t.counts['at_risk']}项有风险或临界")
    return (f"{t.title}: of {t.n_targets} targets {t.counts['likely']} likely, {t.counts['unlikely']} unlikely, "
            f"{t.counts['borderline'] + t.counts['at_risk']} at risk or borderline")


def _short(title: str) -> str:
    """A scenario title's lead, for the one-line headline (``基准情景：2024年…`` -> ``基准情景``)."""
    for sep in ("：", ": "):
        if sep in title:
            return title.split(sep)[0]
    return title


def _first(names: list[str], lang: str, limit: int = 5) -> str:
    """At most ``limit`` names, the rest counted: ``甲、乙……等8项``."""
    if len(names) <= limit:
        return L.names_list(names, lang)
    head = ("、" if lang == "zh" else ", ").join(names[:limit])
    return f"{head}等{len(names)}项" if lang == "zh" else f"{head} and {len(names) - limit} more"


def _years(tile_list: list[Tile]) -> tuple[int, int] | None:
    """The spending period of the first tile that has one."""
    return next((t.years for t in tile_list if t.years), None)


def decision_bullets(comparison: pd.DataFrame | None, targets_by_scenario: dict[str, pd.DataFrame],
                     value: pd.DataFrame | None, lang: str, region: Region, titles: dict) -> list[str]:
    """Three bullets: what the package changes, what no lever in it moves, what each 亿元 buys."""
    zh = lang == "zh"
    bullets = []
    if comparison is not None:
        data = _b_minus_a(comparison)
        b = _short(L.scenario_title(str(data["scenario_b"].iloc[0]), lang, titles))
        better = data[clear_direction(data) > 0].sort_values("difference", ascending=False)
        if len(better):
            planned = [C.set_by_designation(r.indicator, region, r) for r in better.itertuples()]
            mark = "（认定计划）" if zh else " (designation plan)"
            parts = [f"{n}{mark if p else ''} {C.points_text(d, lang)}"
                     for n, d, p in zip(_names(better, lang, region), better["difference"], planned)]
            bullets.append((f"{b}带来的变化：" if zh else f"What {b} changes: ")
                           + ("；" if zh else "; ").join(parts[:4])
                           + ("等" if zh and len(parts) > 4 else ""))
        else:
            bullets.append(f"{b}没有使任何目标的达成概率显著提高"
                           + ("（配对检验经Holm校正）。" if uses_holm(data) else "（95%区间均跨过0）。") if zh else
                           f"{b} makes no target clearly more likely"
                           + (" (paired test, Holm-corrected)." if uses_holm(data) else
                              " (every 95% interval crosses 0)."))
        scenario_b = str(data["scenario_b"].iloc[0])
        table_b = targets_by_scenario.get(scenario_b)
        unmoved = data[clear_direction(data) == 0]
        if table_b is not None:
            readings = C.board_table(table_b, scenario_b, lang, region).set_index("target")["reading"]
            unmoved = unmoved[unmoved["target"].map(readings).isin(["unlikely", "at_risk", "borderline"])]
        names = _names(unmoved, lang, region)
        bullets.append((f"本方案中没有杠杆能显著改变：{_first(names, lang)}（B下仍有风险或难以达成，且与A无显著差异）"
                         if names else "B下仍有风险的目标都受到了方案的显著影响") if zh else
                        (f"No lever in the package moves: {_first(names, lang)} (still at risk or unlikely "
                         "under B, no clear difference from A)" if names else
                         "Every target still at risk under B is clearly moved by the package"))
    else:
        bullets.append("本页没有情景比较：方案带来的变化需用 weilai compare 计算后一并传入。" if zh else
                       "No comparison on this page: run weilai compare and brief its store "
                       "to see what the package changes.")
    bullets.append(value_bullet(value, lang, region))
    return bullets


def value_bullet(value: pd.DataFrame | None, lang: str, region: Region, top: int = 3) -> str:
    """What each 亿元 buys, from ``weilai value``'s table, or a note that it was not given."""
    zh = lang == "zh"
    if value is None:
        return ("每亿元能买到什么：本页未计算（运行 weilai value 后以 --value DIR/value.csv 传入）。" if zh else
                "What each 100m yuan buys: not computed here (run weilai value and pass --value DIR/value.csv).")
    rows = value.dropna(subset=["delta_p_per_100m_yuan"])
    rows = rows[rows["delta_p_low"] > 0] if "delta_p_low" in rows else rows
    if rows.empty:
        return ("每亿元能买到什么：按 weilai value，没有杠杆使任何目标的达成概率显著提高。" if zh else
                "What each 100m yuan buys: per weilai value, no lever makes any target clearly more likely.")
    targets = {t.id: t for t in load_targets(region=region).target}
    rows = rows.sort_values("delta_p_per_100m_yuan", ascending=False).head(top)
    parts = []
    for r in rows.itertuples():
        t = targets.get(r.target)
        name = L.short_target_label(t.indicator, t.year, lang, region) if t else str(r.target)
        parts.append(f"{L.lever_label(str(r.lever), lang)}→{name} {C.points_text(r.delta_p_per_100m_yuan, lang)}")
    return (("每亿元能买到什么（达成概率变化，显著者前3）：" if zh else
             "What each 100m yuan buys (change in probability, top 3 clear effects): ")
            + ("；" if zh else "; ").join(parts))


def holdout_text(lang: str) -> str:
    """The calibration's hold-out coverage from calibration/report/summary.json."""
    zh = lang == "zh"
    try:
        summary = json.loads(CALIBRATION_SUMMARY.read_text(encoding="utf-8"))
        hold = summary["holdout"]
        inside, total = int(hold["predicted_in_band"]), int(hold["predicted"])
    except (OSError, KeyError, ValueError, TypeError):
        return "校准留出检验：无报告（calibration/report/summary.json）。" if zh else \
            "Calibration hold-out: no report (calibration/report/summary.json)."
    if zh:
        return (f"校准留出检验：未参与拟合的{total}个观测中，{inside}个落在模拟的90%区间内"
                f"（{inside / total:.0%}），绝对水平的可信度有限。")
    return (f"Calibration hold-out: {inside} of {total} observations left out of the fit fall inside the "
            f"simulated 90% band ({inside / total:.0%}); absolute levels are of limited reliability.")


def caveat_lines(lang: str) -> list[str]:
    """The caveat box: a comparison of scenarios, not a forecast; the assumptions; the hold-out."""
    if lang == "zh":
        return ["这是情景比较，非预测：本页回答“在这些假设下，采取不同政策组合会有何差别”，"
                "概率为模拟重复中达到目标的比例，"
                "不是对宁波未来的预测。",
                "哪些输入是假设：无公开来源的政策年度金额（见各情景文件注释）、外部不确定性（全球市场增速、风险投资环境等）"
                "和行为参数，均取自参数空间的假设范围（sim/data/ningbo/parameter_space.toml）；情景之间的差异比各自的绝对水平更可靠。",
                holdout_text(lang)]
    return ["A comparison of scenarios, not a forecast: the page answers 'under these assumptions, what difference "
            "does a policy mix make'; a probability is the share of simulated replicates meeting a target.",
            "Assumptions: yearly policy amounts without a published source (see the scenario files), external "
            "uncertainties (global market growth, venture climate) and behavioural parameters, all drawn from "
            "assumed ranges (sim/data/ningbo/parameter_space.toml); differences between scenarios are more "
            "reliable than absolute levels.",
            holdout_text(lang)]


def read_value(path) -> pd.DataFrame:
    """A ``value.csv`` written by ``weilai value``.

    Raises:
        InputError: if it is unreadable or lacks a column.
    """
    from sim.core.errors import InputError

    try:
        table = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable table is an input problem
        raise InputError(f"cannot read the table: {exc}", file=path) from None
    missing = [c for c in VALUE_COLUMNS if c not in table]
    if missing:
        raise InputError("not a value table of weilai value (missing column)", file=path, key=missing[0],
                         allowed=", ".join(VALUE_COLUMNS))
    return table


TILE_WORDS = {"likely": ("很可能", "likely"), "borderline": ("临界", "borderline"), "at_risk": ("有风险", "at risk"),
              "unlikely": ("难以达成", "unlikely")}


def first_screen_html(inputs, lang: str = "zh", value: pd.DataFrame | None = None,
                      region: Region | None = None) -> str:
    """The first screen as HTML: headline, tiles, decision bullets, caveat box (all text escaped here)."""
    region = region or load_region()
    zh = lang == "zh"
    titles: dict = {}
    for s in inputs.stores:
        titles.update(s.provenance.titles())
    tile_list = tiles(inputs.stores, lang, region)
    comparison = inputs.comparisons[0][0] if inputs.comparisons else None
    if comparison is not None and inputs.comparisons[0][1] is not None:
        titles = {**titles, **inputs.comparisons[0][1].titles()}
    targets_by_scenario = {}
    for s in inputs.stores:
        if s.targets is not None:
            for scenario in map(str, s.targets["scenario"].unique()):
                targets_by_scenario[scenario] = s.targets
    line = headline(tile_list, comparison, titles, lang)
    bullets = decision_bullets(comparison, targets_by_scenario, value, lang, region, titles)
    e = html.escape
    tile_html = []
    for t in tile_list:
        counts = "".join(
            f"<div class='count {c}'><b>{t.counts[c]}</b><span>{e(L.pick(TILE_WORDS[c], lang))}</span></div>"
            for c in ("likely", "borderline", "at_risk", "unlikely"))
        tile_html.append(f"<div class='tile'><div class='tile-title'>{e(t.title)}</div>"
                         f"<div class='counts'>{counts}</div><div class='cost'>{e(t.cost_text)}</div></div>")
    decision = "".join(f"<li>{e(b)}</li>" for b in bullets)
    caveat = "".join(f"<p>{e(c)}</p>" for c in caveat_lines(lang))
    return (f"<section id='first-screen'><p class='headline'>{e(line)}</p>"
            f"<div class='tiles'>{''.join(tile_html)}</div>"
            f"<div class='decision'><h3>{'决策要点' if zh else 'The decision'}</h3><ul>{decision}</ul></div>"
            f"<div class='caveat'><h3>{'请注意' if zh else 'Read with care'}</h3>{caveat}</div></section>")


FIRST_SCREEN_CSS = """
#first-screen { margin: 4px 0 8px; }
.headline { font-size: 22px; font-weight: bold; margin: 6px 0 10px; color: #111; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; }
.tile { flex: 1 1 300px; border: 1px solid #d0d7e2; border-radius: 8px; padding: 8px 12px; background: #f8fafc; }
.tile-title { font-weight: bold; font-size: 15px; margin-bottom: 4px; }
.counts { display: flex; gap: 10px; }
.count { text-align: center; min-width: 56px; }
.count b { display: block; font-size: 26px; line-height: 1.1; }
.count span { font-size: 12px; color: #444; }
.count.likely b { color: #2e7d32; } .count.borderline b { color: #8d6e63; }
.count.at_risk b { color: #b36b00; } .count.unlikely b { color: #c62828; }
.cost { font-size: 13px; color: #222; margin-top: 4px; }
.decision h3, .caveat h3 { font-size: 16px; margin: 10px 0 4px; }
.decision ul { margin: 0; padding-left: 20px; font-size: 15px; line-height: 1.5; }
.caveat { border-left: 4px solid #e69500; background: #fff8e6; padding: 4px 12px; margin-top: 10px; }
.caveat p { font-size: 13px; line-height: 1.45; margin: 4px 0; }
"""
