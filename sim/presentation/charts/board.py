"""The target board: each target's probability of being met, with its interval and likelihood class."""


from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.inputs.region import Region, load_region
from sim.presentation import labels as L
from sim.presentation.charts.provenance import Provenance
from sim.presentation.charts.style import (
    AT_RISK_AT,
    INK,
    LIKELIHOOD_LABELS,
    LIKELIHOODS,
    LIKELY_AT,
    READING_COLOURS,
    READING_LABELS,
    READINGS,
    finish_chart,
    footnote_of,
    format_value,
    likelihood,
    reading,
    set_by_designation,
    titles_of,
)

X_MAX = 3.0  # the progress axis ends at 300% of the target at most; values beyond it are marked

# ------------------------------------------------------------------------------ target board


def board_table(targets_table: pd.DataFrame, scenario: str | None = None, lang: str = "zh",
                region: Region | None = None) -> pd.DataFrame:
    """The rows the target board draws, one per target, in board order (by year, then file order).

    Adds to the evaluated table: ``label``, ``likelihood`` (class of the point estimate),
    ``reading`` (class from the probability's interval, with ``borderline``: the colour) and
    ``reading_label``, ``likelihood_label``, ``designated`` (the value is set by the designation
    schedule: no sampling interval is drawn), ``progress_median/p05/p95`` (indicator over threshold),
    ``value_text`` and ``probability_text``.
    """
    region = region or load_region()
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
    table["designated"] = [set_by_designation(r.indicator, region, r) for r in table.itertuples()]
    low = table.get("probability_low", pd.Series(np.nan, index=table.index))
    high = table.get("probability_high", pd.Series(np.nan, index=table.index))
    table["reading"] = [likelihood(p) if d else reading(p, lo, hi)
                        for p, lo, hi, d in zip(table["probability"], low, high, table["designated"])]
    table["reading_label"] = [L.pick(READING_LABELS[c], lang) for c in table["reading"]]
    for col in ("median", "p05", "p95"):
        table[f"progress_{col}"] = table[col] / table["threshold"].where(table["threshold"] != 0)
    word = ("中位 ", "区间 ") if lang == "zh" else ("median ", "range ")
    fixed = "认定计划 " if lang == "zh" else "designation plan "
    table["value_text"] = [f"{fixed}{format_value(r.median, r.indicator, region)}" if r.designated else
                           f"{word[0]}{format_value(r.median, r.indicator, region)}　{word[1]}"
                           f"{format_value(r.p05, r.indicator, region)}–{format_value(r.p95, r.indicator, region)}"
                           for r in table.itertuples()]
    table["probability_text"] = [f"{p:.0%}" if not math.isnan(p) else "–" for p in table["probability"]]
    return table.reset_index(drop=True)


