"""Firms: per-firm state in arrays (one per attribute), and the Mesa agent that views one row.

The arrays are the model's state; the step rules of ``sim.model.rules`` update them all at once. A
:class:`Firm` agent is a Mesa agent that views one row (it holds only its row index); the model makes
them on demand (``model.firm(row)``, ``model.live_firms()``) for inspection in notebooks and
per-firm decisions, and removes them when their firm exits.
Rows are never reused: an exited firm keeps its row with ``alive = False`` (fund portfolios and
partner links refer to rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model.model import FutureIndustryModel

NO_YEAR = -9999

# Stages of the development ladder the policy describes (科技型中小企业-高新技术企业-科技小巨人-领军企业):
STARTUP, SME, HIGH_TECH, LITTLE_GIANT, HEAD, CHAIN_LEADER = range(6)
STAGE_NAMES = ("startup", "sme", "high_tech", "little_giant", "head", "chain_leader")

# Origins of a firm.
# DIVERSIFIED: an established Ningbo manufacturer from outside the nine directions that opened a
# business in one of them during the run (传统优势企业布局未来产业赛道; agents/incumbents.py).
INCUMBENT, STARTED, SPUN_OFF, ATTRACTED, DIVERSIFIED = range(5)
ORIGIN_NAMES = ("incumbent", "start-up", "spin-off", "attracted", "diversified")

# name: (dtype, value for a new row)
FIELDS: dict[str, tuple[Any, Any]] = {
    "uid": (np.uint64, 0),                 # stable identity keying the firm's own draws (streams.firm_uids)
    "direction": (np.int16, 0),
    "district": (np.int16, 0),
    "alive": (bool, True),
    "origin": (np.int8, INCUMBENT),
    "founded": (np.int16, 0),
    "age": (np.int16, 0),
    "revenue": (np.float64, 0.0),          # 100m yuan per year
    "revenue_lag1": (np.float64, 0.0),     # revenue one, two and three years earlier
    "revenue_lag2": (np.float64, 0.0),
    "revenue_lag3": (np.float64, 0.0),
    "last_growth": (np.float64, 0.0),      # log growth of the last year
    "employees": (np.float64, 0.0),
    "researchers": (np.float64, 0.0),
    "rd_intensity": (np.float64, 0.0),     # own R&D over revenue (persistent, firm-specific)
    "rd_spend": (np.float64, 0.0),         # 100m yuan in the last year, incl. grants
    "knowledge": (np.float64, 0.0),        # R&D stock, 100m yuan
    "relative_tech": (np.float64, 0.0),    # technology relative to the world frontier (1 = frontier)
    "productivity": (np.float64, 0.0),     # log efficiency relative to the direction's typical firm, AR(1)
    "cash": (np.float64, 0.0),             # raised equity and subsidies not yet spent, 100m yuan
    "equity_raised": (np.float64, 0.0),    # cumulative equity raised, 100m yuan
    "equity_this_year": (np.float64, 0.0), # equity raised in the current year
    "funded_year": (np.int16, NO_YEAR),    # year of the last equity round
    "rounds": (np.int16, 0),
    "high_tech": (bool, False),            # holds high-tech enterprise certification
    "certified_year": (np.int16, NO_YEAR),
    "tech_centre": (bool, False),          # recognised enterprise technology centre
    "new_star_until": (np.int16, NO_YEAR), # last year of a new-star designation
    "anchor": (np.int32, -1),              # row of the firm's main Ningbo partner, -1 if none
    "grant": (np.float64, 0.0),            # R&D grant this year, 100m yuan
    "loan_subsidy": (np.float64, 0.0),     # interest subsidy this year
    "direct_subsidy": (np.float64, 0.0),   # direct subsidy this year
    "contract_revenue": (np.float64, 0.0), # revenue from city contracts in force (scenarios, first purchases)
    "project_funding": (np.float64, 0.0),  # municipal major-project money for its R&D this year
    "bond_subsidy": (np.float64, 0.0),     # bond and M&A interest support this year
    "listed": (bool, False),
    "stage": (np.int8, STARTUP),
}


def _filled(size: int, default: Any, dtype: Any) -> np.ndarray:
    """An array of ``size`` defaults: zeros come from ``np.zeros`` (memory the system hands out
    already zeroed, touched only when written), other defaults are written out."""
    return np.zeros(size, dtype=dtype) if default == 0 else np.full(size, default, dtype=dtype)


class FirmTable:
    """Struct of arrays for all firms ever created; grows by doubling its capacity."""

    # One array per entry of FIELDS (made in __init__; declared here for readers and type checkers).
    uid: np.ndarray
    direction: np.ndarray
    district: np.ndarray
    alive: np.ndarray
    origin: np.ndarray
    founded: np.ndarray
    age: np.ndarray
    revenue: np.ndarray
    revenue_lag1: np.ndarray
    revenue_lag2: np.ndarray
    revenue_lag3: np.ndarray
    last_growth: np.ndarray
    employees: np.ndarray
    researchers: np.ndarray
    rd_intensity: np.ndarray
    rd_spend: np.ndarray
    knowledge: np.ndarray
    relative_tech: np.ndarray
    cash: np.ndarray
    equity_raised: np.ndarray
    equity_this_year: np.ndarray
    funded_year: np.ndarray
    rounds: np.ndarray
    high_tech: np.ndarray
    certified_year: np.ndarray
    tech_centre: np.ndarray
    new_star_until: np.ndarray
    anchor: np.ndarray
    grant: np.ndarray
    loan_subsidy: np.ndarray
    direct_subsidy: np.ndarray
    listed: np.ndarray
    stage: np.ndarray
    productivity: np.ndarray
    project_funding: np.ndarray
    bond_subsidy: np.ndarray
    contract_revenue: np.ndarray

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self.capacity = max(16, capacity)
        for name, (dtype, default) in FIELDS.items():
            setattr(self, name, _filled(self.capacity, default, dtype))

    def _grow(self, needed: int) -> None:
        new_capacity = self.capacity
        while new_capacity < needed:
            new_capacity *= 2
        for name, (dtype, default) in FIELDS.items():
            old = getattr(self, name)
            arr = _filled(new_capacity, default, dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)
        self.capacity = new_capacity

    def add(self, count: int, **values: Any) -> np.ndarray:
        """Append ``count`` rows; unspecified fields take their defaults.

        Returns:
            The new row indices.
        """
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise KeyError(f"unknown firm fields: {sorted(unknown)}")
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        new = slice(self.n, self.n + count)
        for name, value in values.items():
            getattr(self, name)[new] = value
        self.n += count
        return np.arange(new.start, new.stop)

    def live(self) -> np.ndarray:
        """Row indices of live firms."""
        return np.flatnonzero(self.alive[: self.n])


class Firm(mesa.Agent):
    """A firm as a Mesa agent: a view of one row of the model's :class:`FirmTable`."""

    def __init__(self, model: FutureIndustryModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    def _get(self, name: str) -> Any:
        return getattr(self.model.firms, name)[self.row].item()

    @property
    def direction(self) -> str:
        return self.model.region.directions[self._get("direction")]

    @property
    def district(self) -> str:
        return self.model.region.districts[self._get("district")]

    @property
    def stage(self) -> str:
        return STAGE_NAMES[self._get("stage")]

    @property
    def revenue(self) -> float:
        return self._get("revenue")

    @property
    def relative_tech(self) -> float:
        return self._get("relative_tech")

    @property
    def age(self) -> int:
        return self._get("age")

    @property
    def partners(self) -> int:
        return int(self.model.partner_counts()[self.row])

    def describe(self) -> dict[str, Any]:
        """All of the firm's state as a dict (for notebooks)."""
        out = {name: self._get(name) for name in FIELDS}
        out.update(direction=self.direction, district=self.district, stage=self.stage,
                   origin=ORIGIN_NAMES[out["origin"]], partners=self.partners, row=self.row)
        return out
