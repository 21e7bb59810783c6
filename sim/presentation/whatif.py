"""The what-if panel of the briefing page: one slider per emulator input (each lever's amount or count
per year and each major uncertainty the emulator was trained on), and every target's probability with
its interval and the key indicators' medians, recomputed in the browser on every slider move.

The numbers come from the emulator (:mod:`sim.analysis.decision.emulator`) exported into the page as a
self-contained script (:func:`sim.analysis.decision.export.export_js`, ``weilaiPredict``, equal to
:meth:`Emulator.predict`): no server, no network. Beside the panel: the emulator's accuracy on held-out
mixes (its ``accuracy.json``) and the caveat that these are emulator approximations, not model runs.

An emulator that no longer matches the current base scenario, calibration or model
(:func:`sim.analysis.decision.emulator.staleness`) never shows numbers: the panel is replaced by a
note saying what is wrong and which command fixes it.

The panel sets ``window.weilaiWhatif = {ready, updates, lastMs, values}`` (the browser test reads it).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

from sim.analysis.decision.emulator import Emulator, load_emulator, shipped_emulator_dir, staleness
from sim.analysis.decision.export import export_js
from sim.core.errors import InputError
from sim.inputs.region import Region, load_region
from sim.presentation import labels as L
from sim.presentation.charts.style import AT_RISK_AT, LIKELY_AT, READING_COLOURS, set_by_designation

COUNT_UNITS = ("people_per_year", "platforms_per_year", "scenarios_per_year")
STALE_WORDS = {
    "base_scenario": ("基准情景已改变", "the base scenario has changed"),
    "calibration": ("校准参数（参数抽样）已更新", "the calibration (parameter draws) has changed"),
    "model_fingerprint": ("模型已更改（基准情景在固定种子下的运行结果与训练时不同）",
                          "the model has changed (the base scenario at the fixed seed gives other results)"),
    "missing": ("找不到模拟器文件", "no emulator file"),
    "format": ("模拟器文件无法读取或格式过旧", "the emulator cannot be read or is of an old format"),
    "region": ("模拟器属于另一个城市", "the emulator is for another region"),
}


@dataclass
class WhatIf:
    """The emulator behind the panel and whether it may be shown.

    Attributes:
        folder: The emulator folder. shipped: Whether it is the project's shipped emulator.
        emulator: The loaded emulator (None if it could not be read).
        problems: ``(what, now, at_training)`` per mismatch (keys of :data:`STALE_WORDS`); empty: current.
    """

    folder: Path
    shipped: bool
    emulator: Emulator | None
    problems: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def where(self) -> str:
        """The folder as the user would type it (relative to the working directory when inside it)."""
        try:
            return str(self.folder.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(self.folder)

    @property
    def ready(self) -> bool:
        """True if the panel may show the emulator's numbers."""
        return self.emulator is not None and not self.problems

    def fix_command(self) -> str:
        """The command that rebuilds this emulator."""
        return "weilai emulate rebuild" if self.shipped else f"weilai emulate rebuild --out {self.where}"

    def status_line(self) -> str:
        """One line for the terminal: what the page's what-if panel shows, or why it is left out."""
        if self.ready:
            assert self.emulator is not None
            acc = self.emulator.accuracy.get("summary", {})
            mae = f"held-out MAE {acc['mae']:.3f}" if "mae" in acc else "no accuracy report"
            return (f"what-if panel: emulator {self.where} ({len(self.emulator.inputs)} sliders, trained on "
                    f"{self.emulator.identity.get('training_runs', '?')} runs; {mae})")
        reasons = "; ".join(f"{STALE_WORDS[w][1]} (now {now}, trained {then})" if now or then else STALE_WORDS[w][1]
                            for w, now, then in self.problems)
        return (f"what-if panel left out: the emulator {self.where} does not match the current model: {reasons}; "
                f"fix: {self.fix_command()}")


