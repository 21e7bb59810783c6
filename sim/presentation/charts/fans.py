"""Fan charts: an indicator's median and 50%/90% bands over the years, per scenario."""


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
    KEY_INDICATORS,
    LIKELY_AT,
    QUANTILES,
    SCENARIO_COLOURS,
    city_totals,
    finish_chart,
    footnote_of,
    set_by_designation,
    summarise,
    titles_of,
    unit_suffix,
)

# ------------------------------------------------------------------------------ fan charts


def fan_table(results: pd.DataFrame, indicator: str, scenarios: list[str] | None = None,
              direction: str = "all", district: str = "all", lang: str = "zh",
              titles: dict[str, tuple[str, str]] | None = None, region: Region | None = None) -> pd.DataFrame:
    """Quantiles per scenario and year of one indicator in one scope (what a fan chart draws).

    Shares are converted to percent. Adds ``scenario_title``.
    """
    region = region or load_region()
    rows = results[(results["indicator"] == indicator) & (results["direction"] == direction)]
    if "district" in rows:
        rows = rows[rows["district"] == district]
    if scenarios is not None:
        rows = rows[rows["scenario"].isin(scenarios)]
    if rows.empty:
        raise InputError("no results for this indicator and scope", key="indicator", value=indicator,
                         allowed=", ".join(sorted(results["indicator"].unique())))
    table = summarise(rows, ["scenario", "year"])
    if L.is_share(indicator, region):
        for col in QUANTILES:
            table[col] = table[col] * 100
    table["year"] = table["year"].astype(int)
    table["scenario_title"] = [L.scenario_title(s, lang, titles) for s in table["scenario"]]
    return table


ZOOM_WIDTH = 150  # px of the near-term panel beside a fan
ZOOM_SPACING = 10
SQUASHED_BELOW = 0.2  # zoom when the near-term target and median reach below this share of the full scale
READS_UNIT_BY_UNIT = 10.0  # a full scale below this many units already shows each unit


def _goals(targets: Targets | None, indicator: str, years: list[int]) -> list:
    if targets is None:
        return []
    return [t for t in targets.target if t.indicator == indicator and years[0] <= t.year <= years[-1]]


def zoom_year(table: pd.DataFrame, indicator: str, targets: Targets | None, scope_is_city: bool) -> int | None:
    """The last year of a near-term zoom panel, or None when the near term already reads on the full scale.

    A fan spans 2024-2035; when an indicator has a target before the last year (the 2027 targets) and
    that target and the medians in its year sit in the bottom ``SQUASHED_BELOW`` of the whole fan's
    scale (which reaches at least ``READS_UNIT_BY_UNIT``), the near term is squashed under the later
    years: it gets its own panel with its own y scale.
    """
    if not scope_is_city:
        return None
    years = sorted(int(y) for y in table["year"].unique())
    early = [t for t in _goals(targets, indicator, years) if t.year < years[-1]]
    if not early:
        return None
    until = min(t.year for t in early)
    at_target = table[table["year"] == until]
    near_top = max([float(at_target["median"].max())] + [t.threshold for t in early if t.year == until])
    full_top = float(table[["p95", "median"]].max().max())
    squashed = full_top >= READS_UNIT_BY_UNIT and near_top < SQUASHED_BELOW * full_top
    return until if squashed else None


def _fan_cell(table: pd.DataFrame, indicator: str, lang: str, targets: Targets | None,
              scope_is_city: bool, width: int, height: int) -> alt.LayerChart | alt.FacetChart | alt.HConcatChart:
    """A fan over all years; beside it, when the near term is squashed, the years up to the first
    target on their own y scale (see :func:`zoom_year`). ``width`` is the cell's total width."""
    until = zoom_year(table, indicator, targets, scope_is_city)
    if until is None:
        return _fan_panel(table, indicator, lang, targets, scope_is_city, width, height)
    first = int(table["year"].min())
    zh = lang == "zh"
    full = _fan_panel(table, indicator, lang, targets, scope_is_city, width - ZOOM_WIDTH - ZOOM_SPACING, height,
                      x_title=f"{first}–{int(table['year'].max())}年" if zh else f"{first}-{int(table['year'].max())}",
                      shade_until=until)
    zoom = _fan_panel(table[table["year"] <= until], indicator, lang, targets, scope_is_city, ZOOM_WIDTH, height,
                      x_title=f"至{until}年（放大）" if zh else f"to {until} (zoom)")
    return alt.hconcat(full, zoom, spacing=ZOOM_SPACING).resolve_scale(y="independent")


