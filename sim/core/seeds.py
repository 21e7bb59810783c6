"""Replicate seeds: drawn once, up front, from ``np.random.SeedSequence(base).spawn(n)``.

All seeds of an ensemble or sweep are drawn before any work is dispatched, so serial, parallel and
resumed runs give the same replicate the same seed. Replicate ``r`` of base seed ``s`` always gets
the same seed, whatever ``n`` is, because ``spawn`` children are indexed.
"""

from __future__ import annotations

import numpy as np


def replicate_seeds(base_seed: int, n: int, start: int = 0) -> list[int]:
    """Seeds for replicates ``start .. start + n - 1`` of a base seed.

    Returns:
        Non-negative 63-bit integers (storable in an int64 column) for ``np.random.default_rng``.
    """
    if base_seed < 0:
        raise ValueError("base seed must be non-negative")
    children = np.random.SeedSequence(base_seed).spawn(start + n)[start:]
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
