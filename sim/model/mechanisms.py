"""The year schedule's mechanisms, steps 1-13 (docs/ODD.md, "Process overview"), as a mixin of the model."""

from __future__ import annotations

import numpy as np

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
from agents.institutes import PLATFORM_KINDS, Institute
from agents.talent import TopScientist
from sim.model import rules
from sim.model.constants import (
    PRODUCT_QUALITY_SD,
    SHOCK_FINANCE_FACTOR,
    SHOCK_HAZARD_FACTOR,
)
from sim.model.indicators import chain_leader_mask, head_mask


class YearMechanisms:
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
        (350,000 in 2024, ningbo_facts.csv), held constant (assumption), times the future-industry share.
        """
        v = self.values
        attraction = 1.0 + v.talent_attraction_effect * self.lever_money("talent_attraction").sum()
        total = self._graduates_base[1] * v.graduate_share_future * attraction * self.population_scale
        f, live = self.firms, self.firms.live()
        weight = (np.bincount(f.direction[live], weights=f.researchers[live], minlength=self.region.n_directions)
                  + self.institute_researchers() + 1.0)
        return total * weight / weight.sum()

    def recruit_leave_rate(self) -> np.ndarray:
        """Share of programme recruits leaving this year, by direction."""
        v = self.values
        support = self.lever_money("talent_retention")
        base = (1.0 - v.recruit_retention) * v.talent_competition
        return np.minimum(1.0, base / (1.0 + v.retention_support_effect * support))

    def _talent_flows(self) -> None:
        v, t = self.values, self.t
        counts = self.plan.counts
        outflow = min(1.0, v.talent_outflow_rate * v.talent_competition)
        self.talent.step(self._graduates_in(), counts["talent_leading_talent"][t].astype(float),
                         counts["talent_young_talent"][t].astype(float), outflow,
                         self.recruit_leave_rate(), v.recruit_productivity_gain)
        for d in np.flatnonzero(counts["talent_top_scientists"][t]):
            for _ in range(int(counts["talent_top_scientists"][t][d])):
                TopScientist(self, int(d), self._host_for(int(d)), self.year)

    def _host_for(self, d: int) -> Institute:
        """The institute with the most researchers in direction ``d`` hosts a new top scientist."""
        return max(self.institutes, key=lambda i: i.researchers * i.weights[d])

    def top_scientists_at(self, institute: Institute) -> np.ndarray:
        """Top scientists hosted by an institute, by direction."""
        out = np.zeros(self.region.n_directions)
        for s in self.agents_by_type.get(TopScientist, []):
            if s.host is institute:
                out[s.direction] += 1
        return out

    # ------------------------------------------------------------------ 3. platforms

    def _found_platforms(self) -> None:
        lever = self.spec.levers.new_platforms
        founded = self.plan.counts["new_platforms"][self.t]
        researchers = lever.operating_cost_100m_yuan_per_year / self.values.cost_per_researcher_100m_yuan
        for d in np.flatnonzero(founded):
            named = np.flatnonzero(self.region.named[d])
            for k in range(int(founded[d])):
                n = sum(1 for i in self.institutes if i.founded_in_run and i.weights[d] == 1.0)
                weights = np.zeros(self.region.n_directions)
                weights[d] = 1.0
                self.institutes.append(Institute(
                    self, f"platform_{self.region.directions[d]}_{n + 1}", f"{self.region.direction_label(self.region.directions[d])}创新平台{n + 1}",
                    "platform", int(named[n % len(named)]), weights, researchers * self.population_scale,
                    lever.operating_cost_100m_yuan_per_year, self.year, founded_in_run=True))
                self.count("innovation_platforms", weights)

    # ------------------------------------------------------------------ 4. funds

    def _commit_fund_capital(self) -> None:
        v = self.values
        self.angel.commit(self.lever_money("angel_fund"), v.angel_fund_leverage, self.year)
        guidance = self.lever_money("guidance_fund")
        deploy = self.spec.levers.guidance_fund.deployment_years
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
        grants = self.spec.levers.rd_grants
        loans = self.spec.levers.loan_interest_subsidies
        direct = self.spec.levers.direct_subsidies
        for d in range(self.region.n_directions):
            rows = live[f.direction[live] == d]
            if len(rows) == 0:
                continue
            money = self.lever_money("rd_grants")[d]
            if money > 0:
                eligible = f.stage[rows] >= SME
                f.grant[rows] = rules.allocate_proportional(
                    money, f.rd_spend[rows] * eligible, grants.max_share_of_own_rd * f.rd_spend[rows])
            money = self.lever_money("loan_interest_subsidies")[d]
            if money > 0:
                eligible = (f.revenue[rows] >= 0.2) & (f.last_growth[rows] > 0)
                f.loan_subsidy[rows] = rules.allocate_proportional(
                    money, f.revenue[rows] * eligible, np.full(len(rows), loans.max_per_firm_100m_yuan))
            money = self.lever_money("direct_subsidies")[d]
            if money > 0:
                eligible = np.flatnonzero((f.age[rows] <= 8) & (f.stage[rows] <= HIGH_TECH))
                rng = self.stream("subsidies")
                n = rules.integer_draw(money / direct.per_firm_100m_yuan, rng)
                score = np.log(np.maximum(f.relative_tech[rows[eligible]], 1e-6))
                chosen = rows[eligible[rules.top_k_noisy(score, min(n, len(eligible)), 1.0, rng)]]
                f.direct_subsidy[chosen] = direct.per_firm_100m_yuan
                f.cash[chosen] += direct.per_firm_100m_yuan

    # ------------------------------------------------------------------ 6. R&D and hiring

    def _rd_and_hiring(self) -> np.ndarray:
        f, live, v = self.firms, self.firms.live(), self.values
        n_dir = self.region.n_directions
        own, burn = rules.rd_spending(f.revenue[live], f.rd_intensity[live], f.cash[live])
        f.cash[live] -= burn
        wanted = own + v.rd_grant_additionality * f.grant[live]
        d = f.direction[live]
        firm_demand = np.bincount(d, weights=wanted, minlength=n_dir) / v.cost_per_researcher_100m_yuan
        for inst in self.institutes:
            inst.extra_budget = 0.0
        self._fund_institutes()
        planned = np.array([i.planned_researchers(self.year) for i in self.institutes])
        weights = np.array([i.weights for i in self.institutes])
        inst_demand = planned @ weights
        inst_fill, firm_fill = self.talent.hire(inst_demand, firm_demand)
        for inst, p in zip(self.institutes, planned):
            inst.researchers = p * float(inst.weights @ inst_fill)
        rd = wanted * firm_fill[d]
        f.rd_spend[live] = rd
        f.researchers[live] = rd / v.cost_per_researcher_100m_yuan
        before = f.knowledge[live].copy()
        f.knowledge[live] = rules.update_knowledge(before, rd, v.knowledge_depreciation,
                                                   self.talent.productivity()[d])
        return before

    def _fund_institutes(self) -> None:
        """Split basic-research money of each direction over institutes by their researchers there."""
        money = self.lever_money("basic_research")
        if money.sum() <= 0:
            return
        by_dir = np.array([i.researchers * i.weights for i in self.institutes])  # (n_inst, n_dir)
        totals = by_dir.sum(axis=0)
        share = np.divide(by_dir, totals, out=np.zeros_like(by_dir), where=totals > 0)
        extra = share @ money
        for inst, amount in zip(self.institutes, extra):
            inst.extra_budget = float(amount)

    def _absorb_transfers(self) -> None:
        """Technology transfers go to firms of the direction in proportion to their researchers + 1."""
        f, v = self.firms, self.values
        for d in np.flatnonzero(self.pending_transfers):
            rows = self.live_rows_of(d)
            if len(rows) == 0:
                continue
            w = f.researchers[rows] + 1.0
            takers = self.stream("transfers").choice(rows, size=int(self.pending_transfers[d]), p=w / w.sum())
            np.add.at(f.knowledge, takers, v.transfer_knowledge_gain)

    # ------------------------------------------------------------------ 8. innovation

    def _innovate(self) -> None:
        f, v, rng = self.firms, self.values, self.stream("innovation")
        live = f.live()
        n_dir = self.region.n_directions
        self._update_relative_tech(live)
        d = f.direction[live]
        products = rng.poisson(rules.innovation_rate(f.rd_spend[live], v.product_rate, v.innovation_elasticity))
        rule = self.region.indicators["high_end_products"]
        p_frontier = rules.share_above(f.relative_tech[live], rule["quality_min"], PRODUCT_QUALITY_SD)
        candidates = rng.binomial(products, p_frontier)
        # first-of-a-kind support goes to frontier products, chosen at random within each direction
        foak = self.spec.levers.first_of_a_kind
        supported = np.zeros(len(live), dtype=np.int64)
        for k in range(n_dir):
            capacity = rules.integer_draw(self.lever_money("first_of_a_kind")[k] / foak.cost_100m_yuan_per_product, rng)
            idx = np.flatnonzero((d == k) & (candidates > 0))
            if capacity == 0 or len(idx) == 0:
                continue
            pool = np.repeat(idx, candidates[idx])
            take = pool[rng.permutation(len(pool))[:capacity]]
            np.add.at(supported, take, 1)
        p_val = rule["validation_probability"]
        validated = (rng.binomial(candidates - supported, p_val)
                     + rng.binomial(supported, min(1.0, p_val + v.first_of_a_kind_validation_gain)))
        f.revenue[live] += supported * foak.cost_100m_yuan_per_product * v.scenario_absorption
        self.count("high_end_products", np.bincount(d, weights=validated, minlength=n_dir))
        established = f.stage[live] >= LITTLE_GIANT
        standards = rng.poisson(rules.innovation_rate(f.rd_spend[live], v.standard_rate, v.innovation_elasticity)
                                * established)
        self.count("standards", np.bincount(d, weights=standards, minlength=n_dir))
        firm_rd = np.bincount(d, weights=f.rd_spend[live], minlength=n_dir)
        self.count("breakthroughs", rng.poisson(v.firm_breakthrough_share * firm_rd / 10.0))
        self._grant_patents(firm_rd)

    def _grant_patents(self, firm_rd: np.ndarray) -> None:
        """Invention patents granted this year: Poisson in the R&D of the directions' firms and institutes
        (``patents_per_100m_yuan_rd`` per 亿, proportional; ODD "Innovation")."""
        v = self.values
        institute_rd = self.institute_researchers() * v.cost_per_researcher_100m_yuan
        mean = v.patents_per_100m_yuan_rd * (firm_rd + institute_rd)
        self.year_events["invention_patents_granted"] += self.stream("patents").poisson(mean)

    # ------------------------------------------------------------------ 9. growth and scenarios

    def _grow(self, knowledge_before: np.ndarray) -> None:
        f, v = self.firms, self.values
        live = f.live()
        d, z = f.direction[live], f.district[live]
        revenue = f.revenue[live]
        knowledge_growth = np.clip(np.log(np.maximum(f.knowledge[live], 1e-9) / np.maximum(knowledge_before, 1e-9)),
                                   -1.0, 2.0)
        zone = LEVEL_EFFECT[self.zone_levels()[d, z]] * self._zone_support_factor(d)
        policy = (v.pilot_zone_growth_effect * zone
                  + v.loan_subsidy_growth_effect * f.loan_subsidy[live] / np.maximum(revenue, 1e-6)
                  + np.minimum(1.0, v.funding_growth_effect * f.equity_this_year[live] / np.maximum(revenue, 1e-6)))
        sd = rules.growth_volatility(revenue, v.growth_volatility, v.volatility_size_exponent)
        unit = self.stream("growth").laplace(0.0, 1.0, size=f.n)[live]
        shock = rules.laplace_shocks(sd, unit) - (v.macro_shock_severity if self.shock else 0.0)
        g = rules.log_growth(v.market_growth[d], knowledge_growth, v.rd_output_elasticity,
                             self._agglomeration_growth[d, z], v.agglomeration_elasticity, policy,
                             rules.young_firm_premium(f.age[live], v.young_firm_growth_premium), shock)
        f.revenue_lag3[live] = f.revenue_lag2[live]
        f.revenue_lag2[live] = f.revenue_lag1[live]
        f.revenue_lag1[live] = revenue
        f.revenue[live] = revenue * np.exp(g)
        f.last_growth[live] = g
        f.employees[live] = np.maximum.reduce([np.full(len(live), 3.0),
                                               f.revenue[live] / v.revenue_per_employee_100m_yuan,
                                               f.researchers[live] / 0.6])
        employment = self._employment_by_cell()
        self._agglomeration_growth = np.clip(
            np.log((employment + 1.0) / (self._employment_prev + 1.0)), -1.0, 1.0)
        self._employment_prev = employment

    def _application_scenarios(self) -> None:
        """Scenarios opened this year are won by 2-3 capable firms of the direction, or not formed."""
        f, v = self.firms, self.values
        rule = self.region.indicators["application_scenarios"]
        lever = self.spec.levers.application_scenarios
        opened = self.plan.counts["application_scenarios"][self.t]
        formed = np.zeros(self.region.n_directions)
        for d in np.flatnonzero(opened):
            rows = self.live_rows_of(d)
            able = rows[(f.relative_tech[rows] >= rule["relative_tech_min"]) & (f.stage[rows] >= SME)]
            if len(able) < rule["firms_min"]:
                continue
            zone = self.zone_levels()[d, f.district[able]] > 0
            score = np.log(f.relative_tech[able]) + 0.3 * zone
            for _ in range(int(opened[d])):
                winners = able[rules.top_k_noisy(score, min(3, len(able)), 1.0, self.stream("scenarios"))]
                f.revenue[winners] += lever.cost_100m_yuan_per_scenario * v.scenario_absorption / len(winners)
                formed[d] += 1
        self.count("application_scenarios", formed)

    # ------------------------------------------------------------------ 10. certification, exit

    def _certify_and_list(self) -> None:
        f, v = self.firms, self.values
        live = f.live()
        draws = self.stream("certification").random((2, f.n))[:, live]
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
        protection = 1.0 - ((1.0 - v.funding_hazard_reduction * recently_funded)
                            * (1.0 - v.direct_subsidy_hazard_reduction * (f.direct_subsidy[live] > 0)))
        hazard = rules.exit_hazard(f.age[live], f.revenue[live], v.exit_hazard_multiplier,
                                   v.exit_size_elasticity, protection)
        if self.shock:
            hazard = np.minimum(0.9, hazard * SHOCK_HAZARD_FACTOR)
        exiting = live[self.row_uniforms("exit", live) < hazard]
        young = f.age[live] <= 5
        self.year_events["young_at_start"] += np.bincount(f.direction[live[young]], minlength=self.region.n_directions)
        self.year_events["young_exits"] += np.bincount(f.direction[exiting[f.age[exiting] <= 5]],
                                                       minlength=self.region.n_directions)
        f.alive[exiting] = False
        for row in exiting.tolist():
            agent = self.firm_agents.pop(row, None)
            if agent is not None:
                agent.remove()
        self.year_events["exits"] += np.bincount(f.direction[exiting], minlength=self.region.n_directions)
        self._partners = None
        self._live = None

    # ------------------------------------------------------------------ 11. entry, partners

    def _enter(self) -> None:
        v, rng, n_dir = self.values, self.stream("entry"), self.region.n_directions
        climate = v.vc_climate * (SHOCK_FINANCE_FACTOR if self.shock else 1.0)
        starts = rng.poisson(v.startup_rate * self.talent.researchers / 1000.0 * climate)
        attraction = self.lever_money("investment_attraction") / v.attraction_cost_per_firm_100m_yuan
        attracted = rng.poisson(attraction)
        for d in range(n_dir):
            n = int(starts[d])
            revenue = rng.lognormal(np.log(0.005), 1.0, size=n)
            self._add_firms(d, revenue, np.zeros(n, dtype=int), STARTED, knowledge=revenue * 0.5,
                            cash=np.full(n, 0.01), district=None, rng=rng, rd_boost=1.5)
            n = int(attracted[d])
            revenue = rng.lognormal(np.log(v.attracted_firm_revenue_100m_yuan), 1.2, size=n)
            rows = self._add_firms(d, revenue, np.zeros(n, dtype=int), ATTRACTED, knowledge=None,
                                   cash=None, district=None, rng=rng)
            f = self.firms
            f.knowledge[rows] = f.rd_spend[rows] / v.knowledge_depreciation
            self.year_events["entries"][d] += int(starts[d]) + n
        spun_off = np.zeros(n_dir)
        for d, district, n, source in self.pending_spinoffs:
            spun_off[d] += n
            big = 3.0 if source.startswith("top_scientist") else 1.0
            revenue = rng.lognormal(np.log(0.005), 1.0, size=n)
            self._add_firms(d, revenue, np.zeros(n, dtype=int), SPUN_OFF,
                            knowledge=big * 0.05 * rng.lognormal(0.0, 0.5, size=n),
                            cash=np.full(n, 0.02), district=np.full(n, district), rng=rng, rd_boost=2.0)
            self.year_events["entries"][d] += n
        self.count("spinoffs", spun_off)
        self._update_relative_tech(self.firms.live())
        self._partners = None
        self._live = None

    def _form_partnerships(self) -> None:
        """Firms seeking a Ningbo main partner pick one among firms of 1亿+ revenue in their direction,
        with probability proportional to revenue^partner_attachment_exponent (preferential attachment)."""
        f, v = self.firms, self.values
        rows = f.live()
        anchors = f.anchor[rows]
        has = anchors >= 0
        lost = np.zeros(len(rows), dtype=bool)
        lost[has] = ~f.alive[anchors[has]]
        f.anchor[rows[lost]] = -1
        seeking = rows[f.anchor[rows] == -1]
        for d in range(self.region.n_directions):
            seekers = seeking[f.direction[seeking] == d]
            hubs = rows[(f.direction[rows] == d) & (f.revenue[rows] >= 1.0)]
            if len(seekers) == 0 or len(hubs) == 0:
                continue
            w = f.revenue[hubs] ** v.partner_attachment_exponent
            picks = self.stream("partners").choice(hubs, size=len(seekers), p=w / w.sum())
            ok = picks != seekers
            f.anchor[seekers[ok]] = picks[ok]
        self._partners = None

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
        for z in self.spec.levers.pilot_zones.designations:
            if z.year == self.year:
                self.districts[self.region.district_index(z.district)].designate(
                    self.region.direction_index(z.direction), MUNICIPAL, self.year, by_city=True)
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
        for level, rule in ((PROVINCIAL, rules_["provincial_pilot_zones"]), (NATIONAL, rules_["national_pilot_zones"])):
            passing = [a for a in applications if a.level == level
                       and self.stream("zones").random() < rule["designation_probability"]]
            if passing:  # the province (or the nation) designates at most one Ningbo zone a year
                best = max(passing, key=lambda a: a.revenue)
                self.districts[best.district].designate(best.direction, level, self.year)

    def _designate(self) -> None:
        f = self.firms
        live = f.live()
        star = self.region.indicators["new_star_enterprises"]
        lag3 = f.revenue_lag3[live]
        growth3 = np.where(lag3 > 0, (f.revenue[live] / np.maximum(lag3, 1e-12)) ** (1 / 3) - 1.0, 0.0)
        meets = ((f.age[live] <= star["age_max_years"]) & (f.revenue[live] >= star["revenue_min_100m_yuan"])
                 & (lag3 > 0) & (growth3 >= star["growth_min_per_year"])
                 & (f.relative_tech[live] >= star["relative_tech_min"]) & (f.new_star_until[live] < self.year))
        f.new_star_until[live[meets]] = self.year + star["designation_years"] - 1
        rule = self.region.indicators["innovation_platforms"]
        qualifies = (~f.tech_centre[live] & (f.rd_spend[live] >= rule["rd_min_100m_yuan"])
                     & (f.researchers[live] >= rule["researchers_min"]))
        recognised = live[qualifies & (self.row_uniforms("designations", live) < rule["recognition_probability"])]
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
            f.knowledge[rows], self.frontier[f.direction[rows]], self.values.tech_scale_exponent)

    # ================================================================== helpers and views
