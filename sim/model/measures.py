"""Mechanisms of the guidance's measures added as levers (issue 12, item 3), as a mixin of the model.

Each measure has a cost the model records as delivered (:meth:`pay`), a schedule (the lever's years,
ramp and changes, through the plan) and a mechanism through agents' behaviour:

* 市级科技重大专项 (``major_projects``): projects led by a direction's technology leaders fund their R&D;
* 大科学装置/研究型大学 (``big_science``) and 新型研发机构 (``rd_institutions``): institutes that open after
  their build years, hire researchers and produce breakthroughs, transfers and spin-offs (R&D
  institutions transfer ``rd_institution_transfer_multiplier`` times as much per researcher);
* "万亩千亿" platforms (``industry_platforms``): serviced land lowers the incentive an outside firm needs;
* 知识产权/技术中介 (``ip_services``): firms absorb more of each technology transfer;
* 未来产业特色学院 (``industry_colleges``): graduates into the direction after the training years;
* 债券/并购融资 (``bond_finance``): interest support to established growing firms (growth channel of
  loan-interest subsidies);
* 容错/沙盒 (``sandbox``): young firms' exit hazard falls in covered directions;
* 算力/数据 (``compute_infrastructure``): higher knowledge productivity of firms' R&D;
* the 九个"一" bundle: a direction holding a pilot zone, a guidance sub-fund and a platform gets the
  zone's growth effect raised by ``bundle_complementarity`` (complementarity of the parts).

Effect sizes are parameters with ranges in ``parameter_space.toml`` (assumptions where no estimate
exists; diminishing returns in money as log(1 + money)).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from agents.firms import SME
from agents.institutes import PLATFORM_KINDS, Institute
from sim.model import rules
from sim.model.state import ModelState
from sim.scenario.levers import stochastic_round

if TYPE_CHECKING:
    from sim.model.model import FutureIndustryModel

INSTITUTE_LEVERS = ("big_science", "rd_institutions", "industry_platforms")
COUNTED_AS_PLATFORMS = ("lab",)  # kinds founded by these levers that count as new innovation platforms


class GuidanceMeasures(ModelState):
    """The measures' steps, called from the model's year (see ``FutureIndustryModel.step``)."""

    def _init_measures(self) -> None:
        n_dir = self.region.n_directions
        self.pipeline: list[tuple[str, int, int, int]] = []  # lever, direction, decision year, opening year
        self.opened = {name: np.zeros(n_dir) for name in INSTITUTE_LEVERS}
        self.colleges: list[tuple[int, np.ndarray]] = []  # founding year, colleges by direction

    # ------------------------------------------------------------------ institutes and platforms

    def _build_institutes(self) -> None:
        """Decide, build (paying set-up over the build years) and open the organisations of the
        institute levers; pay the running cost of those open."""
        n_dir = self.region.n_directions
        for name in INSTITUTE_LEVERS:
            lever = getattr(self.plan, name)
            (decided,) = self.deliver_units(name, (lever.decided,))
            for row in np.flatnonzero(decided):
                self.pipeline += [(name, int(row), self.year, self.year + lever.build_years)] * int(decided[row])
            paid = np.zeros(n_dir)
            keep = []
            for item in self.pipeline:
                lever_name, d, decided_year, opening = item
                if lever_name != name:
                    keep.append(item)
                    continue
                if self.year < opening or (lever.build_years == 0 and decided_year == self.year):
                    paid[d] += lever.setup_cost_100m_yuan / max(1, lever.build_years)
                if self.year == opening:
                    self._open_institute(name, lever.kind, d, lever.operating_cost_100m_yuan_per_year)
                else:
                    keep.append(item)
            self.pipeline = keep
            self.pay(name, paid + self.opened[name] * lever.operating_cost_100m_yuan_per_year)

    def _open_institute(self, lever: str, kind: str, d: int, operating: float) -> None:
        self.opened[lever][d] += 1
        if lever == "industry_platforms":  # land and buildings, not a research organisation
            return
        named = np.flatnonzero(self.region.named[d])
        k = int(self.opened[lever][d])
        weights = np.zeros(self.region.n_directions)
        weights[d] = 1.0
        researchers = operating / self.values.cost_per_researcher_100m_yuan * self.population_scale
        label = {"lab": "大科学装置", "rd_institution": "新型研发机构"}.get(kind, lever)
        self.institutes.append(Institute(
            cast("FutureIndustryModel", self), f"{lever}_{self.region.directions[d]}_{k}",
            f"{self.region.direction_label(self.region.directions[d])}{label}{k}", kind,
            int(named[k % len(named)]), weights, researchers, operating, self.year))
        if kind in COUNTED_AS_PLATFORMS:
            self.count("innovation_platforms", weights)

    def attraction_cost_factor(self) -> np.ndarray:
        """Incentive an outside firm needs, relative to no industrial platform, by direction."""
        return 1.0 / (1.0 + self.values.industrial_platform_attraction_effect * self.opened["industry_platforms"])

    # ------------------------------------------------------------------ money to firms

    def _fund_major_projects(self) -> None:
        """Projects go to the direction's technology leaders (knowledge, with noise), one per firm a year."""
        f, plan = self.firms, self.plan.major_projects
        live = f.live()
        f.project_funding[live] = 0.0
        money = self.this_year(plan.money_100m_yuan)
        if money.sum() <= 0:
            return
        rng = self.stream("projects")
        projects = stochastic_round(money / plan.cost_100m_yuan_per_project, rng.random())
        paid = np.zeros(self.region.n_directions)
        for d in np.flatnonzero(projects):
            rows = self.live_rows_of(d)
            rows = rows[f.stage[rows] >= SME]
            score = np.log(np.maximum(f.knowledge[rows], 1e-9))
            chosen = rows[rules.top_k_noisy(score, min(int(projects[d]), len(rows)), 1.0,
                                            self.firm_gumbels("projects", rows))]
            f.project_funding[chosen] = plan.cost_100m_yuan_per_project
            paid[d] = len(chosen) * plan.cost_100m_yuan_per_project
        self.pay("major_projects", paid)

    def _allocate_bond_support(self) -> None:
        """Interest support on bonds and acquisition loans of established growing firms (revenue >= 1亿)."""
        f, plan = self.firms, self.plan.bond_finance
        live = f.live()
        f.bond_subsidy[live] = 0.0
        money = self.this_year(plan.money_100m_yuan)
        paid = np.zeros(self.region.n_directions)
        for d in np.flatnonzero(money > 0):
            rows = self.live_rows_of(d)
            eligible = (f.revenue[rows] >= 1.0) & (f.last_growth[rows] > 0)
            f.bond_subsidy[rows] = rules.allocate_proportional(
                money[d], f.revenue[rows] * eligible, np.full(len(rows), plan.max_per_firm_100m_yuan))
            paid[d] = f.bond_subsidy[rows].sum()
        self.pay("bond_finance", paid)

    # ------------------------------------------------------------------ knowledge and talent

    def compute_productivity(self) -> np.ndarray:
        """Multiplier of firms' R&D productivity from computing vouchers, by direction (paid here)."""
        money = self.this_year(self.plan.compute_infrastructure.money_100m_yuan)
        self.pay("compute_infrastructure", money)
        return 1.0 + self.values.compute_productivity_effect * np.log1p(money)

    def transfer_absorption(self) -> np.ndarray:
        """Multiplier of the knowledge a transfer brings, from IP services and brokers (paid here)."""
        money = self.this_year(self.plan.ip_services.money_100m_yuan)
        self.pay("ip_services", money)
        return 1.0 + self.values.ip_service_effect * np.log1p(money)

    def college_graduates(self) -> np.ndarray:
        """Graduates of the future-industry colleges this year, by direction; founds this year's
        colleges and pays the running ones."""
        plan = self.plan.industry_colleges
        (founded,) = self.deliver_units("industry_colleges", (plan.founded,))
        if founded.any():
            self.colleges.append((self.year, founded))
        running = sum((c for _, c in self.colleges), np.zeros(self.region.n_directions))
        self.pay("industry_colleges", running * plan.operating_cost_100m_yuan_per_year)
        graduating = sum((c for y, c in self.colleges if y + plan.training_years <= self.year),
                         np.zeros(self.region.n_directions))
        return graduating * plan.graduates_per_college_per_year * self.population_scale

    # ------------------------------------------------------------------ survival, bundle

    def sandbox_coverage(self) -> np.ndarray:
        """Share of each direction under a sandbox this year (paid here)."""
        plan = self.plan.sandbox
        coverage = self.this_year(plan.coverage)
        self.pay("sandbox", coverage * plan.cost_100m_yuan_per_direction_per_year)
        return coverage

    def bundle_factor(self) -> np.ndarray:
        """Multiplier of pilot zones' growth effect by direction: 1 + bundle_complementarity where the
        direction holds a guidance sub-fund and a platform (with its zone, the 九个"一" parts)."""
        n_dir = self.region.n_directions
        fund = np.zeros(n_dir, dtype=bool)
        for sub_fund in self.sub_funds:
            fund[sub_fund.directions] |= sub_fund.city_paid_in > 0
        platform = np.zeros(n_dir, dtype=bool)
        for inst in self.institutes:
            if inst.kind in PLATFORM_KINDS:
                platform |= inst.weights > 0
        return 1.0 + self.values.bundle_complementarity * (fund & platform)
