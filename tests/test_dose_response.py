"""The dose-response script runs at a tiny size and its table feeds docs/levers.md."""

import pandas as pd

import sim.presentation.docs as docs
from benchmarks.dose_response import COLUMNS, dose_scenario, measure
from sim.inputs.region import load_region
from sim.scenario.loading import load_scenario


def test_doses_multiply_the_declared_amounts_and_cap_at_the_bound():
    base, full = load_scenario("baseline"), load_scenario("full_package")
    talent = dose_scenario(base, base, "talent_programme", 2.0).levers.talent_programme
    assert talent.young_talent_per_year == 2 * base.levers.talent_programme.young_talent_per_year
    assert talent.top_scientists_per_year == 2 * base.levers.talent_programme.top_scientists_per_year
    sandbox = dose_scenario(base, full, "sandbox", 4.0).levers.sandbox
    assert sandbox.directions_covered == 36.0 and sandbox.start_year == full.levers.sandbox.start_year
    assert dose_scenario(base, base, "rd_grants", 0.0).levers.rd_grants.amount_100m_yuan_per_year == 0.0


def test_tiny_dose_response_and_its_page(tmp_path, monkeypatch):
    table = measure(["rd_grants", "sandbox"], replicates=2, end_year=2026, doses=(0.0, 1.0, 2.0))
    assert list(table.columns) == COLUMNS
    assert set(table["lever"]) == {"rd_grants", "sandbox"}
    assert set(table.loc[table["lever"] == "sandbox", "unit_source"]) == {"full_package"}
    assert set(table.loc[table["lever"] == "rd_grants", "unit_source"]) == {"baseline"}
    spend = table[(table["lever"] == "rd_grants") & (table["quantity"] == "spending_100m_yuan")].set_index("multiple")
    assert spend.loc[0.0, "change_from_zero"] == 0
    assert 0 < spend.loc[1.0, "change_from_zero"] < spend.loc[2.0, "change_from_zero"]  # more money, paid out
    assert (table["replicates"] == 2).all()
    targets = table[table["kind"] == "target_probability"]
    assert targets["value"].between(0, 1).all()
    file = tmp_path / "dose_response.csv"
    table.to_csv(file, index=False)
    monkeypatch.setattr(docs, "DOSE_RESPONSE", file)
    page = docs.levers_markdown(load_region("ningbo"))
    assert "Dose-response measured with 2 replicates per dose." in page
    assert "Measured dose-response (unit: full_package setting)" in page
    first = pd.read_csv(file)
    assert f"{first.loc[(first['lever'] == 'rd_grants') & (first['quantity'] == 'revenue_100m_yuan'), 'value'].iloc[0]:,.1f}" in page
