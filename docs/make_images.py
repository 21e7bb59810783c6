"""Make the README's images from the real (calibrated) model, the way a researcher would.

1. ``weilai compare baseline full_package`` (50 replicates each, seed 2024, common random numbers;
   it writes both target boards, the key fan charts and the comparison chart);
2. ``weilai sweep baseline_morris`` (the Morris screening; a Sobol store can be passed instead);
3. ``weilai brief`` of the comparison store, its comparison table and the sweep;
4. the target board of the full package as PNG, and the top of the briefing page as Chromium shows it.

Everything goes through the command line (``python -m sim``), so the images show what users get.
Usage: ``python docs/make_images.py [--work results/images] [--sweep STORE]``; resumable (the stores are).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"


def weilai(*args: str) -> None:
    print("$ weilai", " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "sim", *args, "--no-progress"] if args[0] in ("compare", "sweep")
                   else [sys.executable, "-m", "sim", *args], check=True, cwd=ROOT)


def screenshot(page: Path, out: Path, width: int = 1400, height: int = 1900) -> None:
    """The top of the page (one screen of it) after every chart has rendered."""
    sys.path.insert(0, str(ROOT / "tests"))
    from devtools import Browser, find_chromium

    binary = find_chromium()
    if binary is None:
        raise SystemExit("Chromium not found: apt-get install chromium (or set WEILAI_CHROMIUM)")
    with Browser(binary, width=width, height=height) as browser:
        browser.open(page.resolve().as_uri())
        if not browser.wait_for("window.weilaiBrief && window.weilaiBrief.done", timeout=120):
            raise SystemExit(f"the page did not finish rendering: {browser.evaluate('window.weilaiBrief')}")
        if browser.errors():
            raise SystemExit(f"console errors: {browser.errors()}")
        browser.screenshot(out, full_page=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default="results/images", help="folder of the stores (resumable)")
    parser.add_argument("--sweep", help="an existing sweep store with indices (default: run baseline_morris)")
    parser.add_argument("--replicates", default="50")
    args = parser.parse_args()
    work = (ROOT / args.work).resolve()
    compare = work / "compare"
    weilai("compare", "baseline", "full_package", "--replicates", args.replicates, "--seed", "2024",
           "--out", str(compare))
    sweep = Path(args.sweep).resolve() if args.sweep else work / "morris"
    if not args.sweep:
        weilai("sweep", "baseline_morris", "--out", str(sweep))
        weilai("analyze", str(sweep))
    page = work / "brief.html"
    weilai("brief", str(compare), str(compare / "comparison.csv"), str(sweep), "--out", str(page))
    IMAGES.mkdir(parents=True, exist_ok=True)
    shutil.copy(compare / "charts" / "target_board_full_package_zh.png", IMAGES / "target_board.png")
    screenshot(page, IMAGES / "brief_page.png")
    print(f"wrote {IMAGES / 'target_board.png'} and {IMAGES / 'brief_page.png'} (brief: {page})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
