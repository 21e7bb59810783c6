"""Verification of allocations on the model: candidates next to the full package and the base, each
scaled to the same total cost, on common random numbers; expected targets met with intervals."""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from sim.analysis.decision.levers import total_cost_100m_yuan
from sim.analysis.decision.value import mean_interval, met_matrix, read_city_rows
from sim.analysis.targets import Targets
from sim.scenario.schema import Scenario


def verification_table(store, scenarios: list[Scenario], roles: dict[str, str], targets: Targets,
                       comparator: str, emulator_scores: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per scenario: role, cost, expected targets met (t interval), its paired difference from
    ``comparator`` (the full package at the same cost), and each target's probability.

    Args:
        store: The store of the verification runs (same replicates for every scenario).
        scenarios: The scenarios run. roles: Scenario name -> ``candidate``, ``full_package``, ``base``.
        targets: The targets. comparator: Name of the scenario the candidates are compared with.
        emulator_scores: The emulator's objective of each candidate (for the record).
    """
    rows = read_city_rows(store, [t.indicator for t in targets.target])
    met = met_matrix(rows, targets)
    counts = met.sum(axis=1)
    out = []
    for s in scenarios:
        n_met = counts.loc[s.name]
        mean, low, high = mean_interval(n_met.to_numpy())
        diff = (n_met - counts.loc[comparator].reindex(n_met.index)).to_numpy()
        d_mean, d_low, d_high = mean_interval(diff)
        cost = total_cost_100m_yuan(s)
        out.append({"scenario": s.name, "role": roles[s.name], "cost_100m_yuan": cost,
                    "cost_100m_yuan_per_year": cost / len(s.years),
                    "expected_targets_met": mean, "expected_targets_met_low": low, "expected_targets_met_high": high,
                    f"difference_vs_{roles[comparator]}": d_mean, "difference_low": d_low, "difference_high": d_high,
                    "emulator_score": (emulator_scores or {}).get(s.name),
                    "n_replicates": len(n_met),
                    **{f"P({t})": float(met.loc[s.name][t].mean()) for t in met.columns}})
    return pd.DataFrame(out)


def runs_key(scenarios: list[Scenario], *extra: object) -> str:
    """Identity of a set of scenarios run together (the folder name of their store): names, contents and
    any extra settings, so that another set verifies anew while the same set resumes its store."""
    text = json.dumps([[s.name, s.content_hash()] for s in scenarios] + list(extra), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
