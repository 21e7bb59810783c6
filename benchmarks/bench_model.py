"""Benchmark of the model: speed, scaling and memory, against a per-agent Mesa reference.

Prints, for the calibrated-size population (about 10,000 firms at the start) and for 10x that:
seconds per replicate of 2024-2035, firm-steps per second, peak memory (measured in a fresh
process per size), and the cost ratio 10x/1x. Then it runs the firm rules (R&D, knowledge, growth,
certification, exit) two ways in the same run, on the same firms and for the same 12 years:
  * arrays: the model's way, one array operation per rule for all firms (``sim.model.rules``);
  * per agent: the way a Mesa user would write them, one ``Firm.step()`` per agent through
    ``AgentSet.shuffle_do`` with plain Python arithmetic;
and prints the speed ratio, plus the aggregate outcome of both so that a reader can see they follow
the same rules (they differ only by random draws).

The per-agent reference is a second implementation on purpose: it is the yardstick, not model code.
Goals (issue 2): >= 30x faster than the reference, <= 0.25 s per replicate at 10,000 firms on one core,
cost linear or better in firms, < 1 GB at 100,000 firms.

Usage: ``python benchmarks/bench_model.py [--replicates 5]``
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time

import mesa
import numpy as np

from sim.model import rules
from sim.scenario.loading import load_scenario

YEARS = 12


def time_model(scale: float, replicates: int) -> dict:
    """Seconds per replicate, firm-steps per second and peak memory, in this process."""
    import resource

    from sim.model.model import FutureIndustryModel

    scenario = load_scenario("baseline")
    times, firm_steps, firms_start = [], 0, 0
    for seed in range(replicates):
        t0 = time.perf_counter()
        model = FutureIndustryModel(scenario, 1000 + seed, population_scale=scale)
        firms_start = int(model.firms.live().size)
        steps = 0
        while model.running:
            steps += model.firms.live().size
            model.step()
        model.results()
        times.append(time.perf_counter() - t0)
        firm_steps += steps
    return {
        "scale": scale,
        "firms_at_start": firms_start,
        "seconds_per_replicate": float(np.median(times)),
        "firm_steps_per_second": firm_steps / sum(times),
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_in_subprocess(scale: float, replicates: int) -> dict:
    code = (f"import json, benchmarks.bench_model as b; "
            f"print(json.dumps(b.time_model({scale}, {replicates})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- firm rules two ways

RULES = dict(market_growth=0.11, rd_output_elasticity=0.09, knowledge_depreciation=0.15,
             young_premium=0.2, volatility=0.3, size_exponent=0.15, hazard_multiplier=1.0,
             size_elasticity=0.25, cost_per_researcher=0.005, revenue_per_employee=0.012)


def initial_firms(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    revenue = rules.pareto_sizes(n, n * 0.14, 1.1, 0.25, rng)
    intensity = 0.06 * rng.lognormal(-0.125, 0.5, size=n)
    return {"revenue": revenue, "rd_intensity": intensity, "knowledge": revenue * intensity / 0.15,
            "age": rng.integers(0, 30, size=n).astype(float), "cash": np.zeros(n),
            "alive": np.ones(n, dtype=bool)}


def step_arrays(s: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """One year of the firm rules for all firms at once (the model's way)."""
    p, live = RULES, np.flatnonzero(s["alive"])
    revenue, age = s["revenue"][live], s["age"][live]
    rd, burn = rules.rd_spending(revenue, s["rd_intensity"][live], s["cash"][live])
    before = s["knowledge"][live]
    after = rules.update_knowledge(before, rd, p["knowledge_depreciation"])
    sd = rules.growth_volatility(revenue, p["volatility"], p["size_exponent"])
    g = rules.log_growth(p["market_growth"], np.log(after / before), p["rd_output_elasticity"], 0.0, 0.0, 0.0,
                         rules.young_firm_premium(age, p["young_premium"]),
                         rules.laplace_shocks(sd, rng.laplace(0.0, 1.0, size=sd.size)))
    new_revenue = revenue * np.exp(g)
    researchers = rd / p["cost_per_researcher"]
    employees = np.maximum(3.0, new_revenue / p["revenue_per_employee"])
    rules.high_tech_eligible(new_revenue, rd, researchers, employees, age)
    hazard = rules.exit_hazard(age, new_revenue, p["hazard_multiplier"], p["size_elasticity"])
    s["cash"][live] -= burn
    s["knowledge"][live] = after
    s["revenue"][live] = new_revenue
    s["age"][live] = age + 1
    s["alive"][live] = rng.random(len(live)) >= hazard


class ReferenceFirm(mesa.Agent):
    """A firm written the usual Mesa way: own attributes, one step() per agent, plain Python."""

    def __init__(self, model: mesa.Model, revenue: float, intensity: float, knowledge: float, age: float) -> None:
        super().__init__(model)
        self.revenue, self.rd_intensity, self.knowledge, self.age, self.cash = revenue, intensity, knowledge, age, 0.0

    def step(self) -> None:
        p, rng = RULES, self.model.rng
        burn = 0.4 * max(self.cash, 0.0)
        rd = self.rd_intensity * self.revenue + 0.5 * burn
        before = self.knowledge
        after = (1.0 - p["knowledge_depreciation"]) * before + rd
        sd = min(1.0, p["volatility"] * max(self.revenue, 1e-4) ** (-p["size_exponent"]))
        b = sd / math.sqrt(2.0)
        shock = rng.laplace(0.0, 1.0) * b + math.log1p(-b * b)
        g = (p["market_growth"] + p["rd_output_elasticity"] * math.log(after / before)
             + p["young_premium"] * 0.5 ** (self.age / 3.0) + shock)
        self.revenue *= math.exp(g)
        researchers = rd / p["cost_per_researcher"]
        employees = max(3.0, self.revenue / p["revenue_per_employee"])
        required = 0.05 if self.revenue < 0.5 else (0.04 if self.revenue < 2.0 else 0.03)
        _ = rd / self.revenue >= required and researchers >= 0.1 * employees and self.age >= 1
        size = min(3.0, max(0.1, (max(self.revenue, 1e-6) / 0.05) ** (-p["size_elasticity"])))
        age_index = min(int(self.age), len(rules.EXIT_HAZARD_BY_AGE) - 1)
        hazard = min(0.6, rules.EXIT_HAZARD_BY_AGE[age_index] * p["hazard_multiplier"] * size)
        self.cash -= burn
        self.knowledge = after
        self.age += 1
        if rng.random() < hazard:
            self.remove()


class ReferenceModel(mesa.Model):
    def __init__(self, firms: dict[str, np.ndarray], seed: int) -> None:
        super().__init__(rng=seed)
        for r, i, k, a in zip(firms["revenue"], firms["rd_intensity"], firms["knowledge"], firms["age"]):
            ReferenceFirm(self, float(r), float(i), float(k), float(a))

    def step(self) -> None:
        self.agents_by_type[ReferenceFirm].shuffle_do("step")


def compare_rules(n_firms: int) -> dict:
    firms = initial_firms(n_firms, np.random.default_rng(7))
    state = {k: v.copy() for k, v in firms.items()}
    rng = np.random.default_rng(8)
    t0 = time.perf_counter()
    for _ in range(YEARS):
        step_arrays(state, rng)
    arrays_s = time.perf_counter() - t0
    reference = ReferenceModel(firms, 8)
    t0 = time.perf_counter()
    for _ in range(YEARS):
        reference.step()
    per_agent_s = time.perf_counter() - t0
    ref_revenue = sum(a.revenue for a in reference.agents_by_type[ReferenceFirm])
    return {
        "firms": n_firms,
        "arrays_seconds": arrays_s,
        "per_agent_seconds": per_agent_s,
        "speedup": per_agent_s / arrays_s,
        "arrays_survivors": int(state["alive"].sum()),
        "per_agent_survivors": len(reference.agents_by_type[ReferenceFirm]),
        "arrays_revenue": float(state["revenue"][state["alive"]].sum()),
        "per_agent_revenue": float(ref_revenue),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=5)
    args = parser.parse_args()
    print("weilai model benchmark (one core; each size in a fresh process)\n")
    results = [measure_in_subprocess(scale, args.replicates if scale == 1 else max(2, args.replicates // 2))
               for scale in (1, 10)]
    print(f"{'population':>11}{'firms at start':>16}{'s / replicate':>15}{'firm-steps / s':>16}{'peak MB':>9}")
    for r in results:
        print(f"{r['scale']:>10g}x{r['firms_at_start']:>16,}{r['seconds_per_replicate']:>15.3f}"
              f"{r['firm_steps_per_second']:>16,.0f}{r['peak_memory_mb']:>9.0f}")
    ratio = results[1]["seconds_per_replicate"] / results[0]["seconds_per_replicate"]
    print(f"cost ratio 10x / 1x population: {ratio:.2f} (10 would be linear)\n")
    c = compare_rules(results[0]["firms_at_start"])
    print(f"Firm rules on {c['firms']:,} firms for {YEARS} years, same run:")
    print(f"  arrays (model):          {c['arrays_seconds']:.3f} s")
    print(f"  per agent (shuffle_do):  {c['per_agent_seconds']:.3f} s")
    print(f"  speed-up:                {c['speedup']:.0f}x")
    print(f"  outcome, arrays vs per agent: survivors {c['arrays_survivors']:,} vs {c['per_agent_survivors']:,}; "
          f"revenue {c['arrays_revenue']:,.0f} vs {c['per_agent_revenue']:,.0f} (亿元; differ by random draws only)")


if __name__ == "__main__":
    main()
