"""Charts in notebooks without a network: ``offline_charts()`` switches altair to static SVG.

Altair's default ``html`` renderer loads Vega from a CDN, so on an intranet (the usual case for a city
government) every chart in JupyterLab and in exported HTML is an error. The ``svg`` renderer draws
each chart with vl-convert in the kernel and outputs a plain SVG: it shows in JupyterLab, in the
classic notebook, in nbconvert's HTML and on GitHub, with no JavaScript and no network.
"""

from __future__ import annotations


def offline_charts(scale: float = 1.0) -> str:
    """Register the CJK font with vl-convert and make altair render charts as inline SVG.

    Args:
        scale: SVG size relative to the chart's own size.

    Returns:
        The active renderer's name (``svg``).
    """
    import altair as alt

    from sim.presentation.fonts import cjk_font

    cjk_font()  # registers the packaged font, so Chinese text is measured and drawn correctly
    alt.renderers.enable("svg", scale_factor=scale)
    return alt.renderers.active
