"""Scenario comparison: common random numbers, the paired interval, costs, and bad input."""

import numpy as np
import pandas as pd
import pytest
from engine_helpers import weilai_in_process

from sim.analysis.compare import COLUMNS, run_comparison
from sim.analysis.targets import (
    evaluate_targets,
    load_targets,
    paired_difference_interval,
)
from sim.scenario.loading import load_scenario


def test_paired_interval_worked_example_and_bounds():
    diff, low, high = paired_difference_interval(np.array([0, 0, 0, 1] * 5), np.array([1, 1, 0, 1] * 5))
    assert (round(diff, 3), round(low, 3), round(high, 3)) == (0.5, 0.247, 0.66)
    same = np.array([1, 0, 1, 1, 0] * 4)
    d, lo, hi = paired_difference_interval(same, same)
    assert d == 0 and lo < 0 < hi
    d, lo, hi = paired_difference_interval(np.zeros(30), np.ones(30))
    assert d == 1 and 0.8 < lo <= hi == 1


def test_paired_interval_covers_the_true_difference():
    rng = np.random.default_rng(11)
    covered, n_sets = 0, 2000
    for _ in range(n_sets):
        u, v = rng.random(40), rng.random(40)
        a = u < 0.5
        b = np.where(v < 0.7, u < 0.65, rng.random(40) < 0.65)  # correlated pairs, P(B) - P(A) = 0.15
        _, low, high = paired_difference_interval(a, b)
        covered += low <= 0.15 <= high
    assert covered / n_sets >= 0.93


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    a = load_scenario("baseline").with_values({"end_year": 2027})
    b = load_scenario("full_package").with_values({"end_year": 2027})
    out = tmp_path_factory.mktemp("compare")
    store, table = run_comparison(a, b, 6, 3, out, workers=1, progress=False)
    return a, b, store, table


def test_comparison_table_matches_the_stored_runs(comparison):
    a, b, store, table = comparison
    assert list(table.columns) == COLUMNS
    assert len(table) == len(load_targets().target)
    results = store.results(city_only=True)
    seeds = results.groupby(["scenario", "replicate"])["seed"].first().unstack(0)
    assert (seeds[a.name] == seeds[b.name]).all()  # common random numbers: same seed per replicate
    evaluated = evaluate_targets(results, load_targets()).set_index(["scenario", "target"])
    for row in table.itertuples():
        if row.year > a.end_year:  # targets after the end of this shortened run cannot be judged
            assert np.isnan(row.probability_a) and np.isnan(row.difference)
            continue
        assert row.probability_a == evaluated.loc[(a.name, row.target), "probability"]
        assert row.probability_b == evaluated.loc[(b.name, row.target), "probability"]
        assert row.difference == pytest.approx(row.probability_b - row.probability_a)
        assert row.difference_low <= row.difference <= row.difference_high
    # costs are what the model delivered (mean over replicates of the yearly spending summed over years)
    spent = results[(results["indicator"] == "spending_100m_yuan") & (results["district"] == "all")]
    delivered = spent.groupby(["scenario", "replicate"])["value"].sum().groupby("scenario").mean()
    assert table["cost_a_100m_yuan"].iloc[0] == pytest.approx(delivered[a.name])
    assert table["cost_b_100m_yuan"].iloc[0] == pytest.approx(delivered[b.name])
    assert delivered[a.name] <= a.plan().total_spending().sum() + 4.0  # at most about a package a year over plan
    written = pd.read_csv(store.path / "comparison.csv")
    assert len(written) == len(table)
    # the full package founds municipal zones and opens scenarios; the baseline does not
    by_target = table.set_index("target")
    assert by_target.loc["municipal_zones_2027", "difference"] == 1.0
    # exact McNemar: 6 of 6 pairs discordant in B's favour, p = 2 x 0.5^6; Holm over the 14 never lowers it
    assert by_target.loc["municipal_zones_2027", "p_value"] == pytest.approx(2 * 0.5 ** 6)
    assert (table["p_holm"] >= table["p_value"] - 1e-12).all() and (table["p_holm"] <= 1).all()
    ordered = table.sort_values("p_value")
    assert ordered["p_holm"].is_monotonic_increasing


def test_clear_direction_counts_holm_corrected_differences_and_falls_back_to_intervals():
    from sim.analysis.compare import clear_direction

    table = pd.DataFrame({"difference": [0.3, -0.2, 0.1, 0.25], "difference_low": [0.1, -0.35, 0.01, -0.02],
                          "difference_high": [0.5, -0.05, 0.2, 0.5], "p_value": [0.001, 0.002, 0.04, 0.06],
                          "p_holm": [0.004, 0.006, 0.08, 0.08]})
    # the third interval excludes 0 but does not survive the correction for four tests
    assert clear_direction(table).tolist() == [1, -1, 0, 0]
    assert clear_direction(table.drop(columns=["p_value", "p_holm"])).tolist() == [1, -1, 1, 0]


@pytest.mark.slow
def test_comparison_store_gets_the_comparison_chart_and_both_target_boards(comparison, tmp_path):
    from sim.presentation.charts.export import write_run_charts

    a, b, store, table = comparison
    files = write_run_charts(store.path, tmp_path, lang="en")
    names = {f.name for f in files}
    for stem in (f"target_board_{a.name}_en", f"target_board_{b.name}_en", "key_indicators_en", "comparison_en"):
        assert {f"{stem}.png", f"{stem}.svg", f"{stem}.html"} <= names
    html = (tmp_path / "comparison_en.html").read_text(encoding="utf-8")
    for row in table.dropna(subset=["difference"]).itertuples():  # the chart draws the stored table
        assert row.target in html
    assert all(f.stat().st_size > 1000 for f in files)


def test_comparison_provenance_names_each_scenario_with_hash_file_and_the_calibration(comparison):
    from sim.inputs.draws import draws_fingerprint
    from sim.presentation.charts.provenance import Provenance

    a, b, store, _ = comparison
    source = Provenance.from_store(store)
    by_name = {s["name"]: s for s in source.scenarios}
    assert set(by_name) == {a.name, b.name}  # not the design's bare hashes as extra "scenarios"
    for scenario in (a, b):
        assert by_name[scenario.name]["hash"] == scenario.content_hash()
        assert by_name[scenario.name]["file"] == str(scenario.source) and by_name[scenario.name]["replicates"] == 6
    assert source.calibration == draws_fingerprint(a.parameter_draws) and "sha256" in source.calibration


def test_a_scenario_compared_with_itself_differs_by_nothing(tmp_path):
    a = load_scenario("baseline").with_values({"end_year": 2027})
    twin = a.with_values({}, name="baseline_twin")
    _, table = run_comparison(a, twin, 4, 9, tmp_path / "twin", workers=1, progress=False)
    table = table[table["year"] <= 2027]
    assert len(table) == 12 and (table["difference"] == 0).all()
    assert (table["probability_a"] == table["probability_b"]).all()


@pytest.mark.parametrize(("args", "words"), [
    (["baseline", "baseline", "--replicates", "4"], ["same name", "two different"]),
    (["baseline", "full_package", "--replicates", "1"], ["--replicates", "2 or more"]),
    (["baseline", "no_such_scenario", "--replicates", "4"], ["not found"]),
])
def test_compare_refuses_bad_input(tmp_path, args, words, capsys):
    result = weilai_in_process(capsys, "compare", *args, "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr
