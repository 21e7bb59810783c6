"""Export (PNG, SVG, self-contained HTML) and the charts of an ensemble store for ``weilai run``."""


from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import altair as alt
import pandas as pd

from sim.analysis.targets import evaluate_targets, load_targets
from sim.core.errors import InputError
from sim.inputs.region import Region, load_region
from sim.presentation import labels as L
from sim.presentation.charts.board import target_board
from sim.presentation.charts.comparison import comparison_chart
from sim.presentation.charts.fans import fan_charts
from sim.presentation.charts.provenance import Provenance
from sim.presentation.charts.style import SLIDE_SCALE, city_totals

# ------------------------------------------------------------------------------ export

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def chart_spec(chart: alt.TopLevelMixin) -> dict:
    """The Vega-Lite spec (dict) of a chart."""
    return chart.to_dict()


def save_chart(chart: alt.TopLevelMixin, path: str | Path, formats: Iterable[str] = ("png", "svg", "html"),
               scale: float = SLIDE_SCALE) -> list[Path]:
    """Write a chart as PNG (``scale`` x its size: ~1920x1080 for the builders' charts), SVG and a
    self-contained HTML page (Vega libraries inlined, works offline).

    Args:
        chart: An altair chart.
        path: Output path; its suffix, if any, is replaced per format.
        formats: Any of ``png``, ``svg``, ``html``.
        scale: PNG pixels per chart pixel.

    Raises:
        CjkFontMissingError: if the chart has Chinese text and no CJK font is available.
    """
    import vl_convert

    spec = chart_spec(chart)
    text = json.dumps(spec, ensure_ascii=False)
    if CJK.search(text):
        from sim.presentation.fonts import cjk_font

        cjk_font()  # raises with instructions if there is none; registers a non-system font
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        out = path.with_suffix(f".{fmt}")
        if fmt == "png":
            out.write_bytes(vl_convert.vegalite_to_png(spec, scale=scale))
        elif fmt == "svg":
            out.write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")
        elif fmt == "html":
            out.write_text(chart_html(spec), encoding="utf-8")
        else:
            raise InputError("unknown chart format", key="formats", value=fmt, allowed="png, svg, html")
        written.append(out)
    return written


# Text from scenario files (titles, descriptions) reaches the page inside a JavaScript literal;
# "<", ">" and "&" travel as placeholders through vl-convert and come out as \u escapes, so no text can
# close the <script> element or open another one, while the chart still shows the text exactly.
_HTML_PLACEHOLDERS = {"<": "\ue000", ">": "\ue001", "&": "\ue002"}
_HTML_ESCAPES = {"\ue000": "\\u003c", "\ue001": "\\u003e", "\ue002": "\\u0026"}


def chart_html(spec: dict) -> str:
    """A self-contained HTML page of a Vega-Lite spec (Vega libraries inlined), with every text of the
    spec escaped for the script it sits in: the one place HTML charts are written."""
    import vl_convert

    def hide(value):
        if isinstance(value, str):
            for char, mark in _HTML_PLACEHOLDERS.items():
                value = value.replace(char, mark)
            return value
        if isinstance(value, dict):
            return {hide(k): hide(v) for k, v in value.items()}
        if isinstance(value, list):
            return [hide(v) for v in value]
        return value

    page = vl_convert.vegalite_to_html(hide(spec), bundle=True)
    for mark, escape in _HTML_ESCAPES.items():
        page = page.replace(mark, escape)
    return page


def evaluated_targets(store, results: pd.DataFrame | None = None, region: Region | None = None) -> pd.DataFrame:
    """The store's evaluated target table: its ``targets.csv`` if present, else evaluated from its results."""
    file = Path(store.path) / "targets.csv"
    if file.exists():
        return pd.read_csv(file)
    region = region or load_region()
    results = results if results is not None else store.results(city_only=True)
    return evaluate_targets(city_totals(results), load_targets(region=region))


def write_run_charts(store_path: str | Path, out_dir: str | Path | None = None, lang: str = "zh") -> list[Path]:
    """Charts of an ensemble store for ``weilai run`` and ``weilai compare``: the target board of each
    scenario, a fan chart of the key indicators (all scenarios of the store) and, when the store holds
    a ``comparison.csv``, the comparison chart; each as PNG, SVG and HTML.

    Args:
        store_path: The ensemble's result store.
        out_dir: Where to write (default ``<store>/charts``).
        lang: ``zh`` or ``en``.

    Returns:
        The files written.
    """
    from sim.engine.store import ResultStore

    L.check_lang(lang)
    store = ResultStore(store_path)
    results = store.results(city_only=True)
    if results.empty:
        raise InputError("the store has no results yet", file=store.path)
    source = Provenance.from_store(store, results)
    out = Path(out_dir) if out_dir is not None else store.path / "charts"
    table = evaluated_targets(store, results)
    written: list[Path] = []
    for scenario in table["scenario"].unique():
        board = target_board(table, scenario=str(scenario), lang=lang, source=source)
        written += save_chart(board, out / f"target_board_{_slug(str(scenario))}_{lang}")
    written += save_chart(fan_charts(results, lang=lang, source=source, targets_table=table),
                          out / f"key_indicators_{lang}")
    comparison = store.path / "comparison.csv"
    if comparison.exists():
        chart = comparison_chart(pd.read_csv(comparison), lang=lang, source=source)
        written += save_chart(chart, out / f"comparison_{lang}")
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)
