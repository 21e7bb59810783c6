"""Investment funds: private venture capital, the city's angel guidance fund, and the "1+N" guidance
fund (a mother fund backing N sub-funds that raise social capital).

A fund has money to invest by direction each year, a split by stage (seed, early, growth), and
chooses deals among the live firms of its directions and stages by a noisy score (technology level,
recent growth, and a bonus for firms already in its portfolio: follow-on rounds). A deal puts cash in
the firm (spent on R&D and costs over the following years), protects it against exit for three years
and raises its growth. Money it cannot place is kept (dry powder) for later years. Funds record exits:
a write-off when a portfolio firm dies, proceeds when it lists (valued at 3x revenue, assumption).

Deployment depends on the pipeline of investable firms: a firm takes at most one round a year from
all funds together (funds act in a random order drawn each year), so when the start-ups and
growing firms are few, capital stays undeployed; social investors' commitments that stay uncalled
lapse at ``uncalled_commitment_lapse_rate`` a year, so a fund with a thin pipeline ends short of its
target capital (city money x (1 + leverage)); Wei, Ang & Jia (2023) find only about a quarter of
China's guidance funds reached their target size. Capital and pipeline are therefore complements.
Every fund draws its deal counts from its own stream (:meth:`FutureIndustryModel.agent_stream`) and
the noise of its choice from per-firm draws keyed by the fund and the firm
(:meth:`FutureIndustryModel.firm_gumbels`), so a new fund does not change the draws of the others,
and a firm another fund took leaves every other candidate's noise as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model.rules import integer_draw, top_k_noisy
from sim.model.streams import key_number

if TYPE_CHECKING:
    from sim.model.model import FutureIndustryModel

STAGES = ("seed", "early", "growth")
DEAL_MULTIPLE = np.array([1.0, 5.0, 20.0])  # round size relative to a seed round (assumption)
PRICE_TO_SALES_AT_EXIT = 3.0                 # valuation of a listed firm over its revenue (assumption)
FOLLOW_ON_BONUS = 0.5                        # score bonus for a firm already in the portfolio


def stage_of_firms(age: np.ndarray, revenue: np.ndarray, listed: np.ndarray) -> np.ndarray:
    """Financing stage of firms: 0 seed, 1 early, 2 growth, -1 not investable by venture funds.

    Seed: at most 3 years old with revenue under 0.2亿; early: at most 8 years old and revenue under
    1亿; growth: revenue 1亿 to 20亿 and not listed.

    Example:
        >>> stage_of_firms(np.array([1, 5, 10, 10]), np.array([0.05, 0.5, 3.0, 50.0]),
        ...                np.array([False] * 4)).tolist()
        [0, 1, 2, -1]
    """
    stage = np.full(np.shape(age), -1, dtype=np.int8)
    growth = (revenue >= 1.0) & (revenue < 20.0) & ~listed
    early = (age <= 8) & (revenue < 1.0)
    seed = (age <= 3) & (revenue < 0.2)
    stage[growth] = 2
    stage[early] = 1
    stage[seed] = 0
    return stage


class Fund(mesa.Agent):
    """One fund (private VC pool of a direction, the angel fund, or a guidance sub-fund).

    Attributes:
        kind: ``private_vc``, ``angel`` or ``guidance``.
        directions: Direction indices the fund invests in.
        stage_shares: Share of money per stage (seed, early, growth).
        dry_powder: Money available to invest, by direction (100m yuan).
        invested, proceeds, written_off: Totals so far (100m yuan).
        city_paid_in, social_paid_in: Capital committed by the city and by social investors (less
            social commitments that lapsed uncalled).
        target_capital: City money times (1 + leverage): the capital the fund was meant to raise.
        lapsed: Social commitments that lapsed uncalled (100m yuan).
    """

    def __init__(self, model: FutureIndustryModel, kind: str, directions: list[int],
                 stage_shares: np.ndarray, name: str) -> None:
        super().__init__(model)
        self.kind = kind
        self.name = name
        self.noise_call = key_number(name)  # the fund's own per-firm noise in its deal choices
        self.directions = list(directions)
        self.stage_shares = np.asarray(stage_shares, dtype=float)
        n_dir = model.region.n_directions
        self.dry_powder = np.zeros(n_dir)
        self.scheduled: dict[int, np.ndarray] = {}
        self.invested = 0.0
        self.proceeds = 0.0
        self.written_off = 0.0
        self.city_paid_in = 0.0
        self.social_paid_in = 0.0
        self.target_capital = 0.0
        self.lapsed = 0.0
        self.social_share = 0.0
        # the portfolio, one entry per deal (the first ``deals_made`` entries of each array, which have
        # spare capacity beyond them): firm row, amount, equity
        # share bought, and whether the position is still open
        self.deals_made = 0
        self.portfolio_rows = np.zeros(64, dtype=np.int64)
        self.portfolio_amount = np.zeros(64)
        self.portfolio_share = np.zeros(64)
        self.portfolio_open = np.zeros(64, dtype=bool)
        self._held = np.zeros(0, dtype=bool)  # by firm row: ever in this fund's portfolio
        self.invested_this_year = np.zeros(n_dir)

    def commit(self, city_money: np.ndarray, leverage: float, year: int, deployment_years: int = 1) -> None:
        """Add capital by direction: the city's money plus ``leverage`` times as much social capital,
        invested evenly over ``deployment_years`` starting this year."""
        total = city_money * (1.0 + leverage)
        self.city_paid_in += float(city_money.sum())
        self.social_paid_in += float((city_money * leverage).sum())
        self.target_capital += float(total.sum())
        self.social_share = leverage / (1.0 + leverage)
        for k in range(deployment_years):
            self.scheduled[year + k] = self.scheduled.get(year + k, 0.0) + total / deployment_years

    def step(self) -> None:
        """Release this year's capital, invest it, and book exits."""
        model = self.model
        year = model.year
        self.dry_powder += self.scheduled.pop(year, 0.0)
        self.invested_this_year = np.zeros_like(self.dry_powder)
        for d in self.directions:
            if self.dry_powder[d] > 1e-9:
                self._invest_direction(d)
        if self.social_share > 0:
            lapse = np.maximum(self.dry_powder, 0.0) * self.social_share * model.values.uncalled_commitment_lapse_rate
            self.dry_powder -= lapse
            self.social_paid_in -= float(lapse.sum())
            self.lapsed += float(lapse.sum())
        self._book_exits()

    def _invest_direction(self, d: int) -> None:
        model, firms, v = self.model, self.model.firms, self.model.values
        rows = model.live_rows_of(d)
        if len(rows) == 0:
            return
        # firms' stages and the part of their score that no fund changes: once a year per direction
        stages = model.per_direction_this_year("venture_stages", d, lambda r: np.where(
            firms.relative_tech[r] < v.venture_relative_tech_min, np.int8(-1),  # no fundable technology
            stage_of_firms(firms.age[r], firms.revenue[r], firms.listed[r]))).copy()
        quality = model.per_direction_this_year("venture_quality", d, lambda r: (
            np.log(np.maximum(firms.relative_tech[r], 1e-6)) + 0.5 * np.clip(firms.last_growth[r], -1.0, 1.0)))
        stages[firms.equity_this_year[rows] > 0] = -1  # one round a year per firm, from any fund
        budget = self.dry_powder[d]
        in_portfolio = np.zeros(len(rows), dtype=bool)
        known = rows < len(self._held)
        in_portfolio[known] = self._held[rows[known]]
        rng = model.agent_stream("funds", self.name)
        noise = None  # the fund's per-firm noise this year, made when a stage has deals to place
        for s, share in enumerate(self.stage_shares):
            money = budget * share
            deal = v.seed_deal_100m_yuan * DEAL_MULTIPLE[s]
            n_deals = integer_draw(money / deal, rng)
            candidates = np.flatnonzero(stages == s)
            if n_deals == 0 or len(candidates) == 0:
                continue
            c_rows = rows[candidates]
            score = quality[candidates] + FOLLOW_ON_BONUS * in_portfolio[candidates]
            if noise is None:
                noise = model.firm_gumbels("funds", rows, self.noise_call)
            chosen = c_rows[top_k_noisy(score, min(n_deals, len(c_rows)), 1.0, noise[candidates])]
            self._make_deals(chosen, deal, d)

    def _make_deals(self, rows: np.ndarray, deal: float, d: int) -> None:
        firms, year = self.model.firms, self.model.year
        pre_money = np.maximum(4.0 * firms.revenue[rows], 3.0 * deal)
        firms.cash[rows] += deal
        firms.equity_raised[rows] += deal
        firms.equity_this_year[rows] += deal
        firms.funded_year[rows] = year
        firms.rounds[rows] += 1
        amount = deal * len(rows)
        self.dry_powder[d] -= amount
        self.invested += amount
        self.invested_this_year[d] += amount
        if len(rows) and rows.max() >= len(self._held):
            self._held = np.concatenate([self._held, np.zeros(int(rows.max()) + 1 - len(self._held) + 1024, bool)])
        self._held[rows] = True
        start, end = self.deals_made, self.deals_made + len(rows)
        if end > len(self.portfolio_rows):
            size = max(end, 2 * len(self.portfolio_rows))
            for name in ("portfolio_rows", "portfolio_amount", "portfolio_share", "portfolio_open"):
                old = getattr(self, name)
                grown = np.zeros(size, dtype=old.dtype)
                grown[:start] = old[:start]
                setattr(self, name, grown)
        self.portfolio_rows[start:end] = rows
        self.portfolio_amount[start:end] = deal
        self.portfolio_share[start:end] = deal / (deal + pre_money)
        self.portfolio_open[start:end] = True
        self.deals_made = end

    def _book_exits(self) -> None:
        if self.deals_made == 0:
            return
        firms, n = self.model.firms, self.deals_made
        rows, open_ = self.portfolio_rows[:n], self.portfolio_open[:n]
        dead = open_ & ~firms.alive[rows]
        listed = open_ & firms.alive[rows] & firms.listed[rows]
        self.written_off += float(self.portfolio_amount[:n][dead].sum())
        self.proceeds += float((self.portfolio_share[:n][listed] * PRICE_TO_SALES_AT_EXIT
                                * firms.revenue[rows[listed]]).sum())
        open_[dead | listed] = False

    def raised_share_of_target(self) -> float:
        """Capital raised (city money plus social capital not lapsed) over the target capital."""
        return (self.city_paid_in + self.social_paid_in) / self.target_capital if self.target_capital > 0 else 1.0


def assign_sub_funds(n_sub_funds: int, shares: np.ndarray) -> list[list[int]]:
    """Directions of each of N sub-funds, given direction shares of the guidance lever.

    With at least as many sub-funds as funded directions, every funded direction gets one sub-fund
    and the extra ones go to the largest shares in turn ("nine ones": one fund per direction);
    with fewer, directions are dealt to sub-funds in order of share.

    Example:
        >>> assign_sub_funds(3, np.array([0.5, 0.3, 0.2]))
        [[0], [1], [2]]
        >>> assign_sub_funds(2, np.array([0.5, 0.3, 0.2]))
        [[0, 2], [1]]
    """
    funded = [int(d) for d in np.argsort(-shares, kind="stable") if shares[d] > 0]
    if not funded:
        return []
    if n_sub_funds >= len(funded):
        out = [[d] for d in funded]
        for k in range(n_sub_funds - len(funded)):
            out.append([funded[k % len(funded)]])
        return out
    out = [[] for _ in range(n_sub_funds)]
    for k, d in enumerate(funded):
        out[k % n_sub_funds].append(d)
    return out

