"""The briefing page: generated text from the evaluated tables, provenance, offline HTML, and every
chart rendering in headless Chromium without console errors."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import require
from devtools import Browser, find_chromium

from sim.cli import main
from sim.core.errors import InputError
from sim.presentation import brief

CHART_CHECK = """Array.from(document.querySelectorAll('div.vega')).map(function (div) {
  var svg = div.querySelector('svg');
  if (!svg) { return null; }
  var box = svg.getBoundingClientRect();
  return {width: box.width, height: box.height, marks: svg.querySelectorAll('path, rect, line, text').length,
          text: Array.from(svg.querySelectorAll('text')).map(function (t) { return t.textContent; }).join(' ')};
})"""


@pytest.fixture(scope="module")
def page(ensemble_store, comparison_file, tmp_path_factory, cjk_font_available):
    out = tmp_path_factory.mktemp("brief") / "brief.html"
    code = main(["brief", str(ensemble_store.path), str(comparison_file), "--out", str(out)])
    assert code == 0
    return out


def test_summary_counts_come_from_the_evaluated_table(page, targets_table):
    text = page.read_text(encoding="utf-8")
    for scenario in ("baseline", "talent_push"):
        rows = targets_table[targets_table["scenario"] == scenario]
        likely = int((rows["probability"] >= 0.8).sum())
        at_risk = int(((rows["probability"] >= 0.4) & (rows["probability"] < 0.8)).sum())
        unlikely = int((rows["probability"] < 0.4).sum())
        assert f"很可能达成{likely}项" in text and f"有风险{at_risk}项" in text and f"难以达成{unlikely}项" in text
    assert "基准情景：2024年现行政策延续（20次重复模拟）：14项目标" in text
    assert "人才与平台加码情景对比基准情景" in text


def test_target_summary_by_hand():
    table = pd.DataFrame({
        "scenario": "s", "target": ["a", "b", "c"], "indicator": ["head_enterprises", "standards", "chain_leaders"],
        "year": [2027, 2027, 2035], "comparator": ">=", "threshold": [10.0, 30.0, 2.0], "clause": "",
        "n_replicates": 50, "median": [12.0, 28.0, 0.0], "p05": [9.0, 20.0, 0.0], "p95": [15.0, 35.0, 1.0],
        "probability": [0.9, 0.5, 0.02], "probability_low": 0.0, "probability_high": 1.0,
        "first_year_median_meets": float("nan")})
    text = brief.target_summary(table, "s", "zh")
    assert ("3项目标（未注年份的为2027年目标）中，很可能达成1项（未来产业头部企业）；"
            "有风险1项（牵头或参与制定的未来产业标准）；难以达成1项（具有全球影响力的“链主”企业（2035年））") in text
    assert "达成概率最低的是具有全球影响力的“链主”企业（2035年）：目标2，中位数0，概率2%。" in text
    english = brief.target_summary(table, "s", "en")
    assert "1 likely (Head enterprises); 1 at risk" in english and "probability 2%" in english


def test_page_has_provenance_and_no_network_references(page, ensemble_store):
    text = page.read_text(encoding="utf-8")
    manifest = ensemble_store.manifest
    for scenario in manifest["design"]["scenarios"]:
        assert scenario["hash"] in text and scenario["file"] in text
    assert manifest["code_version"] in text and "synthetic test data (no calibration)" in text
    assert "vegaEmbed" in text
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"?https?:", text)
    assert "cdn.jsdelivr" not in text


def test_a_comparison_named_twice_is_briefed_once(ensemble_store, comparison_file, tmp_path):
    import shutil

    store = tmp_path / "with_comparison"
    shutil.copytree(ensemble_store.path, store)
    shutil.copy(comparison_file, store / "comparison.csv")
    inputs = brief.load_inputs([store, store / "comparison.csv"])
    assert len(inputs.comparisons) == 1 and inputs.comparisons[0][1] is not None  # the store's, with provenance
    assert len(brief.load_inputs([comparison_file, store]).comparisons) == 1


def test_a_sweep_store_gives_the_sensitivity_ranking_not_target_boards(ensemble_store, tmp_path):
    import json
    import shutil

    sweep = tmp_path / "sweep"
    shutil.copytree(ensemble_store.path, sweep)
    manifest = json.loads((sweep / "manifest.json").read_text())
    manifest["kind"] = "sweep"  # its runs sample the factor space: they are not replicates of a scenario
    (sweep / "manifest.json").write_text(json.dumps(manifest))
    inputs = brief.load_inputs([sweep])
    (only,) = inputs.stores
    assert only.results.empty and only.targets is None and only.indices is not None
    page = brief.build_brief(inputs, "zh")
    assert "id='sensitivity'" in page and "id='boards'" not in page and "次重复模拟" not in page


def test_brief_refuses_bad_input(tmp_path, capsys):
    assert main(["brief", str(tmp_path / "missing"), "--out", str(tmp_path / "b.html")]) == 2
    assert "not a result store" in capsys.readouterr().err
    bad = tmp_path / "table.csv"
    pd.DataFrame({"x": [1]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match="not a comparison table"):
        brief.load_inputs([bad])


def _render(path):
    binary = find_chromium()
    require(binary is not None, "Chromium not installed: apt-get install chromium")
    with Browser(binary) as browser:
        browser.open(path.resolve().as_uri())
        done = browser.wait_for("window.weilaiBrief && window.weilaiBrief.done", timeout=90)
        state = browser.evaluate("window.weilaiBrief")
        charts = browser.evaluate(CHART_CHECK)
        errors = browser.errors()
    return done, state, charts, errors


def test_every_chart_renders_in_chromium(page, cjk_font_available):
    require(cjk_font_available, "no CJK font: apt-get install fonts-wqy-microhei")
    done, state, charts, errors = _render(page)
    assert done, state
    assert state["total"] >= 8 and state["rendered"] == state["total"] and state["failed"] == 0
    assert len(charts) == state["total"]
    for chart in charts:
        assert chart is not None, "a chart has no SVG"
        assert chart["width"] > 300 and chart["height"] > 200 and chart["marks"] > 40
        assert re.search(r"[\u4e00-\u9fff]", chart["text"])
    assert errors == []


def test_chromium_check_catches_a_broken_chart(page, tmp_path):
    broken = tmp_path / "broken.html"
    text = page.read_text(encoding="utf-8")
    start = text.index('id="weilai-specs">')
    spec_part = text[start:].replace('"mark": {"type": "bar"', '"mark": {"type": "no_such_mark"', 1)
    broken.write_text(text[:start] + spec_part, encoding="utf-8")
    done, state, charts, errors = _render(broken)
    assert done and state["failed"] == 1
    assert any("failed" in e for e in errors)


def test_the_sobol_bars_shown_are_the_first_target_the_sweep_analysed():
    from sim.inputs.region import load_region

    indices = pd.DataFrame({"output": ["application_scenarios", "innovation_platforms", "breakthroughs"],
                            "year": [2035, 2027, 2027]})
    assert brief._first_target_output(indices, load_region("ningbo")) == ("innovation_platforms", 2027)
    assert brief._first_target_output(indices.assign(output="firms"), load_region("ningbo")) == ("firms", None)


def test_first_screen_has_headline_tiles_decision_and_caveat(page, targets_table, comparison_file):
    from sim.presentation import charts as C
    from sim.presentation.first_screen import reading_counts

    text = page.read_text(encoding="utf-8")
    start = text.index("<section id='first-screen'>")
    first = text[start:text.index("</section>", start)]
    assert first.index("class='headline'") < first.index("class='tiles'") < first.index("class='decision'") \
        < first.index("class='caveat'")
    for word in ("情景比较", "非预测", "假设", "留出检验"):
        assert word in first
    # tiles: counts per reading from the evaluated table, and money over the period with a yearly figure
    from sim.inputs.region import load_region

    counts = reading_counts(targets_table, "baseline", load_region())
    assert sum(counts.values()) == 14
    assert f"<b>{counts['likely']}</b><span>很可能</span>" in first
    assert re.search(r"2024–2035年合计[\d,.]+亿元，年均[\d,.]+亿元", first)
    # the comparison's clearly better targets are named with their change in percentage points
    table = pd.read_csv(comparison_file)
    better = table[table["difference_low"] > 0]
    if len(better):
        assert "个百分点" in first
    assert "每亿元能买到什么：本页未计算" in first  # no value.csv given
    assert C.READINGS  # the tiles' classes


def test_first_screen_value_bullet_reads_value_csv(ensemble_store, tmp_path):
    from sim.presentation.first_screen import value_bullet
    from sim.inputs.region import load_region

    value = pd.DataFrame({"lever": ["rd_grants", "talent_programme", "new_platforms"],
                          "target": ["head_enterprises_2027", "standards_2027", "platforms_2027"],
                          "delta_p": [0.10, 0.05, 0.02], "delta_p_low": [0.04, -0.01, 0.01],
                          "delta_p_high": [0.16, 0.11, 0.03], "extra_cost_100m_yuan": [10.0, 10.0, 10.0],
                          "delta_p_per_100m_yuan": [0.010, 0.005, 0.002]})
    text = value_bullet(value, "zh", load_region())
    assert "研发补助→未来产业头部企业（2027年） +1.0个百分点" in text or "研发补助→未来产业头部企业（2027年） +1个百分点" in text
    assert "甬江人才工程" not in text  # its interval crosses 0
    path = tmp_path / "value.csv"
    value.to_csv(path, index=False)
    out = brief.write_brief([ensemble_store.path], tmp_path / "b.html", value=path)
    assert "每亿元能买到什么（达成概率变化" in out.read_text(encoding="utf-8")
    value.drop(columns=["delta_p_low"]).to_csv(path, index=False)
    with pytest.raises(InputError, match="delta_p_low"):
        brief.write_brief([ensemble_store.path], tmp_path / "c.html", value=path)


def test_ties_are_named_and_an_unconverged_sweep_is_caveated():
    table = pd.DataFrame({
        "scenario": "s", "target": ["a", "b", "c"], "indicator": ["head_enterprises", "standards", "chain_leaders"],
        "year": [2027, 2027, 2035], "comparator": ">=", "threshold": [10.0, 30.0, 2.0], "clause": "",
        "n_replicates": 50, "median": [12.0, 28.0, 0.0], "p05": [9.0, 20.0, 0.0], "p95": [15.0, 35.0, 1.0],
        "probability": [0.9, 0.34, 0.34], "probability_low": 0.0, "probability_high": 1.0,
        "first_year_median_meets": float("nan")})
    text = brief.target_summary(table, "s", "zh")
    assert "达成概率最低的2项并列（均为34%）：牵头或参与制定的未来产业标准和具有全球影响力的“链主”企业（2035年）" in text
    from synthetic import synthetic_indices

    indices = synthetic_indices()
    assert "尚未收敛" in brief.sensitivity_summary(indices, "zh")  # no convergence check given
    converged = pd.DataFrame({"relative_change": [0.01, 0.03]})
    clean = indices.assign(conf=0.001)
    assert "尚未收敛" not in brief.sensitivity_summary(clean, "zh", convergence=converged)
    inflated = clean.copy()
    inflated.loc[inflated["index"] == "ST", "value"] += 1.0
    assert "总效应指数大于1" in brief.sensitivity_summary(inflated, "zh", convergence=converged)


def test_exports_pptx_xlsx_and_pdf(ensemble_store, comparison_file, tmp_path, cjk_font_available):
    import openpyxl
    from pptx import Presentation

    from sim.presentation.exports import SLIDE_HEIGHT_EMU, SLIDE_WIDTH_EMU, chromium_binary

    # slides: 16:9, title, a board per scenario, the comparison, what each 亿元 buys, the decision
    out = tmp_path / "brief.pptx"
    assert main(["brief", str(ensemble_store.path), str(comparison_file), "--format", "pptx", "--out", str(out)]) == 0
    deck = Presentation(str(out))
    assert (deck.slide_width, deck.slide_height) == (SLIDE_WIDTH_EMU, SLIDE_HEIGHT_EMU)
    assert abs(deck.slide_width / deck.slide_height - 16 / 9) < 0.01
    titles = [s.shapes.title.text for s in deck.slides]
    assert len(titles) == 6, titles
    assert titles[1].startswith("目标达成看板") and titles[2].startswith("目标达成看板")
    assert titles[3] == "情景比较" and titles[4] == "每亿元能买到什么" and titles[5] == "决策要点"
    pictures = [sh for s in list(deck.slides)[1:4] for sh in s.shapes if sh.shape_type == 13]
    assert len(pictures) == 3
    text = " ".join(sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame)
    assert "非预测" in text and "假设" in text

    # workbook: Chinese sheet and column names, numbers equal to the evaluated table
    book = tmp_path / "tables.xlsx"
    assert main(["export", str(ensemble_store.path), "--xlsx", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    assert {"目标达成", "财政投入", "关键指标", "来源"} <= set(wb.sheetnames)
    sheet = pd.read_excel(book, sheet_name="目标达成")
    assert {"情景", "目标", "达成概率", "判读"} <= set(sheet.columns)
    from sim.presentation import charts as C

    table = C.evaluated_targets(ensemble_store)
    merged = sheet.merge(table, left_on=["情景", "目标编号"], right_on=["scenario", "target"])
    assert len(merged) == len(table) and np.allclose(merged["达成概率"], merged["probability"], equal_nan=True)
    assert main(["export", str(ensemble_store.path), "--xlsx", str(tmp_path / "x.csv")]) == 2

    # PDF through Chromium's print (with the page's print stylesheet)
    require(chromium_binary() is not None, "no Chromium for --format pdf")
    pdf = tmp_path / "brief.pdf"
    assert main(["brief", str(ensemble_store.path), "--format", "pdf", "--out", str(pdf)]) == 0
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page") + data.count(b"/Type/Page") >= 2


def test_specs_in_the_page_are_strict_json():
    """Browsers' JSON.parse refuses NaN, which Python's json writes: the page's specs carry null instead."""
    import json as _json

    from sim.presentation.brief import _script_json

    text = _script_json([{"values": [{"a_median": float("nan"), "b": float("inf"), "c": 1.5}], "t": "</script>"}])
    assert "NaN" not in text and "Infinity" not in text and "</script" not in text
    assert _json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c))) == [
        {"values": [{"a_median": None, "b": None, "c": 1.5}], "t": "</script>"}]


