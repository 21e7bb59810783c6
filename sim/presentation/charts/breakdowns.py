"""Breakdowns of an indicator by direction or district."""


from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from sim.analysis.targets import Targets, load_targets
from sim.core.errors import InputError
from sim.inputs.region import Region, load_region
from sim.presentation import labels as L
from sim.presentation.charts.provenance import Provenance
from sim.presentation.charts.spending import first_target_year
from sim.presentation.charts.style import (
    INK,
    finish_chart,
    footnote_of,
    format_value,
    summarise,
    titles_of,
)

# ------------------------------------------------------------------------------ breakdowns


def breakdown_table(results: pd.DataFrame, indicators: list[str], by: str = "direction", scenario: str | None = None,
                    targets: Targets | None = None, lang: str = "zh", region: Region | None = None) -> pd.DataFrame:
    """Which direction (or district) carries each indicator in its target year.

    ``share`` is the part's share of the indicator pooled over all replicates (sum over replicates of
    the part / sum over replicates of all parts; NaN when the indicator is zero everywhere); ``value``
    is the part's median across replicates (:func:`summarise`), ``city_median`` the median of the sum.

    Args:
        by: ``direction`` or ``district``.

    Returns:
        Rows (indicator, year, part, part_label, indicator_label, share, value, city_median).
    """
    region = region or load_region()
    if by not in ("direction", "district"):
        raise InputError("unknown breakdown", key="by", value=by, allowed="direction, district")
    targets = targets or load_targets(region=region)
    scenario = scenario if scenario is not None else str(results["scenario"].iloc[0])
    rows = results[(results["scenario"] == scenario) & results["indicator"].isin(indicators)]
    other = "district" if by == "direction" else "direction"
    parts = rows[(rows[by] != "all") & (rows[other] == "all")]
    if parts.empty and by == "district":  # only direction x district rows: add up the directions
        cross = rows[(rows["district"] != "all") & (rows["direction"] != "all")]
        parts = cross.groupby(["scenario", "replicate", "year", "district", "indicator"], observed=True)[
            "value"].sum().reset_index().assign(direction="all")
    if parts.empty:
        raise InputError(f"the results have no per-{by} rows", key=by)
    last_year = int(parts["year"].max())
    frames = []
    for indicator in indicators:
        year = first_target_year(indicator, targets, last_year)
        sub = parts[(parts["indicator"] == indicator) & (parts["year"] == year)].copy()
        part_sum = sub.groupby(by, observed=True)["value"].sum()
        total = float(part_sum.sum())
        shares = (part_sum / total if total > 0 else part_sum * np.nan).rename("share").reset_index()
        values = summarise(sub, [by])[[by, "median"]].rename(columns={"median": "value"})
        table = values.merge(shares, on=by, how="left")
        table["city_median"] = float(sub.groupby("replicate")["value"].sum().median())
        table["indicator"], table["year"] = indicator, year
        frames.append(table)
    out = pd.concat(frames, ignore_index=True).rename(columns={by: "part"})
    label = L.direction_label if by == "direction" else L.district_label
    out["part_label"] = [label(p, lang, region) for p in out["part"]]
    out["indicator_label"] = [
        L.indicator_label(i, lang, region) + (f"（{y}年，全市中位 {format_value(m, i, region)}）" if lang == "zh"
                                              else f" ({y}, city median {format_value(m, i, region)})")
        for i, y, m in zip(out["indicator"], out["year"], out["city_median"])]
    return out


def breakdown_chart(results: pd.DataFrame, indicators: list[str] | None = None, by: str = "direction",
                    scenario: str | None = None, lang: str = "zh", source: Provenance | None = None,
                    targets: Targets | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Heat table: rows are target indicators (in their target year), columns the nine directions
    (or the districts); colour is the part's median share of the total, the number its median value.

    Args:
        indicators: Default: the target indicators present with per-part rows.
        by: ``direction`` or ``district``.
    """
    region = region or load_region()
    L.check_lang(lang)
    zh = lang == "zh"
    targets = targets or load_targets(region=region)
    if indicators is None:
        wanted = list(dict.fromkeys(t.indicator for t in targets.target))
        indicators = [i for i in wanted if i in set(results["indicator"].unique())]
    data = breakdown_table(results, indicators, by, scenario, targets, lang, region)
    scenario = scenario if scenario is not None else str(results["scenario"].iloc[0])
    if by == "direction":
        part_order = [L.direction_label(d, lang, region) for d in region.directions]
    else:
        part_order = [L.district_label(d, lang, region) for d in region.districts]
    part_order = [p for p in part_order if p in set(data["part_label"])] + sorted(
        set(data["part_label"]) - set(part_order))
    row_order = list(dict.fromkeys(data["indicator_label"]))
    data["share_text"] = ["–" if pd.isna(v) else f"{v:.0%}" for v in data["share"]]
    base = alt.Chart(data)
    x = alt.X("part_label:N", sort=part_order, title=None,
              axis=alt.Axis(orient="top", labelAngle=0 if len(part_order) <= 9 else -30, labelFontSize=14,
                            labelLimit=120))
    y = alt.Y("indicator_label:N", sort=row_order, title=None, axis=alt.Axis(labelLimit=480, labelFontSize=15))
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=y, color=alt.condition("isValid(datum.share)", alt.Color(
            "share:Q", scale=alt.Scale(scheme="blues", domain=[0, 0.5], clamp=True),
            legend=alt.Legend(title="占全市比重" if zh else "Share of city", format="%", orient="right",
                              gradientLength=200)), alt.value("#eeeeee")))
    text = base.mark_text(fontSize=14).encode(
        x=x, y=y, text="share_text:N",
        color=alt.condition(alt.datum.share > 0.3, alt.value("white"), alt.value(INK)))
    cell = 92 if len(part_order) <= 9 else 72
    chart = alt.layer(cells, text).properties(width=cell * len(part_order), height=34 * len(row_order))
    name = L.scenario_title(scenario, lang, titles_of(source))
    what = ("方向", "directions") if by == "direction" else ("区（县、市）", "districts")
    if zh:
        title = f"各{what[0]}对目标指标的贡献"
        subtitle = f"{name} · 目标年份各{what[0]}占全市的比重（全部重复模拟合计）；“–”表示全市为零"
    else:
        title = f"Which {what[1]} carry each target indicator"
        subtitle = f"{name} · share of the city total in the target year (pooled over replicates); '–': zero city-wide"
    return finish_chart(chart, title, subtitle, footnote_of(source, results, lang, [scenario]), lang, f"breakdown_{by}")
