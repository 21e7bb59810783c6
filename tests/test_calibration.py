"""Calibration: the compared series and the distance, the ABC-SMC machinery (parameter recovery on
synthetic data from the model itself), the hindcast, the draws file, quick mode end to end and resume."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from calibration import fit as F
from calibration.abc import (
    ABCSMC,
    effective_sample_size,
    log_kernel_mixture,
    perturb,
    resample,
    weighted_quantile,
)
from calibration.runs import hindcast_model, run_points, run_seed
from calibration.series import SeriesSet, distances, load_facts, load_holdout, load_series, scaled_errors
from calibration.start import (
    FIRST_YEAR_BOUNDS,
    QUANTITIES,
    TOLERANCE,
    corrected_target,
    start_table,
    start_values,
)
from sim.cli import main as cli
from sim.core.errors import InputError
from sim.engine.store import ResultStore
from sim.inputs.draws import draw_for_seed, load_draws
from sim.inputs.region import load_region
from sim.inputs.space import resolve_values
from sim.model.indicators import head_mask
from sim.model import rules
from sim.model.model import FutureIndustryModel
from sim.scenario.loading import load_scenario

SERIES = load_series()
HOLDOUT = load_holdout(SERIES)
FACTS = load_facts()
REGION = load_region("ningbo")


def _unit_shares(samples) -> pd.DataFrame:
    """Scope shares of 1 for these samples: the simulated level is the model quantity itself."""
    names = [s.name for s in SERIES.scope_share]
    return pd.DataFrame(1.0, index=pd.Index(sorted(set(samples)), name="sample"), columns=names)


# ------------------------------------------------------------------ observations and distance


def test_observations_are_the_sourced_facts_and_the_holdout_is_a_separate_file():
    obs = SERIES.observations(FACTS).set_index(["series", "year"])
    held = HOLDOUT.observations(FACTS).set_index(["series", "year"])
    assert obs.loc[("high_tech_enterprises", 2020), "observed"] == 3102  # a level, through a scope share
    assert obs.loc[("high_tech_enterprises", 2022), "observed"] == 5337
    assert obs.loc[("rd_spend_industry", 2021), "observed"] == 503.0
    assert obs.loc[("rd_spend_2019", 2019), "observed"] == 336.8
    assert obs.loc[("invention_patents", 2021), "observed"] == 7819
    assert obs.loc[("new_listings_2020", 2020), "observed"] == 13
    assert obs.loc[("biomedicine_output", 2020), "observed"] == pytest.approx(206.1 / 170.5)  # an index
    assert held.loc[("biomedicine_output", 2024), "observed"] == pytest.approx(218.6 / 170.5)
    assert held.loc[("new_materials_output", 2024), "observed"] == pytest.approx(4919.36 / 4792.8)
    assert held.loc[("new_materials_high_tech_firms", 2024), "observed"] == 810
    assert held.loc[("high_tech_enterprises", 2024), "observed"] == 8800
    assert not obs["holdout"].any() and held["holdout"].all()
    assert obs.index.get_level_values("year").max() <= 2022  # the fit sees data up to 2022 only
    assert held.index.get_level_values("year").min() >= 2023
    assert "arithmetic" in obs.loc[("biomedicine_output", 2020), "note"]  # the derived base says so
    for s in SERIES.series + HOLDOUT.series:  # every level of a wider statistic goes through a scope share
        if s.transform == "level":
            assert s.scope_share in {x.name for x in SERIES.scope_share}, s.id


def test_series_refuse_an_unknown_scope_share(tmp_path):
    from calibration.series import load_series as load

    text = F.CALIBRATION_DIR.joinpath("data", "series.toml").read_text(encoding="utf-8")
    bad = tmp_path / "series.toml"
    bad.write_text(text.replace('scope_share = "high_tech_firms"', 'scope_share = "high_tek"', 1), encoding="utf-8")
    with pytest.raises(InputError, match="high_tek"):
        load(bad)


def _results(values: dict[tuple[int, str, str], float]) -> pd.DataFrame:
    return pd.DataFrame([{"sample": s, "year": y, "direction": d, "indicator": i, "value": v}
                         for (s, y, d, i), v in values.items()])


def test_simulated_statistics_sum_directions_and_index_to_the_base_year():
    rows = {}
    for year, (drugs, medicine) in {2019: (10, 30), 2020: (12, 36), 2024: (20, 40)}.items():
        rows[(0, year, "new_drugs", "revenue_100m_yuan")] = drugs
        rows[(0, year, "future_medicine", "revenue_100m_yuan")] = medicine
        rows[(0, year, "quantum", "revenue_100m_yuan")] = 999.0  # not in the series: ignored
    sim = SERIES.simulated(_results(rows), shares=_unit_shares([0])).set_index(["series", "year"])["simulated"]
    assert sim[("biomedicine_output", 2019)] == pytest.approx(1.0)
    assert sim[("biomedicine_output", 2020)] == pytest.approx(48 / 40)
    assert sim[("biomedicine_output", 2024)] == pytest.approx(60 / 40)


def test_a_level_is_the_model_quantity_over_its_runs_scope_share():
    rows = {(k, 2020, "all", "high_tech_firms"): 300.0 for k in (0, 1)}  # the city total of the model
    shares = _unit_shares([0, 1])
    shares.loc[0, "high_tech_firms"], shares.loc[1, "high_tech_firms"] = 0.1, 0.3
    sim = SERIES.simulated(_results(rows), shares=shares)
    got = sim[sim["series"] == "high_tech_enterprises"].set_index("sample")["simulated"]
    assert got[0] == pytest.approx(300 / 0.1) and got[1] == pytest.approx(300 / 0.3)
    with pytest.raises(ValueError, match="scope shares"):
        SERIES.simulated(_results(rows))  # a level without its share is refused, never compared raw


def test_scaled_errors_and_distance_by_hand():
    obs = SERIES.observations(FACTS)
    hte = obs[(obs["series"] == "high_tech_enterprises") & obs["year"].isin([2020, 2022])]
    held = HOLDOUT.observations(FACTS)
    bound = held[held["series"] == "new_materials_high_tech_firms"]
    used = pd.concat([hte, bound])
    sd = SERIES.by_id["high_tech_enterprises"].discrepancy_log_sd
    sim = pd.DataFrame({
        "sample": [0, 0, 0, 1, 1, 1],
        "series": ["high_tech_enterprises", "high_tech_enterprises", "new_materials_high_tech_firms"] * 2,
        "year": [2020, 2022, 2024] * 2,
        "simulated": [3102 * np.exp(sd), 5337, 400.0,           # run 0: one error of 1 sd, below the bound
                      3102, 5337 * np.exp(-2 * sd), 810 * np.exp(0.3)],  # run 1: -2 sd, bound +2 sd
    })
    err = scaled_errors(used, sim).set_index(["sample", "series", "year"])["scaled"]
    assert err[(0, "high_tech_enterprises", 2020)] == pytest.approx(1.0)
    assert err[(0, "new_materials_high_tech_firms", 2024)] == 0.0  # below an upper bound costs nothing
    assert err[(1, "new_materials_high_tech_firms", 2024)] == pytest.approx(2.0)
    d = distances(scaled_errors(used, sim), n_observations=3)
    assert d[0] == pytest.approx(np.sqrt(1 / 3))
    assert d[1] == pytest.approx(np.sqrt(8 / 3))
    missing = distances(scaled_errors(used, sim[sim["year"] != 2022]), n_observations=3)
    assert np.isinf(missing).all()  # a run without every observation is never accepted


# ------------------------------------------------------------------ ABC-SMC machinery


def test_weighted_quantile_ess_and_resampling():
    assert weighted_quantile(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4), 0.5) == 2.0
    assert weighted_quantile(np.array([1.0, 2.0]), np.array([0.1, 0.9]), 0.5) == 2.0
    assert effective_sample_size(np.ones(10)) == pytest.approx(10)
    assert effective_sample_size(np.array([1.0, 0, 0])) == pytest.approx(1)
    idx = resample(np.array([0.0, 0.25, 0.75]), 400, np.random.default_rng(1))
    assert np.bincount(idx, minlength=3).tolist() == [0, 100, 300]


def test_truncated_kernel_stays_in_the_cube_and_integrates_to_one():
    rng = np.random.default_rng(3)
    centres = np.array([[0.02, 0.5], [0.97, 0.9]])
    sigma = np.array([0.3, 0.2])
    u = perturb(centres[rng.integers(0, 2, 5000)], sigma, rng)
    assert ((u > 0) & (u < 1)).all()
    grid = (np.arange(200) + 0.5) / 200
    pts = np.array([[a, b] for a in grid for b in grid])
    density = np.exp(log_kernel_mixture(pts, centres, np.array([0.5, 0.5]), sigma))
    assert density.mean() == pytest.approx(1.0, abs=0.01)  # a density on the unit square


@pytest.mark.slow
def test_abc_smc_recovers_a_known_mean_and_keeps_an_uninformed_parameter_wide():
    truth = np.array([0.3, 0.7])

    def evaluate(unit, key):
        rng = np.random.default_rng(list(key))
        y = unit[:, :2] + rng.normal(0.0, 0.05, (len(unit), 2))  # the third parameter has no effect
        return np.sqrt(np.mean(((y - truth) / 0.05) ** 2, axis=1))

    abc = ABCSMC(3, 300, epsilon_min=1.0, max_generations=10, seed=5).fit(evaluate)
    post = abc.posterior_
    mean = np.average(post.unit, axis=0, weights=post.weights)
    sd = np.sqrt(np.average((post.unit - mean) ** 2, axis=0, weights=post.weights))
    assert abc.stop_reason_ == "epsilon_min reached"
    assert mean[:2] == pytest.approx(truth, abs=0.03)
    assert (sd[:2] < 0.09).all()
    assert sd[2] > 0.22  # uniform on [0, 1] has sd 0.289: the data say nothing about it
    assert effective_sample_size(post.weights) > 150
    again = ABCSMC(3, 300, epsilon_min=1.0, max_generations=10, seed=5).fit(evaluate)
    assert np.array_equal(again.posterior_.unit, post.unit)  # a replay makes the same choices


@pytest.mark.slow
def test_parameter_recovery_on_synthetic_data_from_the_model(tmp_path):
    """The machinery (runner, series, distance, ABC-SMC) recovers parameters that generated the data.

    Synthetic observations: the model's own high-tech-enterprise index (2020-2024) and new-materials
    high-tech count (2019-2024), mean of 4 hindcasts at a known certification probability and 2019
    certification coverage; every other input at its default. The fit moves only those two.
    """
    factors = REGION.space.select(["parameters.high_tech_certification_probability",
                                   "parameters.initial_high_tech_share"])
    truth_unit = np.array([0.25, 0.3])
    truth = {f.name: float(f.from_unit(u)) for f, u in zip(factors, truth_unit)}
    history = load_scenario("history").with_values({"parameter_draws": "defaults"})
    model = hindcast_model(population_scale=0.5)
    index = SERIES.by_id["high_tech_enterprises"].model_copy(update={
        "transform": "index", "scope_share": None, "base_year": 2019, "years": [2020, 2022]})
    both = SeriesSet(series=[index, HOLDOUT.by_id["new_materials_high_tech_firms"]])  # the index, as synthetic data
    rows = run_points(history, [truth], tmp_path / "truth", base_seed=99, replicates=4, model=model,
                      indicators=both.indicators(), workers=2)
    obs = both.simulated(rows).groupby(["series", "year"])["simulated"].mean().rename("observed").reset_index()
    obs = obs[obs["series"].isin(["high_tech_enterprises", "new_materials_high_tech_firms"]) & (obs["observed"] != 1.0)]
    obs = obs.assign(transform="index", sd=0.05, holdout=False)
    assert len(obs) == 11

    def evaluate(unit, key):
        points = [{f.name: float(f.from_unit(u[j])) for j, f in enumerate(factors)} for u in unit]
        runs = run_points(history, points, tmp_path / f"g{key[0]}-b{key[1]}", base_seed=1000 + 100 * key[0] + key[1],
                          model=model, indicators=both.indicators(), workers=2)
        d = distances(scaled_errors(obs, both.simulated(runs)), n_observations=len(obs))
        return d.reindex(range(len(unit)), fill_value=np.inf).to_numpy()

    abc = ABCSMC(2, 40, epsilon_min=1.0, max_generations=3, max_batch=80, seed=7).fit(evaluate)
    post = abc.posterior_
    for j, name in enumerate(["certification probability", "2019 certification coverage"]):
        low, median, high = (weighted_quantile(post.unit[:, j], post.weights, q) for q in (0.05, 0.5, 0.95))
        assert low <= truth_unit[j] <= high, name
        assert abs(median - truth_unit[j]) < 0.12, name
        assert high - low < 0.5, name  # the prior's 90% interval is 0.9 wide


# ------------------------------------------------------------------ hindcast, runner, draws


def test_hindcast_produces_every_compared_statistic_for_every_year(tmp_path):
    history = load_scenario("history").with_values({"parameter_draws": "defaults"})
    rows = run_points(history, [{}], tmp_path / "h", base_seed=5, model=hindcast_model(0.3))
    sim = pd.concat([SERIES.simulated(rows, shares=_unit_shares([0])), HOLDOUT.simulated(rows, shares=_unit_shares([0]))])
    sim = sim.drop_duplicates(["sample", "series", "year"])  # a series may have fitted and held-out years
    years = list(range(2019, 2025))
    for s in SERIES.series + HOLDOUT.series:
        got = sim[sim["series"] == s.id].set_index("year")["simulated"]
        assert got.index.tolist() == years, s.id
        if s.model_indicator == "listings":  # a small yearly count: zero is a possible year
            assert np.isfinite(got).all() and (got >= 0).all() and got.sum() > 0, s.id
        else:
            assert np.isfinite(got).all() and (got > 0).all(), s.id
    # and the data-driven events of the history happen in their year
    model = FutureIndustryModel(history, 5, population_scale=0.3)
    opened = {}
    while model.running:
        model.step()
        opened[model.year - 1] = {i.key for i in model.institutes}
    assert "yongjiang_lab" not in opened[2020] and "yongjiang_lab" in opened[2021]
    assert "concept_verification" in opened[2024]
    # event counts exist from the scenario's start year; the cumulative ones count from the targets' base year
    city = rows[rows["direction"] == "all"].pivot_table(index="year", columns="indicator", values="value")
    assert (city.loc[2019:2023, "breakthroughs"] == 0).all()
    assert city["breakthroughs"][2024] == city["breakthroughs_in_year"][2024]
    assert city["breakthroughs_in_year"].loc[2019:2023].sum() > 0
    assert (city["invention_patents_granted"] > 0).all() and city["listings"].sum() > 0


def test_run_points_resumes_from_disk_records_failures_and_gives_each_point_its_own_noise(tmp_path):
    history = load_scenario("history").with_values({"parameter_draws": "defaults", "end_year": 2020})
    calls = []

    def model(scenario, seed):
        calls.append(seed)
        if scenario.parameters.get("startup_rate") == 30.0:
            raise RuntimeError("boom")
        return pd.DataFrame({"year": [2019], "direction": ["all"], "district": ["all"], "indicator": ["x"],
                             "value": [float(seed % 1000)]})

    points = [{"parameters.startup_rate": 20.0}, {"parameters.startup_rate": 30.0},
              {"parameters.startup_rate": 40.0}]
    rows = run_points(history, points, tmp_path / "b", base_seed=3, model=model, detail="city")
    assert rows["sample"].tolist() == [0, 2]
    assert len(set(rows["seed"])) == 1  # the engine's replicate seed: common to the points
    failures = ResultStore(tmp_path / "b").failures()
    assert [f["sample"] for f in failures] == [1] and "boom" in failures[0]["error"]
    again = run_points(history, points, tmp_path / "b", base_seed=3, model=model, detail="city")
    assert len(calls) == 3  # read back, not re-run
    pd.testing.assert_frame_equal(rows, again)
    # the calibration's model runs every point on its own seed, derived from the replicate seed
    a, b = (history.with_values(p) for p in points[::2])
    assert run_seed(7, a) != run_seed(7, b) and run_seed(7, a) == run_seed(7, history.with_values(points[0]))
    runs = run_points(history, [{}, {}], tmp_path / "c", base_seed=3, model=hindcast_model(0.2), detail="city")
    firms = runs[runs["indicator"] == "firms"].pivot(index="year", columns="sample", values="value")
    assert (firms[0] == firms[1]).all()  # same scenario, same replicate seed: the same run


def test_settings_refuse_two_parameters_for_one_start_quantity(tmp_path):
    text = F.SETTINGS_FILE.read_text(encoding="utf-8")
    for old, new, match in (
            ('initial_size_tail_exponent = "head_enterprises"', 'initial_size_tail_exponent = "firms"',
             "one parameter per quantity"),
            ('leader_relative_tech = "head_enterprises"\n', "", "leaders' technology")):
        assert old in text
        bad = tmp_path / "settings.toml"
        bad.write_text(text.replace(old, new), encoding="utf-8")
        with pytest.raises(InputError, match=match):
            F.load_settings(bad)


def test_settings_refuse_unknown_parameters(tmp_path):
    text = F.SETTINGS_FILE.read_text(encoding="utf-8").replace("startup_rate =", "start_up_rate =", 1)
    bad = tmp_path / "settings.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="start_up_rate"):
        F.load_settings(bad)


def test_roles_partition_the_parameter_space():
    roles = F.roles(REGION.space, F.load_settings())
    fitted = {f.name for f in roles.fitted}
    nuisance = {f.name for f in roles.nuisance}
    assert not fitted & nuisance
    assert fitted | nuisance == {n for n, f in REGION.space.factors.items() if f.section != "levers"}
    assert "parameters.initial_high_tech_share" in fitted and "parameters.initial_high_tech_share" not in roles.carried
    assert set(roles.carried) | set(roles.start_2024) | {f.name for f in roles.with_particle} == {
        n for n, f in REGION.space.factors.items() if f.section == "parameters"}
    assert not set(roles.start_2024) & set(roles.carried)


# ------------------------------------------------------------------ quick mode end to end


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration") / "quick"
    calls = []
    original = F.Calibration.holdout_series

    def watched(self):  # the hold-out file is read only once the fit's posterior exists
        calls.append((self.out / "fit" / "posterior.csv").exists())
        return original(self)

    F.Calibration.holdout_series = watched
    try:
        started = time.perf_counter()
        summary = F.Calibration(out=out, mode="quick", seed=11, progress=False).run()
        seconds = time.perf_counter() - started
    finally:
        F.Calibration.holdout_series = original
    return out, summary, seconds, calls


@pytest.mark.slow
def test_quick_mode_writes_the_report_and_draws(quick):
    # its wall time is measured, not asserted (the report states it; benchmarks time it)
    out, summary, _seconds, calls = quick
    report = out / "report"
    for name in ("report.md", "fit.csv", "hindcast.csv", "holdout.csv", "parameters.csv", "nuisance.csv",
                 "screening.csv", "generations.csv", "stylized_facts.csv", "summary.json", "start_2024.csv"):
        assert (report / name).exists(), name
    fit = pd.read_csv(report / "fit.csv")
    obs = SERIES.observations(FACTS)
    assert len(fit) == len(obs) and fit["sim_median"].notna().all()
    holdout = pd.read_csv(report / "holdout.csv")
    held = HOLDOUT.observations(FACTS)
    assert sorted(zip(holdout["series"], holdout["year"])) == sorted(zip(held["series"], held["year"]))
    assert holdout["sim_median"].notna().all()
    assert calls and all(calls)  # the fit never read the hold-out file
    assert summary["holdout"]["predicted"] == len(held)
    assert summary["holdout"]["share_in_band"] == pytest.approx(holdout["in_band"].mean())
    hindcast = pd.read_csv(report / "hindcast.csv")
    ids = {s.id for s in SERIES.series + HOLDOUT.series}
    assert len(hindcast) == len(ids) * 6  # every series, every year 2019-2024
    params = pd.read_csv(report / "parameters.csv")
    settings = F.load_settings()
    assert set(params["parameter"]) == ({f.name for f in F.roles(REGION.space, settings).fitted}
                                        | {f"scope_share.{s.name}" for s in SERIES.scope_share})
    assert set(params["verdict"]) <= {"pinned down", "partly", "stays wide"}
    assert params["range_ratio"].between(0, 1 / 0.9).all()  # a 90% posterior interval within the whole prior range
    stylized = pd.read_csv(report / "stylized_facts.csv")
    assert len(stylized) == 6 and stylized["model_median"].notna().all()
    start = pd.read_csv(report / "start_2024.csv")
    assert start["quantity"].tolist() == list(QUANTITIES) and start["forward_median"].notna().all()
    text = (report / "report.md").read_text(encoding="utf-8")
    assert "Hold-out" in text and "Stylized facts" in text and "min" in text and "starting point" in text
    assert summary["fit"]["observations"] == len(obs)


def test_each_draw_starts_2024_from_its_own_hindcast(quick):
    """The 2024 start-state values of a draw reproduce its start targets (firms and revenue exactly,
    certified and listed firms as expected counts), and the targets are the end-of-2023 state of the
    hindcast of the particle it was drawn from, corrected by the ratio of the hindcast's 2024 growth to the
    forward model's first-year growth."""
    out, _, _, _ = quick
    values = pd.read_csv(out / "start_values.csv")
    for q in QUANTITIES:
        h23, h24, growth = (values[f"hindcast_2023_{q}"], values[f"hindcast_2024_{q}"],
                            values[f"first_year_growth_{q}"])
        expected = h23 * np.clip((h24 / h23) / growth, *FIRST_YEAR_BOUNDS)
        usable = (h23 > 0) & (growth > 0)
        assert np.allclose(values.loc[usable, f"target_{q}"], expected[usable], rtol=1e-4), q
    draws = pd.read_csv(out / "draws.csv").set_index("draw")
    settings = F.load_settings()
    scale = settings.modes["quick"].population_scale
    forward = load_scenario("baseline")
    checked = 0
    for row in values[values["clipped"] == 0].head(3).itertuples():
        draw = draws.loc[row.draw].to_dict()
        solved = values.set_index("draw").loc[row.draw]
        for name in F.roles(REGION.space, settings).start_2024:  # the draws carry the solved values
            assert draw[name] == pytest.approx(solved[name], rel=1e-5)
        resolved = resolve_values(REGION.space, forward.uncertainties, forward.parameters, draw)
        seed = F.stage_seed(11, F.STAGES["start"], int(row.draw))  # the construction start_values counted on
        model = FutureIndustryModel(forward, seed, values=resolved, population_scale=scale)
        f, rows = model.firms, model.firms.live()
        assert len(rows) == pytest.approx(row.target_firms, rel=0.02)
        assert f.revenue[rows].sum() == pytest.approx(row.target_revenue_100m_yuan, rel=0.02)
        assert f.high_tech[rows].sum() == pytest.approx(row.target_high_tech_firms, rel=0.15, abs=5)
        assert f.listed[rows].sum() == pytest.approx(row.target_listed_firms, rel=0.3, abs=3)
        heads = head_mask(model, rows).sum()
        assert heads == row.achieved_head_enterprises  # the closest attainable count to the hindcast's
        assert abs(heads - row.target_head_enterprises) <= max(3, 0.5 * row.target_head_enterprises)
        checked += 1
    assert checked > 0 or (values["clipped"] > 0).all()


