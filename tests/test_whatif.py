"""The what-if panel of the briefing page (sim.presentation.whatif): sliders and outputs from an emulator
trained in the test (conftest: emulator_dir), the same numbers as ``weilai emulate predict`` in headless
Chromium, an update time under 100 ms, nothing external, and a note instead of numbers from an emulator
that does not match the current model."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import require
from devtools import Browser, find_chromium

from sim.cli import main

SHOWN = """(function () {
  var root = document.getElementById('whatif');
  var out = {targets: {}, intervals: {}, quantiles: {}, time: document.getElementById('wi-time').textContent};
  root.querySelectorAll('tr[data-target]').forEach(function (row) {
    out.targets[row.dataset.target] = row.querySelector('.wi-p').textContent;
    out.intervals[row.dataset.target] = row.querySelector('.wi-iv').textContent;
  });
  root.querySelectorAll('td[data-quantile]').forEach(function (cell) {
    out.quantiles[cell.dataset.quantile] = cell.querySelector('.wi-q50').textContent;
  });
  return out;
})()"""

SET_SLIDER = """(function () {
  var s = document.querySelector('input[data-input="%s"]');
  s.value = '%s';
  s.dispatchEvent(new Event('input', {bubbles: true}));
  return parseFloat(s.value);
})()"""

SLIDER_BOX = """(function () {
  var s = document.querySelector('input[data-input="%s"]');
  s.scrollIntoView({block: 'center'});
  var b = s.getBoundingClientRect();
  return [b.left, b.top, b.width, b.height];
})()"""


@pytest.fixture(scope="module")
def page(ensemble_store, emulator_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("whatif") / "brief.html"
    assert main(["brief", str(ensemble_store.path), "--out", str(out), "--emulator", str(emulator_dir)]) == 0
    return out


def _section(text: str) -> str:
    start = text.index("<section id='whatif'")
    return text[start:text.index("</section>", start)]


def test_page_has_the_panel_and_nothing_external(page, emulator_dir):
    from sim.analysis.decision.emulator import load_emulator

    emu = load_emulator(emulator_dir)
    text = page.read_text(encoding="utf-8")
    panel = _section(text)
    sliders = re.findall(r"<input type='range'[^>]*data-input='([^']+)'", panel)
    assert sorted(sliders) == sorted(emu.input_names) and len(sliders) == len(emu.inputs)  # one per input
    for word in ("研发补助", "“1+N”产业基金", "甬江人才工程·青年人才", "创投环境", "亿元/年", "人/年", "恢复基准",
                 "模拟器近似", "不是模型运行结果"):
        assert word in panel, word
    for t in emu.targets:  # the target board's vocabulary
        assert f"data-target='{t['id']}'" in panel
    assert "未来产业头部企业（2027年 ≥ 10）" in panel
    s = json.loads((emulator_dir / "accuracy.json").read_text())["summary"]
    assert f"达成概率的平均绝对误差：{s['mae'] * 100:.1f}个百分点（{s['mixes']}个留出的政策组合，" \
           f"每组{s['replicates_per_mix']}次模型重复模拟作参照）" in panel
    assert f"95%区间覆盖率：{s['coverage_95_with_reference_error']:.0%}" in panel
    assert "function weilaiPredict" in panel and "const WEILAI_EMULATOR" in panel  # the evaluator, inline
    assert not re.search(r"https?://|fetch\(|XMLHttpRequest|import\(|<script[^>]+src=", panel)
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", text)


def test_slider_steps_put_the_base_on_the_grid():
    from sim.presentation.whatif import slider_step

    assert slider_step(0, 30, 6, False) == 0.5
    assert slider_step(0, 6, 0.5, False) == pytest.approx(0.1)
    assert slider_step(0.02, 0.2, 0.08, False) == pytest.approx(0.002)
    assert slider_step(0, 12, 0, True) == 1  # counts move by whole numbers
    assert slider_step(0, 600, 140, True) == 10
    assert slider_step(0, 12, 3.5, True) == 0.5  # unless the base is not a whole number


def _predict(emulator_dir, mix: dict[str, float], emu, tmp_path, capsys) -> dict:
    """``weilai emulate predict DIR SCENARIO --json`` for a scenario file that sets ``mix``."""
    levers: dict[str, dict[str, float]] = {}
    uncertainties = {}
    for spec in emu.inputs:
        if spec["name"] not in mix:
            continue
        parts = spec["path"].split(".")
        if parts[0] == "levers":
            levers.setdefault(parts[1], {})[parts[2]] = mix[spec["name"]]
        else:
            uncertainties[parts[1]] = mix[spec["name"]]
    lines = ['extends = "baseline"']
    for lever, values in levers.items():
        lines += [f"[levers.{lever}]", *(f"{k} = {float(v)!r}" for k, v in values.items())]
    if uncertainties:
        lines += ["[uncertainties]", *(f"{k} = {float(v)!r}" for k, v in uncertainties.items())]
    file = tmp_path / f"mix_{len(list(tmp_path.iterdir()))}.toml"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["emulate", "predict", str(emulator_dir), str(file), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _assert_shown_equals(shown: dict, predicted: dict) -> None:
    """The page's numbers equal the prediction to the precision they are shown with."""
    for row in predicted["targets"]:
        assert abs(int(shown["targets"][row["target"]].rstrip("%")) - 100 * row["probability"]) <= 0.5 + 1e-9, row
        low, high = (int(v) for v in re.findall(r"(\d+)%", shown["intervals"][row["target"]]))
        assert abs(low - 100 * row["low"]) <= 0.5 + 1e-9 and abs(high - 100 * row["high"]) <= 0.5 + 1e-9, row
    for row in predicted["quantiles"]:
        text = shown["quantiles"][f"{row['indicator']}@{row['year']}"]
        value = float(text.rstrip("%"))
        median = 100 * row["q50"] if text.endswith("%") else row["q50"]
        decimals = len(text.rstrip("%").partition(".")[2])
        assert abs(value - median) <= 0.5 * 10**-decimals + 1e-9, (row, text)


