"""A small seeded golden output of the model: it changes only on purpose.

When a model change is meant to change results, regenerate it and commit the new file with the change:
``WEILAI_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py``.
"""

import os
from pathlib import Path

import pandas as pd

from sim.model.model import simulate
from sim.scenario.loading import load_scenario

GOLDEN = Path(__file__).parent / "golden" / "baseline_seed42_2027.csv"


def golden_run() -> pd.DataFrame:
    scenario = load_scenario("baseline").with_values({"end_year": 2027, "parameter_draws": "defaults"})
    table = simulate(scenario, 42, detail="directions")
    return table.sort_values(["indicator", "direction", "year"]).reset_index(drop=True)


def test_golden_output_is_unchanged():
    table = golden_run()
    if os.environ.get("WEILAI_UPDATE_GOLDEN"):
        table.to_csv(GOLDEN, index=False, float_format="%.17g")
    expected = pd.read_csv(GOLDEN, dtype={"year": "int16"})
    assert len(table) == len(expected) > 1000
    pd.testing.assert_frame_equal(table, expected, check_dtype=False, rtol=1e-12, atol=0)
