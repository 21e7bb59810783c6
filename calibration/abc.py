"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC), on the unit cube.

The method of Toni et al. (2009) and Beaumont, Cornuet, Marin & Robert (2009), with tolerances set
adaptively from the last generation's distances (Del Moral, Doucet & Jasra 2012), as used to calibrate
agent-based models (e.g. Grazzini, Richiardi & Tsionas 2017; van der Vaart et al. 2015):

1. generation 0 draws ``n_particles`` parameter sets from the prior and keeps them all;
2. each next generation sets its tolerance to a weighted quantile of the last distances (never below
   ``epsilon_min``), perturbs particles drawn by weight with a Gaussian kernel (covariance
   ``kernel_scale`` x their weighted covariance), and keeps proposals whose distance is within the
   tolerance until it has ``n_particles``; importance weights are prior / proposal density;
3. it stops once a generation reaches ``epsilon_min``, after ``max_generations``, or when a generation
   would accept less than ``min_acceptance`` of its proposals (the last complete generation is kept).

Parameters live on the unit cube (the prior is uniform there; :meth:`sim.inputs.space.Factor.from_unit` maps
to each factor's range and distribution) and are perturbed component by component with Gaussian
kernels truncated to [0, 1] (standard deviation ``sqrt(kernel_scale x weighted variance)`` per
parameter), so proposals never leave the prior's support and the importance weights are
1 / (mixture density of the truncated kernels). The algorithm only sees distances: ``evaluate(unit
values, key)`` runs the model and returns them. Every random choice comes from
``SeedSequence([seed, generation, batch])``, and batches are evaluated in a fixed order, so a run
replayed from stored batches (a resume) makes the same choices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

Evaluate = Callable[[np.ndarray, tuple[int, int]], np.ndarray]
EDGE = 1e-9  # unit values are kept strictly inside the cube


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile of values under normalised weights (the smallest value with cumulative weight >= q).

    Example:
        >>> weighted_quantile(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 2.0]), 0.5)
        2.0
    """
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / np.sum(weights)
    return float(values[order][np.searchsorted(cumulative, q - 1e-12)])


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights."""
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    return float(1.0 / np.sum(w**2))


@dataclass
class Generation:
    """An accepted population."""

    index: int
    epsilon: float
    unit: np.ndarray         # (n_particles, n_params) in (0, 1)
    weights: np.ndarray      # (n_particles,), sum 1
    distances: np.ndarray    # (n_particles,)
    keys: list[tuple[int, int, int]]  # (generation, batch, position in batch) of each particle
    proposed: int
    seconds: float = 0.0