def test_a_certified_share_above_one_certifies_firms_no_longer_eligible():
    """initial_high_tech_share is certified firms per eligible firm: up to 1 a share of the eligible
    firms, above 1 all of them and (share - 1) x their count of firms no longer eligible (a year old at
    least), whose certificates have not yet come up for renewal."""
    base = load_scenario("baseline")
    for share in (0.5, 1.0, 1.3):
        model = FutureIndustryModel(base.with_values({"parameters.initial_high_tech_share": share}), 5,
                                    population_scale=0.2)
        f, rows = model.firms, model.firms.live()
        eligible = rules.high_tech_eligible(f.revenue[rows], f.rd_spend[rows], f.researchers[rows],
                                            f.employees[rows], f.age[rows])
        certified = f.high_tech[rows]
        if share == 1.0:
            assert (certified == eligible).all()
        elif share < 1:
            assert not (certified & ~eligible).any() and 0.35 < certified.sum() / eligible.sum() < 0.65
        else:
            assert certified[eligible].all()
            extra = certified & ~eligible
            assert extra.sum() == round(0.3 * eligible.sum()) and (f.age[rows][extra] >= 1).all()


def test_head_enterprises_beyond_the_reach_of_technology_are_met_through_firm_sizes():
    """When the hindcast holds more head enterprises than the leaders' technology can give a population
    of the draw's own size distribution, the solver fattens the size tail (a lower exponent)."""
    forward = load_scenario("baseline")
    tech_only = {"leader_relative_tech": "head_enterprises"}
    both = {**tech_only, "initial_size_tail_exponent": "head_enterprises"}
    draw = {"parameters.initial_size_tail_exponent": 1.5}
    target = {"head_enterprises": 40.0}
    alone, _ = start_values(REGION, forward, draw, target, tech_only, seed=3, population_scale=0.3)
    joint, _ = start_values(REGION, forward, draw, target, both, seed=3, population_scale=0.3)
    assert alone["achieved_head_enterprises"] < 40
    assert joint["parameters.initial_size_tail_exponent"] < 1.5
    assert abs(joint["achieved_head_enterprises"] - 40) < abs(alone["achieved_head_enterprises"] - 40)
    # a target the draw's own exponent reaches keeps it
    easy, _ = start_values(REGION, forward, draw, {"head_enterprises": alone["achieved_head_enterprises"]}, both,
                           seed=3, population_scale=0.3)
    assert easy["parameters.initial_size_tail_exponent"] == 1.5


