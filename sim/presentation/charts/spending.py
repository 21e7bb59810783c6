"""Spending by lever and year, and spending against outcome."""


from __future__ import annotations

import altair as alt
import pandas as pd

from sim.analysis.targets import Targets, load_targets
from sim.core.errors import InputError
from sim.inputs.region import Region, load_region
from sim.presentation import labels as L
from sim.presentation.charts.provenance import Provenance
from sim.presentation.charts.style import (
    INK,
    PROJECT_COLOURS,
    SCENARIO_COLOURS,
    finish_chart,
    fmt_number,
    footnote_of,
    format_value,
    summarise,
    titles_of,
)

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
    table["value_text"] = [fmt_number(round(v, 1)) for v in table["median"]]
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
    name = L.scenario_title(scenario, lang, titles_of(source))
    span = f"{int(years.min())}–{int(years.max())}"
    if zh:
        title = f"财政投入：按重大工程与政策杠杆（{span}年累计）"
        subtitle = f"{name} · 合计 {fmt_number(round(total, 1))} 亿元"
    else:
        title = f"City spending by major project and lever ({span} total)"
        subtitle = f"{name} · total {fmt_number(round(total, 1))} (100m yuan)"
    foot = source.footnote(lang, [scenario]) if source is not None else (
        f"数据：情景 {scenario} 的支出计划" if zh else f"Data: spending plan of scenario {scenario}")
    return finish_chart(chart, title, subtitle, foot, lang, "spending")


def first_target_year(indicator: str, targets: Targets, default: int) -> int:
    years = [t.year for t in targets.target if t.indicator == indicator]
    return min(years) if years else default


def spending_outcome_table(spending: pd.DataFrame, results: pd.DataFrame, indicators: list[str],
                           scenario: str | None = None, targets: Targets | None = None,
                           region: Region | None = None) -> pd.DataFrame:
    """Per direction and indicator: money spent on the direction up to the indicator's target year
    (median across samples) and the indicator in that year (quantiles across replicates).

    Returns:
        Rows (direction, indicator, year, spent, p05, p25, median, p75, p95, n, start_year,
        start_median: the indicator's median in the first year, the base the direction starts from).
    """
    region = region or load_region()
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
        year = first_target_year(indicator, targets, last_year)
        money = spending_table(spending, scenario, (first_year, year), by=("direction",))
        money = money[money["direction"] != "all"][["direction", "median"]].rename(columns={"median": "spent"})
        outcome = summarise(rows[(rows["indicator"] == indicator) & (rows["year"] == year)], ["direction"])
        start = summarise(rows[(rows["indicator"] == indicator) & (rows["year"] == first_year)], ["direction"])
        start = start[["direction", "median"]].rename(columns={"median": "start_median"})
        frames.append(outcome.merge(money, on="direction", how="left").fillna({"spent": 0.0})
                      .merge(start, on="direction", how="left")
                      .assign(indicator=indicator, year=year, start_year=first_year))
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
    region = region or load_region()
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
    money["spent_text"] = [fmt_number(round(v, 1)) for v in money["spent"]]
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
        part["median_text"] = [format_value(v, indicator, region) for v in part["median"]]
        base = alt.Chart(part)
        x = alt.X("p25:Q", title=None, scale=alt.Scale(zero=True), axis=alt.Axis(tickCount=4))
        spread = base.mark_rule(color="#999999", strokeWidth=3).encode(y=y_hidden, x=x, x2="p75:Q")
        dots = base.mark_point(filled=True, size=150, opacity=1, color=SCENARIO_COLOURS[0]).encode(
            y=y_hidden, x="median:Q", tooltip=["direction_label:N", "median:Q", "p25:Q", "p75:Q", "spent:Q"])
        text = base.mark_text(align="left", dx=9, dy=-9, fontSize=13, color=INK).encode(
            y=y_hidden, x="median:Q", text="median_text:N")
        start = base.mark_point(filled=False, size=150, strokeWidth=2, opacity=1, color="#777777").encode(
            y=y_hidden, x="start_median:Q")
        name = L.indicator_label(indicator, lang, region).removeprefix("未来产业")
        head = f"{name}（{year}年，{L.indicator_unit(indicator, lang, region)}）" if zh else \
            f"{name} ({year}, {L.indicator_unit(indicator, lang, region)})"
        panels.append(alt.layer(spread, start, dots, text).properties(
            width=170, height=height, title=alt.TitleParams(head, fontSize=15, color=INK, anchor="start")))
    chart = alt.hconcat(*panels, spacing=22)
    unsplit = spending_table(spending, scenario, (first_year, money_year), by=("direction",))
    unsplit_total = float(unsplit[unsplit["direction"] == "all"]["median"].sum())
    name = L.scenario_title(scenario, lang, titles_of(source))
    # Side by side, not cause and effect: the indicator of a direction mostly reflects the base it
    # starts from; what the money adds is measured only by comparing scenarios on common seeds.
    if zh:
        title = "各方向的财政投入与目标指标（并列展示，不表示投入回报）"
        subtitle = [f"{name} · 实心圆点为目标年中位数，灰线为25–75%区间，空心圆为{first_year}年起点"
                    + (f"；不分方向的投入 {fmt_number(round(unsplit_total, 1))} 亿元未计入"
                       if unsplit_total > 0 else ""),
                    "各方向的指标主要取决于既有基础；"
                    "投入的效果只能由同种子的情景比较（weilai compare）衡量，本图不衡量。"]
    else:
        title = "Spending per direction beside the target indicators (side by side, not a return)"
        subtitle = [f"{name} · filled dot: median in the target year; grey line: 25-75% range; open circle: "
                    f"{first_year} start"
                    + (f"; spending not split by direction ({fmt_number(round(unsplit_total, 1))}) "
                       "left out" if unsplit_total > 0 else ""),
                    "A direction's indicator mostly reflects its starting base; what the money adds is measured only "
                    "by a comparison on common seeds (weilai compare), not by this chart."]
    return finish_chart(chart, title, subtitle, footnote_of(source, results, lang, [scenario]), lang,
                        "spending_outcome")