def load_whatif(folder: str | Path | None = None, region: Region | None = None) -> WhatIf:
    """Load an emulator for the panel (default: the shipped one) and check that it is current.

    Raises:
        InputError: if a folder was named and it holds no emulator (the shipped one missing is a note).
    """
    region = region or load_region()
    shipped = folder is None
    path = Path(folder) if folder is not None else shipped_emulator_dir(region.name)
    if not shipped and not (path / "emulator.json").is_file() and not path.is_file():
        raise InputError("no emulator here", file=path, key="--emulator",
                         allowed="a folder written by weilai emulate train or rebuild (with emulator.json)")
    try:
        emu = load_emulator(path)
    except InputError as exc:
        what = "missing" if "no emulator" in exc.problem else "format"
        return WhatIf(path, shipped, None, [(what, "", exc.message() if what == "format" else "")])
    if emu.identity.get("region") != region.name:
        return WhatIf(path, shipped, emu, [("region", region.name, str(emu.identity.get("region")))])
    return WhatIf(path, shipped, emu, staleness(emu))


# ------------------------------------------------------------------------------ sliders


def slider_step(low: float, high: float, base: float, count: bool) -> float:
    """The largest 1-2-5 step of at most 1/50 of the range (at least 1 for counts, if the base allows)
    on which the base and both ends of the range lie."""
    span = high - low
    limit = max(1.0, span / 50) if count else span / 50
    for exponent in range(math.floor(math.log10(span)), -7, -1):
        for mantissa in (5, 2, 1):
            step = mantissa * 10.0**exponent
            if step <= limit + 1e-12 and all(abs(n - round(n)) < 1e-6 for n in ((base - low) / step, span / step)):
                return step
    return span / 100


