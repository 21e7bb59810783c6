"""Decision support at small size on the real model: weilai value, emulate, allocate, discover, and
their one-line input errors (in-process through sim.cli.main: exit status 2, no traceback)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main

# The tiny sweeps and the emulator trained on them (fixtures stores, emulator_dir) are in conftest.py.


def _error(capsys, argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.strip().splitlines() if line.startswith("weilai: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ------------------------------------------------------------------------------ weilai value


def test_value_writes_paired_per_target_table_and_chart(tmp_path, capsys):
    out = tmp_path / "value"
    assert main(["value", "baseline", "--replicates", "3", "--seed", "5", "--levers", "guidance_fund",
                 "talent_young", "--out", str(out), "--workers", "2", "--no-progress", "--lang", "en"]) == 0
    table = pd.read_csv(out / "value.csv")
    for column in ("lever", "target", "delta_p", "delta_p_low", "delta_p_high", "extra_cost_100m_yuan",
                   "delta_p_per_100m_yuan", "expected_targets_met_per_100m_yuan", "lever_kind"):
        assert column in table.columns
    assert set(table["lever"]) == {"guidance_fund", "talent_young"}
    assert table.groupby("lever").size().eq(14).all()
    money = table[table["lever"] == "guidance_fund"]
    assert money["extra_cost_100m_yuan"].iloc[0] == pytest.approx(10.0, abs=1e-6)  # the plan spends 10亿 more
    count = table[table["lever"] == "talent_young"]
    assert (count["lever_kind"] == "count").all()
    assert count["extra_cost_100m_yuan"].iloc[0] == pytest.approx(14 * 0.01 * 12, rel=1e-6)  # +10% of 140 a year
    assert (table["delta_p_low"] <= table["delta_p"] + 1e-12).all()
    assert (table["delta_p"] <= table["delta_p_high"] + 1e-12).all()
    assert ((table["interval_level"] >= 0.95) & (table["interval_level"] < 1)).all()  # Holm step-down levels
    assert np.allclose(table["delta_p_per_100m_yuan"], table["delta_p"] / table["extra_cost_100m_yuan"])
    assert (out / "value_en.png").stat().st_size > 5000


def test_holm_levels_follow_the_step_down_order():
    from sim.analysis.decision.value import holm_levels

    adjusted, levels = holm_levels(np.array([0.01, 0.04, 0.03]), alpha=0.05)
    assert np.allclose(adjusted, [0.03, 0.06, 0.06])
    assert np.allclose(levels, [1 - 0.05 / 3, 1 - 0.05 / 1, 1 - 0.05 / 2])


def test_value_errors(capsys):
    assert "unknown lever" in _error(capsys, ["value", "baseline", "--levers", "rd_grant"])
    assert "did you mean rd_grants" in _error(capsys, ["value", "baseline", "--levers", "rd_grant"])
    assert "--replicates" in _error(capsys, ["value", "baseline", "--replicates", "1"])
    assert "--extra" in _error(capsys, ["value", "baseline", "--extra", "0"])


# ------------------------------------------------------------------------------ weilai emulate


def test_ranking_of_mixes_by_hand():
    """Three mixes; the reference tells mixes 0 and 2 apart and 1 and 2 apart, not 0 and 1; the emulator
    orders 0 < 2 as the reference does and 1 > 2 against it."""
    from types import SimpleNamespace

    from sim.analysis.decision.accuracy import _ranking

    emu = SimpleNamespace(targets=[{"id": "a"}, {"id": "b"}])
    groups = np.repeat([0, 1, 2], 4)
    met = {"a": np.array([0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], dtype=bool),  # counts per replicate:
           "b": np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], dtype=bool)}  # mix 0: 0, mix 1: 0.25, mix 2: 2
    ref = SimpleNamespace(met=met, groups=groups)
    probs = np.array([[0.1, 0.1], [1.0, 1.0], [0.9, 0.8]])  # expected met 0.2, 2.0, 1.7
    r = _ranking(emu, ref, np.array([0, 1, 2]), probs)
    assert r["pairs_told_apart"] == 2 and r["pairs_ordered_as_reference"] == pytest.approx(0.5)
    assert r["expected_met_mae"] == pytest.approx((0.2 + 1.75 + 0.3) / 3)
    assert r["expected_met_bias"] == pytest.approx((0.2 + 1.75 - 0.3) / 3)
    assert r["spearman"] == pytest.approx(0.5)


def test_emulator_files_accuracy_and_prediction(emulator_dir, capsys):
    from sim.analysis.decision.emulator import load_emulator

    report = json.loads((emulator_dir / "accuracy.json").read_text())
    s = report["summary"]
    assert s["mixes"] == 3 and s["replicates_per_mix"] == 2
    assert 0 <= s["mae"] <= 1 and 0 <= s["coverage_95_with_reference_error"] <= 1
    assert s["prediction_ms_all_targets"] < 50
    assert "mean absolute error" in (emulator_dir / "accuracy.md").read_text()
    assert "Spearman rank correlation" in (emulator_dir / "accuracy.md").read_text()
    assert set(s["ranking"]) == {"expected_met_mae", "expected_met_bias", "spearman", "pairs_told_apart",
                                 "pairs_ordered_as_reference"}
    emu = load_emulator(emulator_dir)
    assert emu.identity["calibration"].startswith("calibration/draws.csv")
    assert len(emu.identity["model_fingerprint"]) == 16
    assert main(["emulate", "predict", str(emulator_dir), "baseline", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    probs = {r["target"]: r["probability"] for r in printed["targets"]}
    assert set(probs) == {t["id"] for t in emu.targets}
    assert all(0 <= p <= 1 for p in probs.values())
    assert all(r["q05"] <= r["q50"] <= r["q95"] for r in printed["quantiles"])


def test_emulator_follows_the_lever_it_was_trained_on(emulator_dir):
    """Predictions change with a trained lever input and stay put for the same input."""
    from sim.analysis.decision.emulator import load_emulator

    emu = load_emulator(emulator_dir)
    low = emu.predict({"levers.guidance_fund": 0.0})
    high = emu.predict({"levers.guidance_fund": 30.0})
    assert low == emu.predict({"levers.guidance_fund": 0.0})
    assert low["targets"] != high["targets"]


def test_javascript_evaluator_equals_python(emulator_dir, tmp_path):
    from conftest import require

    from sim.analysis.decision.emulator import load_emulator
    from sim.analysis.decision.export import export_js

    node = shutil.which("node")
    require(node is not None, "node is not installed")
    emu = load_emulator(emulator_dir)
    script = tmp_path / "emulator.js"
    script.write_text(export_js(emu), encoding="utf-8")
    mixes = [{}, {"levers.rd_grants": 20.0, "uncertainties.vc_climate": 0.5},
             {"levers.guidance_fund": 12.5, "levers.talent_young": 400.0, "uncertainties.vc_climate": 1.4}]
    code = (f"const m = require({json.dumps(str(script))});"
            f"console.log(JSON.stringify({json.dumps(mixes)}.map(v => m.weilaiPredict(m.WEILAI_EMULATOR, v))));")
    result = json.loads(subprocess.run([node, "-e", code], capture_output=True, text=True, check=True).stdout)
    for mix, js in zip(mixes, result):
        py = emu.predict(mix)
        for target, p in py["targets"].items():
            assert js["targets"][target] == pytest.approx(p, abs=1e-12)
        for key, qs in py["quantiles"].items():
            for q, v in qs.items():
                assert js["quantiles"][key][q] == pytest.approx(v, rel=1e-12, abs=1e-12)


def test_emulator_refuses_what_it_was_not_trained_on(emulator_dir, tmp_path, capsys):
    assert "not trained on this lever setting" in _error(capsys, ["emulate", "predict", str(emulator_dir), "full_package"])
    high = tmp_path / "high.toml"
    high.write_text('extends = "baseline"\n[levers.rd_grants]\namount_100m_yuan_per_year = 50.0\n')
    assert "outside the range" in _error(capsys, ["emulate", "predict", str(emulator_dir), str(high)])
    for key, value, message in (("calibration", "calibration/other.csv (1 draws, sha256 0)", "other parameter draws"),
                                ("model_fingerprint", "0000000000000000", "the model has changed")):
        data = json.loads((emulator_dir / "emulator.json").read_text())
        data["identity"][key] = value
        other = tmp_path / key
        other.mkdir()
        (other / "emulator.json").write_text(json.dumps(data))
        assert message in _error(capsys, ["emulate", "predict", str(other), "baseline"])


def test_emulate_train_errors(ensemble_store, tmp_path, capsys):
    assert "not a sweep" in _error(capsys, ["emulate", "train", str(ensemble_store.path), "--out", str(tmp_path / "e")])
    assert "not found" in _error(capsys, ["emulate", "train", str(tmp_path / "nothing"), "--out", str(tmp_path / "e")])
    assert "no emulator" in _error(capsys, ["emulate", "predict", str(tmp_path), "baseline"])


# ------------------------------------------------------------------------------ weilai allocate


def test_allocate_quick_writes_a_valid_scenario_and_verification(emulator_dir, tmp_path, capsys):
    from sim.analysis.decision.levers import total_cost_100m_yuan
    from sim.scenario.loading import load_scenario

    out = tmp_path / "alloc"
    argv = ["allocate", "--budget", "12", "--base", "baseline", "--out", str(out), "--quick", "--emulator",
            str(emulator_dir), "--levers", "rd_grants", "guidance_fund", "talent_young", "--replicates", "2",
            "--random", "200", "--trials", "15", "--workers", "2", "--no-progress"]
    assert main(argv) == 0
    assert main(["check", str(out / "allocation.toml")]) == 0
    allocation = pd.read_csv(out / "allocation.csv")
    assert allocation["cost_100m_yuan_per_year"].sum() == pytest.approx(12.0, rel=0.02)
    verification = pd.read_csv(out / "verification.csv")
    roles = set(verification["role"])
    # the direction search may keep the priorities' split (no extra row) or find a better one: then the
    # candidate's levels on the base's priorities are verified too ("on_priorities")
    assert roles in ({"candidate", "full_package", "base"}, {"candidate", "full_package", "base", "on_priorities"})
    assert ("on_priorities" in roles) == verification["scenario"].str.endswith("_on_priorities").any()
    costs = verification["cost_100m_yuan"].to_numpy()
    assert np.allclose(costs, costs[0], rtol=0.01)  # equal cost
    candidate = verification[verification["role"] == "candidate"]["cost_100m_yuan"].iloc[0]
    assert total_cost_100m_yuan(load_scenario(out / "allocation.toml")) == pytest.approx(candidate, rel=1e-6)
    for column in ("expected_targets_met", "expected_targets_met_low", "expected_targets_met_high", "P(chain_leaders_2035)"):
        assert column in verification.columns
    # designations are not budget: every verified scenario carries the full package's, the file too
    package_zones = load_scenario("full_package").levers.pilot_zones.designations
    assert package_zones and load_scenario(out / "allocation.toml").levers.pilot_zones.designations == package_zones
    assert verification["P(municipal_zones_2027)"].nunique() == 1
    _check_direction_stage(out, capsys.readouterr().out, trials=3, replicates=2)
    assert len(list((out / "direction_runs").glob("directions-*/trial_*"))) == 3
    first_split = load_scenario(out / "allocation.toml").levers.rd_grants.allocation  # None: priorities kept
    assert main(argv) == 0  # resumed: neither search adds trials, the direction search makes no model run
    printed = capsys.readouterr().out
    assert "15 optuna trials" in printed and "3 optuna trials on the model" in printed
    assert "model runs 0 in this call, 6 in the whole search" in printed
    assert len(list((out / "direction_runs").glob("directions-*/trial_*"))) == 3
    # a planted best trial (as the failure planted for discover): whatever split the search finds best goes
    # into the verified candidate, allocation.toml and allocation_directions.csv; resuming makes no model run
    _plant_direction_trial(out, np.arange(1.0, 10.0), value=99.0)
    assert main([*argv, "--direction-trials", "4"]) == 0
    printed = capsys.readouterr().out
    assert "best trial 3 (searched) 99.00" in printed and "model runs 0 in this call, 6 in the whole search" in printed
    _check_direction_stage(out, printed, trials=4, replicates=2, runs_now=0)
    assert len(list((out / "direction_runs").glob("directions-*/trial_*"))) == 3
    from sim.analysis.decision.directions import rounded_shares
    from sim.inputs.region import load_region

    planted = {d: v for d, v in rounded_shares(np.arange(1.0, 10.0), load_region().directions).items() if v > 0}
    assert load_scenario(out / "allocation.toml").levers.guidance_fund.allocation == pytest.approx(planted)
    verification = pd.read_csv(out / "verification.csv").set_index("role")["direction_split"]
    assert verification.to_dict() == {"base": "priorities", "full_package": "priorities", "candidate": "searched",
                                      "on_priorities": "priorities"}
    manifests = [json.loads(m.read_text()) for m in (out / "verification_runs").glob("*/manifest.json")]
    assert len(manifests) == 2  # the first allocation's verification and the one with the planted split
    verified = [m["scenarios"]["allocation_1"]["levers"]["rd_grants"]["allocation"] for m in manifests]
    assert pytest.approx(planted) in verified
    other = [a for a in verified if a != pytest.approx(planted)]
    assert other == [first_split] if first_split is None else other == [pytest.approx(first_split)]


def _plant_direction_trial(out: Path, weights: np.ndarray, value: float) -> None:
    import optuna

    from sim.inputs.region import load_region

    storage = f"sqlite:///{out / 'search.db'}"
    name = next(s.study_name for s in optuna.get_all_study_summaries(storage) if s.study_name.startswith("directions-"))
    directions = load_region().directions
    optuna.load_study(study_name=name, storage=storage).add_trial(optuna.trial.create_trial(
        params={d: float(w / weights.max()) for d, w in zip(directions, weights)},
        distributions={d: optuna.distributions.FloatDistribution(0.0, 1.0) for d in directions},
        value=value, user_attrs={"split": "searched"}))


def _check_direction_stage(out: Path, printed: str, trials: int, replicates: int, runs_now: int | None = None) -> None:
    """The direction search ran within its run budget, trial 0 is the base's split, the best split is
    at least as good, and allocation.toml, allocation_directions.csv and the verified scenario carry it."""
    import optuna

    from sim.analysis.decision.directions import base_shares
    from sim.analysis.decision.levers import cost_by_lever_100m_yuan
    from sim.scenario.loading import load_scenario

    runs_now = trials * replicates if runs_now is None else runs_now
    assert f"model runs {runs_now} in this call" in printed
    stores = sorted((out / "direction_runs").glob("directions-*/trial_*"))
    assert len(stores) * replicates <= trials * replicates <= 500  # one store per trial run on the model
    study = next(s for s in optuna.get_all_study_summaries(f"sqlite:///{out / 'search.db'}")
                 if s.study_name.startswith("directions-"))
    loaded = optuna.load_study(study_name=study.study_name, storage=f"sqlite:///{out / 'search.db'}")
    first = loaded.trials[0]
    assert first.user_attrs["split"] == "base" and [t.user_attrs["split"] for t in loaded.trials[1:]] == [
        "searched"] * (trials - 1)
    baseline = base_shares(load_scenario("baseline"))
    assert np.allclose(np.array(list(first.params.values())), baseline / baseline.max())
    table = pd.read_csv(out / "directions_trials.csv")
    assert len(table) == trials and table["score"].iloc[0] == table["score"].max()
    assert table["score"].iloc[0] >= table.loc[table["split"] == "base", "score"].iloc[0]
    share_columns = [c for c in table.columns if c.startswith("share.")]
    assert len(share_columns) == 9 and np.allclose(table[share_columns].sum(axis=1), 1.0)
    scenario = load_scenario(out / "allocation.toml")
    money = pd.read_csv(out / "allocation_directions.csv")
    assert set(money["lever"]) == {"rd_grants", "guidance_fund", "talent_programme"}
    costs = cost_by_lever_100m_yuan(scenario)
    by_lever = money.groupby("lever")["money_100m_yuan_per_year"].sum() * len(scenario.years)
    assert all(by_lever[lv] == pytest.approx(costs[lv], rel=1e-3) for lv in by_lever.index)
    if table["split"].iloc[0] == "searched":
        best = {c.removeprefix("share."): v for c, v in table.iloc[0][share_columns].items() if v > 0}
        for lever in ("rd_grants", "guidance_fund", "talent_programme"):
            assert getattr(scenario.levers, lever).allocation == pytest.approx(best)
        rd = money[money["lever"] == "rd_grants"].set_index("direction")["share"]
        assert np.allclose(rd.reindex(list(best)).to_numpy(), list(best.values()), atol=1e-6)
        assert set(money["split"]) == {"searched"}
    else:
        assert scenario.levers.rd_grants.allocation is None and set(money["split"]) == {"priorities"}


def test_allocate_without_directions_keeps_the_priorities(emulator_dir, tmp_path, capsys):
    from sim.scenario.loading import load_scenario

    out = tmp_path / "alloc"
    assert main(["allocate", "--budget", "12", "--base", "baseline", "--out", str(out), "--quick", "--emulator",
                 str(emulator_dir), "--levers", "rd_grants", "guidance_fund", "--replicates", "2", "--random", "100",
                 "--trials", "8", "--no-directions", "--no-refine", "--workers", "2", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "directions:" not in printed and "ranking on the model (" not in printed
    assert not (out / "refine.csv").exists() and not (out / "refine_runs").exists()  # --no-refine
    assert not (out / "direction_runs").exists() and not (out / "directions_trials.csv").exists()
    scenario = load_scenario(out / "allocation.toml")
    assert scenario.levers.rd_grants.allocation is None and scenario.levers.guidance_fund.allocation is None
    money = pd.read_csv(out / "allocation_directions.csv")
    assert set(money["split"]) == {"priorities"}
    assert np.allclose(money.groupby("lever")["share"].sum(), 1.0)


def test_direction_split_written_to_a_valid_scenario_at_the_same_cost(tmp_path):
    """A split on every allocated lever: the file loads, carries it, and spends what the levels spend."""
    from sim.analysis.decision.allocate import Problem, scenario_toml
    from sim.analysis.decision.directions import rounded_shares, split_levers, with_split
    from sim.analysis.decision.levers import resolve_levers, total_cost_100m_yuan, with_levels
    from sim.inputs.region import load_region
    from sim.scenario.loading import load_scenario

    base = load_scenario("baseline")
    directions = load_region().directions
    shares = rounded_shares(np.arange(1.0, 10.0), directions)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
    assert shares[directions[0]] == pytest.approx(1 / 45, abs=1e-4)
    levers = resolve_levers(["rd_grants", "talent_young", "new_platforms"])
    levels = np.array([4.0, 150.0, 3.0])
    allocated = with_levels(base, {f.name: v for f, v in zip(levers, levels)}, "a")
    taken, notes = split_levers(allocated, [f.lever for f in levers] + ["pilot_zones"])
    assert taken == ["rd_grants", "talent_programme", "new_platforms"] and "pilot_zones" in notes[0]
    problem = Problem(None, base, levers, 10.0, np.ones(3), np.zeros(3), np.ones(3), np.zeros((1, 1)),  # type: ignore[arg-type]
                      "expected", np.ones(1))
    file = tmp_path / "split.toml"
    file.write_text(scenario_toml(problem, levels, "baseline", "测试", "test", "a split", allocation=shares,
                                  allocation_levers=taken), encoding="utf-8")
    assert main(["check", str(file)]) == 0
    loaded = load_scenario(file)
    assert loaded.levers.talent_programme.allocation == pytest.approx(shares)
    assert loaded.levers.basic_research.allocation is None
    assert total_cost_100m_yuan(loaded) == pytest.approx(total_cost_100m_yuan(allocated), rel=1e-9)
    assert total_cost_100m_yuan(with_split(allocated, taken, shares, "b")) == pytest.approx(
        total_cost_100m_yuan(allocated), rel=1e-9)
    plan = loaded.plan().spending
    rd = plan[plan["lever"] == "rd_grants"].groupby("direction")["value"].sum()
    assert np.allclose((rd / rd.sum()).reindex(directions).to_numpy(), [shares[d] for d in directions])


def test_allocation_file_with_zone_support_and_designations_is_one_table(tmp_path):
    """Support per zone is an allocated lever and the designations come from the comparator: both go into
    the one ``[levers.pilot_zones]`` table (TOML allows a table once)."""
    from sim.analysis.decision.allocate import Problem, scenario_toml
    from sim.analysis.decision.levers import resolve_levers
    from sim.scenario.loading import load_scenario

    base, package = load_scenario("baseline"), load_scenario("full_package")
    levers = resolve_levers(["rd_grants", "pilot_zone_support"])
    problem = Problem(None, base, levers, 10.0, np.ones(2), np.zeros(2), np.ones(2), np.zeros((1, 1)),  # type: ignore[arg-type]
                      "expected", np.ones(1))
    file = tmp_path / "zones.toml"
    file.write_text(scenario_toml(problem, np.array([4.0, 2.0]), "baseline", "测试", "test", "zones",
                                  designations=package.levers.pilot_zones.designations), encoding="utf-8")
    assert main(["check", str(file)]) == 0
    loaded = load_scenario(file)
    assert loaded.levers.pilot_zones.designations == package.levers.pilot_zones.designations
    assert loaded.levers.pilot_zones.support_100m_yuan_per_zone_per_year == pytest.approx(2.0)


def test_allocation_levels_respect_budget_floors_and_caps(emulator_dir):
    from sim.analysis.decision.allocate import build_problem
    from sim.analysis.decision.emulator import load_emulator
    from sim.scenario.loading import load_scenario

    problem = build_problem(load_emulator(emulator_dir), load_scenario("baseline"), 20.0,
                            minimum={"talent_young": 100.0})
    for shares in (np.array([1.0, 0.0, 0.0]), np.array([0.2, 0.3, 0.5]), np.array([0.0, 0.0, 1.0])):
        levels = problem.levels(shares)
        assert levels @ problem.unit_cost == pytest.approx(20.0)
        assert (levels <= problem.high + 1e-9).all() and levels[2] >= 100.0 - 1e-9


def test_refinement_starts_from_the_package_split_and_every_candidate_spends_the_budget(emulator_dir):
    """The package mix spends the budget in the full package's proportions; blends run from it to the
    emulator's best; the second round brackets the best blend."""
    from sim.analysis.decision.allocate import build_problem, lever_unit_cost
    from sim.analysis.decision.emulator import load_emulator
    from sim.analysis.decision.levers import cost_by_lever_100m_yuan, lever_factors, lever_level, scaled_to_cost
    from sim.analysis.decision.refine import BLEND_WEIGHTS, blend, first_round, package_levels, second_round
    from sim.scenario.loading import load_scenario

    problem = build_problem(load_emulator(emulator_dir), load_scenario("baseline"), 12.0)
    assert [f.short for f in problem.levers] == ["rd_grants", "guidance_fund", "talent_young"]
    package = load_scenario("full_package")
    mix = package_levels(problem, package)
    money = mix * problem.unit_cost
    assert money.sum() == pytest.approx(12.0)
    scaled = scaled_to_cost(package, 12.0 * len(package.years), "probe")  # the package at the budget
    plan = cost_by_lever_100m_yuan(scaled)
    # talent_young's part of the talent programme's money: its level x unit cost among the three tiers
    tiers = [f for f in lever_factors() if f.lever == "talent_programme"]
    parts = {f.short: lever_level(scaled, f) * lever_unit_cost(problem.costed, f) for f in tiers}
    young = plan["talent_programme"] * parts["talent_young"] / sum(parts.values())
    expected = np.array([plan["rd_grants"], plan["guidance_fund"], young])
    assert money / money.sum() == pytest.approx(expected / expected.sum(), rel=0.01)
    best = problem.levels(np.array([0.0, 1.0, 0.0]))
    for w in (0.0, 0.25, 1.0):
        assert (blend(mix, best, w) * problem.unit_cost).sum() == pytest.approx(12.0)
    assert blend(mix, best, 0.0) == pytest.approx(mix) and blend(mix, best, 1.0) == pytest.approx(best)
    # with a floor: the ends are the two allocations themselves, every blend keeps the floor and the budget
    floored = build_problem(load_emulator(emulator_dir), load_scenario("baseline"), 12.0, minimum={"rd_grants": 5.0})
    a, b = package_levels(floored, package), floored.levels(np.array([0.0, 1.0, 0.0]))
    assert b[0] == pytest.approx(5.0) and blend(a, b, 1.0) == pytest.approx(b)
    for w in (0.0, 0.5, 1.0):
        mixed = blend(a, b, w)
        assert mixed[0] >= 5.0 - 1e-9 and (mixed * floored.unit_cost).sum() == pytest.approx(12.0)
    first = first_round([best, problem.levels(np.array([1.0, 1.0, 1.0]))], mix)
    assert [c.label for c in first] == ["package_mix", "blend_0.33", "blend_0.67", "emulator_1", "emulator_2"]
    assert [c.weight for c in first][: len(BLEND_WEIGHTS)] == pytest.approx(list(BLEND_WEIGHTS))
    ranked = pd.DataFrame({"label": ["blend_0.33", "package_mix"], "weight": [1 / 3, 0.0], "score": [2.0, 1.0]})
    assert [c.weight for c in second_round(ranked, best, mix)] == pytest.approx([1 / 6, 1 / 2])


