"""The model's accessors for agents and rules (streams, firm views, zones, money) and its results table."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from agents.firms import (
    Firm,
)
from agents.funds import Fund
from agents.institutes import STANDARD_SETTERS
from sim.model.constants import SPENDING_LEVERS, STREAMS
from sim.model.indicators import year_indicators
from sim.model.streams import generator, keyed_uniforms
from sim.scenario.levers import stochastic_round

if TYPE_CHECKING:
    from agents.districts import District
    from agents.firms import FirmTable
    from agents.incumbents import IncumbentReservoir
    from agents.institutes import Institute
    from agents.knowledge import PublicKnowledge
    from agents.talent import TalentPool
    from sim.inputs.region import Region
    from sim.inputs.space import Values
    from sim.model.model import FutureIndustryModel
    from sim.model.streams import Streams
    from sim.scenario.levers import Plan
    from sim.scenario.schema import Scenario


class ModelState:
    """Accessors and results of :class:`sim.model.model.FutureIndustryModel` (a mixin)."""

    # The model's state, set by FutureIndustryModel.__init__ and mesa.Model (declared for type checkers).
    spec: Scenario
    seed: int
    region: Region
    values: Values
    plan: Plan
    population_scale: float
    year: int
    t: int
    base_year: int
    cumulative: dict[str, np.ndarray]
    year_events: dict[str, np.ndarray]
    pending_transfers: np.ndarray
    pending_spinoffs: list[tuple[int, int, int, str]]
    frontier: np.ndarray
    firms: FirmTable
    firm_agents: dict[int, Firm]
    districts: list[District]
    institutes: list[Institute]
    talent: TalentPool
    angel: Fund
    private_vc: list[Fund]
    sub_funds: list[Fund]
    agents_by_type: Any
    _records: list[tuple]
    _gdp_base: tuple[int, float]
    _graduates_base: tuple[int, float]
    _sub_fund_share: np.ndarray
    _streams: dict[str, np.random.Generator]
    _streams_year: int | None
    _live: list[np.ndarray] | None  # live rows by direction (see live_rows_of)
    _zones: np.ndarray | None  # zone levels (see zone_levels)
    _per_direction: dict[tuple[str, int], tuple[int, np.ndarray, np.ndarray]]  # see per_direction_this_year
    _partners: np.ndarray | None
    _employment_prev: np.ndarray
    _agglomeration_growth: np.ndarray
    start_year: int
    end_year: int
    spent: dict[str, np.ndarray]
    _rng: Streams
    public: PublicKnowledge
    incumbents: IncumbentReservoir
    research_reference: np.ndarray
    platform_reference: np.ndarray
    contracts: list[tuple[np.ndarray, np.ndarray, int]]
    _scientist_draws: tuple[int, np.ndarray] | None
    if TYPE_CHECKING:  # methods of FutureIndustryModel the mechanisms call
        def _add_firms(self, d: int, revenue: np.ndarray, ages: np.ndarray, origin: int,
                       knowledge: np.ndarray | None, cash: np.ndarray | None, district: np.ndarray | None,
                       rng: np.random.Generator | None, rd_boost: float = 1.0,
                       draws: np.ndarray | None = None, *, group: str,
                       members: np.ndarray | None = None) -> np.ndarray: ...
        def _open_institutes(self, initial: bool = False) -> None: ...
        def _apply_historical_zones(self) -> None: ...
        def partner_counts(self) -> np.ndarray: ...
        # methods of GuidanceMeasures (sim/model/measures.py) the mechanisms call
        def _fund_major_projects(self) -> None: ...
        def _allocate_bond_support(self) -> None: ...
        def attraction_cost_factor(self) -> np.ndarray: ...
        def compute_productivity(self) -> np.ndarray: ...
        def transfer_absorption(self) -> np.ndarray: ...
        def college_graduates(self) -> np.ndarray: ...
        def sandbox_coverage(self) -> np.ndarray: ...
        def bundle_factor(self) -> np.ndarray: ...

    def stream(self, name: str) -> np.random.Generator:
        """The random generator of a mechanism for the current year (see ``STREAMS``)."""
        return self._rng.get(name, self.year)

    def agent_stream(self, name: str, key: str) -> np.random.Generator:
        """The random generator of one agent (by its stable key) in a mechanism, for the current year."""
        return self._rng.get(name, self.year, key)

    def firm_uniforms(self, name: str, rows: np.ndarray, call: int = 0) -> np.ndarray:
        """One uniform in (0, 1) per firm row for a mechanism this year, keyed by the firm's uid
        (:func:`sim.model.streams.keyed_uniforms`): a firm gets the same draw whichever other firms
        exist, whatever row it holds and whatever other draws were taken. ``call`` numbers a
        mechanism's separate per-firm draws in a year (0, 1, ...); a call with its own number is
        independent of the others."""
        return keyed_uniforms(self._rng.firm_key(name, self.year, call), self.firms.uid[rows])

    def firm_gumbels(self, name: str, rows: np.ndarray, call: int = 0) -> np.ndarray:
        """Standard Gumbel noise per firm row, keyed like :meth:`firm_uniforms` (for choices among firms)."""
        return -np.log(-np.log(self.firm_uniforms(name, rows, call)))

    def firm(self, row: int) -> Firm:
        """The Mesa agent of a firm, made on first use.

        Firm state lives in ``self.firms`` (arrays); agents are views made on demand, because
        registering every entrant and exiter with Mesa cost about 40% of a replicate's run time
        (measured: 0.1 s of 0.27 s at 10,000 firms) without the rules needing them.
        """
        if not self.firms.alive[row]:
            raise ValueError(f"firm {row} has exited")
        agent = self.firm_agents.get(row)
        if agent is None:
            agent = self.firm_agents[row] = Firm(cast("FutureIndustryModel", self), row)
        return agent

    def live_firms(self) -> list[Firm]:
        """Mesa agents of all live firms (made on demand; for notebooks and inspection)."""
        return [self.firm(int(row)) for row in self.firms.live()]

    def firm_snapshot(self) -> pd.DataFrame:
        """The live firms' state now, one row per firm (for firm-level analysis, e.g. stylized facts).

        Returns:
            Columns firm (row, stable over the run), direction, district (indices), origin
            (:data:`agents.firms.ORIGIN_NAMES` index), founded (year), revenue (100m yuan), employees,
            relative_tech.
        """
        f, rows = self.firms, self.firms.live()
        return pd.DataFrame({
            "firm": rows, "direction": f.direction[rows], "district": f.district[rows], "origin": f.origin[rows],
            "founded": f.founded[rows], "revenue": f.revenue[rows], "employees": f.employees[rows],
            "relative_tech": f.relative_tech[rows],
        })

    def this_year(self, planned: np.ndarray) -> np.ndarray:
        """This year's row of a plan array (by direction, or a number); zero after the scenario's end."""
        if self.t < len(planned):
            return planned[self.t]
        return np.zeros_like(planned[0])

    def deliver_units(self, lever: str, planned: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Whole units delivered this year from a lever's planned (expected) units by direction.

        Whole planned units are delivered as planned; fractional ones (a budget cap scaled them) are
        rounded stochastically (:func:`sim.scenario.levers.stochastic_round`, the total to within one unit) on
        the ``rounding`` stream, one sub-stream per lever and tier, so the same seed gives the same
        rounding and no other mechanism's draws move.
        """
        out = []
        for k, units in enumerate(planned):
            expected = self.this_year(units)
            uniform = generator(self.seed, STREAMS.index("rounding"), self.year, SPENDING_LEVERS.index(lever),
                                k).random()
            out.append(stochastic_round(expected, uniform))
        return tuple(out)

    def pay(self, lever: str, by_direction: np.ndarray) -> None:
        """Record money a lever paid out this year, by direction (100m yuan)."""
        self.spent[lever] += by_direction

    def spending_this_year(self) -> float:
        """Money the city paid this year over all levers (100m yuan), as delivered."""
        return float(sum(v.sum() for v in self.spent.values()))

    def count(self, name: str, by_direction: np.ndarray) -> None:
        """Add events of this year to an event counter: to its yearly flow (every year from the scenario's
        start) and to its cumulative indicator (counted from the targets' base year on)."""
        self.year_events[name] += by_direction
        if self.year >= self.base_year:
            self.cumulative[name] += by_direction

    def live_rows_of(self, d: int | np.integer) -> np.ndarray:
        """Live firms of direction ``d`` (cached until firms enter or exit)."""
        if self._live is None:
            f = self.firms
            rows = f.live()
            order = np.argsort(f.direction[rows], kind="stable")
            bounds = np.searchsorted(f.direction[rows][order], np.arange(self.region.n_directions + 1))
            self._live = [rows[order[bounds[k]:bounds[k + 1]]] for k in range(self.region.n_directions)]
        return self._live[d]

    def per_direction_this_year(self, name: str, d: int, compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``compute(rows)`` for the live firms of direction ``d``, computed once a year (read-only).

        The value is recomputed when the year changes or a firm of the direction enters or exits, not
        when a firm attribute changes: the caller must only read attributes that no mechanism changes
        between its uses in the year (the funds read age, revenue, listing, technology and last growth,
        which change only after the fund step)."""
        rows = self.live_rows_of(d)
        cached = self._per_direction.get((name, d))
        if cached is None or cached[0] != self.year or cached[1] is not rows:
            value = compute(rows)
            value.flags.writeable = False
            cached = self._per_direction[(name, d)] = (self.year, rows, value)
        return cached[2]

    def zone_levels(self) -> np.ndarray:
        """Pilot-zone level of every (direction, district), shape (n_directions, n_districts); read-only
        (cached until a district's level changes: :meth:`District.designate` clears the cache)."""
        if self._zones is None:
            self._zones = np.stack([district.level for district in self.districts], axis=1)
            self._zones.flags.writeable = False
        return self._zones

    def municipal_zones(self) -> np.ndarray:
        return np.stack([district.municipal for district in self.districts], axis=1)

    def _zone_support_factor(self, d: np.ndarray | int) -> np.ndarray | float:  # noqa: ARG002 - same for all
        """Zone effects scale with the city's support per zone: 0.5 without support, 1 at 0.5亿 a
        year, at most 1.5 (assumption, ODD "Pilot zones")."""
        support = self.this_year(self.plan.pilot_zones.support_100m_yuan_per_zone)
        return 0.5 + 0.5 * min(2.0, cast(float, support) / 0.5)  # a scalar: one year's level

    def institute_researchers(self) -> np.ndarray:
        if not self.institutes:
            return np.zeros(self.region.n_directions)
        return np.sum([i.researchers * i.weights for i in self.institutes], axis=0)

    def standard_setters(self) -> np.ndarray:
        """Innovation centres and platforms by direction (an institute counts by its direction weights)."""
        setters = [i.weights for i in self.institutes if i.kind in STANDARD_SETTERS]
        return np.sum(setters, axis=0) if setters else np.zeros(self.region.n_directions)

    def equity_invested_this_year(self) -> np.ndarray:
        return np.sum([fund.invested_this_year for fund in self.agents_by_type[Fund]], axis=0)

    def gdp(self) -> float:
        """City GDP: the sourced figure for the start year, grown at the assumed rate after it."""
        year, value = self._gdp_base
        return value * (1.0 + self.values.gdp_growth) ** (self.year - year)

    def _nearest_fact(self, indicator: str, year: int) -> tuple[int, float]:
        """(year, value) of the sourced statistic closest to ``year`` (the data are sparse)."""
        facts = self.region.facts
        rows = facts[facts["indicator"] == indicator]
        best = rows.loc[(rows["year"] - year).abs().idxmin()]
        return int(best["year"]), float(best["value"])

    def _employment_by_cell(self) -> np.ndarray:
        f = self.firms
        rows = f.live()
        n_dir, n_dist = self.region.n_directions, self.region.n_districts
        cell = f.direction[rows].astype(np.int64) * n_dist + f.district[rows]
        return np.bincount(cell, weights=f.employees[rows], minlength=n_dir * n_dist).reshape(n_dir, n_dist)

    # ================================================================== results

    def _record(self) -> None:
        by_direction, city, by_district = year_indicators(self)
        self._records.append((self.year, by_direction, city, by_district))

    def results(self, detail: str = "full") -> pd.DataFrame:
        """Tidy indicator rows of every simulated year.

        Args:
            detail: ``full`` (directions, city totals and district rows), ``directions`` (no district
                rows) or ``city`` (city totals only).

        Returns:
            DataFrame with columns year, direction, district, indicator, value.
        """
        if detail not in ("full", "directions", "city"):
            raise ValueError(f"detail must be full, directions or city, not {detail!r}")
        directions = list(self.region.directions)
        districts = list(self.region.districts)
        years, dirs, dists, names, values = [], [], [], [], []

        def add(year: int, direction: list[str], district: list[str], name: str, vals: list | np.ndarray) -> None:
            years.extend([year] * len(vals))
            dirs.extend(direction)
            dists.extend(district)
            names.extend([name] * len(vals))
            values.extend(np.asarray(vals, dtype=float).tolist())

        for year, by_direction, city, by_district in self._records:
            for name, vals in by_direction.items():
                total = city[name] if name in city else float(np.sum(vals))
                if detail == "city":
                    add(year, ["all"], ["all"], name, [total])
                else:
                    add(year, [*directions, "all"], ["all"] * (len(directions) + 1), name, [*vals, total])
            for name, value in city.items():
                if name not in by_direction:
                    add(year, ["all"], ["all"], name, [value])
            if detail == "full":
                for name, grid in by_district.items():
                    n_dist = len(districts)
                    add(year, [d for d in directions for _ in range(n_dist)], districts * len(directions),
                        name, grid.ravel())
                    add(year, ["all"] * n_dist, districts, name, grid.sum(axis=0))
        return pd.DataFrame({"year": np.array(years, dtype=np.int16), "direction": dirs, "district": dists,
                             "indicator": names, "value": np.array(values, dtype=float)})
