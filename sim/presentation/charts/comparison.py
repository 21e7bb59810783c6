"""The scenario comparison chart: paired differences of target probabilities with their intervals."""


from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from sim.analysis.targets import Targets, load_targets
from sim.core.errors import InputError
from sim.inputs.region import Region, load_region
from sim.presentation import labels as L
from sim.presentation.charts.provenance import Provenance
from sim.presentation.charts.style import INK, SCENARIO_COLOURS, _finish, _titles

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
