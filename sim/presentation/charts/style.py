"""Chart constants, aggregation before drawing, and the common look (fonts, titles, footnotes, number format)."""


from __future__ import annotations

import math
from typing import Iterable

import altair as alt
import pandas as pd

from sim.analysis.targets import format_count
from sim.inputs.region import Region
from sim.presentation import labels as L
from sim.presentation.charts.provenance import Provenance, _data_note

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
SCENARIO_COLOURS = ["#1f5fa8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"]
PROJECT_COLOURS = ["#1f5fa8", "#e69500", "#2e7d32", "#c62828", "#7b3fa0", "#00838f", "#9e9e9e"]
SECTION_COLOURS = {"levers": "#1f5fa8", "uncertainties": "#d95f02", "parameters": "#7f7f7f", "other": "#bdbdbd"}
KEY_INDICATORS = ("head_enterprises", "innovation_platforms", "breakthroughs", "revenue_100m_yuan")
SLIDE_SCALE = 2.0  # PNG pixels per chart pixel: a ~960x540 chart becomes ~1920x1080
INK = "#222222"
MUTED = "#666666"


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
                           subtitleFontSize=15, subtitleColor=MUTED, color=INK, offset=14)


def _finish(chart: alt.TopLevelMixin, title: str, subtitle: str | list[str] | None, footnote: str,
            lang: str, kind: str) -> alt.VConcatChart:
    """Wrap a chart with its title and footnote, apply the slide theme, record metadata.

    The title sits on an outer vertical concatenation so that legends stay below it; the footnote
    is a one-line text mark under the chart.
    """
    foot = alt.Chart(pd.DataFrame({"footnote": [footnote]})).mark_text(
        align="left", baseline="top", fontSize=12, color=MUTED).encode(
        text="footnote:N", x=alt.value(0), y=alt.value(0)).properties(width=10, height=12)
    if not isinstance(chart, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart)):
        chart = alt.hconcat(chart)  # a single view's top legend would otherwise sit above the title
    wrapped = alt.vconcat(chart, foot, spacing=20).properties(
        title=_title(title, subtitle),
        usermeta={"weilai": {"lang": lang, "chart": kind}},
        padding={"left": 16, "right": 24, "top": 16, "bottom": 12},
    )
    return (
        wrapped.configure(font=_font(), background="white")
        .configure_axis(labelFontSize=14, titleFontSize=15, labelColor=INK, titleColor=INK, gridColor="#e6e6e6",
                        domainColor="#999999", tickColor="#999999", titleFontWeight="normal")
        .configure_legend(labelFontSize=14, titleFontSize=14, symbolSize=160, labelLimit=360, titleLimit=360)
        .configure_header(labelFontSize=15, titleFontSize=15)
        .configure_view(stroke=None)
        .configure_concat(spacing=24)
    )


def _footnote(source: Provenance | None, frame: pd.DataFrame, lang: str, scenarios: list[str] | None = None) -> str:
    return source.footnote(lang, scenarios) if source is not None else _data_note(frame, lang)


def _titles(source: Provenance | None) -> dict[str, tuple[str, str]]:
    return source.titles() if source is not None else {}


def _fmt(value: float) -> str:
    """A number for a label: integers without decimals, others with up to three significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value - round(value)) < 1e-9 and abs(value) < 1e7:
        return f"{int(round(value)):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _fmt_value(value: float, indicator: str, region: Region) -> str:
    """An indicator value for a label: counts as whole numbers, shares in percent, others by :func:`_fmt`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if L.is_share(indicator, region):
        return f"{value:.1%}"
    if indicator in region.indicators:  # the target indicators are counts: at most one decimal
        return format_count(value)
    return _fmt(value)


def _unit_suffix(indicator: str, lang: str, region: Region) -> str:
    unit = L.indicator_unit(indicator, lang, region)
    if not unit:
        return ""
    return f"（{unit}）" if lang == "zh" else f" ({unit})"
