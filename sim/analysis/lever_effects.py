"""Which levers move which targets, read from a dose-response table.

The table is the one ``benchmarks/dose_response.py`` writes (columns ``lever``, ``multiple``,
``quantity``, ``kind``, ``value``, ``change_from_zero``, ``p_value``, ...): for each lever and dose, the
probability of every target and the key indicators, paired against the lever at zero on common random
numbers. A lever *moves* a target when the dose changes the probability of meeting it significantly
against dose 0: the exact McNemar p-values of the table, Holm-corrected over the targets, lever by lever
(each lever is one family of tests, as in ``weilai value``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.targets import holm_levels


def target_movers(table: pd.DataFrame, dose: float = 4.0, alpha: float = 0.05) -> pd.DataFrame:
    """Per lever and target at ``dose``: P at dose 0, P at the dose, the change, p and Holm's p.

    Returns:
        Columns ``target``, ``lever``, ``p_zero``, ``p_dose``, ``change``, ``p_value``, ``p_holm``,
        ``moves`` (Holm's p below ``alpha``); one row per lever and target.
    """
    targets = table[table["kind"] == "target_probability"]
    frames = []
    for lever, rows in targets.groupby("lever", sort=False):
        at = rows[rows["multiple"] == dose].set_index("quantity")
        zero = rows[rows["multiple"] == 0.0].set_index("quantity")["value"]
        if at.empty:
            continue
        adjusted, _ = holm_levels(at["p_value"].fillna(1.0).to_numpy(dtype=float), alpha)
        frames.append(pd.DataFrame({
            "target": at.index, "lever": lever, "p_zero": zero.reindex(at.index).to_numpy(),
            "p_dose": at["value"].to_numpy(), "change": at["change_from_zero"].to_numpy(),
            "p_value": at["p_value"].to_numpy(), "p_holm": adjusted, "moves": adjusted < alpha}))
    columns = ["target", "lever", "p_zero", "p_dose", "change", "p_value", "p_holm", "moves"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def responsive_targets(table: pd.DataFrame, dose: float = 4.0, alpha: float = 0.05) -> pd.DataFrame:
    """Per target, the levers that move it at ``dose`` (see :func:`target_movers`), as one line of text."""
    movers = target_movers(table, dose, alpha)
    found = {t: [f"{r.lever} ({r.change:+.2f})" for r in rows[rows["moves"]].itertuples()]
             for t, rows in movers.groupby("target", sort=False)}
    return pd.DataFrame({"target": list(found), "levers": ["; ".join(v) or "none" for v in found.values()]})


def gain_per_100m_yuan(table: pd.DataFrame, lever: str, indicator: str, doses: tuple[float, ...] = (2.0, 4.0),
                       reference: float = 1.0) -> dict[float, float]:
    """Change of ``indicator`` per 亿 of extra spending over the run, from ``reference`` to each dose.

    Both the indicator and the spending are the table's means over paired replicates; a dose that
    costs nothing more than the reference gives NaN.
    """
    rows = table[table["lever"] == lever]
    value = rows[rows["quantity"] == indicator].set_index("multiple")["value"]
    cost = rows[rows["quantity"] == "spending_100m_yuan"].set_index("multiple")["value"]
    out = {}
    for k in doses:
        if k in value.index and reference in value.index and k in cost.index and reference in cost.index:
            extra = float(cost[k] - cost[reference])
            out[k] = float(value[k] - value[reference]) / extra if extra > 0 else float(np.nan)
    return out
