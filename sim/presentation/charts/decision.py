"""Charts of the decision-support commands, built like :mod:`sim.charts` (same theme, fonts, footnote
and export through :func:`sim.charts.save_chart`): tidy tables in, altair charts out, Chinese first.

* :func:`value_chart`: "每亿元能买到什么", expected extra targets met per 亿元 per lever, with the
  per-target changes (percentage points) as a heat map beside it;
* :func:`boxes_chart`: the PRIM peeling trajectory (coverage against density) with the chosen box.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from sim.presentation import labels as L
from sim.presentation.charts.style import finish_chart  # the one place the slide theme and footnote are applied
from sim.inputs.region import load_region
from sim.analysis.targets import load_targets


def value_chart(levers: pd.DataFrame, table: pd.DataFrame, lang: str = "zh", footnote: str = "") -> alt.VConcatChart:
    """Expected extra targets met per 亿元 per lever (bars, 95% interval) and delta P per target.

    Args:
        levers: ``value_levers.csv`` of :func:`sim.analysis.decision.value.value_tables`.
        table: ``value.csv`` (per lever and target).
        lang: ``zh`` or ``en``.
        footnote: Provenance line (store, seeds, replicates).
    """
    region = load_region("ningbo")
    targets = {t.id: t for t in load_targets(region=region).target}
    zh = L.check_lang(lang) == "zh"
    bars = levers.dropna(subset=["expected_targets_met_per_100m_yuan"]).copy()
    bars["label"] = [L.factor_label(f"levers.{n}", lang, region) for n in bars["lever"]]
    order = bars.sort_values("expected_targets_met_per_100m_yuan", ascending=False)["label"].tolist()
    x_title = "每多投入1亿元，预期多达成的目标数" if zh else "Extra targets met per 100m yuan (expected)"
    base = alt.Chart(bars).encode(y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)))
    bar = base.mark_bar(color="#1f5fa8", height=16).encode(
        x=alt.X("expected_targets_met_per_100m_yuan:Q", title=x_title),
        tooltip=["label:N"] + (["change:N"] if zh else []) + [alt.Tooltip("extra_cost_100m_yuan:Q", format=".1f"),
                 alt.Tooltip("expected_targets_met_per_100m_yuan:Q", format=".4f")])
    rule = base.mark_rule(color="#222222").encode(x="expected_targets_met_per_100m_yuan_low:Q",
                                                  x2="expected_targets_met_per_100m_yuan_high:Q")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#999999").encode(x="x:Q")
    left = (bar + rule + zero).properties(width=420, height=max(120, 26 * len(bars)))

    heat = table.copy()
    heat["label"] = [L.factor_label(f"levers.{n}", lang, region) for n in heat["lever"]]
    heat["target_label"] = [L.target_label(targets[t].indicator, targets[t].year, targets[t].comparator,
                                           targets[t].threshold, lang, region) if t in targets else t
                            for t in heat["target"]]
    heat["pp"] = heat["delta_p"] * 100
    heat["significant"] = (heat["delta_p_low"] > 0) | (heat["delta_p_high"] < 0)
    heat["mark"] = heat["significant"].map({True: "●", False: ""})
    pp_title = "达成概率变化（个百分点）" if zh else "Change in probability (percentage points)"
    right_base = alt.Chart(heat).encode(
        x=alt.X("target_label:N", title=None, axis=alt.Axis(labelAngle=-40, labelLimit=220)),
        y=alt.Y("label:N", sort=order, title=None, axis=None))
    cells = right_base.mark_rect().encode(
        color=alt.Color("pp:Q", title=pp_title, scale=alt.Scale(scheme="redblue", domainMid=0),
                        legend=alt.Legend(orient="bottom", gradientLength=300)),
        tooltip=["label:N", "target_label:N", alt.Tooltip("pp:Q", format=".1f"),
                 alt.Tooltip("delta_p_low:Q", format=".2f"), alt.Tooltip("delta_p_high:Q", format=".2f")])
    dots = right_base.mark_text(fontSize=12, color="#222222").encode(text="mark:N")
    right = (cells + dots).properties(width=26 * heat["target"].nunique(), height=max(120, 26 * len(bars)))
    title = "每亿元能买到什么" if zh else "What each 100m yuan buys"
    n = int(levers["n_replicates"].max()) if len(levers) else 0
    subtitle = (f"各杠杆多投入10亿元（计数类杠杆+10%），与原情景在相同随机数下成对比较，{n}次重复；"
                "误差线为95%区间，●为Holm校正后显著的变化" if zh else
                f"Each lever +10亿 over the period (+10% for counts), paired with the scenario on common random "
                f"numbers, {n} replicates; bars with 95% intervals; ● marks a change significant after Holm")
    return finish_chart(alt.hconcat(left, right), title, subtitle, footnote, lang, "value")


def boxes_chart(trajectory: pd.DataFrame, chosen: int, target_label: str, lang: str = "zh",
                footnote: str = "") -> alt.VConcatChart:
    """PRIM's peeling trajectory: coverage against density of each box, the chosen box marked.

    Args:
        trajectory: Columns box, coverage, density, mass, res_dim.
        chosen: The chosen box's index.
        target_label: Label of the target whose failure is described.
    """
    zh = L.check_lang(lang) == "zh"
    frame = trajectory.copy()
    frame["chosen"] = frame["box"] == chosen
    points = alt.Chart(frame).mark_circle(size=90).encode(
        x=alt.X("coverage:Q", title="覆盖率（失败情形中落在框内的比例）" if zh else "coverage",
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("density:Q", title="密度（框内失败的比例）" if zh else "density", scale=alt.Scale(zero=False)),
        color=alt.Color("res_dim:O", title="限制的因素数" if zh else "restricted factors",
                        scale=alt.Scale(scheme="viridis")),
        tooltip=["box:Q", alt.Tooltip("coverage:Q", format=".2f"), alt.Tooltip("density:Q", format=".2f"),
                 "res_dim:Q"])
    ring = alt.Chart(frame[frame["chosen"]]).mark_point(size=400, color="#c62828", strokeWidth=3).encode(
        x="coverage:Q", y="density:Q")
    title = (f"目标未达成的情形：{target_label}" if zh else f"Where the target fails: {target_label}")
    subtitle = ("PRIM剥离轨迹：每个点是一个情形框；红圈为选定的框" if zh else
                "PRIM peeling trajectory: each point is a box; the red ring marks the chosen box")
    return finish_chart((points + ring).properties(width=640, height=380), title, subtitle, footnote, lang, "prim")