class ABCSMC:
    """ABC-SMC over ``n_params`` parameters on the unit cube (see the module docstring).

    Args:
        n_params: Number of fitted parameters.
        n_particles: Particles per generation.
        quantile: Tolerance of the next generation = this weighted quantile of the last distances.
        epsilon_min: Smallest tolerance; reaching it ends the calibration.
        max_generations: Generations after generation 0 at most.
        min_acceptance: A generation that needs more than ``n_particles / min_acceptance`` proposals
            is abandoned and the calibration stops with the previous one.
        kernel_scale: Kernel variance over the particles' weighted variance, per parameter (2 in
            Beaumont et al. 2009).
        max_batch: Most proposals evaluated in one call.
        seed: Seed of every random choice.

    Attributes (after :meth:`fit`):
        generations_: Accepted populations, generation 0 first.
        stop_reason_: Why the calibration stopped.
    """

    def __init__(self, n_params: int, n_particles: int, *, quantile: float = 0.5, epsilon_min: float = 0.0,
                 max_generations: int = 8, min_acceptance: float = 0.02, kernel_scale: float = 2.0,
                 max_batch: int = 1000, seed: int = 0) -> None:
        if n_params < 1 or n_particles < 2:
            raise ValueError("need at least one parameter and two particles")
        self.n_params = n_params
        self.n_particles = n_particles
        self.quantile = quantile
        self.epsilon_min = epsilon_min
        self.max_generations = max_generations
        self.min_acceptance = min_acceptance
        self.kernel_scale = kernel_scale
        self.max_batch = max_batch
        self.seed = seed

    # ------------------------------------------------------------------ results

    @property
    def posterior_(self) -> Generation:
        """The last accepted generation."""
        return self.generations_[-1]

    def history(self) -> pd.DataFrame:
        """One row per generation: tolerance, proposals, acceptance rate, effective sample size."""
        return pd.DataFrame([{
            "generation": g.index, "epsilon": g.epsilon, "proposed": g.proposed,
            "accepted": len(g.weights), "acceptance_rate": len(g.weights) / g.proposed,
            "ess": effective_sample_size(g.weights), "median_distance": float(np.median(g.distances)),
            "seconds": g.seconds,
        } for g in self.generations_])

    # ------------------------------------------------------------------ fitting

    def _rng(self, generation: int, batch: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, generation, batch]))

    def fit(self, evaluate: Evaluate, clock: Callable[[], float] | None = None) -> ABCSMC:
        """Run the generations.

        Args:
            evaluate: ``evaluate(unit_values (m, n_params), (generation, batch)) -> distances (m,)``;
                a failed run returns ``inf``.
            clock: Seconds counter for the generation timings (default ``time.perf_counter``).
        """
        import time

        clock = clock or time.perf_counter
        start = clock()
        unit = np.clip(self._rng(0, 0).random((self.n_particles, self.n_params)), EDGE, 1 - EDGE)
        distances = np.asarray(evaluate(unit, (0, 0)), dtype=float)
        keep = np.isfinite(distances)
        if keep.sum() < 2:
            raise RuntimeError("fewer than two prior runs finished; see the failures of the first batch")
        self.generations_ = [Generation(
            index=0, epsilon=np.inf, unit=unit[keep], weights=np.full(keep.sum(), 1.0 / keep.sum()),
            distances=distances[keep], keys=[(0, 0, int(i)) for i in np.flatnonzero(keep)],
            proposed=self.n_particles, seconds=clock() - start)]
        self.stop_reason_ = "max_generations"
        for t in range(1, self.max_generations + 1):
            last = self.generations_[-1]
            epsilon = max(self.epsilon_min, weighted_quantile(last.distances, last.weights, self.quantile))
            started = clock()
            population = self._generation(evaluate, t, epsilon, last)
            if population is None:
                self.stop_reason_ = "acceptance below min_acceptance"
                break
            population.seconds = clock() - started
            self.generations_.append(population)
            if epsilon <= self.epsilon_min:
                self.stop_reason_ = "epsilon_min reached"
                break
        return self

    def _generation(self, evaluate: Evaluate, t: int, epsilon: float, last: Generation) -> Generation | None:
        centres = last.unit
        mean = np.average(centres, axis=0, weights=last.weights)
        variance = np.average((centres - mean) ** 2, axis=0, weights=last.weights)
        sigma = np.maximum(np.sqrt(self.kernel_scale * variance), 1e-3)
        accepted_u: list[np.ndarray]
        accepted_u, accepted_d, keys = [], [], []
        # expected acceptance: a little below the last generation's (the tolerance shrinks)
        previous = len(last.weights) / last.proposed if last.index > 0 else 0.4
        proposed, batch, rate = 0, 0, max(self.min_acceptance, 0.8 * previous)
        budget = int(np.ceil(self.n_particles / self.min_acceptance))
        while len(accepted_u) < self.n_particles:
            if proposed >= budget:
                return None
            needed = self.n_particles - len(accepted_u)
            size = int(min(self.max_batch, budget - proposed, max(needed, np.ceil(1.1 * needed / rate))))
            rng = self._rng(t, batch)
            ancestors = rng.choice(len(last.weights), size=size, p=last.weights)
            unit = perturb(centres[ancestors], sigma, rng)
            d = np.asarray(evaluate(unit, (t, batch)), dtype=float)
            ok = np.flatnonzero(d <= epsilon)
            for i in ok[:needed]:
                accepted_u.append(unit[i])
                accepted_d.append(d[i])
                keys.append((t, batch, int(i)))
            proposed += size
            rate = max(self.min_acceptance, len(accepted_u) / proposed)
            batch += 1
        unit_new = np.array(accepted_u)
        log_w = -log_kernel_mixture(unit_new, centres, last.weights, sigma)  # uniform prior on the cube
        w = np.exp(log_w - log_w.max())
        return Generation(index=t, epsilon=epsilon, unit=unit_new, weights=w / w.sum(),
                          distances=np.array(accepted_d), keys=keys, proposed=proposed)


def perturb(centres: np.ndarray, sigma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gaussian perturbations of unit-cube points, each coordinate truncated to (0, 1) by redrawing."""
    unit = centres + rng.standard_normal(centres.shape) * sigma
    outside = (unit <= EDGE) | (unit >= 1 - EDGE)
    while outside.any():
        rows, cols = np.nonzero(outside)
        unit[rows, cols] = centres[rows, cols] + rng.standard_normal(len(rows)) * sigma[cols]
        outside = (unit <= EDGE) | (unit >= 1 - EDGE)
    return unit


def log_kernel_mixture(unit: np.ndarray, centres: np.ndarray, weights: np.ndarray, sigma: np.ndarray
                       ) -> np.ndarray:
    """Log density at each row of ``unit`` of sum_j w_j prod_d TN(u_d; centre_jd, sigma_d, 0, 1)."""
    mass = ndtr((1.0 - centres) / sigma) - ndtr(-centres / sigma)           # (n_centres, n_params)
    z = (unit[:, None, :] - centres[None, :, :]) / sigma                    # (n, n_centres, n_params)
    log_k = np.sum(-0.5 * z**2 - 0.5 * np.log(2 * np.pi) - np.log(sigma) - np.log(mass)[None], axis=2)
    top = log_k.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(log_k - top) @ weights[:, None]))[:, 0]


def resample(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Systematic resampling: ``n`` indices drawn in proportion to ``weights``."""
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(w), positions), len(w) - 1)
