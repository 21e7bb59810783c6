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
# (replicate seed, mechanism, year), funds have one each (keyed by name), per-firm draws are indexed by
# firm row and per-institute draws by institute row. Two scenarios run with the same seed therefore
# share every draw of the mechanisms and agents their levers do not touch (common random numbers), and
# a difference in one mechanism never shifts another's draws. A name's position is part of its seed:
# new names go at the end ("institutes", "innovation" and "talent" are no longer drawn from).
STREAMS = ("init", "environment", "talent", "platforms", "funds", "subsidies", "institutes", "transfers",
           "innovation", "growth", "scenarios", "certification", "exit", "entry", "partners", "zones",
           "designations", "rounding", "projects", "order_funds", "order_scientists", "scientists",
           "institute_breakthroughs", "institute_tech_transfers", "institute_spinoffs", "institute_standards",
           "products", "first_of_a_kind", "validation", "standards", "firm_breakthroughs", "productivity",
           "diversification", "patents", "partner_choice")
# Event counters: cumulative from the targets' base year (2024) and, as yearly flows "<name>_in_year",
# from the scenario's start year (so a hindcast from 2019 reports every year's events).
EVENT_COUNTERS = ("breakthroughs", "standards", "innovation_platforms", "application_scenarios",
                  "high_end_products", "tech_transfers", "spinoffs")
MAX_TOP_SCIENTISTS_PER_YEAR = 100  # per direction (the lever's bound): size of the per-scientist draws
# Levers whose costs the model records as delivered (indicators ``spending_<lever>``), in a fixed order
# (also the sub-stream index of each lever's unit rounding, so one lever's rounding never moves another's).
SPENDING_LEVERS = ("rd_grants", "basic_research", "new_platforms", "tech_transfer", "application_scenarios",
                   "first_of_a_kind", "pilot_zones", "investment_attraction", "talent_programme",
                   "talent_attraction", "guidance_fund", "angel_fund", "loan_interest_subsidies",
                   "direct_subsidies", "major_projects", "big_science", "rd_institutions", "industry_platforms",
                   "ip_services", "industry_colleges", "bond_finance", "sandbox", "compute_infrastructure",
                   "incumbent_diversification")
