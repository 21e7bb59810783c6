"""The model's arithmetic: small pure functions over numbers or arrays, with an explicit ``rng``.

Every per-firm rule of the model (growth, R&D, knowledge, innovation, certification, exit, entry
sizes, allocation of money to firms) is here, written so that it works element-wise on arrays and
equally on scalars. The Mesa model applies them to whole arrays at once; the benchmark's reference
model applies the same functions agent by agent. Units: money in 100m yuan (亿元), time in years.
Each function's docstring says where its form comes from; docs/ODD.md collects them.
"""

from __future__ import annotations

import numpy as np
import scipy.special
import scipy.stats

# Exit hazard by firm age (years since founding; index 0 = founding year), China, SAIC (2013)
# 全国内资企业生存时间分析报告: 1.6% in the founding year, 6.3% in the 2nd, 9.5% (peak) in the 3rd,
# above 8% through about year 7, declining afterwards. Values after year 7 are our interpolation
# towards the 2012 aggregate death rate of 6.2% and below for mature firms (assumption).
EXIT_HAZARD_BY_AGE = np.array(
    [0.016, 0.063, 0.095, 0.088, 0.085, 0.083, 0.081, 0.075, 0.068, 0.062, 0.056, 0.050, 0.045, 0.040]
)
SIZE_REFERENCE_100M_YUAN = 0.05  # revenue at which the exit size factor is 1 (5m yuan, a small firm)


def exit_hazard(
    age: np.ndarray,
    revenue: np.ndarray,
    multiplier: float,
    size_elasticity: float,
    protection: np.ndarray | float = 0.0,
    cap: float = 0.6,
) -> np.ndarray:
    """Annual probability that a firm exits.

    hazard = h(age) * multiplier * (revenue / 0.05)^(-size_elasticity) * (1 - protection), with the
    size factor clipped to [0.1, 3] and the result capped.

    Args:
        age: Firm age in years (0 = founded this year).
        revenue: Revenue, 100m yuan.
        multiplier: Scales the SAIC age profile (``parameters.exit_hazard_multiplier``).
        size_elasticity: Elasticity of the hazard on revenue (``parameters.exit_size_elasticity``).
        protection: Proportional hazard reduction from recent funding or subsidies, in [0, 1).
        cap: Upper bound of the probability.

    Example:
        >>> float(exit_hazard(np.array(2), np.array(0.05), 1.0, 0.25))
        0.095
    """
    age_idx = np.clip(np.asarray(age, dtype=int), 0, len(EXIT_HAZARD_BY_AGE) - 1)
    base = EXIT_HAZARD_BY_AGE[age_idx]
    size = np.clip((np.maximum(revenue, 1e-6) / SIZE_REFERENCE_100M_YUAN) ** (-size_elasticity), 0.1, 3.0)
    return np.minimum(cap, base * multiplier * size * (1.0 - np.asarray(protection)))


def growth_volatility(revenue: np.ndarray, scale: float, size_exponent: float) -> np.ndarray:
    """Standard deviation of log growth: scale * revenue^(-size_exponent), capped at 1.

    The fall of volatility with size follows the form reported by Amaral et al. (1997) and Stanley
    et al. (1996); the exponent is a calibrated parameter (prior 0 to 0.35).

    Example:
        >>> round(float(growth_volatility(np.array(1.0), 0.3, 0.2)), 3)
        0.3
    """
    return np.minimum(1.0, scale * np.maximum(revenue, 1e-4) ** (-size_exponent))


def laplace_from_uniforms(u: np.ndarray) -> np.ndarray:
    """Standard Laplace(0, 1) draws by inverse CDF of uniforms in (0, 1).

    Example:
        >>> laplace_from_uniforms(np.array([0.5])).tolist()
        [0.0]
    """
    c = np.asarray(u, dtype=float) - 0.5
    return -np.sign(c) * np.log1p(-2.0 * np.abs(c))


