"""Assumed and sourced constants of the model, and its random streams."""

from __future__ import annotations

AGE_SCALE_YEARS = 7.34  # exp(-5/7.34) = 0.506: 49.4% of Chinese firms alive in 2012 were under 5 (SAIC 2013)
LEADING_GROUP_SHARE = 0.01  # Ningbo's leading group in a direction: its top 1% of firms by knowledge...
LEADING_GROUP_MIN = 3       # ...and at least 3 firms; its median sets the frontier (leader_relative_tech)
MAX_INITIAL_SHARE = 0.25  # no initial firm holds more than a quarter of its direction's revenue (assumption)
PRODUCT_QUALITY_SD = 0.3  # log-sd of product quality around the firm's technology level (assumption)
SHOCK_HAZARD_FACTOR = 1.3   # exit hazards in a macro-shock year (assumption)
SHOCK_FINANCE_FACTOR = 0.6  # private VC and start-up formation in a shock year (assumption)
INITIAL_TECH_CENTRE_SHARE = 0.5  # of qualifying firms already recognised at the start (assumption)
LEADING_SHARE_OF_RESEARCHERS = 0.02  # leading talent per researcher at the start (assumption)
TALENT_SLACK = 0.05  # unemployed researchers as a share of employed at the start (assumption)

# Random streams, one per mechanism (docs/ODD.md, "Stochasticity"): each is re-seeded every year from
# (replicate seed, mechanism, year), and per-firm draws are indexed by firm row. Two scenarios run with
# the same seed therefore share every draw of the mechanisms and firms their levers do not touch
# (common random numbers), and a difference in one mechanism never shifts another's draws.
STREAMS = ("init", "environment", "talent", "platforms", "funds", "subsidies", "institutes", "transfers",
           "innovation", "growth", "scenarios", "certification", "exit", "entry", "partners", "zones",
           "designations", "patents")  # new streams go last: the others keep their seeds
# Event counters: cumulative from the targets' base year (2024) and, as yearly flows "<name>_in_year",
# from the scenario's start year (so a hindcast from 2019 reports every year's events).
EVENT_COUNTERS = ("breakthroughs", "standards", "innovation_platforms", "application_scenarios",
                  "high_end_products", "tech_transfers", "spinoffs")
