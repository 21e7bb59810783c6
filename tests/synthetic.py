"""Small seeded synthetic result stores with the shapes the engine writes, for chart tests.

Not a model: every series is a Poisson or gamma draw around a smooth trend, so that charts can be
checked against quantiles computed independently. Shapes follow the store's schema: scenarios,
replicates with their seeds, years 2024-2035, nine directions plus the city total ("all"), and
district totals (direction "all"). Spending comes from the real scenario plan.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.seeds import replicate_seeds
from sim.engine.store import ResultStore
from sim.inputs.region import load_region
from sim.scenario.loading import load_scenario

YEARS = np.arange(2024, 2036)
DISTRICTS = ("high_tech_zone", "yinzhou", "beilun", "cixi", "xiangshan", "qianwan")
# indicator -> (kind, level in 2024 or yearly flow, yearly growth); cumulative ones count from 2024.
SERIES = {
    "innovation_platforms": ("cumulative", 4.0, 1.08),
    "breakthroughs": ("cumulative", 8.0, 1.06),
    "representative_clusters": ("stock", 0.6, 1.15),
    "provincial_pilot_zones": ("stock", 3.0, 1.04),
    "municipal_pilot_zones": ("stock", 1.0, 1.25),
    "national_pilot_zones": ("stock", 0.15, 1.2),
    "standards": ("cumulative", 7.0, 1.07),
    "head_enterprises": ("stock", 5.0, 1.12),
    "new_star_enterprises": ("stock", 18.0, 1.1),
    "ecosystem_enterprises": ("stock", 2.0, 1.12),
    "application_scenarios": ("cumulative", 4.0, 1.05),
    "high_end_products": ("cumulative", 6.0, 1.1),
    "chain_leaders": ("stock", 0.2, 1.2),
    "clusters_100bn": ("stock", 0.15, 1.25),
    "firms": ("stock", 1500.0, 1.06),
    "revenue_100m_yuan": ("level", 1800.0, 1.11),
    "employees": ("level", 90000.0, 1.05),
    "high_tech_firms": ("stock", 420.0, 1.07),
    "spending_100m_yuan": ("level", 25.0, 1.02),
}
# Effect of the second scenario (more talent, more platforms) on each series' level.
BOOST = {"innovation_platforms": 1.35, "head_enterprises": 1.25, "new_star_enterprises": 1.2,
         "breakthroughs": 1.2, "standards": 1.15, "revenue_100m_yuan": 1.08}


TITLES = {"talent_push": {"title_zh": "人才与平台加码情景", "title_en": "More talent and platforms"}}


def second_scenario():
    """Baseline with the talent programme doubled and two municipal pilot zones (for spending)."""
    base = load_scenario("baseline")
    t = base.levers.talent_programme
    return base.with_values({
        "levers.talent_programme.leading_talent_per_year": t.leading_talent_per_year * 2,
        "levers.talent_programme.young_talent_per_year": t.young_talent_per_year * 2,
        "levers.new_platforms.platforms_per_year": 4.0,
    }, name="talent_push")


def synthetic_results(scenarios: tuple[str, ...] = ("baseline", "talent_push"), replicates: int = 20,
                      base_seed: int = 2024) -> pd.DataFrame:
    """Tidy rows (store schema) for the scenarios; the same seeds for every scenario (common numbers)."""
    region = load_region("ningbo")
    directions = region.directions
    weights_rng = np.random.default_rng(7)
    weights = {name: weights_rng.dirichlet(np.full(len(directions), 2.0)) for name in SERIES}
    seeds = replicate_seeds(base_seed, replicates)
    frames = []
    t = np.arange(len(YEARS))
    for s_index, scenario in enumerate(scenarios):
        for replicate, seed in enumerate(seeds):
            rng = np.random.default_rng([seed, s_index])
            rows: dict[tuple[str, str], np.ndarray] = {}
            for name, (kind, level, growth) in SERIES.items():
                boost = BOOST.get(name, 1.0) if s_index > 0 else 1.0
                trend = level * boost * growth ** t * rng.lognormal(0, 0.15)
                lam = trend[:, None] * weights[name][None, :]
                if kind == "level":
                    values = rng.gamma(8.0, lam / 8.0)
                else:
                    values = rng.poisson(lam).astype(float)
                    if kind == "cumulative":
                        values = np.cumsum(values, axis=0)
                for d, direction in enumerate(directions):
                    rows[(name, direction)] = values[:, d]
                rows[(name, "all")] = values.sum(axis=1)
                district_share = rng.dirichlet(np.ones(len(DISTRICTS)))
                for k, district in enumerate(DISTRICTS):
                    rows[(name, "district:" + district)] = np.round(values.sum(axis=1) * district_share[k])
            share = rows[("revenue_100m_yuan", "all")] * 0.226 / (16000 * 1.05 ** t)
            rows[("future_industry_va_share", "all")] = share
            for (name, scope), values in rows.items():
                district = scope.split(":", 1)[1] if scope.startswith("district:") else "all"
                direction = "all" if scope.startswith("district:") else scope
                frames.append((scenario, replicate, seed, direction, district, name, values))
    n = len(YEARS)
    return pd.DataFrame({
        "scenario": np.repeat([f[0] for f in frames], n),
        "sample": 0,
        "replicate": np.repeat([f[1] for f in frames], n),
        "seed": np.repeat(np.array([f[2] for f in frames], dtype=np.int64), n),
        "year": np.tile(YEARS, len(frames)),
        "direction": np.repeat([f[3] for f in frames], n),
        "district": np.repeat([f[4] for f in frames], n),
        "indicator": np.repeat([f[5] for f in frames], n),
        "value": np.concatenate([f[6] for f in frames]).astype(float),
    })


def synthetic_spending(scenarios=("baseline", "talent_push")) -> pd.DataFrame:
    """The spending table (store schema) from the scenarios' real plans."""
    plans = {"baseline": load_scenario("baseline"), "talent_push": second_scenario()}
    frames = []
    for name in scenarios:
        spending = plans[name].plan().spending
        frames.append(spending.assign(scenario=name, sample=0))
    return pd.concat(frames, ignore_index=True)[["scenario", "sample", "year", "lever", "project",
                                                 "direction", "value"]]