def laplace_shocks(sd: np.ndarray, standard_laplace: np.ndarray) -> np.ndarray:
    """Mean-corrected Laplace shocks with standard deviation ``sd`` so that E[exp(shock)] = 1.

    Growth rates of firms are tent-shaped (Laplace), not normal (Stanley et al. 1996; Bottazzi &
    Secchi 2003). A Laplace variable with scale b has sd b*sqrt(2) and E[exp(X)] = 1/(1 - b^2),
    so log(1 - b^2) is added to keep expected revenue unbiased.

    Args:
        sd: Standard deviation per firm (at most 1).
        standard_laplace: Draws of Laplace(0, 1), one per firm (:func:`laplace_from_uniforms`).
    """
    b = np.asarray(sd) / np.sqrt(2.0)
    return standard_laplace * b + np.log1p(-(b**2))


def young_firm_premium(age: np.ndarray, premium_at_birth: float, half_life_years: float = 3.0) -> np.ndarray:
    """Extra expected growth of young firms, halving every ``half_life_years``.

    Example:
        >>> float(young_firm_premium(np.array(3), 0.2))
        0.1
    """
    return premium_at_birth * 0.5 ** (np.asarray(age) / half_life_years)


def log_growth(
    market_growth: np.ndarray,
    knowledge_growth: np.ndarray,
    rd_output_elasticity: float,
    agglomeration_growth: np.ndarray,
    agglomeration_elasticity: float,
    policy_growth: np.ndarray,
    young_premium: np.ndarray,
    shock: np.ndarray,
) -> np.ndarray:
    """Log revenue growth of each firm in one year.

    g = market growth of the direction + rd_output_elasticity * dlog(knowledge)
        + agglomeration_elasticity * dlog(employment of the district-direction)
        + policy growth (pilot zone, loans, equity) + young-firm premium + idiosyncratic shock.

    Forms: Gibrat's law with size-dependent Laplace shocks; the productivity effect of knowledge
    with elasticity from Chen et al. (2021); the agglomeration effect as an elasticity of productivity
    on local same-industry employment (Donovan et al. 2024 meta-analysis).
    """
    return (market_growth + rd_output_elasticity * knowledge_growth
            + agglomeration_elasticity * agglomeration_growth
            + policy_growth + young_premium + shock)


def update_knowledge(
    knowledge: np.ndarray, rd_spend: np.ndarray, depreciation: float, productivity: np.ndarray | float = 1.0
) -> np.ndarray:
    """Perpetual-inventory knowledge stock: K' = (1 - depreciation) K + productivity * R&D.

    Example:
        >>> float(update_knowledge(np.array(10.0), np.array(2.0), 0.15))
        10.5
    """
    return (1.0 - depreciation) * knowledge + productivity * rd_spend


def relative_technology(knowledge: np.ndarray, frontier: np.ndarray | float, exponent: float) -> np.ndarray:
    """Technology level relative to the world frontier: (K / K_frontier)^exponent.

    1 means at the frontier's knowledge stock; with exponent 0.3 a firm holding a tenth of the
    frontier's knowledge stands at 0.5. The compressed scale is our assumption (ODD "Technology").

    Example:
        >>> round(float(relative_technology(np.array(1.0), 10.0, 0.30103)), 3)
        0.5
    """
    return (np.maximum(knowledge, 0.0) / frontier) ** exponent


