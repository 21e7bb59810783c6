"""Research institutes and platforms: universities, labs, CAS-type institutes, innovation centres,
concept-verification centres, and platforms founded through the new-platforms lever.

An institute employs researchers (split over directions by fixed weights), and each year produces
knowledge events: key breakthroughs, technology transfers to firms, spin-off firms and, for
innovation centres and new platforms, standards (``platform_standards_per_year``). Rates are per 1,000 researchers (parameter space: ``breakthrough_rate``,
``transfers_per_1000_researchers``, ``spinoffs_per_1000_researchers``); money of the tech-transfer
lever raises the transfer and spin-off rates of its direction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model.model import FutureIndustryModel

STAFF_YEAR = 2024  # institutes.csv gives staff in this year; published growth plans run from it
PLATFORM_KINDS = ("innovation_centre", "platform", "lab")  # count as platforms for national zones
STANDARD_SETTERS = ("innovation_centre", "platform")        # write standards at a fixed rate


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
            start = max(self.model.spec.start_year, STAFF_YEAR)
            span = max(1, self.target_year - start)
            progress = min(1.0, max(0.0, (year - start) / span))
            base = self.base_researchers + progress * (self.target_researchers - self.base_researchers)
        return base + self.extra_budget / self.model.values.cost_per_researcher_100m_yuan

    @property
    def researchers_by_direction(self) -> np.ndarray:
        return self.researchers * self.weights

    def step(self) -> None:
        """Produce this year's knowledge events and hand them to the model."""
        model, v, rng = self.model, self.model.values, self.model.stream("institutes")
        per_k = self.researchers_by_direction / 1000.0
        transfer_boost = 1.0 + v.tech_transfer_lever_effect * model.lever_money("tech_transfer")
        tops = model.top_scientists_at(self)
        breakthroughs = rng.poisson(
            v.breakthrough_rate * per_k * model.talent.productivity()
            + v.top_scientist_breakthrough_gain * tops
        )
        transfers = rng.poisson(v.transfers_per_1000_researchers * per_k * transfer_boost)
        spinoffs = rng.poisson(v.spinoffs_per_1000_researchers * per_k * transfer_boost)
        standards = np.zeros_like(per_k, dtype=np.int64)
        if self.kind in STANDARD_SETTERS:
            standards = rng.poisson(v.platform_standards_per_year * self.weights)
        model.count("breakthroughs", breakthroughs)
        model.count("standards", standards)
        model.pending_transfers += transfers
        model.count("tech_transfers", transfers)
        for d in np.flatnonzero(spinoffs):
            model.pending_spinoffs.append((int(d), self.district, int(spinoffs[d]), self.key))
