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
    LIKELIHOOD_COLOURS,
    LIKELIHOOD_LABELS,
    LIKELIHOODS,
    LIKELY_AT,
    _finish,
    _fmt_value,
    _footnote,
    _titles,
    likelihood,
)

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
        targets_table: Output of :func:`sim.analysis.targets.evaluate_targets` (or a store's ``targets.csv``).
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