def test_the_first_year_correction_by_hand():
    start, after = {"head_enterprises": 10.0, "firms": 100.0}, {"head_enterprises": 11.0, "firms": 100.0}
    out = corrected_target({"head_enterprises": 10.0, "firms": 100.0}, {"head_enterprises": 13.0, "firms": 300.0},
                           start, after)
    assert out["head_enterprises"] == pytest.approx(10.0 * 1.3 / 1.1)
    assert out["firms"] == pytest.approx(100.0 * FIRST_YEAR_BOUNDS[1])  # bounded


def test_start_table_compares_medians_by_hand():
    hindcast = pd.DataFrame({"sample": [0, 1, 2] * len(QUANTITIES), "year": 2024,
                             "indicator": np.repeat(QUANTITIES, 3), "value": np.tile([90.0, 100.0, 110.0], len(QUANTITIES))})
    forward = pd.DataFrame({"replicate": [0, 1] * len(QUANTITIES), "year": 2024,
                            "indicator": np.repeat(QUANTITIES, 2), "value": np.tile([104.0, 106.0], len(QUANTITIES))})
    forward.loc[forward["indicator"] == "head_enterprises", "value"] = [120.0, 130.0]
    table = start_table(hindcast, forward).set_index("quantity")
    assert table.loc["firms", "relative_difference"] == pytest.approx(0.05)
    assert table.loc["firms", "within"] and not table.loc["head_enterprises", "within"]
    assert TOLERANCE == 0.10


