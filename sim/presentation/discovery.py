"""Sentences a brief can quote about scenario-discovery boxes (:mod:`sim.analysis.decision.discover`):
"当创投环境低于0.69且…时，2035年…的达成率降至…（全部情形为…）；这一情形覆盖了…的未达成情形。"."""

from __future__ import annotations

import pandas as pd

from sim.analysis.decision.discover import Cases
from sim.presentation import labels as L


def factor_name(factor: str) -> str:
    """Chinese name of a factor (its own name if the region does not know it)."""
    try:
        return L.factor_label(factor, "zh")
    except (KeyError, ValueError):
        return factor


def _num(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def box_sentence(cases: Cases, limits: dict[str, tuple[float, float]], density: float, coverage: float) -> str:
    """One sentence: the box's conditions, the attainment inside and overall, and its coverage.

    A limit at the edge of the sampled range is no condition; a factor limited on both sides is "介于".
    """
    parts = []
    for factor, (low, high) in limits.items():
        r_low, r_high = cases.ranges[factor]
        eps = 1e-9 * max(r_high - r_low, 1.0)
        if low > r_low + eps and high < r_high - eps:
            parts.append(f"{factor_name(factor)}介于{_num(low)}与{_num(high)}之间")
        elif low > r_low + eps:
            parts.append(f"{factor_name(factor)}高于{_num(low)}")
        else:
            parts.append(f"{factor_name(factor)}低于{_num(high)}")
    t = cases.target
    what = L.target_label(t.indicator, t.year, t.comparator, t.threshold, "zh")
    overall = 1 - float(cases.failed.mean())
    return (f"当{'且'.join(parts)}时，{what}的达成率降至{1 - density:.0%}（全部情形为{overall:.0%}）；"
            f"这一情形覆盖了{coverage:.0%}的未达成情形。")


def with_sentences(boxes: pd.DataFrame, cases: Cases) -> pd.DataFrame:
    """The boxes table with ``factor_label`` and ``sentence_zh`` columns (one sentence per box)."""
    out = boxes.copy()
    out["factor_label"] = [factor_name(f) for f in out["factor"]]
    sentences = {}
    for (method, number), box in out.groupby(["method", "box"], sort=False):
        limits = {f: (lo, hi) for f, lo, hi in zip(box["factor"], box["low"], box["high"])}
        sentences[(method, number)] = box_sentence(cases, limits, float(box["density"].iloc[0]),
                                                   float(box["coverage"].iloc[0]))
    out["sentence_zh"] = [sentences[(m, b)] for m, b in zip(out["method"], out["box"])] if len(out) else []
    return out