def target_board(targets_table: pd.DataFrame, scenario: str | None = None, lang: str = "zh",
                 source: Provenance | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Every target of one scenario: median projection and 5-95% band against the target, and the
    probability of reaching it with its 95% interval, coloured likely / at risk / unlikely.

    Args:
        targets_table: Output of :func:`sim.analysis.targets.evaluate_targets` (or a store's ``targets.csv``).
        scenario: Which scenario (default: the first in the table).
        lang: ``zh`` or ``en``.
        source: Provenance for the footnote and the scenario title.
        region: The region (default Ningbo).
    """
    region = region or load_region()
    L.check_lang(lang)
    zh = lang == "zh"
    data = board_table(targets_table, scenario, lang, region)
    data = data[["scenario", "target", "indicator", "year", "threshold", "n_replicates", "median", "p05", "p95",
                 "probability", "probability_low", "probability_high", "label", "likelihood", "likelihood_label",
                 "reading", "reading_label", "designated",
                 "progress_median", "progress_p05", "progress_p95", "value_text", "probability_text"]].copy()
    # A target the designation schedule sets is not uncertain: no band and no interval for it.
    for col in ("progress_p05", "progress_p95", "probability_low", "probability_high"):
        data[col] = data[col].where(~data["designated"])
    data["text_x"] = data["probability_high"].fillna(data["probability"])  # designated rows: no whisker
    data["probability_text"] = [(t + ("（计划）" if zh else " (plan)")) if d else t
                                for t, d in zip(data["probability_text"], data["designated"])]
    scenario = str(data["scenario"].iloc[0])
    order = list(data["label"])
    row_height = 34
    height = row_height * len(data)
    classes = [c for c in (*READINGS, "no_data") if c in set(data["reading"]) or c in LIKELIHOODS]
    colour = alt.Color(
        "reading_label:N",
        scale=alt.Scale(domain=[L.pick(READING_LABELS[c], lang) for c in classes],
                        range=[READING_COLOURS[c] for c in classes]),
        legend=alt.Legend(title=None, orient="top", direction="horizontal"),
    )
    y = alt.Y("label:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=420, labelFontSize=15, ticks=False, domain=False, labelPadding=8))
    y_hidden = alt.Y("label:N", sort=order, axis=None)

    reach = data[["progress_p95", "progress_median"]].max(axis=1)
    top = float(np.nanmax(reach.to_numpy())) if reach.notna().any() else 1.5
    x_max = float(min(X_MAX, max(1.5, math.ceil(top * 4) / 4)))
    # Values beyond the axis end are drawn at the edge with an arrow and their value, never silently clipped.
    data["beyond_axis"] = reach > x_max
    data["beyond_text"] = [("" if not b else f"▶ {m:.0%}" if m > x_max
                            else (f"▶ 95%分位 {h:.0%}" if zh else f"▶ 95th pct {h:.0%}"))
                           for m, h, b in zip(data["progress_median"], data["progress_p95"], data["beyond_axis"])]
    data["beyond_x"] = x_max
    base = alt.Chart(data)
    x_progress = alt.X("progress_p05:Q", title="占目标的比例（中位数与5–95%区间）" if zh else
                       "Share of target (median and 5-95% range)",
                       scale=alt.Scale(domain=[0, x_max], clamp=True), axis=alt.Axis(format="%", tickCount=6))
    band = base.mark_bar(height=12, color="#b9c7d6", cornerRadius=3).encode(
        y=y, x=x_progress, x2="progress_p95:Q")
    median = base.mark_point(filled=True, size=220, shape="diamond", opacity=1).encode(
        y=y, x="progress_median:Q", color=colour,
        tooltip=["label:N", "median:Q", "p05:Q", "p95:Q", "threshold:Q"])
    goal = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[6, 4], color=INK,
                                                                  strokeWidth=1.5).encode(x="x:Q")
    beyond = alt.Chart(data[data["beyond_axis"]]).mark_text(
        align="right", dy=-13, fontSize=13, fontWeight="bold", color=INK).encode(
        y=y, x=alt.X("beyond_x:Q", scale=alt.Scale(domain=[0, x_max], clamp=True)), text="beyond_text:N")
    progress = alt.layer(band, goal, median, beyond).properties(width=360, height=height)

    values = base.mark_text(align="left", fontSize=14, color=INK).encode(
        y=y_hidden, text="value_text:N", x=alt.value(0)).properties(width=190, height=height,
                                                                     title=alt.TitleParams("", fontSize=1))

    x_prob = alt.X("probability:Q",
                   title="达成概率（及95%置信区间）" if zh else "Probability of meeting (95% interval)",
                   scale=alt.Scale(domain=[0, 1.2]), axis=alt.Axis(format="%", values=[0, 0.2, 0.4, 0.6, 0.8, 1.0]))
    bars = base.mark_bar(height=18, cornerRadiusEnd=3).encode(y=y_hidden, x=x_prob, color=colour)
    whisker = base.mark_rule(color=INK, strokeWidth=1.5).encode(y=y_hidden, x="probability_low:Q",
                                                                  x2="probability_high:Q")
    text = base.mark_text(align="left", dx=6, fontSize=15, fontWeight="bold", color=INK).encode(
        y=y_hidden, x="text_x:Q", text="probability_text:N")
    cuts = alt.Chart(pd.DataFrame({"x": [AT_RISK_AT, LIKELY_AT]})).mark_rule(
        color="#999999", strokeDash=[2, 3]).encode(x="x:Q")
    probability = alt.layer(cuts, bars, whisker, text).properties(width=330, height=height)

    chart = alt.hconcat(progress, values, probability, spacing=12).resolve_scale(color="shared")
    title_name = L.scenario_title(scenario, lang, titles_of(source))
    n = int(data["n_replicates"].max())
    if zh:
        title = f"目标达成看板｜{title_name}"
        subtitle = [f"菱形为{n}次重复模拟的中位数，灰条为5–95%区间，虚线为目标值，▶为超出坐标轴的中位数；"
                    "右侧为达成目标的重复占比及其95%置信区间。",
                    f"颜色按置信区间判读：整个区间≥{LIKELY_AT:.0%}为很可能达成，在{AT_RISK_AT:.0%}–{LIKELY_AT:.0%}内为有风险，"
                    f"<{AT_RISK_AT:.0%}为难以达成，跨越分界为临界；标“计划”的目标由情景的认定计划决定，无抽样区间。"]
    else:
        title = f"Target board: {title_name}"
        subtitle = [f"Diamond: median of {n} replicates; grey bar: 5-95% range; dashed line: the target. "
                    "Right: share of replicates meeting it, with 95% interval.",
                    f"Colour from the interval: all >= {LIKELY_AT:.0%} likely, within {AT_RISK_AT:.0%}-{LIKELY_AT:.0%} "
                    f"at risk, all < {AT_RISK_AT:.0%} unlikely, across a cut borderline; '(plan)': set by the "
                    "scenario's designation schedule, no sampling interval. ▶: median beyond the axis."]
    return finish_chart(chart, title, subtitle, footnote_of(source, data, lang, [scenario]) if source else
                   (f"数据：weilai 模拟 · 情景 {scenario}，{n}次重复" if zh else
                    f"Data: weilai simulation · scenario {scenario}, {n} replicates"), lang, "target_board")
