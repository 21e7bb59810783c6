"""End to end on the real model: a small seeded ensemble (``sim.model.model.simulate``) written to a store,
then the run charts and the briefing page from it. The numbers on the board are the evaluated ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import require

from sim.analysis.targets import evaluate_targets, load_targets
from sim.core.seeds import replicate_seeds
from sim.engine.store import ResultStore
from sim.presentation import brief
from sim.presentation import charts as C
from sim.scenario.loading import load_scenario

pytestmark = pytest.mark.slow  # long runs of the real model (CI runs them; -m "not slow" skips them)

model = pytest.importorskip("sim.model.model")


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    scenarios = [load_scenario("baseline"), load_scenario("full_package")]
    seeds = replicate_seeds(7, 4)
    store = ResultStore.open_or_create(
        tmp_path_factory.mktemp("real") / "store", kind="ensemble",
        design={"scenarios": [{"name": s.name, "hash": s.content_hash(), "file": str(s.source)} for s in scenarios],
                "replicates": len(seeds), "base_seed": 7, "population_scale": 0.2})
    spending = []
    for scenario in scenarios:
        for replicate, seed in enumerate(seeds):
            rows = model.simulate(scenario, seed, detail="full", population_scale=0.2)
            store.write_part(rows.assign(scenario=scenario.name, sample=0, replicate=replicate, seed=seed))
        spending.append(scenario.plan().spending.assign(scenario=scenario.name, sample=0))
    store.write_spending(pd.concat(spending, ignore_index=True))
    return store


def test_charts_and_brief_from_a_real_ensemble(real_store, tmp_path, cjk_font_available):
    require(cjk_font_available, "no CJK font: apt-get install fonts-wqy-microhei")
    results = real_store.results()
    city = C.city_totals(results)
    expected = evaluate_targets(city, load_targets())
    board = C.target_board(expected, "baseline", "zh", C.Provenance.from_store(real_store, results))
    drawn = [d for d in board.to_dict()["datasets"].values() if d and "likelihood" in d[0]][0]
    drawn = pd.DataFrame(drawn).set_index("target")
    base = expected[expected["scenario"] == "baseline"].set_index("target")
    assert np.allclose(drawn.loc[base.index, "probability"], base["probability"], equal_nan=True)
    assert np.allclose(drawn.loc[base.index, "median"], base["median"], equal_nan=True)

    files = C.write_run_charts(real_store.path, tmp_path / "charts")
    assert len(files) == 9 and all(f.stat().st_size > 1000 for f in files)

    out = brief.write_brief([real_store.path], tmp_path / "brief.html")
    text = out.read_text(encoding="utf-8")
    assert "基准情景" in text and real_store.manifest["code_version"] in text
    likely = int((base["probability"] >= C.LIKELY_AT).sum())
    assert f"很可能达成{likely}项" in text