def _fan_panel(table: pd.DataFrame, indicator: str, lang: str, targets: Targets | None,
               scope_is_city: bool, width: int, height: int, x_title: str | None = None,
               shade_until: int | None = None) -> alt.LayerChart | alt.FacetChart:
    zh = lang == "zh"
    order = list(dict.fromkeys(table["scenario_title"]))
    colour_scale = alt.Scale(domain=order, range=SCENARIO_COLOURS[:len(order)])
    legend_spec = alt.Legend(title=None, orient="top", direction="horizontal", symbolType="stroke",
                             symbolStrokeWidth=4, symbolSize=300, symbolOpacity=1) if len(order) > 1 else None
    # Every layer carries the same legend: Vega-Lite merges the legends of a shared colour scale, and
    # one layer with ``legend=None`` would hide the merged legend of the small multiples.
    colour = alt.Color("scenario_title:N", scale=colour_scale, legend=legend_spec)
    years = sorted(table["year"].unique())
    x = alt.X("year:Q", title=x_title, scale=alt.Scale(domain=[years[0], years[-1]], nice=False),
              axis=alt.Axis(format="d", labelAngle=0,
                            values=years[::2] if len(years) > 8 else years if width > 60 * len(years) else
                            [years[0], years[-1]],
                            titleFontSize=14, titleFontWeight="normal", titleColor=INK))
    # Two overlapping sets of bands blend into an unreadable colour: only the last scenario (the one
    # compared, B) gets bands; the others are median lines (dashed), so the comparator stays visible.
    base = alt.Chart(table)  # no y title: the unit is in the panel's title, upright
    banded = base.transform_filter(alt.datum.scenario_title == order[-1])
    others = base.transform_filter(alt.datum.scenario_title != order[-1])
    outer = banded.mark_area(opacity=0.18).encode(x=x, y=alt.Y("p05:Q", title=None), y2="p95:Q",
                                                             color=colour)
    inner = banded.mark_area(opacity=0.38).encode(x=x, y="p25:Q", y2="p75:Q", color=colour)
    line = banded.mark_line(strokeWidth=3).encode(x=x, y="median:Q", color=colour)
    layers: list = [outer, inner, line]
    if shade_until is not None:  # the years drawn again, zoomed, in the panel beside
        zone = pd.DataFrame({"start": [years[0]], "end": [shade_until]})
        layers.insert(0, alt.Chart(zone).mark_rect(color="#9e9e9e", opacity=0.12).encode(
            x=alt.X("start:Q", scale=alt.Scale(domain=[years[0], years[-1]], nice=False)), x2="end:Q"))
    if len(order) > 1:
        layers.append(others.mark_line(strokeWidth=3, strokeDash=[7, 4]).encode(
            x=x, y="median:Q", color=colour))
    if scope_is_city:
        goals = _goals(targets, indicator, years)
        if goals:
            sign = {">=": "≥", "<=": "≤"}
            goal_frame = pd.DataFrame({
                "year": [t.year for t in goals], "threshold": [t.threshold for t in goals],
                "text": [(f"{t.year}年目标 {sign.get(t.comparator, '')}{t.threshold:g}" if zh else
                          f"{t.year} target {sign.get(t.comparator, '')}{t.threshold:g}") for t in goals],
            })
            marks = alt.Chart(goal_frame)
            layers.append(marks.mark_point(shape="diamond", size=200, filled=True, color=INK).encode(
                x="year:Q", y="threshold:Q"))
            if shade_until is not None:  # the zoom beside labels the near-term targets
                marks = marks.transform_filter(alt.datum.year > shade_until)
            layers.append(marks.mark_text(align="right", dx=-10, dy=-12, fontSize=14, color=INK,
                                          fontWeight="bold").encode(x="year:Q", y="threshold:Q", text="text:N"))
    return alt.layer(*layers).properties(width=width, height=height)


