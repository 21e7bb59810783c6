"""Public knowledge: what the city's institutes have learnt, by direction, and how firms absorb it.

Institutes' research (researchers x cost per researcher x the talent productivity of the direction,
with the diminishing returns of ``research_output_elasticity`` in the direction's researchers, as for
breakthroughs) accumulates in a public knowledge stock per direction that depreciates like firms'
knowledge. Each
year a firm absorbs part of it, the more the larger its own R&D (absorptive capacity, Cohen &
Levinthal 1990):

    spillover_i = capacity_i * reach_d * (stock_d / reference_d) ** public_spillover_elasticity,
    capacity_i  = R&D_i / (R&D_i + absorptive_half_rd_100m_yuan).

``reference_d`` is the stock at the start (the steady state of the institutes' research then), and
``reach_d`` is set at the start so that firms of the direction absorb ``public_spillover_share`` of
their own R&D in that year (Mansfield 1991: about a tenth of new products and processes rest on
recent academic research). The elasticity below 1 gives diminishing returns: doubling public
research raises what firms absorb by less than double. The stock of the previous year is what
firms absorb (science reaches firms with a lag), so this year's research money changes firms'
knowledge from next year on. Technology transfers (licences) are a separate, smaller channel
(:mod:`agents.institutes`, Cohen, Nelson & Walsh 2002).
"""

from __future__ import annotations

import numpy as np

from sim.model.rules import absorptive_capacity, public_spillover, update_public_knowledge


class PublicKnowledge:
    """The public knowledge stock of each direction and its spillover to firms.

    Attributes:
        stock: Public knowledge by direction (100m yuan of research, depreciated).
        reference: The stock at the start, by direction.
        reach: Knowledge (100m yuan a year) a firm with full absorptive capacity takes at the
            reference stock, by direction.
        absorbed: Knowledge absorbed by firms in the last year, by direction (100m yuan).
    """

    def __init__(self, research_100m_yuan: np.ndarray, depreciation: float, firm_rd_100m_yuan: np.ndarray,
                 firm_capacity: np.ndarray, spillover_share: float) -> None:
        """Start at the steady state of the institutes' research of the start year.

        Args:
            research_100m_yuan: Institutes' research spending by direction in the start year.
            depreciation: Yearly depreciation of the stock.
            firm_rd_100m_yuan: Firms' R&D by direction in the start year.
            firm_capacity: Sum of firms' absorptive capacities by direction in the start year.
            spillover_share: Knowledge absorbed at the start as a share of firms' own R&D.
        """
        self.depreciation = depreciation
        self.stock = np.asarray(research_100m_yuan, dtype=float) / depreciation
        self.reference = self.stock.copy()
        self.reach = np.divide(spillover_share * np.asarray(firm_rd_100m_yuan, dtype=float), firm_capacity,
                               out=np.zeros_like(self.stock), where=np.asarray(firm_capacity) > 0)
        self.absorbed = np.zeros_like(self.stock)

    def ratio(self) -> np.ndarray:
        """Stock over its reference level, by direction (1 where the reference is zero)."""
        return np.divide(self.stock, self.reference, out=np.ones_like(self.stock), where=self.reference > 0)

    def spillover(self, rd_spend: np.ndarray, direction: np.ndarray, half_rd_100m_yuan: float,
                  elasticity: float) -> np.ndarray:
        """Knowledge each firm absorbs this year (R&D-equivalent, 100m yuan); records the totals.

        Args:
            rd_spend: Firms' R&D this year (100m yuan).
            direction: Firms' direction indices.
            half_rd_100m_yuan: R&D at which a firm absorbs half of what it can reach.
            elasticity: Elasticity of the spillover with respect to the stock (< 1).
        """
        capacity = absorptive_capacity(rd_spend, half_rd_100m_yuan)
        gain = public_spillover(capacity, self.reach[direction], self.ratio()[direction], elasticity)
        self.absorbed = np.bincount(direction, weights=gain, minlength=len(self.stock))
        return gain

    def accumulate(self, research_100m_yuan: np.ndarray) -> None:
        """Add this year's research of the institutes, by direction, after depreciation."""
        self.stock = update_public_knowledge(self.stock, np.asarray(research_100m_yuan, dtype=float),
                                             self.depreciation)
