"""Districts and their future-industry pilot zones (先导区).

A pilot zone is a (district, direction) pair with a level: municipal (designated by the city, from
the scenario's schedule), provincial or national (designated by higher levels when a zone meets the
criteria written in ``indicators.toml``: years at the lower level, revenue and firms of the
district-direction, a head enterprise and a platform for national). Zones raise the growth and the
entry of firms of their district-direction (ODD "Pilot zones").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.firms import NO_YEAR

if TYPE_CHECKING:
    from sim.model.model import FutureIndustryModel

NONE, MUNICIPAL, PROVINCIAL, NATIONAL = range(4)
# Strength of a zone's effects by level, relative to a municipal zone (assumption, ODD "Pilot zones").
LEVEL_EFFECT = np.array([0.0, 1.0, 1.5, 2.0])


@dataclass(frozen=True)
class Application:
    """A zone that meets the criteria for the next level this year."""

    district: int
    direction: int
    level: int
    revenue: float


class District(mesa.Agent):
    """A district (or county, or functional zone) of the city, holding its pilot zones.

    Attributes:
        index: Position in the region's district list.
        key: District id.
        level: Zone level per direction (0 none, 1 municipal, 2 provincial, 3 national).
        since: Year the current level was reached, per direction.
        municipal: Whether the city ever designated a municipal zone here, per direction.
    """

    def __init__(self, model: FutureIndustryModel, index: int, key: str, n_directions: int) -> None:
        super().__init__(model)
        self.index = index
        self.key = key
        self.level = np.zeros(n_directions, dtype=np.int8)
        self.since = np.full(n_directions, NO_YEAR, dtype=np.int16)
        self.municipal = np.zeros(n_directions, dtype=bool)

    def designate(self, direction: int, level: int, year: int, by_city: bool = False) -> None:
        """Raise a zone to ``level`` (never lowers it)."""
        if level > self.level[direction]:
            self.level[direction] = level
            self.since[direction] = year
            self.model._zones = None  # the model's cached zone levels are stale
        if by_city:
            self.municipal[direction] = True

    def applications(self, year: int, revenue: np.ndarray, firms: np.ndarray, heads: np.ndarray,
                     platforms: np.ndarray) -> list[Application]:
        """Zones of this district that meet the criteria for the next level this year.

        Args:
            year: Current year.
            revenue, firms, heads: Revenue (100m yuan), live firms and head enterprises of this
                district, by direction.
            platforms: Platforms (institutes of platform kinds) in the city, by direction.
        """
        rules = self.model.region.indicators
        prov, nat = rules["provincial_pilot_zones"], rules["national_pilot_zones"]
        out = []
        years_at = year - self.since
        for d in range(len(self.level)):
            if (self.level[d] == MUNICIPAL and years_at[d] >= prov["municipal_years_min"]
                    and revenue[d] >= prov["revenue_min_100m_yuan"] and firms[d] >= prov["firms_min"]):
                out.append(Application(self.index, d, PROVINCIAL, float(revenue[d])))
            elif (self.level[d] == PROVINCIAL and years_at[d] >= nat["provincial_years_min"]
                    and revenue[d] >= nat["revenue_min_100m_yuan"] and heads[d] >= 1 and platforms[d] >= 1):
                out.append(Application(self.index, d, NATIONAL, float(revenue[d])))
        return out