def test_allocate_ranks_candidates_on_the_model_and_verifies_the_best(emulator_dir, tmp_path, capsys):
    """The allocation written is the one ranked best on the model (search seeds), within the run budget;
    a resumed call makes no new ranking run."""
    out = tmp_path / "alloc"
    argv = ["allocate", "--budget", "12", "--base", "baseline", "--out", str(out), "--quick", "--emulator",
            str(emulator_dir), "--replicates", "2", "--random", "100", "--trials", "8", "--no-directions",
            "--refine-replicates", "2", "--workers", "2", "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    refined = pd.read_csv(out / "refine.csv")
    assert refined["score"].is_monotonic_decreasing and "package_mix" in set(refined["label"])
    assert (refined["n_replicates"] == 2).all() and len(refined) <= 8
    costs = refined["cost_100m_yuan"].to_numpy()  # equal up to the rounding of counts
    assert costs == pytest.approx(np.full(len(refined), costs[0]), rel=1e-4)
    allocation = pd.read_csv(out / "allocation.csv").set_index("lever")["level_per_year"]
    best = refined.iloc[0]
    assert allocation.to_numpy() == pytest.approx([best[f"level.{n}"] for n in allocation.index])
    verification = pd.read_csv(out / "verification.csv")
    assert verification.loc[verification["role"] == "candidate", "refine_label"].iloc[0] == best["label"]
    assert f"model runs: 0 in the lever search (emulator), {2 * len(refined)} in the ranking" in printed
    assert main(argv) == 0
    assert "0 in the ranking on the model" in capsys.readouterr().out
    assert "at most 500 model runs" in _error(capsys, [*argv, "--refine-replicates", "70"])
    assert "--refine-replicates" in _error(capsys, [*argv, "--refine-replicates", "0"])


def test_allocate_errors(emulator_dir, tmp_path, capsys):
    common = ["--base", "baseline", "--out", str(tmp_path / "a"), "--emulator", str(emulator_dir), "--quick"]
    assert "budget must be positive" in _error(capsys, ["allocate", "--budget", "0", *common])
    assert "budget must be positive" in _error(capsys, ["allocate", "--budget", "-5", *common])
    assert "unknown lever" in _error(capsys, ["allocate", "--budget", "10", "--levers", "rockets", *common])
    assert "not trained on this lever" in _error(capsys, ["allocate", "--budget", "10", "--levers", "angel_fund", *common])
    assert "infeasible: the floors cost more" in _error(
        capsys, ["allocate", "--budget", "1", "--min", "rd_grants=5", *common])
    assert "infeasible: the levers cannot take" in _error(capsys, ["allocate", "--budget", "100000", *common])
    assert "LEVER=LEVEL" in _error(capsys, ["allocate", "--budget", "10", "--min", "rd_grants", *common])
    assert "--direction-trials" in _error(capsys, ["allocate", "--budget", "10", "--direction-trials", "0", *common])
    assert "--direction-replicates" in _error(
        capsys, ["allocate", "--budget", "10", "--direction-replicates", "-1", *common])
    assert "at most 500 model runs" in _error(
        capsys, ["allocate", "--budget", "10", "--direction-trials", "60", "--direction-replicates", "10", *common])


# ------------------------------------------------------------------------------ weilai discover


def test_discover_finds_boxes_on_a_planted_failure(monkeypatch):
    """PRIM recovers a failure region planted in one factor; CART's first box restricts the same factor."""
    from sim.analysis.decision.discover import Cases, cart_boxes, prim_boxes
    from sim.analysis.targets import load_targets

    rng = np.random.default_rng(3)
    x = pd.DataFrame({"uncertainties.vc_climate": rng.uniform(0.4, 1.5, 400),
                      "levers.rd_grants": rng.uniform(0, 30, 400)})
    failed = (x["uncertainties.vc_climate"] < 0.7).to_numpy() | (rng.random(400) < 0.05)
    target = {t.id: t for t in load_targets().target}["chain_leaders_2035"]
    cases = Cases(x=x, failed=failed, target=target, ranges={c: (x[c].min(), x[c].max()) for c in x})
    from sim.presentation.discovery import with_sentences

    boxes, trajectory, chosen = prim_boxes(cases, resamples=5)
    boxes = with_sentences(boxes, cases)
    vc = boxes[boxes["factor"] == "uncertainties.vc_climate"]
    assert len(vc) == 1 and vc["high"].iloc[0] == pytest.approx(0.7, abs=0.05)
    assert vc["density"].iloc[0] > 0.9 and vc["coverage"].iloc[0] > 0.8
    assert vc["reproduce_coverage_pct"].iloc[0] >= 80
    assert re.search(r"^当创投环境低于0\.[67]\d*时，.*的达成率降至\d+%（全部情形为\d+%）", vc["sentence_zh"].iloc[0])
    assert "提示" not in vc["sentence_zh"].iloc[0]  # a strong, stable box carries no caveat
    cart = cart_boxes(cases)
    assert "uncertainties.vc_climate" in set(cart[cart["box"] == 1]["factor"])
    weak = with_sentences(boxes.assign(density=0.3, reproduce_coverage_pct=20.0).drop(
        columns=["factor_label", "sentence_zh"]), cases)
    assert "提示" in weak["sentence_zh"].iloc[0]


def test_discover_command_on_a_sweep(stores, tmp_path, capsys):
    out = tmp_path / "disc"
    assert main(["discover", str(stores[0]), "--target", "chain_leaders_2035", "--out", str(out), "--resamples", "3",
                 "--lang", "en"]) == 0
    boxes = pd.read_csv(out / "boxes.csv")
    assert set(boxes["method"]) <= {"PRIM", "CART"}
    assert (out / "sentences.txt").read_text(encoding="utf-8").strip()


def test_discover_errors(ensemble_store, stores, tmp_path, capsys):
    assert "unknown target" in _error(capsys, ["discover", str(stores[0]), "--target", "moon_2030", "--out", str(tmp_path)])
    assert "no sweep factors" in _error(capsys, ["discover", str(ensemble_store.path), "--target", "chain_leaders_2035",
                                                 "--out", str(tmp_path)])


def test_shipped_emulator_is_complete_and_its_script_matches():
    """The shipped emulator has its accuracy report, is small, and emulator.js is its current export."""
    from sim.analysis.decision.emulator import load_emulator, shipped_emulator_dir
    from sim.analysis.decision.export import export_js

    folder = shipped_emulator_dir()
    emu = load_emulator(folder)
    assert sum(p.stat().st_size for p in folder.iterdir()) < 2_000_000
    summary = json.loads((folder / "accuracy.json").read_text())["summary"]
    assert summary["mixes"] >= 20 and summary["prediction_ms_all_targets"] < 50
    assert emu.accuracy["summary"]["mae"] == pytest.approx(summary["mae"])
    assert (folder / "emulator.js").read_text(encoding="utf-8") == export_js(emu), "run: weilai emulate export"
    assert len(emu.identity["trained_on"]) == len(list((Path(__file__).parent.parent / "scenarios" / "sweeps"
                                                        / "emulator").glob("train_*.toml")))


def test_shipped_emulator_matches_the_current_model_and_calibration():
    """The shipped emulator answers for the model as it is: same base scenario, parameter draws and
    behavioural fingerprint (after any change of the model or the calibration: weilai emulate rebuild)."""
    from sim.analysis.decision.emulator import load_emulator, shipped_emulator_dir, staleness

    assert staleness(load_emulator(shipped_emulator_dir())) == []
