"""Text from scenario files never becomes markup: every HTML file the tool writes (the charts of
``run`` and ``compare``, and the brief) is parsed, and no element, attribute or script comes from the text."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from sim.cli import main

PAYLOADS = ['</script><script>alert(1)</script>', '"><img src=x onerror=alert(2)>', "<svg onload=alert(3)>",
            "<!--", "]]></style><script>alert(4)</script>"]


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _scenario(folder: Path, name: str, payload: str, index: int) -> Path:
    escaped = payload.replace("\\", "\\\\").replace('"', '\\"')
    path = folder / f"{name}.toml"
    path.write_text(f'extends = "baseline"\nname = "{name}"\ntitle_en = "{escaped} en {index}"\n'
                    f'title_zh = "{escaped} 中 {index}"\ndescription = "{escaped}"\n'
                    f"[levers.rd_grants]\namount_100m_yuan_per_year = {3 + index}\n", encoding="utf-8")
    return path


def _check_page(file: Path) -> None:
    page = file.read_text(encoding="utf-8")
    parsed = _Elements()
    parsed.feed(page)
    for tag, attrs in parsed.tags:
        assert tag not in ("img", "svg", "iframe", "object", "embed"), (file, tag)
        assert not [a for a in attrs if a.lower().startswith("on")], (file, tag, attrs)
        assert "alert(" not in " ".join(str(v) for v in attrs.values()), (file, tag, attrs)
    for text in parsed.scripts:  # the page's own scripts only: no script made of the payload
        assert not text.strip().startswith("alert("), (file, text[:80])
        assert "<!--" not in text, file  # would put the parser in the script's double-escaped state


@pytest.mark.parametrize("lang", ["en"])
def test_no_html_file_the_tool_writes_runs_text_from_a_scenario_file(tmp_path, monkeypatch, capsys, lang):
    monkeypatch.chdir(tmp_path)
    a = _scenario(tmp_path, "xss_a", " ".join(PAYLOADS), 0)
    b = _scenario(tmp_path, "xss_b", PAYLOADS[1], 1)
    common = ["--replicates", "2", "--workers", "1", "--no-progress", "--lang", lang]
    assert main(["run", str(a), "--out", "run_a", *common]) in (0, 1)
    assert main(["compare", str(a), str(b), "--out", "cmp", *common]) in (0, 1)
    title = PAYLOADS[0] + PAYLOADS[1]
    assert main(["brief", "run_a", "cmp", "--out", "brief.html", "--lang", lang, "--title", title]) == 0
    capsys.readouterr()
    pages = sorted(tmp_path.rglob("*.html"))
    assert len(pages) >= 4 and any(p.parent.name == "charts" for p in pages) and Path("brief.html") in \
        [p.relative_to(tmp_path) for p in pages]
    shown = 0
    for page in pages:
        _check_page(page)
        shown += "alert(1)" in page.read_text(encoding="utf-8")
    assert shown >= 2  # the titles are on the pages, as text
