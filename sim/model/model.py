"""The weilai model: Ningbo's future-industry firms, institutes, funds, talent and districts (Mesa).

One step is one year. The order of actions within a year (docs/ODD.md, "Process overview"):

 1. environment: macro shock draw, world technology frontier moves, historical designations and
    institutes that open this year;
 2. talent: graduates and programme recruits arrive (top scientists as agents), outflows to other cities;
 3. platforms founded by the new-platforms lever; top scientists act;
 4. funds: city money paid into the angel and guidance funds; every fund invests (deal selection);
 5. subsidies: R&D grants, loan-interest subsidies and direct subsidies are allocated to firms;
 6. R&D and hiring: firms and institutes hire researchers from the talent pool, R&D builds knowledge;
 7. institutes act: breakthroughs, technology transfers, spin-offs, platform standards;
 8. firms innovate: products (high-end ones validated, first-of-a-kind support), standards, breakthroughs;
 9. firms grow (revenue), hire employees; application scenarios opened by the city are won and deployed;
10. certification and stages; listings; exits;
11. entry: start-ups, spin-offs, firms attracted from outside; partner links;
12. pilot zones: municipal designations by schedule, provincial and national by rule;
13. designations: new-star enterprises, enterprise technology centres; indicators are recorded.

Per-firm state lives in arrays (:class:`agents.firms.FirmTable`) updated by the pure rules of
:mod:`sim.model.rules`; institutes, funds, districts and top scientists are Mesa agents acting one by one.

"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from agents.districts import LEVEL_EFFECT, MUNICIPAL, NATIONAL, PROVINCIAL, District
from agents.firms import (
    INCUMBENT,
    NO_YEAR,
    Firm,
    FirmTable,
)
from agents.funds import Fund, assign_sub_funds
from agents.incumbents import IncumbentReservoir
from agents.institutes import Institute
from agents.knowledge import PublicKnowledge
from agents.talent import TalentPool, TopScientist
from sim.inputs.draws import draw_for_seed
from sim.inputs.region import Region, load_region
from sim.inputs.space import Values, resolve_values
from sim.model import rules
from sim.model.constants import (
    AGE_SCALE_YEARS,
    EVENT_COUNTERS,
    INITIAL_TECH_CENTRE_SHARE,
    LEADING_GROUP_MIN,
    LEADING_GROUP_SHARE,
    LEADING_SHARE_OF_RESEARCHERS,
    MAX_INITIAL_SHARE,
    SPENDING_LEVERS,
    STREAMS,
    TALENT_SLACK,
)
from sim.model.measures import GuidanceMeasures
from sim.model.mechanisms import YearMechanisms
from sim.model.state import ModelState
from sim.model.streams import Streams, firm_uids, key_number
from sim.scenario.plan import model_plan
from sim.scenario.schema import Scenario


class FutureIndustryModel(YearMechanisms, GuidanceMeasures, ModelState, mesa.Model):
    """Ningbo's future industries under a scenario, one replicate.

    The scenario is kept as ``self.spec`` (Mesa's own ``scenario`` attribute holds Mesa's parameter
    object).

    Args:
        scenario: A validated scenario.
        seed: The replicate's seed; every random draw comes from a stream derived from it
            (:meth:`stream`).
        values: Resolved uncertainties and parameters; by default resolved from the scenario with
            the calibration draw picked by the seed (see :func:`sim.inputs.draws.draw_for_seed`).
        population_scale: Multiplies initial firms, revenue and talent (for benchmarks only).
    """

    def __init__(self, scenario: Scenario, seed: int, *, values: Values | None = None,
                 population_scale: float = 1.0) -> None:
        super().__init__(rng=int(seed))
        self.spec = scenario
        self.seed = int(seed)
        self.region: Region = load_region(scenario.region)
        self.draw_id: int | None = None
        if values is None:
            self.draw_id, draw = draw_for_seed(scenario, self.seed)
            values = resolve_values(self.region.space, scenario.uncertainties, scenario.parameters, draw)
        self.values = values
        self.plan = model_plan(scenario, self.region)
        self.start_year, self.end_year = scenario.start_year, scenario.end_year
        self.spent = {name: np.zeros(self.region.n_directions) for name in SPENDING_LEVERS}
        self.contracts: list[tuple[np.ndarray, np.ndarray, int]] = []  # (rows, revenue per year each, last year)
        self._init_measures()
        self.population_scale = population_scale
        self._rng = Streams(self.seed, STREAMS)
        self._scientist_draws: tuple[int, np.ndarray] | None = None
        self.year = scenario.start_year
        self.t = 0
        self.base_year = self.region.base_year  # targets.toml: cumulative indicators count from it
        n_dir, n_dist = self.region.n_directions, self.region.n_districts
        self.cumulative = {k: np.zeros(n_dir) for k in EVENT_COUNTERS}
        self.year_events = {k: np.zeros(n_dir) for k in ("entries", "exits", "young_exits", "young_at_start",
                                                         "listings", "invention_patents_granted",
                                                         *EVENT_COUNTERS)}
        self.pending_transfers = np.zeros(n_dir, dtype=np.int64)
        self.pending_spinoffs: list[tuple[int, int, int, str]] = []
        self.talent_departures_top = np.zeros(n_dir)
        self.shock = False
        self.frontier = np.zeros(n_dir)
        self.firms = FirmTable(capacity=int(16000 * population_scale))
        self._uids_taken: dict[tuple[int, int], int] = {}  # firms numbered so far per (entry group, year)
        self.firm_agents: dict[int, Firm] = {}
        self._employment_prev = np.zeros((n_dir, n_dist))
        self._agglomeration_growth = np.zeros((n_dir, n_dist))
        self._partners: np.ndarray | None = None
        self._records: list[tuple] = []
        self._gdp_base = self._nearest_fact("gdp", scenario.start_year)
        self._graduates_base = self._nearest_fact("graduates_arriving", scenario.start_year)
        self._live = None
        self._zones: np.ndarray | None = None  # zone levels, cached until a district's level changes
        self._historical_zones: list[tuple[int, int, int, int]] | None = None
        self._per_direction = {}
        self.districts = [District(self, i, key, n_dir) for i, key in enumerate(self.region.districts)]
        self.institutes: list[Institute] = []
        self._open_institutes(initial=True)
        self._init_firms()
        self.incumbents = IncumbentReservoir(self)
        self._init_talent()
        self._init_public_knowledge()
        self._init_funds()
        self._apply_historical_zones()
        self._employment_prev = self._employment_by_cell()

    # ================================================================== initialisation

    def _init_firms(self) -> None:
        v, rng, region = self.values, self.stream("init"), self.region
        counts = np.round(region.initial(self.year, "firms") * v.initial_firms_scale
                          * self.population_scale).astype(int)
        revenue_totals = (region.initial(self.year, "revenue_100m_yuan") * v.initial_revenue_scale
                          * self.population_scale)
        ages_support = np.arange(31)
        age_p = np.exp(-ages_support / AGE_SCALE_YEARS)
        age_p /= age_p.sum()
        for d, (n, total) in enumerate(zip(counts, revenue_totals)):
            ages = rng.choice(ages_support, size=n, p=age_p)
            sizes = np.sort(rules.pareto_sizes(n, total, v.initial_size_tail_exponent, MAX_INITIAL_SHARE, rng))[::-1]
            order = np.argsort(-(ages + rng.normal(0.0, 4.0, size=n)), kind="stable")
            revenue = np.empty(n)
            revenue[order] = sizes
            self._add_firms(d, revenue, ages, origin=INCUMBENT, knowledge=None, cash=None, district=None, rng=rng,
                            group=f"initial:{d}")
        rows = self.firms.live()
        f = self.firms
        # history: revenue of earlier years grows at the direction's market rate (assumption)
        growth = v.market_growth[f.direction[rows]]
        for k, name in enumerate(("revenue_lag1", "revenue_lag2", "revenue_lag3"), start=1):
            getattr(f, name)[rows] = np.where(f.age[rows] >= k, f.revenue[rows] * np.exp(-k * growth), 0.0)
        # knowledge: steady state of the perpetual inventory, younger firms have had less time
        years_of_rd = np.minimum(f.age[rows] + 1, 1.0 / v.knowledge_depreciation)
        f.knowledge[rows] = f.rd_spend[rows] * years_of_rd * rng.lognormal(-0.045, 0.3, size=len(rows))
        for d in range(self.region.n_directions):
            knowledge = np.sort(f.knowledge[rows[f.direction[rows] == d]])[::-1]
            leading = knowledge[: max(LEADING_GROUP_MIN, int(LEADING_GROUP_SHARE * len(knowledge)))]
            level = float(np.median(leading)) if len(leading) else 1.0
            self.frontier[d] = level / v.leader_relative_tech[d] ** (1.0 / v.tech_scale_exponent)
        self._update_relative_tech(rows)
        eligible = rules.high_tech_eligible(f.revenue[rows], f.rd_spend[rows], f.researchers[rows],
                                            f.employees[rows], f.age[rows])
        certified = self._initial_certificates(eligible, f.age[rows], rng)
        f.high_tech[rows] = certified
        f.certified_year[rows] = np.where(certified, self.year - rng.integers(0, 3, size=len(rows)), NO_YEAR)
        f.listed[rows] = ((f.revenue[rows] >= 3.0) & (f.age[rows] >= 5)
                          & (rng.random(len(rows)) < v.initial_listed_share))
        rule = self.region.indicators["innovation_platforms"]
        qualifies = (f.rd_spend[rows] >= rule["rd_min_100m_yuan"]) & (f.researchers[rows] >= rule["researchers_min"])
        f.tech_centre[rows] = qualifies & (rng.random(len(rows)) < INITIAL_TECH_CENTRE_SHARE)
        self._form_partnerships(churn=False)
        self._update_stages(rows)

    def _initial_certificates(self, eligible: np.ndarray, age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Which initial firms hold a high-tech certificate: ``initial_high_tech_share`` certified firms
        per eligible firm. Up to 1 it is the share of eligible firms certified; above 1 every eligible firm
        is, and (share - 1) x the eligible count of firms no longer eligible (at least a year old) still
        hold a certificate that has not come up for its 3-year renewal (the hindcast holds such firms;
        ODD "Initialization")."""
        share = self.values.initial_high_tech_share
        u = rng.random(len(eligible))
        certified = eligible & (u < share)
        if share > 1.0:
            holders = np.flatnonzero(~eligible & (age >= 1))
            extra = min(len(holders), int(np.rint((share - 1.0) * int(eligible.sum()))))
            certified[holders[np.argsort(u[holders], kind="stable")[:extra]]] = True
        return certified

    def _add_firms(self, d: int, revenue: np.ndarray, ages: np.ndarray, origin: int,
                   knowledge: np.ndarray | None, cash: np.ndarray | None, district: np.ndarray | None,
                   rng: np.random.Generator | None, rd_boost: float = 1.0,
                   draws: np.ndarray | None = None, *, group: str,
                   members: np.ndarray | None = None) -> np.ndarray:
        """Create firms of direction ``d`` in the arrays; returns their rows.

        Each new firm takes three draws: its R&D intensity, its productivity and whether it seeks a
        Ningbo partner, from ``rng`` (all of the firms' intensities first, then their productivities,
        then their partner uniforms), or given in ``draws`` (shape (3, n), the same three in that order:
        see :func:`sim.model.rules.firm_draws`), for firms that each have their own generator.

        Each firm gets a stable ``uid`` from its entry group (``group``, e.g. ``"started:3"``), the year
        and its place in the group (or ``members``, numbers that identify the firms within the group
        whatever the year), which keys all its later draws (:meth:`firm_uniforms`): a lever that
        brings more firms of one group leaves every other firm's draws as they were.
        """
        v, n = self.values, len(revenue)
        if n == 0:
            return np.empty(0, dtype=np.int64)
        group_number = key_number(group)
        if members is None:
            first = self._uids_taken.get((group_number, self.year), 0)
            self._uids_taken[(group_number, self.year)] = first + n
            uids = firm_uids(group_number, self.year, np.arange(first, first + n))
        else:
            uids = firm_uids(group_number, NO_YEAR, np.asarray(members))
        if district is None or draws is None:
            if rng is None:
                raise ValueError("_add_firms needs a generator unless both the districts and the draws are given")
            if district is None:
                district = self._choose_districts(d, n, initial=(origin == INCUMBENT), rng=rng)
            if draws is None:
                draws = rules.firm_draws(rng, n, v.productivity_dispersion)
        intensity = v.rd_intensity_mean * rd_boost * draws[0]
        cash = np.zeros(n) if cash is None else cash
        rd, _ = rules.rd_spending(revenue, intensity, cash)
        researchers = rd / v.cost_per_researcher_100m_yuan
        productivity = draws[1]
        employees = self._employees(revenue, productivity, researchers)
        seeks_partner = draws[2] < self._local_partner_share(d, district)
        rows = self.firms.add(
            n, uid=uids, direction=d, district=district, origin=origin, founded=self.year - ages, age=ages,
            revenue=revenue, employees=employees, researchers=researchers, rd_intensity=intensity,
            rd_spend=rd, knowledge=rd if knowledge is None else knowledge, cash=cash, productivity=productivity,
            anchor=np.where(seeks_partner, -1, -2),
        )
        if self._live is not None:  # new rows are the highest, so appending keeps each list in row order
            self._live[d] = np.concatenate([self._live[d], rows])
        return rows

    def _choose_districts(self, d: int, n: int, initial: bool, rng: np.random.Generator) -> np.ndarray:
        """Districts for new firms of direction ``d``.

        At the start, ``named_district_share`` of firms sit in the districts the policy names for the
        direction. Entrants choose in proportion to (firms there + 5) x (2 if named) x (1 + zone entry
        effect), so they follow existing clusters, the policy's map and pilot zones.
        """
        named = self.region.named[d]
        if initial:
            share = self.values.named_district_share
            p = np.where(named, share / named.sum(), (1 - share) / max(1, (~named).sum()))
        else:
            p = self.entry_district_weights(d)
        return rng.choice(self.region.n_districts, size=n, p=p / p.sum())

    def entry_district_weights(self, d: int) -> np.ndarray:
        """Weights of the districts for an entrant of direction ``d`` (see :meth:`_choose_districts`)."""
        f = self.firms
        rows = self.live_rows_of(d)
        present = np.bincount(f.district[rows], minlength=self.region.n_districts)
        zone = LEVEL_EFFECT[self.zone_levels()[d]] * self._zone_support_factor(d)
        named = self.region.named[d]
        return (present + 5.0) * np.where(named, 2.0, 1.0) * (1.0 + self.values.pilot_zone_entry_effect * zone)

    def _init_talent(self) -> None:
        f, rows, n_dir = self.firms, self.firms.live(), self.region.n_directions
        employed = (np.bincount(f.direction[rows], weights=f.researchers[rows], minlength=n_dir)
                    + self.institute_researchers())
        researchers = employed * (1 + TALENT_SLACK)
        self.talent = TalentPool(researchers=researchers * (1 - LEADING_SHARE_OF_RESEARCHERS),
                                 leading=researchers * LEADING_SHARE_OF_RESEARCHERS,
                                 graduates=self._graduates_in())

    def _init_public_knowledge(self) -> None:
        """Public knowledge at the steady state of the start year's institutes; firms' reach set so
        that they absorb ``public_spillover_share`` of their R&D at the start (agents/knowledge.py)."""
        v, f, rows, n_dir = self.values, self.firms, self.firms.live(), self.region.n_directions
        self.research_reference = self.institute_researchers()
        self.platform_reference = self.standard_setters()
        firm_rd = np.bincount(f.direction[rows], weights=f.rd_spend[rows], minlength=n_dir)
        capacity = np.bincount(f.direction[rows], minlength=n_dir,
                               weights=rules.absorptive_capacity(f.rd_spend[rows], v.absorptive_half_rd_100m_yuan))
        self.public = PublicKnowledge(self.research_reference * v.cost_per_researcher_100m_yuan,
                                      v.knowledge_depreciation, firm_rd, capacity, v.public_spillover_share)

    def _init_funds(self) -> None:
        n_dir = self.region.n_directions
        vc_shares = np.array([0.3, 0.5, 0.2])
        self.private_vc = [Fund(self, "private_vc", [d], vc_shares, f"private_vc_{self.region.directions[d]}")
                           for d in range(n_dir)]
        self.angel = Fund(self, "angel", list(range(n_dir)), np.array([1.0, 0.0, 0.0]), "angel_guidance_fund")
        guidance = self.plan.guidance_fund
        money = guidance.money_100m_yuan
        self.sub_funds = []
        self._sub_fund_share = np.zeros((0, n_dir))
        if money.sum() > 0:
            groups = assign_sub_funds(guidance.n_sub_funds, money.sum(axis=0))
            holders = np.zeros(n_dir)
            for group in groups:
                holders[group] += 1
            for j, group in enumerate(groups):
                self.sub_funds.append(Fund(self, "guidance", group, np.array(guidance.stage_shares),
                                           f"guidance_sub_fund_{j + 1}"))
            share = np.zeros((len(groups), n_dir))
            for j, group in enumerate(groups):
                share[j, group] = 1.0 / holders[group]
            self._sub_fund_share = share

    def _open_institutes(self, initial: bool = False) -> None:
        """Add the institutes of the data file founded by this year (all at the start year, or later ones)."""
        known = {i.key for i in self.institutes}
        table = self.region.institutes
        if initial is False and len(known) >= len(table) + sum(i.founded_in_run for i in self.institutes):
            return
        for row in table.itertuples():
            if row.institute in known or row.founded > self.year:
                continue
            target = None if pd.isna(row.target_researchers) else float(row.target_researchers)
            target_year = None if pd.isna(row.target_year) else int(row.target_year)
            institute = Institute(
                self, row.institute, row.name_zh, row.kind, self.region.district_index(row.district),
                row.weights, row.researchers * self.population_scale, row.budget_100m_yuan_per_year,
                int(row.founded), target, target_year)
            self.institutes.append(institute)
            if not initial:  # founded during the run (a hindcast): its staff come with it from outside
                self.talent.arrive(institute.researchers_by_direction)

    def _apply_historical_zones(self) -> None:
        """Zones the region's data record as designated in or before this year (existing_zones.csv)."""
        if self._historical_zones is None:
            levels = {"provincial": PROVINCIAL, "national": NATIONAL, "municipal": MUNICIPAL}
            self._historical_zones = [
                (int(row.year), self.region.district_index(row.district), self.region.direction_index(row.direction),
                 levels[row.level]) for row in self.region.existing_zones.itertuples()]
        for year, district, direction, level in self._historical_zones:
            if year <= self.year:
                self.districts[district].designate(direction, level, year)

    # ================================================================== the year

    def step(self) -> None:
        """Simulate one year (see the module docstring for the order)."""
        f = self.firms
        live = f.live()
        f.age[live] = self.year - f.founded[live]
        f.equity_this_year[live] = 0.0
        for k in self.year_events:
            self.year_events[k][:] = 0.0
        for k in self.spent:
            self.spent[k][:] = 0.0
        self._end_contracts()
        self._environment()
        self._talent_flows()
        self._found_platforms()
        self._build_institutes()
        if TopScientist in self.agent_types:
            for scientist in self._rng.order(self.agents_by_type[TopScientist], "order_scientists", self.year,
                                             key=lambda s: f"{s.direction}:{s.arrived}:{s.serial}"):
                scientist.step()
        self._commit_fund_capital()
        for fund in self._rng.order(self.agents_by_type[Fund], "order_funds", self.year, key=lambda f: f.name):
            fund.step()
        self._allocate_subsidies()
        knowledge_before = self._rd_and_hiring()
        self._institutes_act()
        self._absorb_transfers()
        self._update_productivity()
        self._innovate()
        self._grow(knowledge_before)
        self._application_scenarios()
        self._certify_and_list()
        self._exit()
        self._enter()
        self._form_partnerships()
        self._update_stages(self.firms.live())
        self._pilot_zones()
        self._designate()
        self._record()
        if self.year >= self.end_year:
            self.running = False
        self.year += 1
        self.t += 1

    def run(self) -> FutureIndustryModel:
        """Run from the start year to the end year."""
        while self.running:
            self.step()
        return self



def simulate(scenario: Scenario, seed: int, *, detail: str = "full", population_scale: float = 1.0) -> pd.DataFrame:
    """Run one replicate of a scenario and return its tidy indicator table.

    Deterministic in (scenario, seed): the calibration draw, if any, is picked from the seed.

    Returns:
        Columns year, direction, district, indicator, value (see :meth:`FutureIndustryModel.results`).
    """
    model = FutureIndustryModel(scenario, seed, population_scale=population_scale)
    return model.run().results(detail)


def simulate_firm_panel(scenario: Scenario, seed: int, *, population_scale: float = 1.0) -> pd.DataFrame:
    """Run one replicate and return every live firm's state at the end of every year.

    The same run as :func:`simulate` (same scenario and seed, same draws), observed firm by firm.

    Returns:
        Columns year and those of :meth:`FutureIndustryModel.firm_snapshot`, at the end of each simulated
        year (as the indicators of :func:`simulate` are).
    """
    model = FutureIndustryModel(scenario, seed, population_scale=population_scale)
    frames = []
    while model.running:
        year = model.year
        model.step()
        frames.append(model.firm_snapshot().assign(year=year))
    return pd.concat(frames, ignore_index=True)