def test_provenance_names_a_sweep_file_kept_outside_scenarios(tmp_path):
    """The sweep's row of the provenance table gives its file and hash, not "– · –"."""
    from engine_models import ISHIGAMI_FACTORS, ishigami_model

    from sim.analysis.sweep import load_sweep, run_sweep
    from sim.presentation.charts.provenance import Provenance

    elsewhere = tmp_path / "my_sweeps" / "tiny_trial.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text('title_zh = "小型试验"\ntitle_en = "Tiny trial"\nscenario = "baseline"\nmethod = "sobol"\n'
                         'samples = 4\nreplicates = 1\nseed = 3\nyears = [2027]\ntargets = false\n'
                         'outputs = ["breakthroughs"]\nfactors = ' + str(list(ISHIGAMI_FACTORS)).replace("'", '"')
                         + "\n", encoding="utf-8")
    store = run_sweep(load_sweep(elsewhere), tmp_path / "store", model=ishigami_model, workers=1, progress=False)
    source = Provenance.from_store(store)
    entry = next(s for s in source.scenarios if s["name"] == "tiny_trial")
    assert entry["file"] == str(elsewhere) and re.fullmatch(r"[0-9a-f]{16}", entry["hash"])
    assert source.titles()["tiny_trial"] == ("小型试验", "Tiny trial")
    table = brief._provenance_html(brief.BriefInputs(stores=[brief.StoreInput(
        store=store, provenance=source, results=pd.DataFrame(), targets=None, spending=pd.DataFrame(),
        indices=None)]), "zh")
    assert f"tiny_trial · {entry['hash']} · {elsewhere}" in table and "tiny_trial · – · –" not in table


