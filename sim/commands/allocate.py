"""``weilai allocate --budget B --base SCENARIO --out DIR``: the best split of a yearly budget across
levers, searched on the emulator and verified on the model (:mod:`sim.analysis.decision.allocate`)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.core.errors import InputError


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai allocate``."""
    from sim.analysis.decision.allocate import OBJECTIVES
    from sim.commands.options import add_execution_arguments

    parser.add_argument("--budget", type=float, required=True, help="亿元 a year to split across the levers")
    parser.add_argument("--base", default="baseline", help="base scenario (default baseline)")
    parser.add_argument("--out", required=True, help="output folder (the search resumes from it)")
    parser.add_argument("--objective", choices=OBJECTIVES, default="expected",
                        help="expected targets met (default), worst case over sampled futures, or weighted by year")
    parser.add_argument("--levers", nargs="+", default=None,
                        help="allocate only these levers (default: all the emulator takes)")
    parser.add_argument("--min", nargs="+", default=[], metavar="LEVER=LEVEL",
                        help="floors, in the lever's unit per year (e.g. talent_young=100)")
    parser.add_argument("--emulator", default=None, help="emulator folder (default: the shipped one)")
    parser.add_argument("--trials", type=int, default=None,
                        help="optuna trials on the emulator (default 300; quick 40)")
    parser.add_argument("--random", type=int, default=None, help="random allocations to compare with (default 10000)")
    parser.add_argument("--candidates", type=int, default=None,
                        help="best candidates verified on the model (default 3)")
    parser.add_argument("--replicates", type=int, default=None, help="verification replicates (default 100; quick 4)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the search, the futures and the runs")
    parser.add_argument("--zones", choices=("package", "base"), default="package",
                        help="municipal pilot-zone designations of the verified scenarios: the full package's "
                        "(default: designations are decisions, not budget, so candidates and comparators carry "
                        "the same ones and differ only in money) or the base's")
    parser.add_argument("--direction-trials", type=int, default=None,
                        help="optuna trials of the split across directions, each run on the model (default 25; "
                        "quick 3)")
    parser.add_argument("--direction-replicates", type=int, default=None,
                        help="model runs per direction trial, the same seeds in every trial (default 10; quick 2)")
    parser.add_argument("--no-directions", action="store_true",
                        help="do not search the split across directions (the base's priorities stay in force)")
    parser.add_argument("--refine-replicates", type=int, default=None,
                        help="model runs per candidate when the emulator's best, the full package's split and "
                        "blends of the two are ranked on the model (default 30; quick 2)")
    parser.add_argument("--no-refine", action="store_true",
                        help="verify the emulator's best trials as they are (no ranking on the model)")
    parser.add_argument("--quick", action="store_true", help="a small version for trying it out and for tests")
    add_execution_arguments(parser)


def _floors(items: list[str]) -> dict[str, float]:
    floors = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            floors[name] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise InputError("a floor is LEVER=LEVEL", key="--min", value=item, allowed="e.g. talent_young=100")
    return floors


