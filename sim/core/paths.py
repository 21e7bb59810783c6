"""Where the project's own files live (the repository is installed in editable mode)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "sim" / "data"
SCENARIOS_DIR = REPO_ROOT / "scenarios"
CALIBRATION_DIR = REPO_ROOT / "calibration"
CALIBRATION_DATA_DIR = CALIBRATION_DIR / "data"