def rd_spending(
    revenue: np.ndarray,
    intensity: np.ndarray,
    cash: np.ndarray,
    cash_burn_share: float = 0.4,
    cash_to_rd_share: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Own R&D spending and the cash it uses.

    R&D = intensity * revenue + cash_to_rd_share * (cash_burn_share * cash): firms fund R&D from
    sales and spend a share of their raised cash each year (half of it on R&D, the rest on other
    costs).

    Returns:
        (rd_spend, cash_used), both 100m yuan.
    """
    burn = cash_burn_share * np.maximum(cash, 0.0)
    return intensity * revenue + cash_to_rd_share * burn, burn


def high_tech_eligible(revenue: np.ndarray, rd_spend: np.ndarray, researchers: np.ndarray,
                       employees: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Eligibility for high-tech enterprise certification (国科发火〔2016〕32号).

    R&D over sales at least 5% for sales under 50m yuan, 4% for 50-200m, 3% above; R&D staff at
    least 10% of employees; at least one year old.

    Example:
        >>> bool(high_tech_eligible(np.array(1.0), np.array(0.04), np.array(2), np.array(10), np.array(2)))
        True
    """
    required = np.where(revenue < 0.5, 0.05, np.where(revenue < 2.0, 0.04, 0.03))
    intensity = rd_spend / np.maximum(revenue, 1e-9)
    return (intensity >= required) & (researchers >= 0.1 * employees) & (np.asarray(age) >= 1)


def innovation_rate(rd_spend: np.ndarray, rate_per_100m_yuan: float, elasticity: float) -> np.ndarray:
    """Expected innovation events per year: rate * R&D^elasticity (R&D in 100m yuan).

    Count-data form of the patents-R&D relation (Hausman, Hall & Griliches 1984).

    Example:
        >>> float(innovation_rate(np.array(1.0), 1.5, 0.6))
        1.5
    """
    return rate_per_100m_yuan * np.maximum(rd_spend, 0.0) ** elasticity


def share_above(level: np.ndarray, threshold: float, noise_sd: float) -> np.ndarray:
    """P(level * LogNormal(0, noise_sd) >= threshold): the chance that a product of a firm at this
    technology level reaches a quality threshold."""
    from scipy.special import ndtr

    z = (np.log(threshold) - np.log(np.maximum(level, 1e-12))) / noise_sd
    return 1.0 - ndtr(z)


def allocate_proportional(budget: float, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Split a budget in proportion to weights without exceeding per-recipient caps.

    Water-filling: recipients whose proportional share exceeds their cap get the cap, and the
    remainder is split among the others, until the budget or all caps are used.

    Example:
        >>> allocate_proportional(10.0, np.array([1.0, 1.0, 2.0]), np.array([1.0, 10.0, 10.0])).tolist()
        [1.0, 3.0, 6.0]
    """
    weights = np.maximum(np.asarray(weights, dtype=float), 0.0)
    caps = np.maximum(np.asarray(caps, dtype=float), 0.0)
    out = np.zeros_like(weights)
    free = (weights > 0) & (caps > 0)
    remaining = float(budget)
    while remaining > 1e-12 and free.any():
        share = remaining * (np.where(free, weights, 0.0) / weights[free].sum())
        over = free & (out + share >= caps)
        if not over.any():
            out += share
            break
        remaining -= float((caps[over] - out[over]).sum())
        out[over] = caps[over]
        free &= ~over
    return out


def top_k_noisy(score: np.ndarray, k: int, noise_scale: float, gumbel: np.ndarray) -> np.ndarray:
    """Indices of the k best candidates by score plus Gumbel noise (a softmax choice without replacement).

    Args:
        score: The candidates' scores.
        k: How many to choose.
        noise_scale: Scale of the noise (1: choice probabilities proportional to exp(score)).
        gumbel: Standard Gumbel draws, one per candidate (the model keys them by firm, so a candidate
            keeps its draw whoever else is a candidate).

    Returns:
        Positions into ``score`` (at most ``len(score)``), best first.
    """
    n = len(score)
    if k <= 0 or n == 0:
        return np.empty(0, dtype=int)
    noisy = score + noise_scale * gumbel
    if k >= n:
        return np.argsort(-noisy)
    part = np.argpartition(-noisy, k - 1)[:k]
    return part[np.argsort(-noisy[part])]


def integer_draw(expected: float, rng: np.random.Generator) -> int:
    """A whole number with the given expectation: floor plus a Bernoulli remainder."""
    base = int(np.floor(expected))
    return base + int(rng.random() < expected - base)


def pareto_sizes(n: int, total: float, tail_exponent: float, max_share: float,
                 rng: np.random.Generator) -> np.ndarray:
    """Firm sizes with a Pareto tail summing to ``total``, no firm above ``max_share`` of it.

    The tail exponent of the size distribution (CCDF) is about 1 (Zipf; Axtell 2001; Zhang & Wang
    for top Chinese firms), 1.0-1.5 in China's industrial census (Heinrich & Dai 2016).
    """
    if n == 0:
        return np.zeros(0)
    raw = rng.pareto(tail_exponent, size=n) + 1.0
    sizes = raw / raw.sum() * total
    for _ in range(20):
        over = sizes > max_share * total
        if not over.any():
            break
        excess = float((sizes[over] - max_share * total).sum())
        sizes[over] = max_share * total
        sizes[~over] += excess * sizes[~over] / sizes[~over].sum()
    return sizes


# ---------------------------------------------------------------- knowledge and talent (issue 12)

def scarce_talent_fill(supply: np.ndarray, *demands: np.ndarray) -> np.ndarray:
    """Fill rate of researcher demand when employers share a scarce stock in proportion to demand.

    Every employer of a direction (institutes, firms) gets the same share of what it asks for:
    ``min(1, supply / total demand)``. No employer hires first (the market rations by demand, a
    stand-in for a wage that clears it; Goolsbee 1998 shows public R&D money bids up researchers'
    wages and so crowds out private R&D, which this sharing reproduces without a wage).

    Example:
        >>> scarce_talent_fill(np.array([100.0, 100.0]), np.array([50.0, 20.0]), np.array([150.0, 30.0])).tolist()
        [0.5, 1.0]
    """
    total = np.sum(demands, axis=0)
    supply = np.maximum(np.asarray(supply, dtype=float), 0.0)
    return np.divide(np.minimum(supply, total), total, out=np.ones_like(total, dtype=float), where=total > 0)


def outside_hires(demand: np.ndarray, supply: np.ndarray, response: float) -> np.ndarray:
    """Researchers drawn into the city within the year by unfilled demand: ``response`` x shortage.

    The supply of researchers responds to demand: a share of the unfilled posts is filled from
    outside (other cities, other sectors, returnees). ``response`` in [0, 1] is the share of a
    year's shortage filled that way (parameter ``talent_supply_response``).

    Example:
        >>> outside_hires(np.array([120.0, 50.0]), np.array([100.0, 80.0]), 0.4).tolist()
        [8.0, 0.0]
    """
    return response * np.maximum(np.asarray(demand, dtype=float) - supply, 0.0)


def saturating(x: np.ndarray | float, half: float) -> np.ndarray:
    """``x / (1 + x / half)``: linear for small x, approaching ``half`` (diminishing returns).

    Used for the share of programme recruits among researchers: the first recruits are the most
    selected, later ones add less (selection dilution, an assumption with range ``recruit_share_half``).

    Example:
        >>> float(saturating(0.1, 0.1))
        0.05
    """
    x = np.asarray(x, dtype=float)
    return x / (1.0 + x / half)


def absorptive_capacity(rd_spend: np.ndarray, half_rd_100m_yuan: float) -> np.ndarray:
    """Share of the public knowledge within reach that a firm can absorb: ``R&D / (R&D + half)``.

    Cohen & Levinthal (1990): a firm's own R&D both creates knowledge and lets it absorb outside
    knowledge; a firm without R&D absorbs nothing, one with R&D far above the half-saturation level
    absorbs almost all it can reach.

    Example:
        >>> [round(x, 3) for x in absorptive_capacity(np.array([0.0, 0.05, 0.15]), 0.05).tolist()]
        [0.0, 0.5, 0.75]
    """
    rd = np.maximum(np.asarray(rd_spend, dtype=float), 0.0)
    return rd / (rd + half_rd_100m_yuan)


def public_spillover(capacity: np.ndarray, reach_100m_yuan: np.ndarray | float, public_ratio: np.ndarray | float,
                     elasticity: float) -> np.ndarray:
    """Knowledge a firm gains in a year from public research (R&D-equivalent, 100m yuan).

    ``capacity * reach * public_ratio ** elasticity``: ``reach`` is what a firm with full
    absorptive capacity takes from the direction's public knowledge stock at its reference level,
    ``public_ratio`` the stock relative to that level; ``elasticity`` < 1 gives diminishing returns
    to public research.

    Example:
        >>> round(float(public_spillover(np.array(0.5), 0.2, 4.0, 0.5)), 3)
        0.2
    """
    ratio = np.maximum(np.asarray(public_ratio, dtype=float), 0.0)
    return capacity * reach_100m_yuan * ratio**elasticity


def update_public_knowledge(stock: np.ndarray, research_100m_yuan: np.ndarray, depreciation: float) -> np.ndarray:
    """Public knowledge stock by direction: ``(1 - depreciation) * stock + research spending``.

    Example:
        >>> update_public_knowledge(np.array([100.0]), np.array([20.0]), 0.15).tolist()
        [105.0]
    """
    return (1.0 - depreciation) * stock + research_100m_yuan


def research_ratio(researchers: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Researchers of each direction over a reference level (1 where either is zero).

    An institute's rates are multiplied by ``ratio ** (elasticity - 1)``, so the direction's output
    is ``rate * reference * ratio ** elasticity``: diminishing returns to public research for an
    elasticity below 1 (see :meth:`agents.institutes.Institute.event_rates`).

    Example:
        >>> research_ratio(np.array([400.0, 0.0, 5.0]), np.array([100.0, 0.0, 0.0])).tolist()
        [4.0, 1.0, 1.0]
    """
    researchers = np.asarray(researchers, dtype=float)
    ok = (np.asarray(reference) > 0) & (researchers > 0)
    return np.divide(researchers, reference, out=np.ones_like(researchers), where=ok)


def binomial_from_uniforms(trials: np.ndarray, probability: float, uniforms: np.ndarray) -> np.ndarray:
    """Binomial counts by inverse CDF of given uniforms (a unit keeps its count while its trials and
    the probability stay the same, whatever happens to the others).

    Example:
        >>> binomial_from_uniforms(np.array([0, 3, 3]), 0.4, np.array([0.1, 0.5, 0.99])).tolist()
        [0, 1, 3]
    """
    trials = np.asarray(trials, dtype=np.int64)
    out = np.zeros(trials.shape, dtype=np.int64)
    if probability >= 1.0:
        return trials.copy()
    if probability <= 0.0:
        return out
    u_all = np.asarray(uniforms, dtype=float)
    # where P(count = 0) = (1 - p)^n would underflow, scipy's binomial quantile (the same inverse CDF)
    large = trials * -np.log1p(-probability) > 700.0
    if large.any():
        out[large] = np.maximum(scipy.stats.binom.ppf(u_all[large], trials[large], probability), 0).astype(np.int64)
    active = np.flatnonzero((trials > 0) & ~large)
    n, u = trials[active].astype(float), u_all[active]
    p = (1.0 - probability) ** n  # P(count = 0)
    cdf = p.copy()
    odds = probability / (1.0 - probability)
    k = 0
    while active.size:
        more = (u > cdf) & (k < n)
        active, n, u, p, cdf = active[more], n[more], u[more], p[more], cdf[more]
        out[active] += 1
        p = p * (n - k) / (k + 1) * odds
        cdf = cdf + p
        k += 1
    return out


LARGE_POISSON_RATE = 30.0  # above it, counts come from scipy's Poisson quantile function (same inverse CDF)


def poisson_from_uniforms(rate: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Poisson counts by inverse CDF of given uniforms (monotone in the rate for a fixed uniform).

    Drawing counts this way keeps common random numbers: a unit whose rate does not change gets
    the same count, and one whose rate rises gets at least as many events, whatever happens to
    the others (``rng.poisson`` on an array consumes a variable number of draws per element).

    Example:
        >>> poisson_from_uniforms(np.array([0.0, 1.0, 1.0, 3.0]), np.array([0.9, 0.3, 0.9, 0.5])).tolist()
        [0, 0, 2, 3]
    """
    rate = np.maximum(np.asarray(rate, dtype=float), 0.0)
    u = np.asarray(uniforms, dtype=float)
    k = np.zeros(rate.shape, dtype=np.int64)
    flat_k = k.reshape(-1)
    large = rate.reshape(-1) > LARGE_POISSON_RATE  # e.g. a direction's patents: scipy's inverse CDF
    if large.any():  # scipy.stats.poisson.ppf's own formula, without the distribution object's overhead
        q, mu = u.reshape(-1)[large], rate.reshape(-1)[large]
        above = np.ceil(scipy.special.pdtrik(q, mu))
        below = np.maximum(above - 1.0, 0.0)
        flat_k[large] = np.where(scipy.special.pdtr(below, mu) >= q, below, above).astype(np.int64)
    small_rate = np.where(large, 0.0, rate.reshape(-1))
    p = np.exp(-small_rate)
    cdf = p.copy()
    r, u_left = small_rate, u.reshape(-1)
    active = np.flatnonzero((u_left > cdf) & ~large)  # units whose count is above n - 1 (only they are updated)
    limit = int(np.max(small_rate, initial=0.0) + 12.0 * np.sqrt(np.max(small_rate, initial=0.0)) + 20)
    p, cdf, r, u_left = p[active], cdf[active], r[active], u_left[active]
    for n in range(1, limit):
        if active.size == 0:
            break
        flat_k[active] += 1
        p = p * r / n
        cdf = cdf + p
        more = u_left > cdf
        active, p, cdf, r, u_left = active[more], p[more], cdf[more], r[more], u_left[more]
    return k

def productivity_step(state: np.ndarray, persistence: float, dispersion: float,
                      standard_normal: np.ndarray) -> np.ndarray:
    """One year of a firm's log productivity: a stationary AR(1) around the direction's typical firm.

    z' = persistence * z + sqrt(1 - persistence^2) * dispersion * e, e ~ N(0, 1), so a population
    drawn from N(0, dispersion^2) keeps that distribution while firms move within it. Persistent
    within-industry productivity differences of this form are the stylized fact surveyed by Syverson
    (2011, J. Econ. Lit. 49(2)); the dispersion and persistence are set against the labour-productivity
    90/10 ratio and the top-quintile retention of ``calibration/data/stylized_facts.toml``.

    Args:
        state: Log productivity of each firm.
        persistence: Yearly autocorrelation, in [0, 1).
        dispersion: Stationary standard deviation of log productivity.
        standard_normal: One N(0, 1) draw per firm.

    Example:
        >>> round(float(productivity_step(np.array(0.5), 0.8, 0.5, np.array(1.0))), 3)
        0.7
    """
    return persistence * np.asarray(state) + np.sqrt(1.0 - persistence**2) * dispersion * np.asarray(standard_normal)


def ninety_ten_ratio(dispersion: float) -> float:
    """90/10 percentile ratio of exp(z) for z ~ N(0, dispersion^2): exp(2 * 1.2816 * dispersion).

    Example:
        >>> round(ninety_ten_ratio(0.54), 2)
        3.99
    """
    from scipy.special import ndtri

    return float(np.exp(2.0 * ndtri(0.9) * dispersion))


def attachment_weights(revenue: np.ndarray, relative_tech: np.ndarray, revenue_exponent: float,
                       tech_exponent: float) -> np.ndarray:
    """Weight of each candidate main partner: revenue^revenue_exponent * relative_tech^tech_exponent.

    Preferential attachment (Barabási & Albert 1999) by size, tilted towards technology so that a
    smaller firm near the frontier can draw partners from a larger laggard.

    Example:
        >>> attachment_weights(np.array([4.0, 1.0]), np.array([0.25, 1.0]), 1.0, 1.0).tolist()
        [1.0, 1.0]
    """
    return (np.maximum(revenue, 0.0) ** revenue_exponent
            * np.maximum(relative_tech, 1e-6) ** tech_exponent)


def diversification_hazard(base_hazard: float, demand_100m_yuan: np.ndarray, pull_per_100m_yuan: float,
                           zone_strength: np.ndarray, zone_entry_effect: float) -> np.ndarray:
    """Yearly probability that an established manufacturer outside a direction opens a business in it.

    hazard = base * (1 + pull * log(1 + city demand)) * (1 + zone_entry_effect * zone strength), at most 1.
    City demand is the money the city spends buying the direction's products this year (application
    scenarios and first-of-a-kind support), in 100m yuan; its pull saturates (logarithm). Zones pull
    as they pull other entrants (parameter ``pilot_zone_entry_effect``).

    Example:
        >>> round(float(diversification_hazard(0.01, np.array(np.e - 1), 0.5, np.array(1.0), 0.4)), 4)
        0.021
    """
    pull = 1.0 + pull_per_100m_yuan * np.log1p(np.maximum(demand_100m_yuan, 0.0))
    zone = 1.0 + zone_entry_effect * np.asarray(zone_strength)
    return np.minimum(1.0, base_hazard * pull * zone)


def programme_success(base_success: float, reservoir_left: np.ndarray, reservoir_initial: np.ndarray
                      ) -> np.ndarray:
    """Chance that a manufacturer supported by the diversification programme opens the business.

    Falls in proportion to the share of the reservoir still outside the direction: the readiest firms
    move first, so each further firm supported is less likely to succeed (diminishing returns).

    Example:
        >>> programme_success(0.6, np.array([50.0, 100.0]), np.array([100.0, 100.0])).tolist()
        [0.3, 0.6]
    """
    share = np.divide(reservoir_left, reservoir_initial, out=np.zeros(np.shape(reservoir_left)),
                      where=np.asarray(reservoir_initial) > 0)
    return base_success * np.clip(share, 0.0, 1.0)


def firm_draws(rng: np.random.Generator, n: int, productivity_dispersion: float) -> np.ndarray:
    """A new firm's three draws, shape (3, n): R&D intensity multiplier (log-normal with log-mean
    -0.125 and log-sd 0.5, so a mean of 1), log productivity (normal, sd ``productivity_dispersion``)
    and the uniform that decides whether it seeks a Ningbo partner; all of the intensities first."""
    out = np.empty((3, n))
    out[0] = rng.lognormal(-0.125, 0.5, size=n)
    out[1] = rng.normal(0.0, productivity_dispersion, size=n)
    out[2] = rng.random(n)
    return out


def designation_chance(probability: float, support_factor: float, elasticity: float) -> float:
    """Yearly chance that a qualifying zone is designated at the next level: the base probability
    times the city's striving, its zone support factor (0.5 without support, 1 at 0.5亿 a year, 1.5 at
    1亿 or more) raised to ``elasticity``, at most 1 (ODD "Pilot zones").

    Example:
        >>> designation_chance(0.2, 1.0, 0.5), designation_chance(0.2, 0.5, 0.0)
        (0.2, 0.2)
        >>> round(designation_chance(0.2, 0.5, 1.0), 3), round(designation_chance(0.2, 1.5, 1.0), 3)
        (0.1, 0.3)
    """
    return min(1.0, probability * support_factor ** elasticity)