def test_text_height_wraps_chinese_by_character_and_latin_narrower():
    from sim.presentation.exports import fitting_size_pt, text_height_pt

    assert text_height_pt(["一二三四五六七八九十"], 10, 50) == pytest.approx(2 * 12)  # 5 a line
    assert text_height_pt(["abcdefghij"], 10, 50) == pytest.approx(2 * 12)  # 8 (6 pt each) then 2
    assert text_height_pt(["一二三", "abc"], 10, 50, space_after_pt=10) == pytest.approx(2 * 12 + 20)
    inner = 12700 * 24 + 2 * 45720  # a frame 24 pt high inside its margins
    assert fitting_size_pt(["一二三四五"], 12700 * 100 + 2 * 91440, inner, 40) == 20  # one line of 5 at 20 pt
    assert fitting_size_pt(["一二三四五" * 20], 12700 * 100 + 2 * 91440, inner, 40) == 12  # never below 12 pt


def test_slides_stay_on_the_16_9_page_in_the_chinese_font_and_fit_their_text(ensemble_store, comparison_file,
                                                                              tmp_path):
    from pptx import Presentation
    from pptx.oxml.ns import qn

    from sim.presentation.exports import EMU_PER_PT, INSET_EMU, text_height_pt
    from sim.presentation.fonts import cjk_font

    out = tmp_path / "brief.pptx"
    assert main(["brief", str(ensemble_store.path), str(comparison_file), "--format", "pptx", "--out", str(out)]) == 0
    deck = Presentation(str(out))
    width, height = deck.slide_width, deck.slide_height
    family = cjk_font().family
    for number, slide in enumerate(deck.slides, 1):
        shapes = list(slide.shapes)
        for shape in shapes:
            where = f"slide {number}, {shape.name}"
            assert shape.left >= 0 and shape.top >= 0, where
            assert shape.left + shape.width <= width and shape.top + shape.height <= height, where
            if not shape.has_text_frame or not shape.text_frame.text:
                continue
            runs = [r for p in shape.text_frame.paragraphs for r in p.runs]
            sizes = {r.font.size.pt if r.font.size is not None else None for r in runs}
            assert None not in sizes and len(sizes) == 1, where
            for run in runs:
                assert run.font.name == family, where
                assert run.font._rPr.find(qn("a:ea")).get("typeface") == family, where
            space = max((p.space_after.pt if p.space_after is not None else 0.0)
                        for p in shape.text_frame.paragraphs)
            paragraphs = [p.text for p in shape.text_frame.paragraphs]
            inner_w = (shape.width - 2 * INSET_EMU[0]) / EMU_PER_PT
            inner_h = (shape.height - 2 * INSET_EMU[1]) / EMU_PER_PT
            assert text_height_pt(paragraphs, sizes.pop(), inner_w, space) <= inner_h, where
        # a slide's title ends above its chart
        pictures = [s for s in shapes if s.shape_type == 13]
        if pictures:
            assert slide.shapes.title.top + slide.shapes.title.height <= min(p.top for p in pictures), number