def test_forward_runs_start_where_the_installed_calibration_hindcast_ends():
    """Issue item: forward runs and the hindcast agree within 10% in 2024 (medians) on revenue, firms,
    head enterprises, listed firms and high-tech firms; checked on the installed (full) calibration."""
    path = F.INSTALLED_REPORT / "start_2024.csv"
    if not path.exists():
        pytest.skip("no installed calibration with a start check yet")
    table = pd.read_csv(path).set_index("quantity")
    assert set(table.index) == set(QUANTITIES)
    for quantity, row in table.iterrows():
        assert abs(row["forward_median"] / row["hindcast_median"] - 1.0) <= TOLERANCE, quantity


def test_draws_round_trip_into_the_model(quick):
    out, _, _, _ = quick
    path = out / "draws.csv"
    draws = pd.read_csv(path)
    config = F.load_settings().modes["quick"]
    assert len(draws) == config.draws and draws["draw"].tolist() == list(range(config.draws))
    params = {n for n, f in REGION.space.factors.items() if f.section == "parameters"}
    assert set(draws.columns) - {"draw"} == params
    for name in params:
        f = REGION.space.factors[name]
        assert draws[name].between(f.low - 1e-9, f.high + 1e-9).all(), name
    scenario = load_scenario("baseline").with_values({"parameter_draws": str(path)})
    draw_id, values = draw_for_seed(scenario, 17)
    row = load_draws(path).set_index("draw").loc[draw_id]
    assert values == pytest.approx(row.to_dict())
    model = FutureIndustryModel(scenario, 17, population_scale=0.1)
    assert model.draw_id == draw_id
    assert model.values.startup_rate == pytest.approx(row["parameters.startup_rate"])
    assert model.values.leader_relative_tech[REGION.direction_index("quantum")] == pytest.approx(
        row["parameters.leader_relative_tech.quantum"])


