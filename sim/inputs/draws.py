"""Calibrated parameter draws: which set of behavioural parameters a replicate uses.

The calibration (``weilai calibrate``) writes its accepted parameter sets to ``calibration/draws.csv``
(a column ``draw`` and one column per full factor name, e.g. ``parameters.startup_rate``). A scenario
with ``parameter_draws = "calibrated"`` (the default) runs each replicate with one of these sets,
picked from the replicate's seed, so parameter uncertainty shows in every ensemble band. With
``"defaults"`` every replicate uses the declared defaults; a file path names another draws file.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.core.paths import CALIBRATION_DIR, REPO_ROOT

DRAWS_FILE = CALIBRATION_DIR / "draws.csv"
_DRAW_STREAM = 0xD7A3  # separates the draw choice from the model's own random stream


@lru_cache(maxsize=4)
def load_draws(path: Path) -> pd.DataFrame:
    """Read a draws file (cached per process)."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read parameter draws: {exc}", file=path) from None
    if "draw" not in frame.columns or len(frame) == 0:
        raise InputError("a draws file needs a 'draw' column and at least one row", file=path)
    return frame


def draws_source(reference: str) -> Path | None:
    """The draws file a scenario's ``parameter_draws`` setting refers to, or None for defaults."""
    if reference == "defaults":
        return None
    if reference == "calibrated":
        return DRAWS_FILE if DRAWS_FILE.exists() else None
    path = Path(reference)
    if not path.is_file():
        raise InputError("parameter draws file not found", key="parameter_draws", value=reference,
                         allowed='"calibrated", "defaults" or a path to a draws CSV')
    return path


def draws_fingerprint(reference: str) -> str:
    """Which parameter draws a ``parameter_draws`` setting means, with the file's content hash.

    Stores record it (the manifest's ``calibration`` and the design identity), so that every result
    says which calibration made it and a store made with other draws refuses to be resumed with these.
    """
    path = draws_source(reference)
    if path is None:
        return "defaults" if reference == "defaults" else "defaults (no calibration/draws.csv installed)"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    try:
        name = path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        name = str(path)
    return f"{name} ({len(load_draws(path))} draws, sha256 {digest})"


def draw_for_seed(scenario, seed: int) -> tuple[int | None, dict[str, float]]:
    """The draw a replicate uses: (draw id, factor name -> value), or (None, {}) for defaults."""
    path = draws_source(scenario.parameter_draws)
    if path is None:
        return None, {}
    draws = load_draws(path)
    row = draws.iloc[int(np.random.default_rng([int(seed), _DRAW_STREAM]).integers(len(draws)))]
    values = {k: float(v) for k, v in row.items() if k != "draw" and pd.notna(v)}
    return int(row["draw"]), values
