"""Repairing a result store: damaged files and copied parts are set aside, never deleted.

``weilai status DIR --repair`` calls :func:`repair_store`. A damaged part (empty, truncated, another
schema), ``samples.parquet`` or ``spending.parquet`` is moved to ``DIR/damaged/``; the same ``run`` or
``sweep`` command then reruns the runs it held and rewrites the tables. A part all of whose runs are also
in another part (a copy) is moved there too; the store already reads each run once.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.engine.store import ResultStore


def repair_store(store: ResultStore) -> list[Path]:
    """Set damaged files and duplicate parts aside in ``damaged/``; returns the files moved.

    Raises:
        InputError: if a live process is writing the store.
    """
    moved = []
    with store.writer_lock():
        aside = store.path / "damaged"
        for file in store.damaged_files():
            aside.mkdir(exist_ok=True)
            target = aside / file.name
            os.replace(file, target)
            moved.append(target)
        moved += _set_aside_duplicate_parts(store, aside)
    return moved


def _set_aside_duplicate_parts(store: ResultStore, aside: Path) -> list[Path]:
    if not store.part_files():
        return []
    rows = store.sql("SELECT filename, sample, replicate FROM all_rows GROUP BY ALL").fetchall()
    runs_of: dict[str, set] = {}
    for filename, sample, replicate in rows:
        runs_of.setdefault(filename, set()).add((sample, replicate))
    moved, kept = [], set()
    for filename in sorted(runs_of):  # the first copy of a run is kept (results() reads that one)
        if runs_of[filename] <= kept:
            aside.mkdir(exist_ok=True)
            target = aside / Path(filename).name
            os.replace(filename, target)
            moved.append(target)
        kept |= runs_of[filename]
    return moved
