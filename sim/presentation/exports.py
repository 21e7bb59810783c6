"""The briefing as slides (python-pptx) and PDF (Chromium print), and a store's tables as a workbook
with Chinese column names (openpyxl), for colleagues who work in PowerPoint and Excel.

Slides (16:9): the title with the headline and caveat, one target board per scenario, the
comparison, what each 亿元 buys, and the decision bullets; the charts are the same specs as the
page's, rendered to PNG by vl-convert. The PDF is the HTML page printed by headless Chromium with the
page's print stylesheet.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from sim.core.errors import InputError
from sim.inputs.region import Region, load_region
from sim.presentation import charts as C
from sim.presentation import labels as L

SLIDE_WIDTH_EMU = 12192000  # 13.333 in: 16:9
SLIDE_HEIGHT_EMU = 6858000  # 7.5 in

TARGET_COLUMNS_ZH = {
    "scenario": "情景", "target": "目标编号", "target_name": "目标", "year": "目标年份", "comparator": "比较",
    "threshold": "目标值", "n_replicates": "重复次数", "median": "中位数", "p05": "5%分位", "p95": "95%分位",
    "probability": "达成概率", "probability_low": "概率下限（95%）", "probability_high": "概率上限（95%）",
    "reading": "判读",
}
COMPARISON_COLUMNS_ZH = {
    "scenario_a": "情景A", "scenario_b": "情景B", "target": "目标编号", "target_name": "目标", "year": "目标年份",
    "threshold": "目标值", "probability_a": "A达成概率", "probability_b": "B达成概率",
    "difference_points": "概率差（B−A，个百分点）", "difference_low_points": "差值下限（个百分点）",
    "difference_high_points": "差值上限（个百分点）", "cost_a_100m_yuan": "A财政投入（亿元，全期）",
    "cost_b_100m_yuan": "B财政投入（亿元，全期）",
}
SPENDING_COLUMNS_ZH = {"scenario": "情景", "project": "重大工程", "lever": "政策杠杆", "year": "年份",
                       "value": "财政投入（亿元）"}
INDICATOR_COLUMNS_ZH = {"scenario": "情景", "indicator_name": "指标", "year": "年份", "median": "中位数",
                        "p05": "5%分位", "p25": "25%分位", "p75": "75%分位", "p95": "95%分位", "n": "重复次数"}


# ------------------------------------------------------------------------------ workbook


def store_tables(store_path: str | Path, region: Region | None = None) -> dict[str, pd.DataFrame]:
    """The tables of a result store with Chinese column names, one per worksheet."""
    from sim.engine.store import ResultStore

    region = region or load_region()
    path = Path(store_path)
    if not (path / "manifest.json").exists():
        raise InputError("not a result store (a folder with manifest.json)", file=path)
    store = ResultStore(path)
    results = store.results(city_only=True)
    if results.empty:
        raise InputError("the store has no results yet", file=path)
    sheets: dict[str, pd.DataFrame] = {}
    table = C.evaluated_targets(store, C.city_totals(results))
    boards = [C.board_table(table, str(s), "zh", region) for s in table["scenario"].unique()]
    targets = pd.concat(boards, ignore_index=True)
    targets["target_name"] = [L.short_target_label(r.indicator, r.year, "zh", region) for r in targets.itertuples()]
    targets["reading"] = targets["reading_label"]
    sheets["目标达成"] = targets[list(TARGET_COLUMNS_ZH)].rename(columns=TARGET_COLUMNS_ZH)
    comparison_file = path / "comparison.csv"
    if comparison_file.exists():
        comparison = pd.read_csv(comparison_file)
        comparison["target_name"] = [L.short_target_label(r.indicator, r.year, "zh", region)
                                     for r in comparison.itertuples()]
        for col in ("difference", "difference_low", "difference_high"):
            comparison[f"{col}_points"] = comparison[col] * 100
        sheets["情景比较"] = comparison[list(COMPARISON_COLUMNS_ZH)].rename(columns=COMPARISON_COLUMNS_ZH)
    spending = store.spending()
    if not spending.empty:
        rows = spending.groupby(["scenario", "lever", "year"], observed=True)["value"].median().reset_index()
        rows["project"] = [L.project_label(L.lever_project(lv)) for lv in rows["lever"]]
        rows["lever"] = [L.lever_label(lv) for lv in rows["lever"]]
        sheets["财政投入"] = rows[list(SPENDING_COLUMNS_ZH)].rename(columns=SPENDING_COLUMNS_ZH)
    city = C.city_totals(results)
    keys = [i for i in C.KEY_INDICATORS if i in set(city["indicator"])]
    summary = C.summarise(city[city["indicator"].isin(keys)], ["scenario", "indicator", "year"])
    summary["indicator_name"] = [L.indicator_label(i, "zh", region) for i in summary["indicator"]]
    sheets["关键指标"] = summary[list(INDICATOR_COLUMNS_ZH)].rename(columns=INDICATOR_COLUMNS_ZH)
    manifest = store.manifest
    sheets["来源"] = pd.DataFrame({"项目": ["结果库", "代码版本", "基准种子", "校准", "创建时间"],
                                 "内容": [str(path), str(manifest.get("code_version", "")),
                                        str(manifest.get("base_seed", manifest.get("seed", ""))),
                                        str(manifest.get("calibration", "")), str(manifest.get("created", ""))]})
    return sheets


def export_xlsx(store_path: str | Path, out: str | Path, region: Region | None = None) -> Path:
    """Write a store's tables to an Excel workbook (one sheet per table, Chinese column names)."""
    return write_xlsx(store_tables(store_path, region), out)


