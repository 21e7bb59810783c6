"""Which levers move which targets: Holm's correction lever by lever, and the gain per 亿."""

import math

import pandas as pd

from sim.analysis.lever_effects import gain_per_100m_yuan, responsive_targets, target_movers


def _table(rows):
    return pd.DataFrame(rows, columns=["lever", "multiple", "quantity", "kind", "value", "change_from_zero",
                                       "p_value"])


def test_a_lever_moves_a_target_only_after_holm_over_its_targets():
    t = "target_probability"
    table = _table([
        ("a", 0.0, "t1", t, 0.2, 0.0, 1.0), ("a", 4.0, "t1", t, 0.6, 0.4, 0.01),
        ("a", 0.0, "t2", t, 0.5, 0.0, 1.0), ("a", 4.0, "t2", t, 0.6, 0.1, 0.03),
        ("b", 0.0, "t1", t, 0.2, 0.0, 1.0), ("b", 4.0, "t1", t, 0.2, 0.0, 1.0),
        ("b", 0.0, "t2", t, 0.5, 0.0, 1.0), ("b", 4.0, "t2", t, 0.9, 0.4, 0.001),
    ])
    movers = target_movers(table).set_index(["lever", "target"])
    # lever a: Holm multiplies the smaller p by 2 (0.02: moves) and keeps the larger at max(0.02, 0.03)
    assert math.isclose(movers.loc[("a", "t1"), "p_holm"], 0.02)
    assert movers.loc[("a", "t1"), "moves"] and movers.loc[("a", "t2"), "moves"]
    assert movers.loc[("a", "t1"), "p_zero"] == 0.2 and movers.loc[("a", "t1"), "p_dose"] == 0.6
    assert not movers.loc[("b", "t1"), "moves"] and movers.loc[("b", "t2"), "moves"]
    text = responsive_targets(table).set_index("target")["levers"]
    assert text["t1"] == "a (+0.40)" and text["t2"] == "a (+0.10); b (+0.40)"
    # at 5% the raw p of 0.03 survives Holm only because it is the larger of two; with a third target
    # whose p is 0.04, Holm gives a's t2 0.03 x 2 = 0.06 and it no longer moves
    more = pd.concat([table, _table([("a", 0.0, "t3", t, 0.5, 0.0, 1.0), ("a", 4.0, "t3", t, 0.55, 0.05, 0.04)])])
    assert not target_movers(more).set_index(["lever", "target"]).loc[("a", "t2"), "moves"]


def test_gain_per_100m_yuan_is_the_change_over_the_reference_dose_per_extra_spending():
    i = "indicator"
    table = _table([
        ("basic_research", 1.0, "firm_technology", i, 0.100, 0, 1),
        ("basic_research", 2.0, "firm_technology", i, 0.104, 0, 1),
        ("basic_research", 4.0, "firm_technology", i, 0.110, 0, 1),
        ("basic_research", 1.0, "spending_100m_yuan", i, 400.0, 0, 1),
        ("basic_research", 2.0, "spending_100m_yuan", i, 500.0, 0, 1),
        ("basic_research", 4.0, "spending_100m_yuan", i, 700.0, 0, 1),
    ])
    gains = gain_per_100m_yuan(table, "basic_research", "firm_technology")
    assert math.isclose(gains[2.0], 0.004 / 100) and math.isclose(gains[4.0], 0.010 / 300)
    assert gains[4.0] < gains[2.0]