def make_ensemble_store(path: Path, scenarios=("baseline", "talent_push"), replicates: int = 20,
                        base_seed: int = 2024) -> ResultStore:
    """Write a synthetic ensemble store (two parts, spending, manifest) and return it."""
    hashes = {"baseline": load_scenario("baseline").content_hash(),
              "talent_push": second_scenario().content_hash()}
    design = {
        "scenarios": [{"name": s, "hash": hashes.get(s, "0" * 16), "file": f"scenarios/{s}.toml",
                       **TITLES.get(s, {})} for s in scenarios],
        "replicates": replicates,
        "base_seed": base_seed,
        "start_year": 2024, "end_year": 2035,
    }
    store = ResultStore.open_or_create(path, kind="ensemble", design=design,
                                       extra={"calibration": "synthetic test data (no calibration)"})
    results = synthetic_results(scenarios, replicates, base_seed)
    half = results["replicate"] < replicates // 2
    store.write_part(results[half])
    store.write_part(results[~half])
    store.write_spending(synthetic_spending(scenarios))
    return store


def synthetic_indices() -> pd.DataFrame:
    """Sobol (S1, ST) and Morris (mu_star, sigma) indices in the long form of ``indices.parquet``."""
    rng = np.random.default_rng(11)
    factors = ["levers.talent_leading", "levers.rd_grants", "levers.new_platforms", "levers.guidance_fund",
               "uncertainties.market_growth.quantum", "uncertainties.vc_climate",
               "parameters.agglomeration_elasticity", "parameters.startup_rate"]
    rows = []
    for output in ("head_enterprises", "P(head_enterprises_2027)", "innovation_platforms"):
        st = np.sort(rng.uniform(0.02, 0.6, len(factors)))[::-1]
        for factor, total in zip(factors, st):
            first = total * rng.uniform(0.4, 0.9)
            rows += [
                {"method": "sobol", "output": output, "year": 2027, "factor": factor, "index": "S1",
                 "value": first, "conf": 0.05},
                {"method": "sobol", "output": output, "year": 2027, "factor": factor, "index": "ST",
                 "value": total, "conf": 0.07},
                {"method": "morris", "output": output, "year": 2027, "factor": factor, "index": "mu_star",
                 "value": total * 10, "conf": 1.0},
                {"method": "morris", "output": output, "year": 2027, "factor": factor, "index": "sigma",
                 "value": total * rng.uniform(3, 12), "conf": float("nan")},
            ]
    return pd.DataFrame(rows)


