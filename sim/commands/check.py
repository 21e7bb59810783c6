"""``weilai check``: validate a scenario file and print its spending plan."""

from __future__ import annotations

import argparse

from sim.scenario.loading import load_scenario


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai check``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")


def cli_main(args: argparse.Namespace) -> int:
    """``weilai check``: load, validate, print the spending plan by lever and year."""
    scenario = load_scenario(args.scenario)
    plan = scenario.plan()
    table = plan.spending.pivot_table(index="lever", columns="year", values="value", aggfunc="sum")
    print(f"{scenario.name}: valid ({scenario.source}); content hash {scenario.content_hash()}")
    print("Spending plan, 100m yuan (亿元) per year:")
    print(table.round(2).to_string())
    print(f"total per year: {', '.join(f'{v:.1f}' for v in plan.total_spending())}")
    return 0