def write_xlsx(sheets: dict[str, pd.DataFrame], out: str | Path) -> Path:
    """Write tables to a workbook, one sheet each, with fitted column widths and a frozen header."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for i, column in enumerate(frame.columns, start=1):
                width = max([len(str(column)) * 2] + [len(str(v)) for v in frame[column].head(200)])
                sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = min(60, width + 2)
            sheet.freeze_panes = "A2"
    return out


# ------------------------------------------------------------------------------ slides


def _png(chart) -> bytes:
    import vl_convert

    from sim.presentation.fonts import cjk_font

    cjk_font()
    return vl_convert.vegalite_to_png(chart.to_dict(), scale=C.SLIDE_SCALE)


EMU_PER_PT = 12700
MARGIN_EMU = 457200  # 0.5 in around the slide's content
INSET_EMU = (91440, 45720)  # a text frame's default inner margin, left/right and top/bottom
ASCII_EM = 0.6  # width of a Latin character or digit relative to a Chinese one (1 em), rounded up
LINE_SPACING = 1.2  # line height relative to the font size
SPACE_AFTER_PT = 10
MIN_TEXT_PT = 12


def text_height_pt(paragraphs: list[str], size_pt: float, width_pt: float, space_after_pt: float = 0.0) -> float:
    """Height (pt) of paragraphs wrapped into ``width_pt`` at ``size_pt``: Chinese characters 1 em wide,
    ASCII ``ASCII_EM``, a break allowed after any character (as Chinese text breaks), lines
    ``LINE_SPACING`` em apart and ``space_after_pt`` after each paragraph."""
    lines = 0
    for paragraph in paragraphs:
        used, count = 0.0, 1
        for character in paragraph:
            width = size_pt * (ASCII_EM if ord(character) < 128 else 1.0)
            if used > 0 and used + width > width_pt:
                count, used = count + 1, 0.0
            used += width
        lines += count
    return lines * LINE_SPACING * size_pt + space_after_pt * len(paragraphs)


def fitting_size_pt(paragraphs: list[str], width_emu: int, height_emu: int, max_pt: int,
                    space_after_pt: float = 0.0) -> int:
    """The largest whole font size (at most ``max_pt``, at least ``MIN_TEXT_PT``) at which the
    paragraphs fit a text frame of that size (inner margins taken off)."""
    width_pt = (width_emu - 2 * INSET_EMU[0]) / EMU_PER_PT
    height_pt = (height_emu - 2 * INSET_EMU[1]) / EMU_PER_PT
    for size in range(max_pt, MIN_TEXT_PT - 1, -1):
        if text_height_pt(paragraphs, size, width_pt, space_after_pt) <= height_pt:
            return size
    return MIN_TEXT_PT


def _set_font(run, family: str, size_pt: int) -> None:
    """The run's size and its Latin, East Asian and complex-script typefaces (PowerPoint draws
    Chinese with the East Asian one, which the default theme leaves empty)."""
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    run.font.size = Pt(size_pt)
    run.font.name = family  # a:latin
    latin = run.font._rPr.find(qn("a:latin"))
    for tag in ("a:cs", "a:ea"):  # schema order: latin, ea, cs
        element = run.font._rPr.find(qn(tag))
        if element is None:
            element = latin.makeelement(qn(tag), {})
            latin.addnext(element)
        element.set("typeface", family)


def _fill(shape, paragraphs: list[str], max_pt: int, family: str, space_after_pt: float = 0.0) -> None:
    """Write paragraphs into a shape at the largest size that fits it, in ``family``."""
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Pt

    frame = shape.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    size = fitting_size_pt(paragraphs, shape.width, shape.height, max_pt, space_after_pt)
    frame.text = paragraphs[0] if paragraphs else ""
    for i, text in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if i > 0:
            paragraph.text = text
        paragraph.space_after = Pt(space_after_pt)
        for run in paragraph.runs:
            _set_font(run, family, size)


def _titled_slide(prs, title: str, family: str):
    """A title-only slide whose title spans the 16:9 width (the default layouts are laid out for 4:3)."""
    from pptx.util import Emu

    slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    heading = slide.shapes.title
    heading.left, heading.top = Emu(MARGIN_EMU), Emu(300000)
    heading.width, heading.height = Emu(SLIDE_WIDTH_EMU - 2 * MARGIN_EMU), Emu(900000)
    _fill(heading, [title], 30, family)
    return slide


def _text_slide(prs, title: str, lines: list[str], family: str, size: int = 20):
    from pptx.util import Emu

    slide = _titled_slide(prs, title, family)
    box = slide.shapes.add_textbox(Emu(600000), Emu(1400000), Emu(SLIDE_WIDTH_EMU - 1200000),
                                   Emu(SLIDE_HEIGHT_EMU - 1400000 - MARGIN_EMU))
    _fill(box, lines, size, family, SPACE_AFTER_PT)
    return slide


def _picture_slide(prs, title: str, png: bytes, family: str):
    from PIL import Image
    from pptx.util import Emu

    slide = _titled_slide(prs, title, family)
    width, height = Image.open(io.BytesIO(png)).size
    top, margin = 1300000, 300000
    box_w, box_h = SLIDE_WIDTH_EMU - 2 * margin, SLIDE_HEIGHT_EMU - top - margin
    scale = min(box_w / width, box_h / height)
    w, h = int(width * scale), int(height * scale)
    slide.shapes.add_picture(io.BytesIO(png), Emu((SLIDE_WIDTH_EMU - w) // 2), Emu(top), Emu(w), Emu(h))
    return slide


def brief_pptx(inputs, out: str | Path, lang: str = "zh", title: str | None = None,
               value: pd.DataFrame | None = None, region: Region | None = None, progress=None) -> Path:
    """Write the briefing as 16:9 slides: title (headline, caveat), target boards, comparison, what
    each 亿元 buys, the decision bullets."""
    from pptx import Presentation
    from pptx.util import Emu

    from sim.presentation.first_screen import caveat_lines, decision_bullets, headline, tiles, value_bullet
    from sim.presentation.fonts import cjk_font

    region = region or load_region()
    zh = lang == "zh"
    say = progress or (lambda _message: None)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(SLIDE_WIDTH_EMU), Emu(SLIDE_HEIGHT_EMU)
    titles: dict = {}
    for s in inputs.stores:
        titles.update(s.provenance.titles())
    comparison = inputs.comparisons[0][0] if inputs.comparisons else None
    tile_list = tiles(inputs.stores, lang, region)
    family = cjk_font().family
    first = prs.slides.add_slide(prs.slide_layouts[0])
    heading, sub = first.shapes.title, first.placeholders[1]
    heading.left, heading.top = Emu(2 * MARGIN_EMU), Emu(1500000)
    heading.width, heading.height = Emu(SLIDE_WIDTH_EMU - 4 * MARGIN_EMU), Emu(1300000)
    sub.left, sub.top = Emu(2 * MARGIN_EMU), Emu(3000000)
    sub.width, sub.height = Emu(SLIDE_WIDTH_EMU - 4 * MARGIN_EMU), Emu(SLIDE_HEIGHT_EMU - 3000000 - MARGIN_EMU)
    _fill(heading, [title or ("宁波未来产业发展模拟简报" if zh else "Ningbo future industries: briefing")], 40, family)
    _fill(sub, [headline(tile_list, comparison, titles, lang), caveat_lines(lang)[0]], 24, family, SPACE_AFTER_PT)
    for t in tile_list:
        say(f"slide: target board {t.scenario}")
        store = next(s for s in inputs.stores if s.targets is not None and t.scenario in set(s.targets["scenario"]))
        board = C.target_board(store.targets, t.scenario, lang, store.provenance, region)
        _picture_slide(prs, ("目标达成看板｜" if zh else "Targets: ") + t.title, _png(board), family)
    for table, provenance in inputs.comparisons:
        say("slide: comparison")
        _picture_slide(prs, "情景比较" if zh else "Scenario comparison",
                       _png(C.comparison_chart(table, lang, provenance, region)), family)
    _text_slide(prs, "每亿元能买到什么" if zh else "What each 100m yuan buys", [value_bullet(value, lang, region)],
                family)
    targets_by_scenario = {str(sc): s.targets for s in inputs.stores if s.targets is not None
                           for sc in s.targets["scenario"].unique()}
    bullets = decision_bullets(comparison, targets_by_scenario, value, lang, region, titles)
    _text_slide(prs, "决策要点" if zh else "The decision", bullets + caveat_lines(lang)[1:], family, size=22)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(out))
    return out


# ------------------------------------------------------------------------------ PDF


def _fontconfig_with_packaged_font(folder: Path) -> dict[str, str]:
    """An environment whose fontconfig also sees the packaged CJK font (for a machine without one)."""
    try:
        from sim.presentation.fonts import cjk_font

        font_dir = cjk_font().path.parent
    except Exception:  # noqa: BLE001 - print with the system fonts then
        return dict(os.environ)
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{font_dir}</dir><cachedir>{folder / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def chromium_binary() -> str | None:
    """A Chromium or Chrome executable on PATH (or ``WEILAI_CHROMIUM``)."""
    named = os.environ.get("WEILAI_CHROMIUM")
    if named and Path(named).exists():
        return named
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html_file: str | Path, out: str | Path, timeout: float = 180.0) -> Path:
    """Print an HTML page to PDF with headless Chromium (the page's print stylesheet applies).

    Raises:
        InputError: if no Chromium is installed or the print fails.
    """
    binary = chromium_binary()
    if binary is None:
        raise InputError("printing to PDF needs Chromium or Chrome", key="--format", value="pdf",
                         allowed="install chromium (apt-get install chromium), "
                         "or set WEILAI_CHROMIUM; or use html/pptx")
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = _fontconfig_with_packaged_font(Path(tmp))
        command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                   f"--user-data-dir={tmp}/profile", "--virtual-time-budget=60000",
                   "--run-all-compositor-stages-before-draw",
                   f"--print-to-pdf={out}", Path(html_file).resolve().as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if not out.exists() or out.stat().st_size == 0:
        raise InputError(f"Chromium did not print the page: {done.stderr.strip()[-300:]}", key="--format", value="pdf")
    return out