def synthetic_comparison(targets_table: pd.DataFrame) -> pd.DataFrame:
    """A comparison table in the schema ``weilai compare`` writes, from an evaluated target table."""
    a = targets_table[targets_table["scenario"] == "baseline"].set_index("target")
    b = targets_table[targets_table["scenario"] == "talent_push"].set_index("target")
    diff = b["probability"] - a["probability"]
    half = 1.96 * np.sqrt((a["probability"] * (1 - a["probability"]) + b["probability"] * (1 - b["probability"]))
                          / a["n_replicates"]) + 0.02
    return pd.DataFrame({
        "scenario_a": "baseline", "scenario_b": "talent_push", "target": a.index,
        "indicator": a["indicator"].to_numpy(), "year": a["year"].to_numpy(),
        "threshold": a["threshold"].to_numpy(), "probability_a": a["probability"].to_numpy(),
        "probability_b": b["probability"].to_numpy(), "difference": diff.to_numpy(),
        "difference_low": (diff - half).clip(-1, 1).to_numpy(), "difference_high": (diff + half).clip(-1, 1).to_numpy(),
        "cost_a_100m_yuan": 310.5, "cost_b_100m_yuan": 402.25,
    }).reset_index(drop=True)


# A second, synthetic region folder: two directions and three districts made from a subset of Ningbo's
# data files (renamed), so that a run of another city can be tested end to end without real data.
SYNTHETIC_DIRECTIONS = {"alpha": "frontier_materials", "beta": "quantum"}  # new id -> Ningbo row it copies
SYNTHETIC_DISTRICTS = ("north", "south", "rest")


def write_region(folder: Path, base_year: int = 2025) -> Path:
    """Write a synthetic region folder (every file a region needs) and return it.

    The targets' base year is ``base_year`` (not Ningbo's 2024), so that tests can see it comes from the data.
    """
    import re
    import shutil

    ningbo = load_region().folder
    folder.mkdir(parents=True, exist_ok=True)
    rename = {old: new for new, old in SYNTHETIC_DIRECTIONS.items()}
    directions = pd.read_csv(ningbo / "directions.csv")
    directions = directions[directions["direction"].isin(rename)].copy()
    directions["direction"] = directions["direction"].map(rename)
    directions["order"] = range(1, len(directions) + 1)
    directions["districts"] = ["north;south", "south"]
    directions.to_csv(folder / "directions.csv", index=False)
    pd.DataFrame({"district": SYNTHETIC_DISTRICTS, "name_zh": ["北区", "南区", "其他"],
                  "name_en": ["North", "South", "Rest"], "kind": "district",
                  "note": "synthetic"}).to_csv(folder / "districts.csv", index=False)
    pd.DataFrame([{"level": "provincial", "district": "north", "direction": "alpha", "year": 2022,
                   "source": "synthetic", "note": ""}]).to_csv(folder / "pilot_zones_existing.csv", index=False)
    institutes = pd.read_csv(ningbo / "institutes.csv").head(1).copy()
    institutes["district"] = "north"
    institutes["directions"] = "alpha:0.6;beta:0.4"
    institutes.to_csv(folder / "institutes.csv", index=False)
    initial = pd.read_csv(ningbo / "initial_state.csv")
    initial = initial[initial["direction"].isin(rename)].copy()
    initial["direction"] = initial["direction"].map(rename)
    initial.to_csv(folder / "initial_state.csv", index=False)
    facts = pd.read_csv(ningbo / "facts.csv")
    facts = facts[facts["indicator"].isin(["gdp", "graduates_arriving"])].copy()
    facts["value"] = facts["value"] * 0.5
    facts.to_csv(folder / "facts.csv", index=False)

    def per_direction(match: re.Match) -> str:  # an inline table by Ningbo direction -> by synthetic direction
        cells = dict(re.findall(r"(\w+)\s*=\s*([-0-9.eE+]+)", match.group(0)))
        if not set(rename) <= set(cells):
            return match.group(0)
        return "{ " + ", ".join(f"{new} = {cells[old]}" for new, old in SYNTHETIC_DIRECTIONS.items()) + " }"

    space = (ningbo / "parameter_space.toml").read_text(encoding="utf-8")
    (folder / "parameter_space.toml").write_text(re.sub(r"\{[^{}\n]*\}", per_direction, space), encoding="utf-8")
    shutil.copy(ningbo / "indicators.toml", folder / "indicators.toml")
    targets = (ningbo / "targets.toml").read_text(encoding="utf-8")
    targets, n = re.subn(r"(?m)^base_year = \d+$", f"base_year = {base_year}", targets)
    assert n == 1
    (folder / "targets.toml").write_text(targets, encoding="utf-8")
    return folder