def test_sliders_move_the_numbers_to_what_emulate_predict_says(page, emulator_dir, tmp_path, capsys):
    from sim.analysis.decision.emulator import load_emulator

    binary = find_chromium()
    require(binary is not None, "Chromium not installed: apt-get install chromium")
    emu = load_emulator(emulator_dir)
    with Browser(binary, width=1366, height=768) as browser:
        browser.open(page.resolve().as_uri())
        assert browser.wait_for("window.weilaiWhatif && window.weilaiWhatif.ready", timeout=60)
        at_base = browser.evaluate(SHOWN)
        # a slider set through the DevTools protocol (value and an input event) ...
        assert browser.evaluate(SET_SLIDER % ("levers.guidance_fund", "25")) == 25
        assert browser.evaluate(SET_SLIDER % ("uncertainties.vc_climate", "0.5")) == 0.5
        # ... and one moved by a real mouse click on its track, 80% along
        left, top, width, height = browser.evaluate(SLIDER_BOX % "levers.talent_young")
        for kind in ("mousePressed", "mouseReleased"):
            browser.send("Input.dispatchMouseEvent", type=kind, x=left + 0.8 * width, y=top + height / 2,
                         button="left", clickCount=1)
        moved = browser.evaluate(SHOWN)
        state = browser.evaluate("window.weilaiWhatif")
        browser.evaluate("document.getElementById('wi-reset').click()")
        reset = browser.evaluate(SHOWN)
        reset_values = browser.evaluate("window.weilaiWhatif.values")
        errors = browser.errors()
    assert errors == []
    mix = state["values"]
    assert mix["levers.guidance_fund"] == 25 and mix["uncertainties.vc_climate"] == 0.5
    young = next(i for i in emu.inputs if i["name"] == "levers.talent_young")
    assert mix["levers.talent_young"] == pytest.approx(young["low"] + 0.8 * (young["high"] - young["low"]),
                                                       abs=0.05 * (young["high"] - young["low"]))
    assert state["updates"] >= 4  # the load, two input events and the click
    assert moved["targets"] != at_base["targets"] or moved["quantiles"] != at_base["quantiles"]
    _assert_shown_equals(moved, _predict(emulator_dir, mix, emu, tmp_path, capsys))
    _assert_shown_equals(at_base, _predict(emulator_dir, {}, emu, tmp_path, capsys))
    # the reset button restores the base
    assert reset_values == {i["name"]: i["base"] for i in emu.inputs}
    assert {k: v for k, v in reset.items() if k != "time"} == {k: v for k, v in at_base.items() if k != "time"}
    # the update time shown is what performance.now() measured, and under 100 ms
    shown_ms = float(re.search(r"本次更新用时 ([\d.]+) 毫秒", moved["time"]).group(1))
    assert 0 <= shown_ms < 100 and 0 <= state["lastMs"] < 100
    assert shown_ms == pytest.approx(state["lastMs"], abs=0.05)