def cli_main(args: argparse.Namespace) -> int:
    """Search, verify, write allocation.toml, allocation.csv and verification.csv."""
    import numpy as np
    import pandas as pd

    from sim.analysis.decision.allocate import allocation_scenario, build_problem, random_best, scenario_toml, search
    from sim.analysis.decision.directions import MAX_SEARCH_RUNS, check_search_size, direction_money
    from sim.analysis.decision.emulator import load_emulator, shipped_emulator_dir
    from sim.analysis.decision.levers import resolve_levers, scaled_to_cost, total_cost_100m_yuan, with_designations
    from sim.analysis.decision.refine import EMULATOR_CANDIDATES, MAX_REFINE_CANDIDATES
    from sim.analysis.decision.verify import runs_key, verification_table
    from sim.analysis.targets import load_targets
    from sim.commands.options import execution_options
    from sim.engine.runner import run_scenarios
    from sim.scenario.loading import load_scenario

    started = time.perf_counter()
    trials = args.trials or (40 if args.quick else 300)
    n_random = args.random or (1000 if args.quick else 10_000)
    n_cand = args.candidates or (1 if args.quick else 3)
    replicates = args.replicates or (4 if args.quick else 100)
    d_trials = args.direction_trials if args.direction_trials is not None else (3 if args.quick else 25)
    d_replicates = (args.direction_replicates if args.direction_replicates is not None
                    else (2 if args.quick else 10))
    r_replicates = 0 if args.no_refine else (args.refine_replicates if args.refine_replicates is not None
                                             else (2 if args.quick else 30))
    for key, value in (("--trials", trials), ("--random", n_random), ("--candidates", n_cand),
                       ("--replicates", replicates)):
        if value < 1:
            raise InputError("must be at least 1", key=key, value=value, allowed="1 or more")
    check_search_size(d_trials, d_replicates)
    if not args.no_refine and r_replicates < 1:
        raise InputError("must be at least 1", key="--refine-replicates", value=r_replicates, allowed="1 or more")
    refine_runs = MAX_REFINE_CANDIDATES * r_replicates
    direction_runs = 0 if args.no_directions else d_trials * d_replicates
    if refine_runs + direction_runs > MAX_SEARCH_RUNS:
        raise InputError(f"the search may use at most {MAX_SEARCH_RUNS} model runs", key="--refine-replicates",
                         value=f"{MAX_REFINE_CANDIDATES} candidates x {r_replicates} replicates + {direction_runs} "
                         f"in the direction search = {refine_runs + direction_runs} runs",
                         allowed=f"at most {MAX_SEARCH_RUNS} (fewer --refine-replicates or --direction-trials)")
    if not args.budget > 0:
        raise InputError("the budget must be positive", key="--budget", value=args.budget, allowed="亿元 a year > 0")
    base = load_scenario(args.base)
    emu = load_emulator(args.emulator or shipped_emulator_dir(base.region))
    levers = resolve_levers(args.levers, base.region) if args.levers else None
    package = load_scenario("full_package")
    designations = package.levers.pilot_zones.designations if args.zones == "package" else None
    run_base = with_designations(base, designations) if designations is not None else base
    problem = build_problem(emu, base, args.budget, levers, _floors(args.min), args.objective, seed=args.seed,
                            cost_base=run_base)
    out = Path(args.out)
    trials_table = search(problem, out, trials, seed=args.seed)
    best_random = random_best(problem, n_random, seed=args.seed)
    best = trials_table.iloc[0]
    gap = float(best["score"]) - best_random
    print(f"search: {len(trials_table)} optuna trials on the emulator ({args.objective}); best {best['score']:.3f}, "
          f"best of {n_random} random allocations {best_random:.3f} (difference {gap:+.3f}, "
          f"{100 * gap / max(abs(best_random), 1e-9):+.1f}%)")
    names = [f.short for f in problem.levers]
    emulator_best: list = []
    for _, row in trials_table.iterrows():
        levels = row[[f"level.{n}" for n in names]].to_numpy(dtype=float)
        if any(abs(levels - s).max() < 1e-6 for s in emulator_best):
            continue
        emulator_best.append(levels)
        if len(emulator_best) == max(n_cand, EMULATOR_CANDIDATES):
            break
    if designations is not None:  # the emulator never saw them: only the runs on the model do
        base = run_base
        print(f"scenarios run on the model carry the full package's {len(designations)} municipal pilot-zone "
              "designations (--zones package): they differ only in how the money is split (unit costs, such as support "
              "per zone, are those of the base with these designations)")
    search_runs = 0
    refined = None
    if args.no_refine:
        chosen = emulator_best[:n_cand]
    else:
        refined, search_runs = _refine_stage(args, problem, emulator_best, package, designations, out, r_replicates)
        chosen = [row[[f"level.{n}" for n in names]].to_numpy(dtype=float)
                  for _, row in refined.head(n_cand).iterrows()]
    candidates = [allocation_scenario(problem, lv, f"allocation_{i + 1}") for i, lv in enumerate(chosen)]
    if designations is not None:
        candidates = [with_designations(c, designations) for c in candidates]
    split: dict[str, float] | None = None
    split_names: list[str] = []
    unsplit = candidates[0]
    if not args.no_directions:
        candidates, split, split_names, d_runs = _direction_stage(
            args, candidates, [f.lever for f in problem.levers], out, d_trials, d_replicates)
        search_runs += d_runs
    cost = total_cost_100m_yuan(candidates[0])
    full = scaled_to_cost(package, cost, "full_package_same_cost")
    base_scaled = scaled_to_cost(base, cost, f"{base.name}_same_cost")
    roles = {full.name: "full_package", base_scaled.name: "base"} | {c.name: "candidate" for c in candidates}
    scenarios = [base_scaled, full, *candidates]
    if split:  # the best candidate's levels on the base's priorities: what the split adds, on fresh replicates
        on_priorities = unsplit.model_copy(update={"name": f"{unsplit.name}_on_priorities"})
        roles[on_priorities.name] = "on_priorities"
        scenarios.append(on_priorities)
    # one store per set of verified scenarios: a resumed search that picks another allocation verifies anew
    key = runs_key(scenarios)
    store = run_scenarios(scenarios, replicates, args.seed, out / "verification_runs" / key, detail="city",
                          **execution_options(args))
    scores = {c.name: float(v) for c, v in zip(candidates, problem.scores(np.array(chosen)))}
    table = verification_table(store, scenarios, roles, load_targets(), full.name, scores)
    if refined is not None:  # each candidate's score on the refinement's runs (not the verification's)
        ranked = refined.head(n_cand).set_index(pd.Index([c.name for c in candidates]))
        table["refine_label"] = table["scenario"].map(ranked["label"])
        table["refine_score"] = table["scenario"].map(ranked["score"])
    table["direction_split"] = ["searched" if split and r == "candidate" else "priorities" for r in table["role"]]
    table.to_csv(out / "verification.csv", index=False)
    alloc = chosen[0]
    rows = []
    for f, level, unit_cost in zip(problem.levers, alloc, problem.unit_cost):
        rows.append({"lever": f.short, "path": f.path, "unit": f.factor.unit, "level_per_year": level,
                     "cost_100m_yuan_per_year": level * unit_cost,
                     "share_of_budget": level * unit_cost / problem.budget,
                     "base_level_per_year": emu.inputs[emu.input_names.index(f.name)]["base"]})
    pd.DataFrame(rows).to_csv(out / "allocation.csv", index=False)
    direction_money(candidates[0], list(dict.fromkeys(f.lever for f in problem.levers)), split_names if split else []
                    ).to_csv(out / "allocation_directions.csv", index=False)
    verified = table.set_index("role")
    cand = table[table["role"] == "candidate"].iloc[0]
    comment = (f"Allocation of {args.budget:g}亿 a year across {len(names)} levers, written by weilai allocate "
               f"(objective {args.objective}).\nSearched on the emulator ({len(trials_table)} optuna TPE trials; "
               f"emulator {emu.identity['model_fingerprint']})"
               + ("" if refined is None else
                  f", ranked on the model with the full package's split and blends ({len(refined)} candidates x "
                  f"{r_replicates} replicates; chosen: {refined.iloc[0]['label']})")
               + f", verified on the model with {replicates} replicates: "
               f"expected targets met {cand['expected_targets_met']:.2f} against "
               f"{verified.loc['full_package', 'expected_targets_met']:.2f} for the full package at the same cost.\n"
               "Lever levels are constant yearly amounts over the whole period; "
               + (f"the split across directions was searched on the model ({d_trials} optuna TPE trials x "
                  f"{d_replicates} replicates) and applied to {', '.join(split_names)}." if split
                  else "directions follow the base's priorities."))
    text = scenario_toml(problem, alloc, _base_ref(args.base),
                         f"预算分配：每年{args.budget:g}亿元（weilai allocate）",
                         f"Allocation of {args.budget:g} x 100m yuan a year (weilai allocate)", comment,
                         designations=designations, allocation=split, allocation_levers=split_names)
    toml_path = out / "allocation.toml"
    toml_path.write_text(text, encoding="utf-8")
    check = load_scenario(toml_path)  # the file must be a valid scenario that spends what was verified
    if abs(total_cost_100m_yuan(check) - cost) > 1e-3 * max(cost, 1):
        raise RuntimeError(f"allocation.toml spends {total_cost_100m_yuan(check):.2f}, verified {cost:.2f}")
    written, verified_plan = check.plan().spending, candidates[0].plan().spending
    if not np.allclose(written["value"], verified_plan["value"], rtol=1e-3, atol=1e-3):
        raise RuntimeError("allocation.toml splits its money otherwise than the verified allocation")
    print(f"verification on the model, {replicates} replicates, all at {cost:.1f}亿 over "
          f"{base.start_year}-{base.end_year} ({cost / len(base.years):.1f}亿 a year):")
    for _, r in table.iterrows():
        print(f"  {r['scenario']:<28} {r['role']:<13} expected targets met {r['expected_targets_met']:.2f} "
              f"[{r['expected_targets_met_low']:.2f}, {r['expected_targets_met_high']:.2f}]  vs full package "
              f"{r['difference_vs_full_package']:+.2f} [{r['difference_low']:+.2f}, {r['difference_high']:+.2f}]")
    print(f"model runs: 0 in the lever search (emulator), {search_runs} in the ranking on the model and the "
          "direction search (this call), "
          f"{len(scenarios) * replicates} in the verification; "
          f"{time.perf_counter() - started:.0f} s")
    print(f"written: {toml_path}, {out / 'allocation.csv'}, {out / 'allocation_directions.csv'}, "
          f"{out / 'verification.csv'}")
    return 0


