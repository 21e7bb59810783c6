"""Lever arithmetic: schedules, direction shares, whole-unit counts and the spending plan.

Pure functions over numbers and arrays; the scenario schema (``sim.scenario.schema``) declares the levers and
the model reads the resulting :class:`Plan`. Spending is what the scenario appropriates: every lever's
yearly cost is fixed by the scenario file, so the reported total is exactly the sum over levers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def schedule(years: np.ndarray, start: int, end: int, ramp_years: int) -> np.ndarray:
    """Fraction of a lever's full amount in force each year.

    Zero before ``start`` and after ``end``; a linear ramp reaches the full amount in year
    ``start + ramp_years``.

    Example:
        >>> schedule(np.arange(2024, 2029), 2025, 2027, 1).tolist()
        [0.0, 0.5, 1.0, 1.0, 0.0]
    """
    years = np.asarray(years)
    active = (years >= start) & (years <= end)
    ramp = np.minimum(1.0, (years - start + 1) / (ramp_years + 1))
    return np.where(active, ramp, 0.0)


def shares_by_year(
    years: np.ndarray,
    default: np.ndarray,
    changes: list[tuple[int, np.ndarray]],
) -> np.ndarray:
    """Direction shares for each year: the default, replaced from each change's year on.

    Returns:
        Array (n_years, n_directions); each row sums to 1.
    """
    out = np.tile(default, (len(years), 1)).astype(float)
    for year, shares in sorted(changes, key=lambda c: c[0]):
        out[np.asarray(years) >= year] = shares
    return out


def apportion_counts(rate: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Turn a fractional yearly rate into whole units per year and direction.

    The running total is rounded down (2.5 a year gives 2, 3, 2, 3, ...) and each new unit goes to
    the direction furthest behind its running share (largest remainder), so counts are deterministic
    and never taken back.

    Args:
        rate: Units per year, shape (n_years,).
        shares: Direction shares per year, shape (n_years, n_directions).

    Returns:
        Integer array (n_years, n_directions).

    Example:
        >>> apportion_counts(np.array([1.5, 1.5]), np.array([[0.5, 0.5], [0.5, 0.5]])).tolist()
        [[1, 0], [1, 1]]
    """
    rate = np.asarray(rate, dtype=float)
    n_years, n_dir = shares.shape
    total_cum = np.floor(np.cumsum(rate) + 1e-9).astype(int)
    target_cum = np.cumsum(rate[:, None] * shares, axis=0)
    realised = np.zeros(n_dir, dtype=int)
    out = np.zeros((n_years, n_dir), dtype=int)
    for t in range(n_years):
        new = total_cum[t] - realised.sum()
        for _ in range(new):
            d = int(np.argmax(target_cum[t] - realised))
            realised[d] += 1
            out[t, d] += 1
    return out


@dataclass(frozen=True)
class Plan:
    """What the levers put into the model, year by year (index 0 = the scenario's start year).

    Attributes:
        years: The simulated years.
        money: Lever name -> array (n_years, n_directions) of 100m yuan per year.
        counts: Lever name -> integer array (n_years, n_directions) of units founded or recruited.
        spending: Tidy table (year, lever, project, direction, value) in 100m yuan; ``direction``
            is "all" for costs that are not split by direction.
        scale: Budget scaling applied per year (1.0 where the cap was not binding).
    """

    years: np.ndarray
    money: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    spending: pd.DataFrame
    scale: np.ndarray

    def total_spending(self) -> pd.Series:
        """Total spending per year (100m yuan)."""
        return self.spending.groupby("year")["value"].sum().reindex(self.years, fill_value=0.0)