@pytest.mark.slow
def test_quick_mode_resumes_from_disk_with_the_same_result(quick):
    out, summary, _, _ = quick
    started = time.perf_counter()
    again = F.Calibration(out=out, mode="quick", seed=11, progress=False).run()
    assert time.perf_counter() - started < 30  # every batch is read back
    for key in ("fit", "holdout", "parameters", "stylized_facts_matching"):
        assert again[key] == summary[key], key
    with pytest.raises(InputError, match="different calibration"):
        F.Calibration(out=out, mode="quick", seed=12, progress=False).run()


@pytest.mark.slow
def test_a_stopped_session_counts_towards_the_calibration_wall_time(quick, monkeypatch):
    import json

    out = quick[0]  # its stores name their own folder, so the calibration is stopped and resumed in place

    def stop(self):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(F.Calibration, "stylized_facts", stop)
        with pytest.raises(KeyboardInterrupt):
            F.Calibration(out=out, mode="quick", seed=11, progress=False).run()
    sessions = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["sessions"]
    stopped = sessions[-1]
    assert "stopped" in stopped and "finished" not in stopped and stopped["seconds"]["session_total"] > 0
    F.Calibration(out=out, mode="quick", seed=11, progress=False).run()
    last = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["sessions"][-1]
    earlier = sum(s["seconds"]["session_total"] for s in sessions)
    assert last["seconds"]["all_sessions_total"] == pytest.approx(last["seconds"]["session_total"] + earlier)