def _base_ref(ref: str) -> str:
    """How allocation.toml names its base: the scenario name if it is a shipped one, else the absolute path."""
    from sim.core.paths import SCENARIOS_DIR
    from sim.scenario.loading import resolve_path

    path = resolve_path(ref)
    try:
        return str(path.resolve().relative_to(SCENARIOS_DIR).with_suffix(""))
    except ValueError:
        return str(path.resolve())


def _refine_stage(args: argparse.Namespace, problem, emulator_best: list, package, designations, out: Path,
                  replicates: int):
    """Rank the emulator's best, the package's split and blends of the two on the model (two rounds on the
    search's seeds; :mod:`sim.analysis.decision.refine`). Returns (table best first, model runs)."""
    import pandas as pd

    from sim.analysis.decision.directions import search_seed, target_weights
    from sim.analysis.decision.refine import first_round, package_levels, rank_on_model, second_round
    from sim.analysis.targets import load_targets
    from sim.commands.options import execution_options

    targets = load_targets()
    weights = target_weights(targets, args.objective)
    mix = package_levels(problem, package)
    folder = out / "refine_runs"
    common = dict(designations=designations, folder=folder, replicates=replicates, seed=search_seed(args.seed),
                  targets=targets, weights=weights, objective=args.objective, run_options=execution_options(args))
    first, runs = rank_on_model(problem, first_round(emulator_best, mix), **common)
    extra = second_round(first, emulator_best[0], mix)
    table = first
    if extra:
        second, more = rank_on_model(problem, extra, **common)
        runs += more
        table = pd.concat([first, second]).sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    table.to_csv(out / "refine.csv", index=False)
    print(f"ranking on the model ({replicates} replicates each, the search's seeds; {args.objective}):")
    for _, r in table.iterrows():
        print(f"  {r['label']:<14} model {r['score']:.2f}  emulator {r['emulator_score']:.2f}")
    return table, runs


