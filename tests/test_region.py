"""The city is data: a second, synthetic region folder runs end to end; the region's declarations are checked."""

import os
import shutil

import pandas as pd
import pytest

from sim.cli import main
from sim.core.errors import InputError
from sim.engine.store import ResultStore
from sim.inputs.region import DEFAULT_REGION, load_region
from sim.scenario.schema import Scenario
from synthetic import SYNTHETIC_DIRECTIONS, SYNTHETIC_DISTRICTS, write_region


@pytest.fixture(scope="module")
def region_folder(tmp_path_factory):
    return write_region(tmp_path_factory.mktemp("regions") / "synthetica", base_year=2025)


def test_the_default_region_is_named_once():
    assert Scenario(name="x").region == DEFAULT_REGION
    assert load_region().name == DEFAULT_REGION
    assert load_region().base_year == 2024  # from targets.toml, not the code
    assert load_region().facts["indicator"].isin(["gdp"]).any()  # facts.csv in the region's folder


def use_region_folders(monkeypatch, *folders):
    """Name extra folders of regions explicitly (a scenario names a region, never a path)."""
    monkeypatch.setenv("WEILAI_REGION_PATH", os.pathsep.join(str(f) for f in folders))
    load_region.cache_clear()


def test_a_second_region_runs_end_to_end(region_folder, tmp_path, capsys, monkeypatch):
    use_region_folders(monkeypatch, region_folder.parent)
    region = load_region("synthetica")
    assert region.name == "synthetica" and region.base_year == 2025
    assert region.directions == tuple(SYNTHETIC_DIRECTIONS) and region.districts == SYNTHETIC_DISTRICTS
    file = tmp_path / "synthetic_city.toml"
    file.write_text('region = "synthetica"\nend_year = 2030\nparameter_draws = "defaults"\n'
                    "[levers.talent_programme]\nleading_talent_per_year = 20.0\n", encoding="utf-8")
    out = tmp_path / "store"
    code = main(["run", str(file), "--replicates", "2", "--seed", "7", "--out", str(out), "--no-charts",
                 "--no-progress", "--workers", "1"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "Scenario: synthetic_city" in printed and "2 runs in" in printed
    results = ResultStore(out).results()
    assert set(results["direction"]) == {"alpha", "beta", "all"}
    assert set(results.loc[results["district"] != "all", "district"]) <= set(SYNTHETIC_DISTRICTS)
    assert sorted(results["year"].unique()) == list(range(2024, 2031))
    # Cumulative indicators count from the region's base year (2025 here): nothing is counted in 2024.
    cumulative = [k for k, v in region.indicators.items() if v["kind"] == "cumulative"]
    rows = results[results["indicator"].isin(cumulative)]
    assert (rows.loc[rows["year"] == 2024, "value"] == 0).all()
    assert (rows.loc[rows["year"] == 2030, "value"] > 0).any()
    targets = pd.read_csv(out / "targets.csv")
    within = targets["year"] <= 2030  # targets after the run's end have no replicates
    assert within.any() and targets.loc[within, "n_replicates"].eq(2).all()


def test_indicator_declarations_are_checked(region_folder, tmp_path, monkeypatch):
    use_region_folders(monkeypatch, tmp_path)
    bad = tmp_path / "bad_region"
    shutil.copytree(region_folder, bad)
    text = (bad / "indicators.toml").read_text(encoding="utf-8")
    (bad / "indicators.toml").write_text(text.replace('kind = "stock"', 'kind = "level"', 1), encoding="utf-8")
    with pytest.raises(InputError, match="kind"):
        load_region("bad_region")
    (bad / "indicators.toml").write_text(text.replace('unit_zh = "家"\n', "", 1), encoding="utf-8")
    load_region.cache_clear()
    with pytest.raises(InputError, match="unit_zh"):
        load_region("bad_region")
