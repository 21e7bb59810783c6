"""Sentences a brief can quote about scenario-discovery boxes (:mod:`sim.analysis.decision.discover`):
"当创投环境低于0.69且…时，2035年…的达成率降至…（全部情形为…）；这一情形覆盖了…的未达成情形。"."""

from __future__ import annotations

import pandas as pd

from sim.analysis.decision.discover import Cases
from sim.presentation import labels as L


WEAK_LIFT = 1.2            # a box whose failure rate is below 1.2 x the overall rate says little
WEAK_STABILITY_PCT = 50.0  # a restricted factor found again in fewer than half of PRIM's resamples


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
    """The boxes table with ``factor_label`` and ``sentence_zh`` columns (one sentence per box).

    A box whose failure rate is under 1.2 times the overall one, or with a restricted factor that PRIM's
    resampling finds again in fewer than half of the resamples, gets a caveat in its sentence.
    """
    out = boxes.copy()
    out["factor_label"] = [factor_name(f) for f in out["factor"]]
    sentences = {}
    failure_rate = float(cases.failed.mean())
    for (method, number), box in out.groupby(["method", "box"], sort=False):
        limits = {f: (lo, hi) for f, lo, hi in zip(box["factor"], box["low"], box["high"])}
        density = float(box["density"].iloc[0])
        text = box_sentence(cases, limits, density, float(box["coverage"].iloc[0]))
        stability = box["reproduce_coverage_pct"].min()
        if density < WEAK_LIFT * failure_rate or (stability == stability and stability < WEAK_STABILITY_PCT):
            text += "（提示：该情形与整体差别不大或在重抽样中不稳定，仅供参考，不宜单独引用。）"
        sentences[(method, number)] = text
    out["sentence_zh"] = [sentences[(m, b)] for m, b in zip(out["method"], out["box"])] if len(out) else []
    return out