def _direction_stage(args: argparse.Namespace, candidates: list, levers: list[str], out: Path, trials: int,
                     replicates: int) -> tuple[list, dict[str, float] | None, list[str], int]:
    """Search the split across directions on the model for the best candidate and apply it to every
    candidate (one common split). Returns the candidates, the split (None: the base's priorities stay),
    the levers that take it and the model runs made."""
    from sim.analysis.decision.directions import (
        best_split,
        direction_problem,
        search_directions,
        search_seed,
        split_cost_unchanged,
        with_split,
    )
    from sim.analysis.targets import load_targets
    from sim.commands.options import execution_options

    targets = load_targets()
    problem, notes = direction_problem(candidates[0], levers, args.objective, targets, replicates,
                                       search_seed(args.seed))
    if not problem.levers:
        print("directions: no allocated lever takes a split (" + "; ".join(notes) + "); the priorities stay")
        return candidates, None, [], 0
    table, runs = search_directions(problem, out, trials, targets, execution_options(args))
    table.to_csv(out / "directions_trials.csv", index=False)
    base_row = table[table["split"] == "base"].iloc[0]
    best = table.iloc[0]
    print(f"directions: {len(table)} optuna trials on the model ({replicates} replicates each, the same seeds in "
          f"every trial; {args.objective}), split applied to {', '.join(problem.levers)}"
          + (f" (not: {'; '.join(notes)})" if notes else ""))
    print(f"  best trial {int(best['trial'])} ({best['split']}) {best['score']:.2f} against the base's split "
          f"{base_row['score']:.2f} (trial {int(base_row['trial'])}); model runs {runs} in this call, "
          f"{table['model_runs'].sum()} in the whole search")
    split = best_split(table, problem.directions)
    if split is None:
        print("  the base's priorities stay: no trial beat them on the search's replicates")
        return candidates, None, list(problem.levers), runs
    print("  split: " + ", ".join(f"{d} {s:.3f}" for d, s in split.items()))
    split_candidates = [with_split(c, problem.levers, split, c.name) for c in candidates]
    if not all(split_cost_unchanged(a, b) for a, b in zip(candidates, split_candidates)):
        raise RuntimeError("the direction split changed a candidate's cost")
    return split_candidates, split, list(problem.levers), runs
