"""Chinese renders as Chinese: a CJK font is found, glyphs come out as real shapes, and the tofu check
does fail when the font is missing (proved in a subprocess whose fontconfig sees no CJK font). On such a
"fresh machine" the font installed with weilai (noto-cjk[sans]) is found and a chart's Chinese title
comes out as real glyphs in the PNG."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require

from sim.presentation import fonts

REPO = Path(__file__).resolve().parent.parent


def test_chart_font_renders_real_chinese_glyphs(cjk_font_available):
    require(cjk_font_available, "no CJK font: apt-get install fonts-wqy-microhei (or see README, CJK font)")
    result = fonts.check_cjk_rendering()
    assert result.ok, result.problems
    assert all(0.01 < ink < 0.5 for ink in result.ink.values())


def test_tofu_check_flags_characters_no_font_has(cjk_font_available):
    require(cjk_font_available, "no CJK font: apt-get install fonts-wqy-microhei")
    # Private Use Area code points have no glyph in any font: the same renderer draws them as tofu
    result = fonts.check_cjk_rendering(characters="\ue010\ue011\ue012\ue013")
    assert not result.ok
    assert any("missing glyph" in p or "alike" in p or "blank" in p for p in result.problems)


def _latin_only_font() -> Path | None:
    if shutil.which("fc-list") is None:
        return None
    everything = subprocess.run(["fc-list", ":", "file"], capture_output=True, text=True).stdout.split()
    chinese = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout.split()
    latin = sorted({f.rstrip(":") for f in everything} - {f.rstrip(":") for f in chinese})
    latin = [f for f in latin if f.endswith((".ttf", ".otf"))]
    return Path(latin[0]) if latin else None


def _no_cjk_environment(tmp_path: Path) -> dict[str, str]:
    """An environment whose fontconfig (and so vl-convert) sees one Latin-only font, or none."""
    font_dir = tmp_path / "fonts"
    font_dir.mkdir()
    latin = _latin_only_font()
    if latin is not None:
        (font_dir / latin.name).symlink_to(latin)
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{font_dir}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>
""", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != fonts.FONT_DIR_ENV}
    env["FONTCONFIG_FILE"] = str(conf)
    return env


def test_tofu_check_fails_without_a_cjk_font(tmp_path):
    require(shutil.which("fc-list") is not None, "fontconfig (fc-list) not installed")
    env = _no_cjk_environment(tmp_path)
    code = ("import json; from sim.presentation.fonts import check_cjk_rendering; r = check_cjk_rendering(family='sans-serif'); "
            "print(json.dumps({'ok': r.ok, 'problems': r.problems}))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["ok"] is False
    assert len(result["problems"]) >= len(fonts.SAMPLE_CHARACTERS)
    # and, without the packaged font as well, the command-line check says what to install
    no_package = ("import sim.presentation.fonts as f; f._packaged_fonts = lambda: []; "
                  "from sim.cli import main; raise SystemExit(main(['fonts']))")
    cli = subprocess.run([sys.executable, "-c", no_package], env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert cli.returncode == 1
    assert "apt-get install fonts-wqy-microhei" in cli.stderr and fonts.FONT_DIR_ENV in cli.stderr
    assert fonts.FONT_REQUIREMENT in cli.stderr


@pytest.fixture
def fresh_font_lookup(monkeypatch):
    """``find_cjk_fonts``/``cjk_font`` as on a machine without any system CJK font or WEILAI_FONT_DIR."""
    monkeypatch.delenv(fonts.FONT_DIR_ENV, raising=False)
    monkeypatch.setattr(fonts, "_from_fontconfig", lambda: [])
    monkeypatch.setattr(fonts, "SYSTEM_FONT_DIRS", ())
    fonts.cjk_font.cache_clear()
    yield
    fonts.cjk_font.cache_clear()


def test_packaged_font_is_found_when_the_system_has_none(fresh_font_lookup):
    import noto_cjk

    found = fonts.find_cjk_fonts()
    assert [f.origin for f in found] == ["package"]
    assert found[0].path == Path(noto_cjk.otc_path("sans")) and found[0].path.is_file()
    assert found[0].family == "Noto Sans CJK SC"  # the Simplified Chinese face of the collection
    assert fonts.cjk_font() == found[0]
    assert fonts.font_stack().startswith("'Noto Sans CJK SC', ")


def test_packaged_font_is_skipped_when_the_package_is_missing(fresh_font_lookup, monkeypatch):
    monkeypatch.setitem(sys.modules, "noto_cjk", None)  # import noto_cjk raises ImportError
    assert fonts.find_cjk_fonts() == []
    with pytest.raises(fonts.CjkFontMissingError, match="noto-cjk"):
        fonts.cjk_font()


FRESH_MACHINE_CHECK = """
import io, json
import altair as alt, numpy as np, pandas as pd
from PIL import Image
from sim.presentation import charts as C, fonts
from sim.presentation.charts.style import finish_chart

def title_band(title, folder):
    base = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_point().encode(x="x:Q").properties(width=400, height=60)
    chart = finish_chart(base, title, None, "footnote", "zh", "fresh_machine_check")
    png = C.save_chart(chart, folder + "/" + str(abs(hash(title))), formats=("png",), scale=1)[0]
    return np.asarray(Image.open(png).convert("L"))[:50] < 128  # the title line (top padding 16, 24 px)

import sys
folder = sys.argv[1]
font = fonts.cjk_font()
glyphs = fonts.check_cjk_rendering()
chinese, other, missing = (title_band(t, folder) for t in ("目标达成看板", "未来产业概率", "\ue000" * 6))
print(json.dumps({"origin": font.origin, "family": font.family, "glyphs_ok": glyphs.ok,
                  "problems": glyphs.problems, "title_ink": int(chinese.sum()),
                  "like_missing": bool(fonts._same_shape(chinese, missing)),
                  "like_other_title": bool(fonts._same_shape(chinese, other))}))
"""


def test_fresh_machine_draws_chinese_with_the_packaged_font(tmp_path):
    """Where fontconfig (and so vl-convert) sees no CJK font, the packaged font is found and registered,
    and a chart title in Chinese is drawn as real glyphs in the PNG (not as missing-glyph boxes)."""
    env = _no_cjk_environment(tmp_path)
    out = subprocess.run([sys.executable, "-c", FRESH_MACHINE_CHECK, str(tmp_path)], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["origin"] == "package" and result["family"] == "Noto Sans CJK SC"
    assert result["glyphs_ok"], result["problems"]
    assert result["title_ink"] > 500  # six 24-px characters in bold
    assert not result["like_missing"] and not result["like_other_title"]


def test_font_directory_from_environment(tmp_path, monkeypatch, cjk_font_available):
    require(cjk_font_available, "no CJK font: apt-get install fonts-wqy-microhei")
    system = fonts.cjk_font()
    with_cjk = tmp_path / "with"
    with_cjk.mkdir()
    (with_cjk / system.path.name).symlink_to(system.path)
    monkeypatch.setenv(fonts.FONT_DIR_ENV, str(with_cjk))
    found = fonts.find_cjk_fonts()
    assert found[0].origin == "env" and found[0].path.parent == with_cjk
    latin = _latin_only_font()
    if latin is not None:
        without = tmp_path / "without"
        without.mkdir()
        (without / latin.name).symlink_to(latin)
        monkeypatch.setenv(fonts.FONT_DIR_ENV, str(without))
        assert all(f.origin != "env" for f in fonts.find_cjk_fonts())