def test_cli_refuses_bad_input(capsys, tmp_path):
    assert cli(["calibrate", "--mode", "huge", "--out", str(tmp_path)]) == 2
    assert "unknown mode" in capsys.readouterr().err
    assert cli(["calibrate", "--seed", "-1", "--out", str(tmp_path)]) == 2


def test_installed_draws_are_used_by_default():
    """The committed draws (``weilai calibrate --mode full``) reach every scenario that does not opt out."""
    if not F.INSTALLED_DRAWS.exists():
        pytest.skip("no installed draws yet")
    draws = pd.read_csv(F.INSTALLED_DRAWS)
    for name in draws.columns.drop("draw"):
        f = REGION.space.factor(name)
        assert f.section == "parameters" and draws[name].between(f.low - 1e-9, f.high + 1e-9).all(), name
    model = FutureIndustryModel(load_scenario("baseline"), 3, population_scale=0.1)
    assert model.draw_id is not None
    row = draws.set_index("draw").loc[model.draw_id]
    assert model.values.high_tech_certification_probability == pytest.approx(
        row["parameters.high_tech_certification_probability"])
    defaults = FutureIndustryModel(load_scenario("baseline").with_values({"parameter_draws": "defaults"}), 3,
                                   population_scale=0.1)
    assert defaults.draw_id is None