def _stale_copy(emulator_dir, tmp_path, key: str, value: str):
    other = tmp_path / f"stale_{key}"
    shutil.copytree(emulator_dir, other)
    data = json.loads((other / "emulator.json").read_text(encoding="utf-8"))
    data["identity"][key] = value
    (other / "emulator.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return other


def test_a_stale_emulator_gives_a_note_not_numbers(ensemble_store, emulator_dir, tmp_path, capsys):
    from sim.presentation.whatif import load_whatif, whatif_html

    stale = _stale_copy(emulator_dir, tmp_path, "model_fingerprint", "0000000000000000")
    out = tmp_path / "stale.html"
    capsys.readouterr()
    assert main(["brief", str(ensemble_store.path), "--out", str(out), "--emulator", str(stale)]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("what-if panel")]
    assert len(printed) == 1 and printed[0].startswith("what-if panel left out:"), printed
    assert "the model has changed" in printed[0] and f"weilai emulate rebuild --out {stale}" in printed[0]
    panel = _section(out.read_text(encoding="utf-8"))
    assert "模型已更改" in panel and "0000000000000000" in panel and "weilai emulate rebuild" in panel
    for number_part in ("type='range'", "data-target", "data-quantile", "WEILAI_EMULATOR", "weilaiPredict"):
        assert number_part not in panel
    assert not re.search(r"\d+%", panel)

    other_draws = load_whatif(_stale_copy(emulator_dir, tmp_path, "calibration", "calibration/other.csv (1 draws)"))
    assert not other_draws.ready and [p[0] for p in other_draws.problems] == ["calibration"]
    note = whatif_html(other_draws, "zh")
    assert "校准参数（参数抽样）已更新" in note and "type='range'" not in note
    assert load_whatif(emulator_dir).ready  # the emulator trained in this session is current


def test_brief_without_the_panel_and_with_a_missing_emulator(ensemble_store, tmp_path, capsys):
    out = tmp_path / "plain.html"
    assert main(["brief", str(ensemble_store.path), "--out", str(out), "--no-whatif"]) == 0
    assert "id='whatif'" not in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["brief", str(ensemble_store.path), "--out", str(out), "--emulator", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "no emulator here" in err and "--emulator" in err and "Traceback" not in err


def test_every_lever_and_uncertainty_unit_has_a_display_label():
    """No slider shows a unit code (``units_per_year``): every unit of a lever or uncertainty has a label."""
    from sim.inputs.region import load_region
    from sim.presentation.labels import UNIT_LABELS

    space = load_region().space
    units = {f.unit for f in space.factors.values() if f.section in ("levers", "uncertainties")}
    assert units - set(UNIT_LABELS) == set()