def _digits(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def _slider_rows(emu: Emulator, lang: str, region: Region) -> str:
    zh = lang == "zh"
    groups: dict[tuple[int, str], list[str]] = {}  # (project number, 99 for uncertainties; name) -> rows
    e = html.escape
    for spec in emu.inputs:
        count = spec["unit"] in COUNT_UNITS
        step = slider_step(spec["low"], spec["high"], spec["base"], count)
        percent = spec["unit"] == "per_year"
        digits = max(0, _digits(step) - 2) if percent else _digits(step)
        unit = L.unit_label(spec["unit"], lang)
        if spec["section"] == "levers":
            project = L.lever_project(spec["path"].split(".")[1])
            group = (project, L.project_label(project, lang) + ("（每年投入或数量）" if zh else " (per year)"))
        else:
            group = (99, L.section_label(spec["section"], lang))
        shown = f"{spec['base'] * 100:.{digits}f}%" if percent else _number(spec["base"], digits)
        ident = "wi-" + spec["name"].replace(".", "-")
        groups.setdefault(group, []).append(
            f"<div class='wi-row'><label for='{ident}' title='{e(spec['path'])}'>"
            f"{e(L.factor_label(spec['name'], lang, region))}</label>"
            f"<input type='range' id='{ident}' data-input='{e(spec['name'])}' min='{spec['low']!r}' "
            f"max='{spec['high']!r}' step='{step!r}' value='{spec['base']!r}' data-base='{spec['base']!r}' "
            f"data-digits='{digits}' data-percent='{int(percent)}'>"
            f"<span class='wi-value'><output for='{ident}'>{shown}</output> <small>{e(unit)}</small>"
            f"<small class='base'>{'基准' if zh else 'base'} {shown}</small></span></div>")
    return "".join(f"<fieldset><legend>{e(name)}</legend>{''.join(groups[(order, name)])}</fieldset>"
                   for order, name in sorted(groups))  # the major projects in their order, then uncertainties


def _target_rows(emu: Emulator, lang: str, region: Region) -> str:
    order = sorted(range(len(emu.targets)), key=lambda k: (emu.targets[k]["year"], k))  # as on the target board
    rows = []
    for k in order:
        t = emu.targets[k]
        label = L.target_label(t["indicator"], t["year"], t["comparator"], t["threshold"], lang, region)
        if set_by_designation(t["indicator"], region):  # as on the target board: set by the plan, not drawn
            label += "（按认定计划）" if lang == "zh" else " (designation plan)"
        rows.append(f"<tr data-target='{html.escape(t['id'])}'><td class='wi-name'>{html.escape(label)}</td>"
                    "<td class='wi-p'>–</td><td class='wi-bar'><div class='wi-track'><span class='wi-fill'></span>"
                    "<span class='wi-iv-bar'></span></div></td><td class='wi-iv'></td><td class='wi-delta'></td></tr>")
    return "".join(rows)


def _indicator_rows(emu: Emulator, lang: str, region: Region) -> tuple[list[int], str]:
    pairs = sorted({(q["indicator"], int(q["year"])) for q in emu.quantiles})
    years = sorted({y for _, y in pairs})
    indicators = list(dict.fromkeys(i for i, _ in pairs))
    rows = []
    for ind in indicators:
        unit = L.indicator_unit(ind, lang, region)
        note = L.indicator_note(ind, lang, region)
        name = L.indicator_label(ind, lang, region) + (f"（{note}，{unit}）" if note and lang == "zh" else
                                                      f"（{unit}）" if lang == "zh" else f" ({unit})")
        cells = "".join(
            f"<td data-quantile='{html.escape(ind)}@{y}' data-percent='{int(L.is_share(ind, region))}'>"
            "<b class='wi-q50'>–</b> <small class='wi-range'></small></td>" if (ind, y) in pairs else "<td>–</td>"
            for y in years)
        rows.append(f"<tr><td class='wi-name'>{html.escape(name)}</td>{cells}</tr>")
    return years, "".join(rows)


# ------------------------------------------------------------------------------ accuracy and notes


def accuracy_lines(emu: Emulator, lang: str) -> list[str]:
    """The emulator's accuracy on held-out mixes (``accuracy.json``), as short lines."""
    zh = lang == "zh"
    s = emu.accuracy.get("summary", {})
    ident = emu.identity
    points, runs = ident.get("training_points", "?"), ident.get("training_runs", "?")
    trained = (f"训练数据：{points}个政策与情形组合、{runs}次模型运行" if zh else
               f"Trained on {points} mixes, {runs} model runs")
    if "mae" not in s:
        return [trained, "此模拟器没有精度报告（训练时未给参考扫描 --reference），误差未知。" if zh else
                "This emulator has no accuracy report (trained without --reference): its error is unknown."]
    lines = [
        (f"达成概率的平均绝对误差：{s['mae'] * 100:.1f}个百分点（{s['mixes']}个留出的政策组合，"
         f"每组{s['replicates_per_mix']}次模型重复模拟作参照）" if zh else
         f"Mean absolute error of the probabilities: {s['mae'] * 100:.1f} points ({s['mixes']} held-out mixes, "
         f"{s['replicates_per_mix']} model replicates each as reference)"),
        (f"参照本身的抽样误差约{s['reference_standard_error_mean'] * 100:.1f}个百分点（重复次数有限）" if zh else
         f"The reference's own sampling error: about {s['reference_standard_error_mean'] * 100:.1f} points"),
        (f"95%区间覆盖率：{s['coverage_95_with_reference_error']:.0%}（计入参照的抽样误差）；"
         f"仅模拟器区间：{s['coverage_95_emulator_interval_only']:.0%}" if zh else
         f"Coverage of the 95% interval: {s['coverage_95_with_reference_error']:.0%} (with the reference's error); "
         f"emulator interval alone: {s['coverage_95_emulator_interval_only']:.0%}"),
    ]
    if s.get("quantile_share_in_5_95_mean") is not None:
        lines.append(f"关键指标5–95%区间覆盖：{s['quantile_share_in_5_95_mean']:.0%}（应为90%）" if zh else
                     f"Key indicators' 5-95% range holds {s['quantile_share_in_5_95_mean']:.0%} (nominal 90%)")
    return [*lines, trained]


def _caveat(emu: Emulator, lang: str) -> str:
    base = str(emu.identity.get("base_scenario", {}).get("name", "baseline"))
    title = L.scenario_title(base, lang)
    if lang == "zh":
        return ("本面板的数字是模拟器近似：用模型运行结果拟合的统计替代模型在浏览器中即时计算，不是模型运行结果，"
                "只宜用来快速比较方向与量级；引用前请用 weilai run 或 weilai compare 以模型核实。"
                f"滑块范围即模拟器的训练范围；其余设定同{title}。")
    return ("These numbers are emulator approximations: a statistical stand-in fitted to model runs, computed in "
            "the browser, not model runs. Use them to compare directions and sizes; check with weilai run or "
            f"weilai compare before quoting. The sliders span the emulator's training range; all else as in {title}.")


def _stale_note(panel: WhatIf, lang: str) -> str:
    e = html.escape
    zh = lang == "zh"
    items = []
    for what, now, then in panel.problems:
        detail = ""
        if what in ("base_scenario", "calibration", "model_fingerprint") and (now or then):
            detail = (f"（现在：{now}；训练时：{then}）" if zh else f" (now: {now}; at training: {then})")
        elif then:
            detail = f"（{then}）" if zh else f" ({then})"
        items.append(f"<li>{e(L.pick(STALE_WORDS[what], lang) + detail)}</li>")
    if zh:
        head = (f"模拟器（<code>{e(panel.where)}</code>）与当前模型不一致，为免显示过时的数字，"
                "本页不提供即时推演。原因：")
        fix = (f"修复：运行 <code>{e(panel.fix_command())}</code> 重新运行训练扫描并训练模拟器，然后重新生成本页"
               "（weilai brief）。")
    else:
        head = (f"The emulator (<code>{e(panel.where)}</code>) does not match the current model; rather than "
                "show stale numbers, this page has no what-if panel. Why:")
        fix = (f"Fix: run <code>{e(panel.fix_command())}</code> to rerun the training sweeps and retrain it, then "
               "write this page again (weilai brief).")
    return f"<div class='wi-stale' role='note'><p>{head}</p><ul>{''.join(items)}</ul><p>{fix}</p></div>"


# ------------------------------------------------------------------------------ the panel


def whatif_html(panel: WhatIf | None, lang: str = "zh", region: Region | None = None) -> str:
    """The panel's section (sliders, outputs, accuracy, inline emulator and script), or the note that
    replaces it when the emulator is not current; empty without a panel."""
    if panel is None:
        return ""
    region = region or load_region()
    zh = L.check_lang(lang) == "zh"
    heading = ("假如……：调整政策杠杆与外部情形（模拟器近似）" if zh else
               "What if: move the levers and uncertainties (emulator)")
    if not panel.ready:
        return f"<section id='whatif'><h2>{html.escape(heading)}</h2>{_stale_note(panel, lang)}</section>"
    emu = panel.emulator
    assert emu is not None
    e = html.escape
    years, indicator_rows = _indicator_rows(emu, lang, region)
    year_heads = "".join(f"<th>{y}{'年中位数（5–95%）' if zh else ' median (5-95%)'}</th>" for y in years)
    accuracy = "".join(f"<li>{e(line)}</li>" for line in accuracy_lines(emu, lang))
    words = {"pp": "个百分点" if zh else " pp", "took": "本次更新用时" if zh else "last update took",
             "ms": "毫秒" if zh else "ms",
             "where": "（浏览器内计算，无服务器、无网络）" if zh else " (in the browser, no server, no network)"}
    colours = " ".join(f"--wi-{k.replace('_', '-')}: {v};" for k, v in READING_COLOURS.items())
    script = export_js(emu).replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    return f"""<section id='whatif' data-likely='{LIKELY_AT!r}' data-at-risk='{AT_RISK_AT!r}' style='{colours}'>
<h2>{e(heading)}</h2>
<p class='wi-caveat'><b>{'模拟器近似，非模型运行。' if zh else 'Emulator approximation, not model runs. '}</b>
{e(_caveat(emu, lang))}</p>
<div class='wi-grid'>
<form class='wi-inputs'>
<div class='wi-toolbar'><button type='button' id='wi-reset'>{'恢复基准' if zh else 'Reset to base'}</button>
<span class='wi-time' id='wi-time' data-took='{e(words['took'])}' data-ms='{e(words['ms'])}'
 data-where='{e(words['where'])}'></span></div>
{_slider_rows(emu, lang, region)}
</form>
<div class='wi-outputs'>
<table class='wi-targets'><thead><tr><th>{'目标' if zh else 'Target'}</th><th>{'达成概率' if zh else 'P(met)'}</th>
<th></th><th>{'95%区间' if zh else '95% interval'}</th><th>{'较基准' if zh else 'vs base'}</th></tr></thead>
<tbody>{_target_rows(emu, lang, region)}</tbody></table>
<table class='wi-indicators'><thead><tr><th>{'关键指标' if zh else 'Key indicator'}</th>{year_heads}</tr></thead>
<tbody>{indicator_rows}</tbody></table>
<div class='wi-accuracy'><h3>{'模拟器精度（留出检验）' if zh else 'Emulator accuracy (held-out mixes)'}</h3>
<ul>{accuracy}</ul></div>
</div>
</div>
<script>{script}</script>
<script>{_script(words, zh)}</script>
</section>"""


def _script(words: dict[str, str], zh: bool) -> str:
    return (WHATIF_JS.replace("__PP__", words["pp"]).replace("__OPEN__", "（" if zh else " (")
            .replace("__CLOSE__", "）" if zh else ")"))


WHATIF_JS = """
(function () {
  var root = document.getElementById('whatif');
  if (!root || typeof weilaiPredict !== 'function') { return; }
  var model = WEILAI_EMULATOR;
  var likelyAt = parseFloat(root.dataset.likely), atRiskAt = parseFloat(root.dataset.atRisk);
  var sliders = Array.prototype.slice.call(root.querySelectorAll('input[type=range][data-input]'));
  var rows = Array.prototype.slice.call(root.querySelectorAll('tr[data-target]'));
  var cells = Array.prototype.slice.call(root.querySelectorAll('td[data-quantile]'));
  var timeEl = document.getElementById('wi-time');
  var state = window.weilaiWhatif = {ready: false, updates: 0, lastMs: null, values: {}};
  var base = weilaiPredict(model, {});
  function cls(p) { return p >= likelyAt ? 'likely' : (p >= atRiskAt ? 'at_risk' : 'unlikely'); }
  function pct(p) { return Math.round(p * 100) + '%'; }
  function count(v) { return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1); }
  function values() {
    var v = {};
    sliders.forEach(function (s) { v[s.dataset.input] = parseFloat(s.value); });
    return v;
  }
  function showInput(s) {
    var v = parseFloat(s.value), d = parseInt(s.dataset.digits, 10);
    var text = s.dataset.percent === '1' ? (v * 100).toFixed(d) + '%' : v.toFixed(d);
    s.parentNode.querySelector('output').textContent = text;
    s.parentNode.classList.toggle('changed', Math.abs(v - parseFloat(s.dataset.base)) > 1e-12);
  }
  function update() {
    var started = performance.now();
    var v = values();
    var out = weilaiPredict(model, v);
    sliders.forEach(showInput);
    rows.forEach(function (row) {
      var id = row.dataset.target, p = out.targets[id], iv = out.intervals[id];
      var reading = cls(iv[0]) === cls(iv[1]) ? cls(iv[0]) : 'borderline';
      row.className = 'wi-' + reading.replace('_', '-');
      row.querySelector('.wi-p').textContent = pct(p);
      row.querySelector('.wi-fill').style.width = (100 * p).toFixed(1) + '%';
      var bar = row.querySelector('.wi-iv-bar');
      bar.style.left = (100 * iv[0]).toFixed(1) + '%';
      bar.style.width = (100 * (iv[1] - iv[0])).toFixed(1) + '%';
      row.querySelector('.wi-iv').textContent = pct(iv[0]) + '–' + pct(iv[1]);
      var delta = Math.round((p - base.targets[id]) * 100);
      row.querySelector('.wi-delta').textContent = delta === 0 ? '–' : (delta > 0 ? '+' : '') + delta + '__PP__';
    });
    cells.forEach(function (cell) {
      var q = out.quantiles[cell.dataset.quantile];
      var share = cell.dataset.percent === '1';
      var f = share ? function (x) { return (x * 100).toFixed(1) + '%'; } : count;
      cell.querySelector('.wi-q50').textContent = f(q.q50);
      cell.querySelector('.wi-range').textContent = '__OPEN__' + f(q.q05) + '–' + f(q.q95) + '__CLOSE__';
    });
    var ms = performance.now() - started;
    state.lastMs = ms; state.updates += 1; state.values = v;
    timeEl.textContent = timeEl.dataset.took + ' ' + ms.toFixed(1) + ' ' + timeEl.dataset.ms + timeEl.dataset.where;
  }
  sliders.forEach(function (s) { s.addEventListener('input', update); });
  document.querySelectorAll('#whatif form').forEach(function (f) {
    f.addEventListener('submit', function (e) { e.preventDefault(); });
  });
  document.getElementById('wi-reset').addEventListener('click', function () {
    sliders.forEach(function (s) { s.value = s.dataset.base; });
    update();
  });
  update();
  state.ready = true;
})();
"""

WHATIF_CSS = """
#whatif .wi-caveat { font-size: 14px; background: #fff8e6; border-left: 4px solid #e69500; padding: 6px 12px; }
#whatif .wi-grid { display: grid; grid-template-columns: minmax(420px, 5fr) 7fr; gap: 24px; align-items: start; }
#whatif fieldset { border: none; margin: 0 0 4px; padding: 0; }
#whatif legend { font-weight: bold; font-size: 14px; color: #1f5fa8; padding: 0; margin: 6px 0 2px; }
#whatif .wi-row { display: grid; grid-template-columns: 176px 1fr 136px; gap: 8px; align-items: center;
  font-size: 13px; min-height: 30px; }
#whatif .wi-row input[type=range] { width: 100%; accent-color: #1f5fa8; cursor: pointer; }
#whatif .wi-value output { font-weight: bold; font-variant-numeric: tabular-nums; }
#whatif .wi-value small { color: #444; }
#whatif .wi-value small.base { display: block; color: #888; font-size: 11px; }
#whatif .wi-row.changed label, #whatif .wi-row.changed output { color: #b36b00; }
#whatif .wi-toolbar { display: flex; gap: 12px; align-items: center; margin: 4px 0 2px; }
#whatif button { font: inherit; font-size: 14px; padding: 4px 14px; border: 1px solid #1f5fa8; border-radius: 4px;
  background: #1f5fa8; color: #fff; cursor: pointer; }
#whatif .wi-time { font-size: 12px; color: #555; }
#whatif .wi-outputs { position: sticky; top: 8px; }
#whatif table { width: 100%; margin: 4px 0 10px; font-size: 13px; }
#whatif th { white-space: nowrap; }
#whatif td.wi-p { font-weight: bold; text-align: right; width: 52px; font-size: 15px; }
#whatif td.wi-bar { width: 24%; }
#whatif .wi-track { position: relative; height: 14px; background: #eef1f5; border-radius: 2px; }
#whatif .wi-fill { position: absolute; left: 0; top: 0; height: 9px; border-radius: 2px; background: currentColor; }
#whatif .wi-iv-bar { position: absolute; top: 11px; height: 3px; background: #444; }
#whatif td.wi-iv, #whatif td.wi-delta { white-space: nowrap; font-variant-numeric: tabular-nums; color: #333; }
#whatif tr td.wi-bar { color: #9e9e9e; }
#whatif tr.wi-likely td.wi-p, #whatif tr.wi-likely .wi-fill { color: var(--wi-likely); }
#whatif tr.wi-at-risk td.wi-p, #whatif tr.wi-at-risk .wi-fill { color: var(--wi-at-risk); }
#whatif tr.wi-unlikely td.wi-p, #whatif tr.wi-unlikely .wi-fill { color: var(--wi-unlikely); }
#whatif tr.wi-borderline td.wi-p, #whatif tr.wi-borderline .wi-fill { color: var(--wi-borderline); }
#whatif .wi-accuracy { font-size: 12px; background: #f4f6f9; border: 1px solid #d0d7e2; border-radius: 6px;
  padding: 4px 12px; }
#whatif .wi-accuracy h3 { font-size: 14px; margin: 6px 0 2px; }
#whatif .wi-accuracy ul { margin: 2px 0 6px; padding-left: 18px; }
#whatif .wi-stale { background: #fdecea; border-left: 4px solid #c62828; padding: 6px 14px; font-size: 15px; }
@media (max-width: 1000px) {
  #whatif .wi-grid { grid-template-columns: 1fr; } #whatif .wi-outputs { position: static; } }
@media print { #whatif .wi-toolbar { display: none; } #whatif .wi-outputs { position: static; } }
"""
