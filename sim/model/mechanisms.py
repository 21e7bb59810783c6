"""The year schedule's mechanisms, steps 1-13 (docs/ODD.md, "Process overview"), as a mixin of the model."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
from scipy.special import ndtri

from agents.districts import LEVEL_EFFECT, MUNICIPAL, NATIONAL, PROVINCIAL
from agents.firms import (
    ATTRACTED,
    CHAIN_LEADER,
    HEAD,
    HIGH_TECH,
    LITTLE_GIANT,
    SME,
    SPUN_OFF,
    STARTED,
    STARTUP,
)
from agents.institutes import EVENT_KINDS, PLATFORM_KINDS, Institute
from agents.talent import TopScientist
from sim.model import rules
from sim.model.constants import (
    MAX_TOP_SCIENTISTS_PER_YEAR,
    PRODUCT_QUALITY_SD,
    SHOCK_FINANCE_FACTOR,
    SHOCK_HAZARD_FACTOR,
)
from sim.model.indicators import chain_leader_mask, head_mask
from sim.model.state import ModelState
from sim.scenario.levers import stochastic_round

if TYPE_CHECKING:
    from sim.model.model import FutureIndustryModel


class YearMechanisms(ModelState):
    """Steps 1-13 of a year of :class:`sim.model.model.FutureIndustryModel` (a mixin)."""

    # ------------------------------------------------------------------ 1. environment

    def _environment(self) -> None:
        v = self.values
        self.shock = bool(self.stream("environment").random() < v.macro_shock_probability)
        if self.t > 0:
            self.frontier *= 1.0 + v.tech_progress
        self._apply_historical_zones()
        self._open_institutes()
        self.pending_transfers[:] = 0
        self.pending_spinoffs.clear()

    # ------------------------------------------------------------------ 2. talent

    def _graduates_in(self) -> np.ndarray:
        """Graduates entering future-industry R&D this year, split by the directions' researchers.

        The yearly total is the sourced count of graduates arriving nearest the start year
        (350,000 in 2024, sim/data/ningbo/facts.csv), held constant (assumption), times the future-industry share.
        """
        v = self.values
        base = self._graduates_base[1] * v.graduate_share_future * self.population_scale
        f, live = self.firms, self.firms.live()
        weight = (np.bincount(f.direction[live], weights=f.researchers[live], minlength=self.region.n_directions)
                  + self.institute_researchers() + 1.0)
        # graduate-attraction money draws graduates into the directions it is allocated to
        money = self.this_year(self.plan.talent_attraction.money_100m_yuan)
        self.pay("talent_attraction", money)
        return base * weight / weight.sum() + base * v.talent_attraction_effect * money + self.college_graduates()

    def recruit_leave_rate(self) -> np.ndarray:
        """Share of programme recruits leaving this year, by direction."""
        v = self.values
        support = self.this_year(self.plan.talent_programme.retention_100m_yuan)
        base = (1.0 - v.recruit_retention) * v.talent_competition
        return np.minimum(1.0, base / (1.0 + v.retention_support_effect * support))

    def _talent_flows(self) -> None:
        v, plan = self.values, self.plan.talent_programme
        outflow = min(1.0, v.talent_outflow_rate * v.talent_competition)
        top, leading, young = self.deliver_units("talent_programme", (
            plan.top_scientists, plan.leading_talent, plan.young_talent))
        recruits = self.talent.recruits_leading + self.talent.recruits_young
        retention = self.this_year(plan.retention_100m_yuan) * ((recruits + leading + young) > 0)
        self.pay("talent_programme", top * plan.cost_100m_yuan_per_top_scientist
                 + leading * plan.cost_100m_yuan_per_leading_talent
                 + young * plan.cost_100m_yuan_per_young_talent + retention)
        self.talent.step(self._graduates_in(), leading.astype(float), young.astype(float), outflow,
                         self.recruit_leave_rate(), v.recruit_productivity_gain, v.recruit_share_half)
        for d in np.flatnonzero(top):
            for k in range(min(int(top[d]), MAX_TOP_SCIENTISTS_PER_YEAR)):
                TopScientist(cast("FutureIndustryModel", self), int(d), self._host_for(int(d)), self.year, serial=k)

    def scientist_uniforms(self, scientist: TopScientist) -> np.ndarray:
        """This year's two uniforms (leave, found a firm) of a top scientist, keyed by (arrival year,
        direction, serial): the same scientist gets the same draws whatever other scientists exist."""
        if self._scientist_draws is None or self._scientist_draws[0] != self.year:
            years = self.end_year - self.start_year + 1
            self._scientist_draws = (self.year, self.stream("scientists").random(
                (years, self.region.n_directions, MAX_TOP_SCIENTISTS_PER_YEAR, 2)))
        return self._scientist_draws[1][scientist.arrived - self.start_year, scientist.direction, scientist.serial]

    def _host_for(self, d: int) -> Institute:
        """The institute with the most researchers in direction ``d`` hosts a new top scientist."""
        return max(self.institutes, key=lambda i: i.researchers * i.weights[d])

    def top_scientists_at(self, institute: Institute) -> np.ndarray:
        """Top scientists hosted by an institute, by direction."""
        return self.top_scientists_by_institute()[self.institutes.index(institute)]

    def top_scientists_by_institute(self) -> np.ndarray:
        """Top scientists hosted by each institute (rows in ``self.institutes`` order), by direction."""
        out = np.zeros((len(self.institutes), self.region.n_directions))
        index = {id(inst): k for k, inst in enumerate(self.institutes)}
        for s in self.agents_by_type.get(TopScientist, []):
            out[index[id(s.host)], s.direction] += 1
        return out

    # ------------------------------------------------------------------ 3. platforms

    def _found_platforms(self) -> None:
        lever = self.plan.new_platforms
        (founded,) = self.deliver_units("new_platforms", (lever.founded,))
        running = np.zeros(self.region.n_directions)
        for inst in self.institutes:
            if inst.founded_in_run and inst.kind == "platform":
                running += inst.weights
        self.pay("new_platforms", founded * lever.setup_cost_100m_yuan
                 + running * lever.operating_cost_100m_yuan_per_year)
        researchers = lever.operating_cost_100m_yuan_per_year / self.values.cost_per_researcher_100m_yuan
        for d in np.flatnonzero(founded):
            named = np.flatnonzero(self.region.named[d])
            for _ in range(int(founded[d])):
                n = sum(1 for i in self.institutes if i.founded_in_run and i.kind == "platform" and i.weights[d] == 1.0)
                weights = np.zeros(self.region.n_directions)
                weights[d] = 1.0
                self.institutes.append(Institute(
                    cast("FutureIndustryModel", self), f"platform_{self.region.directions[d]}_{n + 1}",
                    f"{self.region.direction_label(self.region.directions[d])}创新平台{n + 1}",
                    "platform", int(named[n % len(named)]), weights, researchers * self.population_scale,
                    lever.operating_cost_100m_yuan_per_year, self.year, founded_in_run=True))
                self.count("innovation_platforms", weights)

    # ------------------------------------------------------------------ 4. funds

    def _commit_fund_capital(self) -> None:
        v = self.values
        angel = self.this_year(self.plan.angel_fund.money_100m_yuan)
        self.angel.commit(angel, v.angel_fund_leverage, self.year)
        self.pay("angel_fund", angel)
        guidance = self.this_year(self.plan.guidance_fund.money_100m_yuan)
        deploy = self.plan.guidance_fund.deployment_years
        if self.sub_funds:
            self.pay("guidance_fund", guidance)
        for fund, share in zip(self.sub_funds, self._sub_fund_share):
            fund.commit(guidance * share, v.guidance_fund_leverage, self.year, deploy)
        # private venture capital follows deal flow: split by the number of investable firms
        f, live = self.firms, self.firms.live()
        investable = (f.age[live] <= 8) | ((f.revenue[live] >= 1.0) & (f.revenue[live] < 20.0))
        flow = np.bincount(f.direction[live][investable], minlength=self.region.n_directions) + 1.0
        total = v.private_vc_100m_yuan_per_year * v.vc_climate * (SHOCK_FINANCE_FACTOR if self.shock else 1.0)
        for d, fund in enumerate(self.private_vc):
            money = np.zeros(self.region.n_directions)
            money[d] = total * flow[d] / flow.sum()
            fund.commit(money, 0.0, self.year)
            fund.dry_powder[d] = 0.0  # private money not placed in a year goes elsewhere

    # ------------------------------------------------------------------ 5. subsidies

    def _allocate_subsidies(self) -> None:
        f, live = self.firms, self.firms.live()
        f.grant[live] = 0.0
        f.loan_subsidy[live] = 0.0
        f.direct_subsidy[live] = 0.0
        grants, loans, direct = self.plan.rd_grants, self.plan.loan_interest_subsidies, self.plan.direct_subsidies
        for d in range(self.region.n_directions):
            rows = self.live_rows_of(d)
            if len(rows) == 0:
                continue
            money = self.this_year(grants.money_100m_yuan)[d]
            if money > 0:
                eligible = f.stage[rows] >= SME
                f.grant[rows] = rules.allocate_proportional(
                    money, f.rd_spend[rows] * eligible, grants.max_share_of_own_rd * f.rd_spend[rows])
            money = self.this_year(loans.money_100m_yuan)[d]
            if money > 0:
                eligible = (f.revenue[rows] >= 0.2) & (f.last_growth[rows] > 0)
                f.loan_subsidy[rows] = rules.allocate_proportional(
                    money, f.revenue[rows] * eligible, np.full(len(rows), loans.max_per_firm_100m_yuan))
            money = self.this_year(direct.money_100m_yuan)[d]
            if money > 0:
                eligible = np.flatnonzero((f.age[rows] <= 8) & (f.stage[rows] <= HIGH_TECH))
                rng = self.agent_stream("subsidies", f"direction:{d}")
                n = rules.integer_draw(money / direct.per_firm_100m_yuan, rng)
                score = np.log(np.maximum(f.relative_tech[rows[eligible]], 1e-6))
                chosen = rows[eligible[rules.top_k_noisy(score, min(n, len(eligible)), 1.0,
                                                         self.firm_gumbels("subsidies", rows[eligible]))]]
                f.direct_subsidy[chosen] = direct.per_firm_100m_yuan
                f.cash[chosen] += direct.per_firm_100m_yuan
        d_live = f.direction[live]
        n_dir = self.region.n_directions
        self.pay("rd_grants", np.bincount(d_live, weights=f.grant[live], minlength=n_dir))
        self.pay("loan_interest_subsidies", np.bincount(d_live, weights=f.loan_subsidy[live], minlength=n_dir))
        self.pay("direct_subsidies", np.bincount(d_live, weights=f.direct_subsidy[live], minlength=n_dir))
        self._fund_major_projects()
        self._allocate_bond_support()

    # ------------------------------------------------------------------ 6. R&D and hiring

    def _rd_and_hiring(self) -> np.ndarray:
        f, live, v = self.firms, self.firms.live(), self.values
        n_dir = self.region.n_directions
        own, burn = rules.rd_spending(f.revenue[live], f.rd_intensity[live], f.cash[live])
        f.cash[live] -= burn
        wanted = own + v.rd_grant_additionality * (f.grant[live] + f.project_funding[live])
        d = f.direction[live]
        firm_demand = np.bincount(d, weights=wanted, minlength=n_dir) / v.cost_per_researcher_100m_yuan
        for inst in self.institutes:
            inst.extra_budget = 0.0
        self._fund_institutes()
        with_institutes = self.institute_researchers() > 0
        self.pay("tech_transfer", self.this_year(self.plan.tech_transfer.money_100m_yuan) * with_institutes)
        planned = np.array([i.planned_researchers(self.year) for i in self.institutes])
        weights = np.array([i.weights for i in self.institutes])
        inst_demand = planned @ weights
        inst_fill, firm_fill = self.talent.hire(inst_demand, firm_demand, v.talent_supply_response)
        for inst, p in zip(self.institutes, planned):
            inst.researchers = p * float(inst.weights @ inst_fill)
        rd = wanted * firm_fill[d]
        f.rd_spend[live] = rd
        f.researchers[live] = rd / v.cost_per_researcher_100m_yuan
        before = f.knowledge[live].copy()
        spillover = self.public.spillover(rd, d, v.absorptive_half_rd_100m_yuan, v.public_spillover_elasticity)
        f.knowledge[live] = rules.update_knowledge(
            before, rd, v.knowledge_depreciation,
            (self.talent.productivity() * self.compute_productivity())[d]) + spillover
        return before

    def _institutes_act(self) -> None:
        """Institutes' knowledge events of the year, drawn at once (agents/institutes.py), then their
        research added to the public knowledge stock.

        Each kind of event has its own stream and each institute its row of uniforms in it, so a lever
        that changes transfers cannot change breakthroughs, and a new platform cannot change the draws
        of the institutes that were there before it.
        """
        v, n_dir = self.values, self.region.n_directions
        if not self.institutes:
            return
        researchers = self.institute_researchers()
        ratio = rules.research_ratio(researchers, self.research_reference)
        productivity = self.talent.productivity()
        boost = 1.0 + v.tech_transfer_lever_effect * self.this_year(self.plan.tech_transfer.money_100m_yuan)
        tops = self.top_scientists_by_institute()
        platforms = rules.research_ratio(self.standard_setters(), self.platform_reference)
        rates = np.stack([inst.event_rates(ratio, productivity, tops[k], boost, platforms)
                          for k, inst in enumerate(self.institutes)], axis=1)  # (kind, institute, direction)
        events = {kind: rules.poisson_from_uniforms(
            rates[j], self.stream(f"institute_{kind}").random((len(self.institutes), n_dir)))
            for j, kind in enumerate(EVENT_KINDS)}
        self.count("breakthroughs", events["breakthroughs"].sum(axis=0))
        self.count("standards", events["standards"].sum(axis=0))
        transfers = events["tech_transfers"].sum(axis=0)
        self.pending_transfers += transfers
        self.count("tech_transfers", transfers)
        for k, inst in enumerate(self.institutes):
            for d in np.flatnonzero(events["spinoffs"][k]):
                self.pending_spinoffs.append((int(d), inst.district, int(events["spinoffs"][k, d]), inst.key))
        # public knowledge made this year: research spending with the same diminishing returns as breakthroughs
        self.public.accumulate(researchers * v.cost_per_researcher_100m_yuan * productivity
                               * ratio ** (v.research_output_elasticity - 1.0))

    def _fund_institutes(self) -> None:
        """Split basic-research money of each direction over institutes by their researchers there."""
        money = self.this_year(self.plan.basic_research.money_100m_yuan)
        if money.sum() <= 0:
            return
        by_dir = np.array([i.researchers * i.weights for i in self.institutes])  # (n_inst, n_dir)
        totals = by_dir.sum(axis=0)
        share = np.divide(by_dir, totals, out=np.zeros_like(by_dir), where=totals > 0)
        extra = share @ money
        self.pay("basic_research", money * (totals > 0))  # a direction without institutes is not paid
        for inst, amount in zip(self.institutes, extra):
            inst.extra_budget = float(amount)

    def _absorb_transfers(self) -> None:
        """Technology transfers go to firms of the direction in proportion to their researchers + 1."""
        f, v = self.firms, self.values
        absorption = self.transfer_absorption()
        for d in np.flatnonzero(self.pending_transfers):
            rows = self.live_rows_of(d)
            if len(rows) == 0:
                continue
            w = f.researchers[rows] + 1.0
            # each firm takes a Poisson number of the transfers, mean in proportion to its weight, from
            # its own uniform (so a firm's take does not depend on which other firms exist)
            taken = rules.poisson_from_uniforms(self.pending_transfers[d] * w / w.sum(),
                                                self.firm_uniforms("transfers", rows))
            f.knowledge[rows] += taken * v.transfer_knowledge_gain * absorption[d]

    # ------------------------------------------------------------------ 8. innovation

    def _innovate(self) -> None:
        f, v = self.firms, self.values
        live = f.live()
        n_dir = self.region.n_directions
        self._update_relative_tech(live)
        d = f.direction[live]
        # a firm's new products are Poisson in its R&D, and each is at the frontier with probability
        # p_frontier, so its frontier products are Poisson(rate x p_frontier) (thinning): drawn from the
        # firm's own uniform, so a lever that changes one firm's R&D leaves the others' products as they were
        rule = self.region.indicators["high_end_products"]
        p_frontier = rules.share_above(f.relative_tech[live], rule["quality_min"], PRODUCT_QUALITY_SD)
        candidates = rules.poisson_from_uniforms(
            rules.innovation_rate(f.rd_spend[live], v.product_rate, v.innovation_elasticity) * p_frontier,
            self.firm_uniforms("products", live))
        # first-of-a-kind support goes to frontier products, chosen at random within each direction
        foak = self.plan.first_of_a_kind
        money = self.this_year(foak.money_100m_yuan)
        supported = np.zeros(len(live), dtype=np.int64)
        frontier = np.flatnonzero(candidates > 0)
        for k in np.flatnonzero(money > 0):  # a direction without money takes no draw
            foak_rng = self.agent_stream("first_of_a_kind", f"direction:{k}")
            capacity = rules.integer_draw(money[k] / foak.cost_100m_yuan_per_product, foak_rng)
            idx = frontier[d[frontier] == k]
            if capacity == 0 or len(idx) == 0:
                continue
            # products are supported firm by firm in the order of each firm's own uniform
            pool = np.repeat(idx, candidates[idx])
            priority = np.repeat(self.firm_uniforms("first_of_a_kind", live[idx]), candidates[idx])
            take = pool[np.argsort(priority, kind="stable")[:capacity]]
            np.add.at(supported, take, 1)
        p_val = rule["validation_probability"]
        # validation: binomial by inverse CDF of each firm's own two uniforms (unsupported, supported products)
        u = np.stack([self.firm_uniforms("validation", live, 0), self.firm_uniforms("validation", live, 1)])
        p_supported = min(1.0, p_val + v.first_of_a_kind_validation_gain)
        validated = (rules.binomial_from_uniforms(candidates - supported, p_val, u[0])
                     + rules.binomial_from_uniforms(supported, p_supported, u[1]))
        buyers = supported > 0
        # the supported first purchase is a sale of this year only (a one-year contract)
        self.start_contracts(live[buyers],
                             supported[buyers] * foak.cost_100m_yuan_per_product * v.scenario_absorption, 1)
        self.pay("first_of_a_kind",
                 np.bincount(d, weights=supported * foak.cost_100m_yuan_per_product, minlength=n_dir))
        self.count("high_end_products", np.bincount(d, weights=validated, minlength=n_dir))
        established = f.stage[live] >= LITTLE_GIANT
        standards = rules.poisson_from_uniforms(
            rules.innovation_rate(f.rd_spend[live], v.standard_rate, v.innovation_elasticity) * established,
            self.firm_uniforms("standards", live))
        self.count("standards", np.bincount(d, weights=standards, minlength=n_dir))
        firm_rd = np.bincount(d, weights=f.rd_spend[live], minlength=n_dir)
        self.count("breakthroughs", rules.poisson_from_uniforms(
            v.firm_breakthrough_share * firm_rd / 10.0, self.stream("firm_breakthroughs").random(n_dir)))
        self._grant_patents(firm_rd)

    def _grant_patents(self, firm_rd: np.ndarray) -> None:
        """Invention patents granted this year: Poisson in the R&D of the directions' firms and institutes
        (``patents_per_100m_yuan_rd`` per 亿, proportional; ODD "Innovation")."""
        v = self.values
        institute_rd = self.institute_researchers() * v.cost_per_researcher_100m_yuan
        mean = v.patents_per_100m_yuan_rd * (firm_rd + institute_rd)
        self.year_events["invention_patents_granted"] += rules.poisson_from_uniforms(
            mean, self.stream("patents").random(len(mean)))

    # ------------------------------------------------------------------ 9. growth and scenarios

    def _employees(self, revenue: np.ndarray, productivity: np.ndarray, researchers: np.ndarray) -> np.ndarray:
        """Employees: revenue over revenue per employee, which scales with exp(productivity); at least
        3 and enough for the firm's researchers (60% of staff at most)."""
        per_employee = self.values.revenue_per_employee_100m_yuan * np.exp(productivity)
        return np.maximum(np.maximum(revenue / per_employee, researchers / 0.6), 3.0)

    def _update_productivity(self) -> None:
        """Firms' log productivity moves one AR(1) step (normal shocks keyed by the firm)."""
        f, v = self.firms, self.values
        live = f.live()
        unit = ndtri(self.firm_uniforms("productivity", live))
        f.productivity[live] = rules.productivity_step(f.productivity[live], v.productivity_persistence,
                                                       v.productivity_dispersion, unit)

    def _grow(self, knowledge_before: np.ndarray) -> None:
        f, v = self.firms, self.values
        live = f.live()
        d, z = f.direction[live], f.district[live]
        revenue = f.revenue[live]
        organic = revenue - f.contract_revenue[live]  # contract revenue does not grow; it ends with its contract
        knowledge_growth = np.clip(np.log(np.maximum(f.knowledge[live], 1e-9) / np.maximum(knowledge_before, 1e-9)),
                                   -1.0, 2.0)
        zone = LEVEL_EFFECT[self.zone_levels()[d, z]] * self._zone_support_factor(d) * self.bundle_factor()[d]
        policy = (v.pilot_zone_growth_effect * zone
                  + v.loan_subsidy_growth_effect * (f.loan_subsidy[live] + f.bond_subsidy[live])
                  / np.maximum(revenue, 1e-6)
                  + np.minimum(1.0, v.funding_growth_effect * f.equity_this_year[live] / np.maximum(revenue, 1e-6)))
        sd = rules.growth_volatility(revenue, v.growth_volatility, v.volatility_size_exponent)
        unit = rules.laplace_from_uniforms(self.firm_uniforms("growth", live))
        shock = rules.laplace_shocks(sd, unit) - (v.macro_shock_severity if self.shock else 0.0)
        policy = policy + v.productivity_growth_effect * f.productivity[live]
        g = rules.log_growth(v.market_growth[d], knowledge_growth, v.rd_output_elasticity,
                             self._agglomeration_growth[d, z], v.agglomeration_elasticity, policy,
                             rules.young_firm_premium(f.age[live], v.young_firm_growth_premium), shock)
        f.revenue_lag3[live] = f.revenue_lag2[live]
        f.revenue_lag2[live] = f.revenue_lag1[live]
        f.revenue_lag1[live] = revenue
        f.revenue[live] = organic * np.exp(g) + f.contract_revenue[live]
        f.last_growth[live] = g
        f.employees[live] = self._employees(f.revenue[live], f.productivity[live], f.researchers[live])
        employment = self._employment_by_cell()
        self._agglomeration_growth = np.clip(
            np.log((employment + 1.0) / (self._employment_prev + 1.0)), -1.0, 1.0)
        self._employment_prev = employment

    def _application_scenarios(self) -> None:
        """Scenarios opened this year are won by 2-3 capable firms of the direction, or not formed."""
        f, v = self.firms, self.values
        rule = self.region.indicators["application_scenarios"]
        lever = self.plan.application_scenarios
        (opened,) = self.deliver_units("application_scenarios", (lever.opened,))
        formed = np.zeros(self.region.n_directions)
        for d in np.flatnonzero(opened):
            rows = self.live_rows_of(d)
            able = rows[(f.relative_tech[rows] >= rule["relative_tech_min"]) & (f.stage[rows] >= SME)]
            if len(able) < rule["firms_min"]:
                continue
            zone = self.zone_levels()[d, f.district[able]] > 0
            score = np.log(f.relative_tech[able]) + 0.3 * zone
            for k in range(int(opened[d])):  # the k-th scenario of the year: its own draw per firm
                winners = able[rules.top_k_noisy(score, min(3, len(able)), 1.0,
                                                 self.firm_gumbels("scenarios", able, call=k))]
                # the contract's revenue (city money x absorption) is earned over its term, then ends
                per_year = (lever.cost_100m_yuan_per_scenario * v.scenario_absorption / len(winners)
                            / lever.contract_years)
                self.start_contracts(winners, np.full(len(winners), per_year), lever.contract_years)
                formed[d] += 1
        self.pay("application_scenarios", formed * lever.cost_100m_yuan_per_scenario)  # unformed ones are not paid
        self.count("application_scenarios", formed)

    def start_contracts(self, rows: np.ndarray, revenue_per_year: np.ndarray, years: int) -> None:
        """City contracts won by these firms this year: each adds its revenue for ``years`` years
        (this one included), outside the firm's own growth, and ends with its term."""
        if len(rows) == 0:
            return
        np.add.at(self.firms.revenue, rows, revenue_per_year)
        np.add.at(self.firms.contract_revenue, rows, revenue_per_year)
        self.contracts.append((rows, revenue_per_year, self.year + years - 1))

    def _end_contracts(self) -> None:
        """Contracts whose term ended last year stop bringing revenue."""
        f, keep = self.firms, []
        for rows, amount, last in self.contracts:
            if last >= self.year:
                keep.append((rows, amount, last))
                continue
            np.subtract.at(f.contract_revenue, rows, amount)
            np.subtract.at(f.revenue, rows, amount)
        np.maximum(f.contract_revenue, 0.0, out=f.contract_revenue)
        self.contracts = keep

    # ------------------------------------------------------------------ 10. certification, exit

    def _certify_and_list(self) -> None:
        f, v = self.firms, self.values
        live = f.live()
        draws = np.stack([self.firm_uniforms("certification", live, 0), self.firm_uniforms("certification", live, 1)])
        eligible = rules.high_tech_eligible(f.revenue[live], f.rd_spend[live], f.researchers[live],
                                            f.employees[live], f.age[live])
        newly = eligible & ~f.high_tech[live] & (draws[0] < v.high_tech_certification_probability)
        renewal_due = f.high_tech[live] & ((self.year - f.certified_year[live]) % 3 == 0) & (
            self.year > f.certified_year[live])
        lapsed = renewal_due & ~eligible
        f.high_tech[live[newly]] = True
        f.certified_year[live[newly | (renewal_due & eligible)]] = self.year
        f.high_tech[live[lapsed]] = False
        listable = ~f.listed[live] & f.high_tech[live] & (f.revenue[live] >= 3.0) & (f.age[live] >= 3)
        listing = live[listable & (draws[1] < v.listing_probability)]
        f.listed[listing] = True
        self.year_events["listings"] += np.bincount(f.direction[listing], minlength=self.region.n_directions)

    def _exit(self) -> None:
        f, v = self.firms, self.values
        live = f.live()
        recently_funded = (self.year - f.funded_year[live]) <= 3
        sandbox = v.sandbox_hazard_reduction * self.sandbox_coverage()[f.direction[live]] * (f.age[live] <= 5)
        protection = 1.0 - ((1.0 - v.funding_hazard_reduction * recently_funded)
                            * (1.0 - v.direct_subsidy_hazard_reduction * (f.direct_subsidy[live] > 0))
                            * (1.0 - sandbox))
        hazard = rules.exit_hazard(f.age[live], f.revenue[live], v.exit_hazard_multiplier,
                                   v.exit_size_elasticity, protection)
        if self.shock:
            hazard = np.minimum(0.9, hazard * SHOCK_HAZARD_FACTOR)
        exiting = live[self.firm_uniforms("exit", live) < hazard]
        young = f.age[live] <= 5
        self.year_events["young_at_start"] += np.bincount(f.direction[live[young]], minlength=self.region.n_directions)
        self.year_events["young_exits"] += np.bincount(f.direction[exiting[f.age[exiting] <= 5]],
                                                       minlength=self.region.n_directions)
        f.alive[exiting] = False
        if self.firm_agents:  # Mesa views of exiting firms (made only on request) leave the model too
            for row in np.intersect1d(exiting, np.fromiter(self.firm_agents, dtype=np.int64)).tolist():
                self.firm_agents.pop(row).remove()
        self.year_events["exits"] += np.bincount(f.direction[exiting], minlength=self.region.n_directions)
        self._partners = None
        self._live = None

    # ------------------------------------------------------------------ 11. entry, partners

    def _enter(self) -> None:
        """Start-ups, attracted firms, spin-offs and diversifying manufacturers enter.

        Start-up counts come from uniforms drawn per direction (monotone in the rate); attracted firms are
        rounded together over the directions with one uniform (systematic sampling, so more money in one
        direction can move another's rounding by one firm). Each group of entrants (start-ups of a
        direction, attracted firms of a direction, the spin-offs of one institute or top scientist in a
        direction) draws its firms' attributes from its own stream, so a lever that brings more firms of
        one group leaves the entry draws of the other groups as they were (a group's own members are drawn
        as one array, so a change in its size changes its members' draws). Their later per-firm draws
        are keyed by their uid (group, year, place in the group), not by their row, so an extra entrant
        changes no other firm's draws.
        """
        v, n_dir = self.values, self.region.n_directions
        climate = v.vc_climate * (SHOCK_FINANCE_FACTOR if self.shock else 1.0)
        counts = self.stream("entry").random(n_dir + 1)
        starts = rules.poisson_from_uniforms(v.startup_rate * self.talent.researchers / 1000.0 * climate,
                                             counts[:n_dir])
        package = v.attraction_cost_per_firm_100m_yuan * self.attraction_cost_factor()  # land makes it cheaper
        attraction = self.this_year(self.plan.investment_attraction.money_100m_yuan) / package
        # each attracted firm takes one incentive package: whole firms, at most the budget plus one package
        attracted = stochastic_round(attraction, counts[n_dir])
        self.pay("investment_attraction", attracted * package)  # paid per firm that came
        for d in range(n_dir):  # (a group with no firm takes no draw: its stream is not even made)
            n = int(starts[d])
            if n > 0:
                rng = self.agent_stream("entry", f"started:{d}")
                revenue = rng.lognormal(np.log(0.005), 1.0, size=n)
                self._add_firms(d, revenue, np.zeros(n, dtype=int), STARTED, knowledge=revenue * 0.5,
                                cash=np.full(n, 0.01), district=None, rng=rng, rd_boost=1.5,
                                group=f"started:{d}")
            n = int(attracted[d])
            if n > 0:
                rng = self.agent_stream("entry", f"attracted:{d}")
                revenue = rng.lognormal(np.log(v.attracted_firm_revenue_100m_yuan), 1.2, size=n)
                rows = self._add_firms(d, revenue, np.zeros(n, dtype=int), ATTRACTED, knowledge=None,
                                       cash=None, district=None, rng=rng, group=f"attracted:{d}")
                f = self.firms
                f.knowledge[rows] = f.rd_spend[rows] / v.knowledge_depreciation
            self.year_events["entries"][d] += int(starts[d]) + n
        spun_off = np.zeros(n_dir)
        for d, district, n, source in self.pending_spinoffs:
            spun_off[d] += n
            big = 3.0 if source.startswith("top_scientist") else 1.0
            rng = self.agent_stream("entry", f"spinoff:{source}:{d}")
            revenue = rng.lognormal(np.log(0.005), 1.0, size=n)
            self._add_firms(d, revenue, np.zeros(n, dtype=int), SPUN_OFF,
                            knowledge=big * 0.05 * rng.lognormal(0.0, 0.5, size=n),
                            cash=np.full(n, 0.02), district=np.full(n, district), rng=rng, rd_boost=2.0,
                            group=f"spinoff:{source}:{d}")
            self.year_events["entries"][d] += n
        self.count("spinoffs", spun_off)
        self.incumbents.step(cast("FutureIndustryModel", self))
        self._update_relative_tech(self.firms.live())
        self._partners = None
        self._live = None

    def _form_partnerships(self, churn: bool = True) -> None:
        """Firms seeking a Ningbo main partner pick one among firms of 1亿+ revenue in their direction,
        with probability proportional to revenue^partner_attachment_exponent x
        relative_tech^partner_tech_exponent (preferential attachment by size and technology), times
        1 + zone_partner_effect x zone strength for a partner inside a pilot zone of its direction. Each year
        a share ``partner_churn`` of firms reconsider (their link ends; they take a local partner with the
        chance of :meth:`_local_partner_share`), and firms whose partner exited seek again."""
        f, v = self.firms, self.values
        rows = f.live()
        anchors = f.anchor[rows]
        has = anchors >= 0
        lost = np.zeros(len(rows), dtype=bool)
        lost[has] = ~f.alive[anchors[has]]
        f.anchor[rows[lost]] = -1
        if churn:  # a share of firms reconsider: end their link, then take a local partner or not
            reconsider = self.firm_uniforms("partners", rows, 0) < v.partner_churn
            seek = self.firm_uniforms("partners", rows, 1) < self._local_partner_share(f.direction[rows],
                                                                                        f.district[rows])
            f.anchor[rows[reconsider]] = np.where(seek[reconsider], -1, -2)
        seeking = rows[f.anchor[rows] == -1]
        # each seeker picks by inverse CDF of its own uniform (keyed by the firm), so a new seeker or a seeker
        # elsewhere cannot change another's pick
        for d in range(self.region.n_directions):
            seekers = seeking[f.direction[seeking] == d]
            in_d = self.live_rows_of(d)
            hubs = in_d[f.revenue[in_d] >= 1.0]
            if len(seekers) == 0 or len(hubs) == 0:
                continue
            w = rules.attachment_weights(f.revenue[hubs], f.relative_tech[hubs], v.partner_attachment_exponent,
                                         v.partner_tech_exponent)
            zone = LEVEL_EFFECT[self.zone_levels()[d, f.district[hubs]]] * self._zone_support_factor(d)
            w = w * (1.0 + v.zone_partner_effect * zone)
            cdf = np.cumsum(w)
            u = self.firm_uniforms("partner_choice", seekers)
            picks = hubs[np.minimum(np.searchsorted(cdf, u * cdf[-1], side="right"), len(hubs) - 1)]
            ok = picks != seekers
            f.anchor[seekers[ok]] = picks[ok]
        self._partners = None

    def _local_partner_share(self, directions: np.ndarray | int, districts: np.ndarray) -> np.ndarray:
        """Chance that a firm takes a Ningbo main partner: ``local_partner_share``, raised in a pilot
        zone of its direction by 1 + ``zone_partner_effect`` x zone strength (at most 1)."""
        zone = LEVEL_EFFECT[self.zone_levels()[directions, districts]] * self._zone_support_factor(directions)
        return np.minimum(1.0, self.values.local_partner_share * (1.0 + self.values.zone_partner_effect * zone))

    def partner_counts(self) -> np.ndarray:
        """Number of live firms whose main Ningbo partner is each row (cached until links change)."""
        if self._partners is None:
            f = self.firms
            rows = f.live()
            anchors = f.anchor[rows]
            self._partners = np.bincount(anchors[anchors >= 0], minlength=f.n)
        return self._partners

    # ------------------------------------------------------------------ 12-13. zones, designations

    def _pilot_zones(self) -> None:
        for z in self.plan.pilot_zones.designations:
            if z.year == self.year:
                self.districts[z.district].designate(z.direction, MUNICIPAL, self.year, by_city=True)
        f = self.firms
        rows = f.live()
        n_dir, n_dist = self.region.n_directions, self.region.n_districts
        cell = f.direction[rows].astype(np.int64) * n_dist + f.district[rows]
        revenue = np.bincount(cell, weights=f.revenue[rows], minlength=n_dir * n_dist).reshape(n_dir, n_dist)
        firms = np.bincount(cell, minlength=n_dir * n_dist).reshape(n_dir, n_dist)
        heads = np.bincount(cell, weights=head_mask(self, rows).astype(float),
                            minlength=n_dir * n_dist).reshape(n_dir, n_dist)
        platforms = np.zeros(n_dir)
        for inst in self.institutes:
            if inst.kind in PLATFORM_KINDS:
                platforms += inst.weights > 0
        applications = []
        for district in self.districts:
            i = district.index
            applications += district.applications(self.year, revenue[:, i], firms[:, i], heads[:, i], platforms)
        rules_ = self.region.indicators
        # one uniform per (level, direction, district) a year, so a new municipal zone (and the provincial
        # application it brings) cannot change the draw of another zone's application
        draws = self.stream("zones").random((2, n_dir, n_dist))
        # the city's striving (争创): a zone the city supports more is a stronger candidate, so the chance
        # of the higher designation scales with the support factor of the zones' other effects
        support = float(self._zone_support_factor(0))
        for k, (level, rule) in enumerate(((PROVINCIAL, rules_["provincial_pilot_zones"]),
                                           (NATIONAL, rules_["national_pilot_zones"]))):
            chance = rules.designation_chance(rule["designation_probability"], support,
                                              self.values.zone_designation_support_elasticity)
            passing = [a for a in applications if a.level == level and draws[k, a.direction, a.district] < chance]
            if passing:  # the province (or the nation) designates at most one Ningbo zone a year
                best = max(passing, key=lambda a: a.revenue)
                self.districts[best.district].designate(best.direction, level, self.year)
        # the city's yearly support goes to every zone in force, whoever designated it
        zones = (self.zone_levels() > 0).sum(axis=1)
        self.pay("pilot_zones", zones * self.this_year(self.plan.pilot_zones.support_100m_yuan_per_zone))

    def _designate(self) -> None:
        f = self.firms
        live = f.live()
        star = self.region.indicators["new_star_enterprises"]
        lag3 = f.revenue_lag3[live]
        growth3 = np.where(lag3 > 0, (f.revenue[live] / np.maximum(lag3, 1e-12)) ** (1 / 3) - 1.0, 0.0)
        funded = (f.equity_raised[live] > 0) if star["equity_required"] else np.ones(len(live), dtype=bool)
        meets = ((f.age[live] <= star["age_max_years"]) & (f.age[live] >= star["age_min_years"]) & funded
                 & (f.revenue[live] >= star["revenue_min_100m_yuan"])
                 & (lag3 > 0) & (growth3 >= star["growth_min_per_year"])
                 & (f.relative_tech[live] >= star["relative_tech_min"]) & (f.new_star_until[live] < self.year))
        f.new_star_until[live[meets]] = self.year + star["designation_years"] - 1
        rule = self.region.indicators["innovation_platforms"]
        qualifies = (~f.tech_centre[live] & (f.rd_spend[live] >= rule["rd_min_100m_yuan"])
                     & (f.researchers[live] >= rule["researchers_min"]))
        recognised = live[qualifies & (self.firm_uniforms("designations", live) < rule["recognition_probability"])]
        f.tech_centre[recognised] = True
        self.count("innovation_platforms",
                   np.bincount(f.direction[recognised], minlength=self.region.n_directions))

    def _update_stages(self, rows: np.ndarray) -> None:
        f = self.firms
        stage = np.full(len(rows), SME, dtype=np.int8)
        stage[(f.age[rows] < 3) & ~f.high_tech[rows] & (f.revenue[rows] < 0.05)] = STARTUP
        stage[f.high_tech[rows]] = HIGH_TECH
        stage[f.high_tech[rows] & (f.revenue[rows] >= 1.0) & (f.relative_tech[rows] >= 0.3)] = LITTLE_GIANT
        stage[head_mask(self, rows)] = HEAD
        stage[chain_leader_mask(self, rows, self.partner_counts())] = CHAIN_LEADER
        f.stage[rows] = stage

    def _update_relative_tech(self, rows: np.ndarray) -> None:
        f = self.firms
        f.relative_tech[rows] = rules.relative_technology(
            f.knowledge[rows], self.frontier[f.direction[rows]], self.values.tech_scale_exponent
        ) * np.exp(self.values.productivity_tech_loading * f.productivity[rows])

    # ================================================================== helpers and views
