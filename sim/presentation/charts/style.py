"""Chart constants, aggregation before drawing, and the common look (fonts, titles, footnotes, number format)."""


from __future__ import annotations

import math
from collections.abc import Iterable
from typing import cast

import altair as alt
import pandas as pd

from sim.analysis.targets import format_count
from sim.inputs.region import Region
from sim.presentation import labels as L
from sim.presentation.charts.provenance import Provenance, data_note

QUANTILES: dict[str, float] = {"p05": 0.05, "p25": 0.25, "median": 0.5, "p75": 0.75, "p95": 0.95}
LIKELY_AT = 0.8
AT_RISK_AT = 0.4
LIKELIHOODS = ("likely", "at_risk", "unlikely")
LIKELIHOOD_LABELS = {
    "likely": ("很可能达成", "likely"),
    "at_risk": ("有风险", "at risk"),
    "unlikely": ("难以达成", "unlikely"),
    "no_data": ("无数据", "no data"),
}
LIKELIHOOD_COLOURS = {"likely": "#2e7d32", "at_risk": "#e69500", "unlikely": "#c62828", "no_data": "#9e9e9e"}
# The reading of a target from its probability's interval (the board's colours and the brief's counts):
# the three classes when the whole interval lies in one, ``borderline`` when it straddles a cut.
READINGS = ("likely", "borderline", "at_risk", "unlikely")
READING_LABELS = {**LIKELIHOOD_LABELS, "borderline": ("临界（区间跨越分界）", "borderline (interval spans a cut)")}
READING_COLOURS = {**LIKELIHOOD_COLOURS, "borderline": "#8d6e63"}
# Indicators whose value the scenario sets rather than the simulation draws: the municipal pilot zones
# are the scenario's designation schedule (indicators.toml: "Zones designated by the city (the scenario's
# designation schedule)"). An indicator's ``set_by = "designation"`` in indicators.toml, or a ``set_by``
# column of the evaluated targets table, says the same and takes precedence.
DESIGNATION_SET = ("municipal_pilot_zones",)
SCENARIO_COLOURS = ["#1f5fa8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"]
PROJECT_COLOURS = ["#1f5fa8", "#e69500", "#2e7d32", "#c62828", "#7b3fa0", "#00838f", "#9e9e9e"]
SECTION_COLOURS = {"levers": "#1f5fa8", "uncertainties": "#d95f02", "parameters": "#7f7f7f", "other": "#bdbdbd"}
KEY_INDICATORS = ("head_enterprises", "innovation_platforms", "breakthroughs", "revenue_100m_yuan")
# Text for projected slides: labels of at least 15 px (30 px in the 2x PNG) in near-black ink, and a
# medium weight, which a browser takes from the reader's system font (Microsoft YaHei, PingFang have
# one). The PNG renderer has only the packaged Regular face, so there size and ink carry legibility.
PROJECTOR_WEIGHT = 500
MIN_TEXT_PX = 13  # no text on a chart is smaller
SLIDE_SCALE = 2.0  # PNG pixels per chart pixel: a ~960x540 chart becomes ~1920x1080
INK = "#111111"
MUTED = "#444444"  # dark enough to read on a projector


# ------------------------------------------------------------------------------ aggregation


def summarise(frame: pd.DataFrame, by: Iterable[str], value: str = "value") -> pd.DataFrame:
    """Median and 5/25/75/95% quantiles of ``value`` per group: the one aggregation every chart uses.

    Args:
        frame: Tidy rows, one per replicate (or per sample) and group.
        by: Grouping columns; everything else is pooled (normally the replicates).
        value: The column to summarise.

    Returns:
        One row per group: the ``by`` columns, ``p05, p25, median, p75, p95`` (linear interpolation,
        as ``numpy.quantile``) and ``n`` (rows pooled).
    """
    by = list(by)
    if frame.empty:
        return pd.DataFrame(columns=by + list(QUANTILES) + ["n"])
    grouped = frame.groupby(by, observed=True, sort=True)[value]
    table = grouped.quantile(list(QUANTILES.values())).unstack(level=-1)
    table.columns = list(QUANTILES)
    table["n"] = grouped.size()
    return table.reset_index()


def city_totals(results: pd.DataFrame) -> pd.DataFrame:
    """Rows of the city as a whole: direction ``all`` and district ``all``."""
    mask = results["direction"] == "all"
    if "district" in results:
        mask &= results["district"] == "all"
    return results[mask]


def likelihood(probability: float) -> str:
    """Likelihood class of a probability: ``likely``, ``at_risk``, ``unlikely`` or ``no_data`` (NaN)."""
    if probability is None or (isinstance(probability, float) and math.isnan(probability)):
        return "no_data"
    if probability >= LIKELY_AT:
        return "likely"
    if probability >= AT_RISK_AT:
        return "at_risk"
    return "unlikely"


