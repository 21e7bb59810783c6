"""Research institutes and platforms: universities, labs, CAS-type institutes, innovation centres,
concept-verification centres, and platforms founded through the new-platforms lever.

An institute employs researchers (split over directions by fixed weights), and each year produces
knowledge events: key breakthroughs, technology transfers to firms, spin-off firms and, for
innovation centres and new platforms, standards (``platform_standards_per_year``). Rates are per
1,000 researchers (parameter space: ``breakthrough_rate``, ``transfers_per_1000_researchers``,
``spinoffs_per_1000_researchers``); money of the tech-transfer lever raises the transfer and spin-off
rates of its direction.

Breakthroughs have diminishing returns in the direction's public research: each institute's rate is
multiplied by ``(R_d / R_ref_d) ** (research_output_elasticity - 1)``, where ``R_d`` is all institute
researchers of the direction and ``R_ref_d`` those at the start. Standards have the same diminishing
returns in the direction's number of standard-setting platforms (``P_d / P_ref_d``), not in its
researchers: a platform writes standards whatever its staff, so research money that adds researchers
but no platform leaves them unchanged. Talent
multiplies research: the programme recruits' productivity gain and the top scientists hosted scale
the breakthrough rate (top scientists' gain grows with the research resources around them), so
talent and research money are complements. The model draws every institute's events at once
(:meth:`event_rates`, :func:`sim.model.rules.poisson_from_uniforms`), one uniform per institute, direction
and event kind, so a lever that changes one institute or one kind of event leaves the others' draws
as they were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model.model import FutureIndustryModel

STAFF_YEAR = 2024  # institutes.csv gives staff in this year; published growth plans run from it
PLATFORM_KINDS = ("innovation_centre", "platform", "lab")  # count as platforms for national zones
STANDARD_SETTERS = ("innovation_centre", "platform")        # write standards (diminishing in their number)
EVENT_KINDS = ("breakthroughs", "tech_transfers", "spinoffs", "standards")  # rows of event_rates


class Institute(mesa.Agent):
    """One research institute or platform.

    Attributes:
        key: Identifier (row of ``institutes.csv`` or ``platform_<direction>_<n>``).
        kind: university, lab, cas_institute, research_institute, innovation_centre,
            concept_verification or platform.
        district: District index.
        weights: Share of its researchers in each direction, shape (n_directions,).
        base_researchers: Researchers funded by its own budget in the start year.
        target_researchers, target_year: A published growth plan (e.g. Yongjiang Lab: 3,000 by 2030).
        extra_budget: City basic-research money this year, 100m yuan.
        researchers: Researchers employed this year (after the talent market).
        founded_in_run: True for platforms founded during the run (they count as new platforms).
    """

    def __init__(self, model: FutureIndustryModel, key: str, name_zh: str, kind: str, district: int,
                 weights: np.ndarray, researchers: float, budget: float, founded: int,
                 target_researchers: float | None = None, target_year: int | None = None,
                 founded_in_run: bool = False) -> None:
        super().__init__(model)
        self.key = key
        self.name_zh = name_zh
        self.kind = kind
        self.district = district
        self.weights = np.asarray(weights, dtype=float)
        self.base_researchers = float(researchers)
        self.budget = float(budget)
        self.founded = founded
        self.target_researchers = target_researchers
        self.target_year = target_year
        self.extra_budget = 0.0
        self.researchers = float(researchers)
        self.founded_in_run = founded_in_run

    def planned_researchers(self, year: int) -> float:
        """Researchers the institute wants this year: its own plan plus what city money pays for.

        A published growth plan (``target_researchers`` by ``target_year``) is followed linearly from
        the staff of :data:`STAFF_YEAR` (or from the scenario's start, if later); before that year, as
        in a hindcast, the institute keeps its recorded staff.
        """
        base = self.base_researchers
        if self.target_researchers and self.target_year and year > self.founded:
            start = max(self.model.start_year, STAFF_YEAR)
            span = max(1, self.target_year - start)
            progress = min(1.0, max(0.0, (year - start) / span))
            base = self.base_researchers + progress * (self.target_researchers - self.base_researchers)
        return base + self.extra_budget / self.model.values.cost_per_researcher_100m_yuan

    @property
    def researchers_by_direction(self) -> np.ndarray:
        return self.researchers * self.weights

    def event_rates(self, research_ratio: np.ndarray, productivity: np.ndarray, tops: np.ndarray,
                    transfer_boost: np.ndarray, platform_ratio: np.ndarray) -> np.ndarray:
        """Expected events this year by kind and direction, shape (4, n_directions).

        Rows: breakthroughs, technology transfers, spin-offs, standards (see :data:`EVENT_KINDS`).

        Args:
            research_ratio: Institute researchers of each direction over those at the start
                (1 where there were none); sets the diminishing-returns factor
                ``research_ratio ** (research_output_elasticity - 1)``.
            productivity: Talent productivity multiplier by direction (programme recruits).
            tops: Top scientists hosted here, by direction.
            transfer_boost: Multiplier of transfer and spin-off rates (tech-transfer lever).
            platform_ratio: Standard-setting institutes (innovation centres and platforms) of each
                direction over those at the start (1 where there were none); a platform writes
                ``platform_standards_per_year * platform_ratio ** (research_output_elasticity - 1)``
                standards, so the direction's standards are concave in its number of platforms and
                do not depend on how many researchers the platforms employ.
        """
        v = self.model.values
        per_k = self.researchers_by_direction / 1000.0
        if self.kind == "rd_institution":  # new-type R&D institutions are set up to transfer
            transfer_boost = transfer_boost * v.rd_institution_transfer_multiplier
        scale = research_ratio ** (v.research_output_elasticity - 1.0)
        out = np.zeros((len(EVENT_KINDS), len(per_k)))
        out[0] = (v.breakthrough_rate * per_k * productivity * scale
                  + v.top_scientist_breakthrough_gain * tops * research_ratio ** v.research_output_elasticity)
        out[1] = v.transfers_per_1000_researchers * per_k * transfer_boost
        out[2] = v.spinoffs_per_1000_researchers * per_k * transfer_boost
        if self.kind in STANDARD_SETTERS:
            out[3] = (v.platform_standards_per_year * self.weights
                      * platform_ratio ** (v.research_output_elasticity - 1.0))
        return out
