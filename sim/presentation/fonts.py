"""A CJK font for the charts: where it is found, how it is handed to vl-convert, and a tofu check.

Chinese chart text is drawn by vl-convert (PNG, and the text measurement behind every layout) and by
the reader's browser (SVG, HTML). vl-convert sees the fonts that fontconfig lists plus any folder
registered with :func:`vl_convert.register_font_directory`; a chart whose font lacks Chinese glyphs
comes out as empty boxes ("tofu") without any error. So the export code asks this module for a CJK
font first, in this order:

1. the folder named by the environment variable ``WEILAI_FONT_DIR`` (any ``.ttf/.otf/.ttc`` with
   Chinese glyphs in it; for users who want their own font on the charts);
2. the font installed with weilai: Noto Sans CJK (Regular, SIL OFL 1.1) from the PyPI packages
   ``noto-cjk[sans]`` (a default dependency), located through ``noto_cjk.otc_path("sans")``; the
   charts draw with its Simplified Chinese face, ``Noto Sans CJK SC``. Because it is always there,
   charts look the same on every machine;
3. the system's fonts with Chinese coverage, as fontconfig lists them (``fc-list :lang=zh``), and,
   where there is no fontconfig (Windows, some macOS setups), the usual font folders searched for the
   common CJK families (Microsoft YaHei, PingFang, Noto/Source Han Sans, WenQuanYi): a fallback for
   an installation without the package (e.g. ``pip install --no-deps``).

If none is found, :class:`CjkFontMissingError` says how to get one (reinstall weilai's dependencies,
``apt-get install fonts-wqy-microhei``, or ``WEILAI_FONT_DIR``).

:func:`check_cjk_rendering` proves the glyphs are real: it renders sample Chinese characters one by
one through vl-convert and compares them with each other and with characters no font has (Private
Use Area code points, drawn as the missing-glyph box or as nothing). Tofu shows as blank cells,
identical boxes, or cells equal to the missing-glyph rendering.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sim.core.errors import InputError

FONT_DIR_ENV = "WEILAI_FONT_DIR"
# The packaged font: noto-cjk's Sans OpenType Collection (Regular weight; SC, TC, HK, JP and KR faces).
FONT_PACKAGE_FAMILY = "sans"
FONT_REQUIREMENT = "noto-cjk[sans]"
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# Preferred families, best first: the reader's own system font on Windows and macOS, then the free ones.
PREFERRED_FAMILIES = (
    "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC",
    "WenQuanYi Micro Hei", "Hiragino Sans GB", "Heiti SC", "SimHei",
)
# Where to look without fontconfig: folder -> file-name fragments of common CJK fonts.
SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts",
    Path.home() / ".fonts", Path("/Library/Fonts"), Path("/System/Library/Fonts"),
    Path.home() / "Library/Fonts", Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts",
)
CJK_FILE_HINTS = ("msyh", "pingfang", "notosanscjk", "notosanssc", "sourcehansans", "wqy", "simhei",
                  "hiragino", "stheiti", "droidsansfallback")
# Characters the tofu check draws: common, visually distinct, all used on the charts.
SAMPLE_CHARACTERS = "未来产业目标概率"
MISSING_CHARACTERS = "\ue000\ue001"  # Private Use Area: no font has a glyph for these
HOW_TO_GET_A_FONT = (
    f"reinstall weilai's dependencies (`pip install -e .` installs {FONT_REQUIREMENT}, Noto Sans CJK), "
    "install a system font (`apt-get install fonts-wqy-microhei` on Debian/Ubuntu, root), "
    f"or put a .ttf/.otf/.ttc with Chinese glyphs in a folder and set {FONT_DIR_ENV} to it"
)


class CjkFontMissingError(InputError):
    """No font with Chinese glyphs can be found for the charts."""


@dataclass(frozen=True)
class CjkFont:
    """A font file with Chinese glyphs.

    Attributes:
        path: The font file.
        family: Its family name as renderers know it (e.g. ``WenQuanYi Micro Hei``).
        origin: Where it was found: ``env``, ``package`` (installed with weilai) or ``system``.
    """

    path: Path
    family: str
    origin: str


def _covers_chinese(path: Path) -> list[str]:
    """The family name of the best face (see ``PREFERRED_FAMILIES``) in a font file that has glyphs for
    the sample characters, as a list: empty if no face has them."""
    try:
        from fontTools.ttLib import TTCollection, TTFont
    except ImportError:  # fontTools comes with matplotlib (SALib); without it trust the file name
        return [path.stem]
    try:
        collection = path.suffix.lower() in (".ttc", ".otc")
        fonts = TTCollection(path, lazy=True).fonts if collection else [TTFont(path, lazy=True)]
    except Exception:  # noqa: BLE001 - an unreadable font file is simply not a candidate
        return []
    rank = {family: i for i, family in enumerate(PREFERRED_FAMILIES)}
    faces = [(font["name"].getDebugName(16) or font["name"].getDebugName(1), font) for font in fonts]
    # a collection holds several faces (Noto Sans CJK: SC, TC, HK, JP, KR and Mono): check the preferred
    # ones first and stop at the first that covers Chinese (reading one CJK cmap takes ~0.4 s)
    for name, font in sorted(faces, key=lambda face: rank.get(face[0], len(rank))):
        cmap = font.getBestCmap() or {}
        if name and all(ord(ch) in cmap for ch in SAMPLE_CHARACTERS):
            return [name]
    return []


def _font_files(folder: Path, hints: tuple[str, ...] = ()) -> list[Path]:
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        name = path.name.lower()
        if name.endswith(FONT_SUFFIXES) and (not hints or any(h in name.replace("-", "").replace("_", "")
                                                                  for h in hints)):
            found.append(path)
    return found


def _best(families: list[str]) -> str:
    for preferred in PREFERRED_FAMILIES:
        if preferred in families:
            return preferred
    return families[0]


def _from_folder(folder: Path, origin: str, hints: tuple[str, ...] = ()) -> list[CjkFont]:
    fonts = []
    for path in _font_files(folder, hints):
        families = _covers_chinese(path)
        if families:
            fonts.append(CjkFont(path=path, family=_best(families), origin=origin))
    return fonts


def _from_fontconfig() -> list[CjkFont] | None:
    """Fonts with Chinese coverage according to fontconfig, or None without fontconfig."""
    if shutil.which("fc-list") is None:
        return None
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family", "file"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    fonts = []
    for line in sorted(out.splitlines()):
        if ":" not in line:
            continue
        file, _, names = line.partition(": ")
        families = [n.strip() for n in names.split(",") if n.strip()]
        if families and not any("Mono" in f for f in families[:1]):
            fonts.append(CjkFont(path=Path(file.rstrip(":")), family=_best(families), origin="system"))
    return fonts


def _packaged_fonts() -> list[CjkFont]:
    """The font installed with weilai (``noto-cjk[sans]``), found through the package's own API.

    Returns:
        One :class:`CjkFont` (family ``Noto Sans CJK SC``), or an empty list if the package is missing.
    """
    try:
        import noto_cjk

        path = Path(noto_cjk.otc_path(FONT_PACKAGE_FAMILY))
    except (ImportError, RuntimeError):  # noto_cjk.FontNotInstalled is a RuntimeError
        return []
    families = _covers_chinese(path) if path.is_file() else []
    return [CjkFont(path=path, family=_best(families), origin="package")] if families else []


def find_cjk_fonts() -> list[CjkFont]:
    """Every usable CJK font, in order of preference (see the module docstring).

    Returns:
        Possibly empty list; the first entry is the one the charts use.
    """
    fonts: list[CjkFont] = []
    env_dir = os.environ.get(FONT_DIR_ENV)
    if env_dir:
        fonts += _from_folder(Path(env_dir).expanduser(), "env")
    fonts += _packaged_fonts()
    system = _from_fontconfig()
    if system is None:
        system = [f for folder in SYSTEM_FONT_DIRS for f in _from_folder(folder, "system", CJK_FILE_HINTS)]
    rank = {family: i for i, family in enumerate(PREFERRED_FAMILIES)}
    fonts += sorted(system, key=lambda f: rank.get(f.family, len(rank)))
    return fonts


@lru_cache(maxsize=1)
def cjk_font() -> CjkFont:
    """The CJK font the charts use, registered with vl-convert (once per process).

    Raises:
        CjkFontMissingError: if no font with Chinese glyphs is found; the message says how to get one.
    """
    fonts = find_cjk_fonts()
    if not fonts:
        raise CjkFontMissingError("no font with Chinese glyphs found for the charts", allowed=HOW_TO_GET_A_FONT)
    font = fonts[0]
    if font.origin != "system":
        import vl_convert

        vl_convert.register_font_directory(str(font.path.parent.resolve()))
    return font


def font_stack() -> str:
    """CSS font-family list for the charts: the found font first, then the readers' usual CJK fonts.

    Browsers showing the HTML or SVG use the first family they have; vl-convert uses the found font.
    """
    families = [cjk_font().family] + [f for f in PREFERRED_FAMILIES if f != cjk_font().family]
    return ", ".join(f"'{f}'" if " " in f else f for f in families) + ", sans-serif"


# ------------------------------------------------------------------------------ the tofu check


@dataclass(frozen=True)
class GlyphCheck:
    """Result of :func:`check_cjk_rendering`.

    Attributes:
        ok: True if every sample character rendered as a real, distinct glyph.
        problems: One line per failure (blank cell, two characters drawn alike, equal to a missing glyph).
        ink: Dark-pixel fraction of each sample character's cell.
    """

    ok: bool
    problems: tuple[str, ...]
    ink: dict[str, float]


def render_character(char: str, family: str | None = None, size: int = 64):
    """One character drawn by vl-convert in the chart font, as a grey-level array (0 = black).

    Args:
        char: The character.
        family: CSS font family (default: :func:`font_stack`).
        size: Font size in pixels.

    Returns:
        numpy array (height, width) of uint8.
    """
    import numpy as np
    import vl_convert
    from PIL import Image

    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": size * 2, "height": size * 2, "background": "white",
        "config": {"view": {"stroke": None}},
        "data": {"values": [{"text": char}]},
        "mark": {"type": "text", "fontSize": size, "font": family or font_stack(), "color": "black"},
        "encoding": {"text": {"field": "text", "type": "nominal"}},
    }
    png = vl_convert.vegalite_to_png(spec, scale=1)
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


def check_cjk_rendering(characters: str = SAMPLE_CHARACTERS, family: str | None = None) -> GlyphCheck:
    """Render Chinese characters through vl-convert and decide whether they came out as tofu.

    A character fails if its cell has (almost) no ink, if it is drawn like another sample character
    (missing glyphs all look the same), or if it is drawn like a Private Use Area character (the
    renderer's missing-glyph rendering).

    Args:
        characters: Distinct characters to check.
        family: CSS font family to draw with (default: the chart font stack).

    Returns:
        A :class:`GlyphCheck`.
    """
    import numpy as np

    def dark(image: np.ndarray) -> np.ndarray:
        return image < 128

    cells = {ch: dark(render_character(ch, family)) for ch in characters}
    missing = [dark(render_character(ch, family)) for ch in MISSING_CHARACTERS]
    problems = []
    ink = {ch: float(cell.mean()) for ch, cell in cells.items()}
    for ch, cell in cells.items():
        if cell.sum() < 20:
            problems.append(f"{ch}: blank (no glyph drawn)")
        for box in missing:
            if _same_shape(cell, box):
                problems.append(f"{ch}: drawn like a missing glyph")
                break
    chars = list(cells)
    for i, a in enumerate(chars):
        for b in chars[i + 1:]:
            if cells[a].sum() >= 20 and _same_shape(cells[a], cells[b]):
                problems.append(f"{a} and {b}: drawn alike (missing-glyph boxes)")
    return GlyphCheck(ok=not problems, problems=tuple(problems), ink=ink)


def _same_shape(a, b, tolerance: float = 0.1) -> bool:
    """Whether two binary glyph cells are (nearly) the same: differing pixels <= tolerance of the ink."""
    ink = max(int(a.sum()), int(b.sum()), 1)
    return int((a ^ b).sum()) <= tolerance * ink