def reading(probability: float, low: float | None = None, high: float | None = None) -> str:
    """Reading of a target from its probability and the probability's interval.

    ``likely`` / ``at_risk`` / ``unlikely`` when the whole interval ``[low, high]`` lies in that class,
    ``borderline`` when it straddles :data:`LIKELY_AT` or :data:`AT_RISK_AT` (80% with an interval of
    67-89% is borderline, not likely), ``no_data`` for a missing probability. Without an interval the
    point class of :func:`likelihood`.
    """
    point = likelihood(probability)
    if point == "no_data" or low is None or high is None or math.isnan(low) or math.isnan(high):
        return point
    low_class, high_class = likelihood(float(low)), likelihood(float(high))
    return low_class if low_class == high_class else "borderline"


def set_by_designation(indicator: str, region: Region, row: object | None = None) -> bool:
    """Whether a target indicator's value is set by the scenario's designation schedule (not drawn):
    such targets carry no sampling interval.

    Args:
        indicator: Indicator id.
        region: The region (its ``indicators.toml`` may say ``set_by = "designation"``).
        row: A row of an evaluated targets table; its ``set_by`` field, if present, decides.
    """
    value = getattr(row, "set_by", None) if row is not None else None
    if isinstance(value, str) and value:
        return value == "designation"
    declared = region.indicators.get(indicator, {}).get("set_by")
    if declared is not None:
        return declared == "designation"
    return indicator in DESIGNATION_SET


def points_text(difference: float, lang: str) -> str:
    """A probability difference in percentage points: ``+12个百分点`` / ``+12 pp``."""
    if difference is None or (isinstance(difference, float) and math.isnan(difference)):
        return "–"
    points = difference * 100
    number = "0" if abs(points) < 0.05 else f"{points:+.0f}" if abs(points) >= 1 else f"{points:+.1f}"
    return f"{number}个百分点" if lang == "zh" else f"{number} pp"



# ------------------------------------------------------------------------------ look and finish


def _font() -> str:
    from sim.presentation.fonts import (
        PREFERRED_FAMILIES,
        CjkFontMissingError,
        font_stack,
    )

    try:
        return font_stack()
    except CjkFontMissingError:
        return ", ".join(f"'{f}'" for f in PREFERRED_FAMILIES) + ", sans-serif"


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "", anchor="start", fontSize=24, fontWeight="bold",
                           subtitleFontSize=16, subtitleColor=MUTED, color=INK, offset=14)


def finish_chart(chart: alt.TopLevelMixin, title: str, subtitle: str | list[str] | None, footnote: str,
            lang: str, kind: str) -> alt.VConcatChart:
    """Wrap a chart with its title and footnote, apply the slide theme, record metadata.

    The title sits on an outer vertical concatenation so that legends stay below it; the footnote
    is a one-line text mark under the chart.
    """
    foot = alt.Chart(pd.DataFrame({"footnote": [footnote]})).mark_text(
        align="left", baseline="top", fontSize=13, color=MUTED).encode(
        text="footnote:N", x=alt.value(0), y=alt.value(0)).properties(width=10, height=12)
    if not isinstance(chart, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart)):
        chart = alt.hconcat(cast(alt.Chart, chart))  # a single view's top legend would otherwise sit above the title
    wrapped = alt.vconcat(chart, foot, spacing=20).properties(
        title=_title(title, subtitle),
        usermeta={"weilai": {"lang": lang, "chart": kind}},
        padding={"left": 16, "right": 24, "top": 16, "bottom": 12},
    )
    return (
        wrapped.configure(font=_font(), background="white")
        .configure_axis(labelFontSize=15, titleFontSize=16, labelColor=INK, titleColor=INK, gridColor="#e0e0e0",
                        domainColor="#777777", tickColor="#777777", labelFontWeight=PROJECTOR_WEIGHT,
                        titleFontWeight="bold")
        .configure_legend(labelFontSize=15, titleFontSize=15, symbolSize=180, labelLimit=360, titleLimit=360,
                          labelColor=INK, labelFontWeight=PROJECTOR_WEIGHT)
        .configure_header(labelFontSize=16, titleFontSize=16, labelColor=INK, labelFontWeight=PROJECTOR_WEIGHT)
        .configure_text(color=INK, fontWeight=PROJECTOR_WEIGHT)
        .configure_view(stroke=None)
        .configure_concat(spacing=24)
    )


def footnote_of(source: Provenance | None, frame: pd.DataFrame, lang: str, scenarios: list[str] | None = None) -> str:
    return source.footnote(lang, scenarios) if source is not None else data_note(frame, lang)


def titles_of(source: Provenance | None) -> dict[str, tuple[str, str]]:
    return source.titles() if source is not None else {}


def fmt_number(value: float) -> str:
    """A number for a label: integers without decimals, others with up to three significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value - round(value)) < 1e-9 and abs(value) < 1e7:
        return f"{int(round(value)):,}"  # noqa: RUF046 - round() of a numpy float is a float
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def format_value(value: float, indicator: str, region: Region) -> str:
    """An indicator value for a label: counts as whole numbers, shares in percent, others by :func:`fmt_number`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if L.is_share(indicator, region):
        return f"{value:.1%}"
    if indicator in region.indicators:  # the target indicators are counts: at most one decimal
        return format_count(value)
    return fmt_number(value)


def unit_suffix(indicator: str, lang: str, region: Region) -> str:
    unit = L.indicator_unit(indicator, lang, region)
    if not unit:
        return ""
    return f"（{unit}）" if lang == "zh" else f" ({unit})"