def fan_chart(results: pd.DataFrame, indicator: str, scenarios: list[str] | None = None, direction: str = "all",
              district: str = "all", lang: str = "zh", source: Provenance | None = None,
              targets: Targets | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Fan chart of one indicator 2024-2035: median line, 50% and 90% bands, one colour per scenario,
    and the indicator's targets as diamonds.

    Args:
        results: Tidy results (store schema).
        indicator: Indicator id.
        scenarios: Scenarios to draw (default: all in ``results``).
        direction, district: Scope (default the city total).
        lang: ``zh`` or ``en``.
        source: Provenance for the footnote and scenario titles.
        targets: Targets to mark (default: the region's).
        region: The region (default Ningbo).
    """
    region = region or load_region()
    L.check_lang(lang)
    targets = targets or load_targets(region=region)
    table = fan_table(results, indicator, scenarios, direction, district, lang, titles_of(source), region)
    scope_is_city = direction == "all" and district == "all"
    panel = _fan_cell(table, indicator, lang, targets, scope_is_city, 820, 400)
    scope = L.scope_label(direction, district, lang, region)
    name = L.indicator_label(indicator, lang, region)
    note = L.indicator_note(indicator, lang, region)
    titles = list(dict.fromkeys(table["scenario_title"]))
    if lang == "zh":
        title = f"{scope}{name}{unit_suffix(indicator, lang, region)}，{table['year'].min()}–{table['year'].max()}年"
        subtitle = (f"{'、'.join(titles)} · 实线为中位数，深色带为50%区间，浅色带为90%区间"
                    + (f" · {note}" if note else ""))
    else:
        title = f"{name}{unit_suffix(indicator, lang, region)}, {scope.lower() if scope == 'City' else scope}, " \
                f"{table['year'].min()}-{table['year'].max()}"
        subtitle = (f"{'; '.join(titles)} · line: median; dark band: 50% range; light band: 90% range"
                    + (f" · {note}" if note else ""))
    return finish_chart(panel, title, subtitle, footnote_of(source, results, lang, list(table["scenario"].unique())),
                   lang, "fan_chart")


def at_risk_indicators(targets_table: pd.DataFrame, present: set[str], n: int = 4,
                       scenario: str | None = None, region: Region | None = None) -> list[str]:
    """The indicators of the targets least likely to be met under ``scenario`` (default: the last in
    name order, the one the fan charts draw with bands): targets not read as likely, lowest
    probability first, at most ``n``; targets the designation schedule sets are left out (nothing to
    watch); the key indicators fill up the rest."""
    region = region or load_region("ningbo")
    table = targets_table.dropna(subset=["probability"])
    if not table.empty:
        scenario = scenario if scenario is not None else sorted(map(str, table["scenario"].unique()))[-1]
        table = table[table["scenario"].astype(str) == scenario]
    table = table[[not set_by_designation(r.indicator, region, r) for r in table.itertuples()]]
    if "probability_low" in table:
        risky = table[table["probability_low"] < LIKELY_AT]
    else:
        risky = table[table["probability"] < LIKELY_AT]
    ranked = risky.groupby("indicator")["probability"].min().sort_values(kind="stable")
    chosen = [i for i in ranked.index if i in present][:n]
    chosen += [i for i in KEY_INDICATORS if i in present and i not in chosen][:n - len(chosen)]
    return chosen


def fan_charts(results: pd.DataFrame, indicators: list[str] | None = None, scenarios: list[str] | None = None,
               lang: str = "zh", source: Provenance | None = None, targets: Targets | None = None,
               region: Region | None = None, columns: int = 2,
               targets_table: pd.DataFrame | None = None) -> alt.VConcatChart:
    """Small multiples of fan charts (city totals), one panel per indicator, each with its own scale.
    With two or more scenarios the last one is drawn with bands and the others as dashed median lines.
    A panel whose 2027 target is squashed under the later years' scale gets a zoom of the years up to
    that target beside it, on its own y scale (see :func:`zoom_year`).

    Args:
        indicators: Indicator ids (default: with ``targets_table``, the indicators of the targets at
            risk, see :func:`at_risk_indicators`; else the key indicators present in the results).
        targets_table: Evaluated targets of the scenarios drawn (chooses the default indicators).
        columns: Panels per row.
        Other arguments as :func:`fan_chart`.
    """
    region = region or load_region()
    L.check_lang(lang)
    targets = targets or load_targets(region=region)
    present = set(results["indicator"].unique())
    at_risk = indicators is None and targets_table is not None and not targets_table.empty
    if indicators is None:
        indicators = (at_risk_indicators(targets_table, present, region=region) if at_risk else []) or \
            [i for i in KEY_INDICATORS if i in present] or sorted(present)[:4]
    missing = [i for i in indicators if i not in present]
    if missing:
        raise InputError("indicator not in the results", key="indicators", value=missing[0],
                         allowed=", ".join(sorted(present)))
    city = city_totals(results)
    width = 480 if columns >= 2 else 820
    height = 230 if len(indicators) > columns else 300
    panels = []
    scenario_names: list[str] = []
    for indicator in indicators:
        table = fan_table(city, indicator, scenarios, lang=lang, titles=titles_of(source), region=region)
        scenario_names = list(table["scenario"].unique())
        panel = _fan_cell(table, indicator, lang, targets, True, width, height)
        panels.append(panel.properties(title=alt.TitleParams(
            L.indicator_label(indicator, lang, region) + unit_suffix(indicator, lang, region),
            anchor="start", fontSize=17, fontWeight="bold", color=INK)))
    chart = alt.concat(*panels, columns=columns).resolve_scale(y="independent", color="shared")
    titles = [L.scenario_title(s, lang, titles_of(source)) for s in scenario_names]
    several = len(titles) > 1
    if lang == "zh":
        title = "有风险目标的指标走势（全市）" if at_risk else "关键指标走势（全市）"
        subtitle = [f"{'、'.join(titles)}",
                    "实线为中位数，深色带为50%区间，浅色带为90%区间，菱形为政策目标"
                    + (f"；区间带属于{titles[-1]}，虚线为其余情景的中位数" if several else "")]
    else:
        title = "Indicators of the targets at risk (city)" if at_risk else "Key indicators (city)"
        subtitle = [f"{'; '.join(titles)}",
                    "line: median; dark band: 50% range; light band: 90% range; diamond: target"
                    + (f"; bands: {titles[-1]}, dashed: the other scenarios' medians" if several else "")]
    return finish_chart(chart, title, subtitle, footnote_of(source, results, lang, scenario_names), lang, "fan_charts")
