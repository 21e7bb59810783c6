"""A model for the memory benchmark: replays full-detail runs of the real model, so a store of
thousands of replicates with the real model's row shape is built in minutes.

``replay(scenario, seed)`` returns the rows of one of the real runs saved in ``$WEILAI_REPLAY_FILE``
(a Parquet file with a ``run`` column), chosen by the seed. The values are the real model's; only their
pairing with seeds is not (the benchmark measures memory, not results).
"""

from __future__ import annotations

import os
from functools import lru_cache

import pandas as pd


@lru_cache(maxsize=1)
def _runs() -> dict[int, pd.DataFrame]:
    table = pd.read_parquet(os.environ["WEILAI_REPLAY_FILE"])
    return {int(k): frame.drop(columns="run").reset_index(drop=True) for k, frame in table.groupby("run")}


def replay(scenario, seed, detail="full"):  # noqa: ARG001 - the engine's model signature
    runs = _runs()
    return runs[int(seed) % len(runs)].copy()
