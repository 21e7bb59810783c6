"""Sensitivity charts: Sobol' indices, Morris screening, and the ranking across outputs."""


from __future__ import annotations

import re
from collections.abc import Iterable

import altair as alt
import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.inputs.region import Region, load_region
from sim.presentation import labels as L
from sim.presentation.charts.provenance import Provenance
from sim.presentation.charts.style import INK, SECTION_COLOURS, finish_chart

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
    region = region or load_region()
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
    x = alt.X("value:Q",
              title="敏感性指数（误差线为置信区间）" if zh else "Sensitivity index (lines: confidence interval)",
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
        subtitle = ["Sobol指数：S1为单独作用，ST含交互作用；"
                    "左侧圆点颜色表示因素类型（政策杠杆、外部不确定性、行为参数）"]
    else:
        title = f"What drives '{label}'{year_text}"
        subtitle = ["Sobol indices: S1 alone, ST including interactions; the dot shows the factor's kind"]
    subtitle += _estimate_warning(total["value"], lang)
    subtitle += _sobol_warnings(rows, lang)
    foot = source.footnote(lang) if source is not None else ("数据：weilai analyze" if zh else "Data: weilai analyze")
    return finish_chart(chart, title, subtitle, foot, lang, "sobol")


def morris_chart(indices: pd.DataFrame, output: str, year: int | None = None, lang: str = "zh", label_top: int = 8,
                 source: Provenance | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Morris screening of one output: mean absolute elementary effect (mu*) against its spread
    (sigma); far right = important, high = non-linear or interacting. The ``label_top`` factors by mu*
    are named."""
    region = region or load_region()
    L.check_lang(lang)
    zh = lang == "zh"
    rows, year = _indices_for(indices, "morris", output, year)
    # dropna=False: a grouped factor has mu* but no sigma (NaN); it must stay on the chart
    wide = rows.pivot_table(index="factor", columns="index", values="value", aggfunc="first",
                            dropna=False).reset_index()
    if "mu_star" not in wide or "sigma" not in wide:
        raise InputError("Morris indices need mu_star and sigma", key="index", allowed="mu_star, sigma")
    wide = wide[wide["mu_star"].notna()]
    wide = _factor_frame(wide, lang, region).sort_values("mu_star", ascending=False)
    wide["sigma_known"] = wide["sigma"].notna()
    wide["sigma_note"] = np.where(wide["sigma_known"], "",
                                  "σ无法估计（分组因素）" if zh else "σ not estimable (grouped)")
    wide["sigma"] = wide["sigma"].fillna(0.0)  # drawn on the axis with an open marker
    big = wide["mu_star"] >= 0.15 * float(wide["mu_star"].max())
    wide["named"] = np.where((np.arange(len(wide)) < label_top) & big, wide["factor_label"], "")
    wide["label_sigma"] = _spread_labels(wide["mu_star"].to_numpy(float), wide["sigma"].to_numpy(float),
                                         wide["named"].to_numpy() != "")
    base = alt.Chart(wide)
    x = alt.X("mu_star:Q", title="μ*（平均绝对效应）" if zh else "μ* (mean absolute effect)",
              axis=alt.Axis(tickCount=6))
    y = alt.Y("sigma:Q", title="σ（效应离散度）" if zh else "σ (spread of effects)", axis=alt.Axis(tickCount=6))
    colour = _section_colour(wide["section"], lang)
    known = alt.Chart(wide[wide["sigma_known"]]).mark_point(filled=True, size=180, opacity=0.9).encode(
        x=x, y=y, color=colour, tooltip=["factor_label:N", "mu_star:Q", "sigma:Q"])
    grouped = alt.Chart(wide[~wide["sigma_known"]]).mark_point(
        filled=False, shape="square", size=200, strokeWidth=2.5, opacity=1).encode(
        x=x, y=y, color=colour, tooltip=["factor_label:N", "mu_star:Q", "sigma_note:N"])
    points = alt.layer(known, grouped)
    names = base.mark_text(align="left", dx=10, fontSize=14, color=INK).encode(
        x="mu_star:Q", y="label_sigma:Q", text="named:N")
    moved = alt.Chart(wide[(wide["named"] != "") & (wide["label_sigma"] != wide["sigma"])]).mark_rule(
        color="#bbbbbb").encode(x="mu_star:Q", y="sigma:Q", y2="label_sigma:Q")
    chart = alt.layer(moved, points, names).properties(width=760, height=420)
    label = L.output_label(output, lang, region)
    year_text = f"{year}年" if (zh and year) else (f" in {year}" if year else "")
    title = f"Morris筛选：“{label}”{year_text}" if zh else f"Morris screening: '{label}'{year_text}"
    subtitle = ["越靠右影响越大，越靠上越非线性或与其他因素交互" if zh else
                "Further right: more influence; higher: more non-linear or interacting"]
    unknown = wide[~wide["sigma_known"]]
    if len(unknown):
        names = ("、" if zh else ", ").join(unknown["factor_label"])
        subtitle.append(f"空心方块：分组因素，σ无法估计，画在σ=0处（{names}）" if zh else
                        f"Open squares: grouped factors without a sigma, drawn at σ = 0 ({names})")
    foot = source.footnote(lang) if source is not None else ("数据：weilai analyze" if zh else "Data: weilai analyze")
    return finish_chart(chart, title, subtitle, foot, lang, "morris")


def _sobol_warnings(rows: pd.DataFrame, lang: str) -> list[str]:
    """Subtitle lines for Sobol estimates no true index can have: a first-order index above the total
    index of the same factor, and intervals reaching below 0 (the estimate is indistinguishable from 0
    or the sample is too small)."""
    wide = rows.pivot_table(index="factor", columns="index", values="value", aggfunc="first")
    lines = []
    if {"S1", "ST"} <= set(wide.columns):
        above = wide[wide["S1"] > wide["ST"] + 1e-12]
        if len(above):
            lines.append(f"注意：{len(above)}个因素的S1大于ST（真实值不可能如此），"
                         "估计不可靠，请加大样本量N" if lang == "zh" else
                         f"Note: S1 above ST for {len(above)} factors (impossible for the true indices): "
                         "unreliable estimates, raise N")
    crossing = rows[rows["low"] < 0]
    if len(crossing):
        n = crossing["factor"].nunique()
        lines.append(f"注意：{n}个因素的置信区间跨过0，其效应与0无法区分" if lang == "zh" else
                     f"Note: the interval of {n} factors crosses 0: their effect cannot be told from 0")
    return lines


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
    region = region or load_region()
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
        y=y, x=x, color=alt.Color("score:Q",
                                  scale=alt.Scale(scheme="blues", domain=[0, float(max(rows["score"].max(), 1e-9))]),
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
    return finish_chart(chart, title, subtitle, foot, lang, "sensitivity_ranking")
