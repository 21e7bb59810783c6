"""The briefing page: generated text from the evaluated tables, provenance, offline HTML, and every
chart rendering in headless Chromium without console errors."""

from __future__ import annotations

import re

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
