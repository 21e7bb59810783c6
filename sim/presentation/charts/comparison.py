"""The scenario comparison chart: paired differences of target probabilities with their intervals."""


from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from sim.analysis.compare import clear_direction, uses_holm
from sim.analysis.targets import Targets, load_targets
from sim.core.errors import InputError
from sim.inputs.region import Region, load_region
from sim.presentation import labels as L
from sim.presentation.charts.provenance import Provenance
from sim.presentation.charts.style import INK, SCENARIO_COLOURS, finish_chart, points_text, titles_of

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
                     region: Region | None = None, targets: Targets | None = None,
                     years: tuple[int, int] | None = None) -> alt.VConcatChart:
    """Per target: the probability under each scenario, and their difference with its interval.

    Args:
        comparison: Table written by ``weilai compare`` (columns ``COMPARISON_COLUMNS``).
        lang: ``zh`` or ``en``.
        source: Provenance for the footnote and scenario titles.
        region, targets: Defaults: Ningbo and its targets (for comparator signs in labels).
        years: First and last year of the spending (the subtitle then gives the yearly average).
    """
    region = region or load_region()
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
    title_a, title_b = (L.scenario_title(a, lang, titles_of(source)), L.scenario_title(b, lang, titles_of(source)))
    sense = difference_sense(data)
    if sense == "a-b":  # draw B - A everywhere
        data["difference"], data["difference_low"], data["difference_high"] = (
            -data["difference"], -data["difference_high"], -data["difference_low"])
    verdicts = (("B更好", "B better"), ("B更差", "B worse"), ("无显著差异", "no clear difference"))
    direction = clear_direction(data)  # Holm-corrected over the targets, as the briefing's text counts
    data["verdict"] = np.where(direction > 0, L.pick(verdicts[0], lang),
                               np.where(direction < 0, L.pick(verdicts[1], lang), L.pick(verdicts[2], lang)))
    data["difference_text"] = [points_text(d, lang) for d in data["difference"]]
    # Differences are drawn in percentage points (个百分点), not percent.
    for col in ("difference", "difference_low", "difference_high"):
        data[f"{col}_points"] = data[col] * 100
    # A zero-width interval at zero: every paired replicate gave the same outcome under A and B.
    data["identical_pairs"] = (data["difference_low"].abs() < 1e-12) & (data["difference_high"].abs() < 1e-12)
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
    lo = float(min(-20.0, data["difference_low_points"].min()))
    hi = float(max(20.0, data["difference_high_points"].max()))
    step = 20 if hi - lo <= 120 else 50
    ticks = [v for v in range(-100, 101, step) if lo <= v <= hi]
    x_diff = alt.X("difference_low_points:Q", scale=alt.Scale(domain=[lo, hi + 18]),
                   axis=alt.Axis(format="+d", values=ticks),
                   title="概率差（B − A，个百分点）及95%置信区间" if zh else
                   "Difference (B − A, percentage points) and 95% interval")
    verdict_colour = alt.Color("verdict:N", scale=alt.Scale(domain=verdict_domain,
                                                            range=["#2e7d32", "#c62828", "#9e9e9e"]),
                               legend=alt.Legend(title=None, orient="top", direction="horizontal"))
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=INK).encode(x="x:Q")
    interval = alt.Chart(data).mark_rule(strokeWidth=3).encode(y=y_hidden, x=x_diff, x2="difference_high_points:Q",
                                                               color=verdict_colour)
    point = alt.Chart(data).mark_point(filled=True, size=150, opacity=1).encode(
        y=y_hidden, x="difference_points:Q", color=verdict_colour)
    text = alt.Chart(data).mark_text(align="left", dx=8, fontSize=14, color=INK).encode(
        y=y_hidden, x="difference_high_points:Q", text="difference_text:N")
    right = alt.layer(zero, interval, point, text).properties(width=360, height=height)
    chart = alt.hconcat(left, right, spacing=16).resolve_scale(color="independent")
    cost_a, cost_b = float(data["cost_a_100m_yuan"].iloc[0]), float(data["cost_b_100m_yuan"].iloc[0])
    n_same = int(data["identical_pairs"].sum())
    holm = uses_holm(data)  # the rule clear_direction used
    if zh:
        title = f"情景比较：{title_b}（B）对比 {title_a}（A）"
        subtitle = ["各目标的达成概率与概率差（B − A，单位：个百分点）；" + (
                        "绿/红：配对检验经Holm多重比较校正后显著（p<0.05），横线为各目标自身的95%置信区间。"
                        if holm else "区间跨过0即差异不显著。"),
                    (f"财政投入（{years[0]}–{years[1]}年合计）" if years else "财政投入（全期合计）")
                    + f"：A {cost_a:,.1f} 亿元，B {cost_b:,.1f} 亿元（差 {cost_b - cost_a:+,.1f} 亿元"
                    + (f"，年均 {(cost_b - cost_a) / (years[1] - years[0] + 1):+,.1f} 亿元" if years else "") + "）。"]
        if n_same:
            subtitle.append(f"{n_same}项目标的区间宽度为0：两情景在每一对同种子重复中的达成结果完全相同（不是精确估计）。")
    else:
        title = f"Scenario comparison: {title_b} (B) vs {title_a} (A)"
        subtitle = ["Probability of meeting each target and the difference B − A in percentage points; " + (
                        "green/red: clear after a paired test Holm-corrected over the targets (p < 0.05); bars are "
                        "each target's own 95% interval." if holm else "an interval across 0 is no clear difference."),
                    (f"City spending {years[0]}-{years[1]} in total" if years else "City spending over the period")
                    + f": A {cost_a:,.1f}, B {cost_b:,.1f} (100m yuan; difference {cost_b - cost_a:+,.1f}"
                    + (f", {(cost_b - cost_a) / (years[1] - years[0] + 1):+,.1f} a year" if years else "") + ")."]
        if n_same:
            subtitle.append(f"{n_same} targets have a zero-width interval: every pair of replicates on common seeds "
                            "had the same outcome under A and B (not a precise estimate).")
    foot = source.footnote(lang) if source is not None else (
        f"数据：weilai compare · 情景 {a}、{b}" if zh else f"Data: weilai compare · scenarios {a}, {b}")
    return finish_chart(chart, title, subtitle, foot, lang, "comparison")
