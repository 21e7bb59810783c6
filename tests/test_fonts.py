"""Chinese renders as Chinese: a CJK font is found, glyphs come out as real shapes, and the tofu check
does fail when the font is missing (proved in a subprocess whose fontconfig sees no CJK font)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

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
    # and the command-line check says what to install
    cli = subprocess.run([sys.executable, "-m", "sim.presentation.fonts"], env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert cli.returncode == 1
    assert "apt-get install fonts-wqy-microhei" in cli.stderr and fonts.FONT_DIR_ENV in cli.stderr


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
