"""``weilai check``: validate a scenario file and print its spending plan."""

from __future__ import annotations

import argparse

from sim.scenario.loading import load_scenario


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai check``."""
    parser.add_argument("scenario", help="scenario file or name (e.g. baseline)")
    parser.add_argument("--targets", default=None, metavar="FILE", help="also validate this targets file")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels of the plan (default zh)")


def cli_main(args: argparse.Namespace) -> int:
    """``weilai check``: load, validate, print the spending plan by major project, lever and year,
    with each lever's total over the period and the yearly totals."""
    from sim.presentation import labels as L

    scenario = load_scenario(args.scenario)
    if args.targets is not None:
        from sim.analysis.targets import load_targets

        targets = load_targets(args.targets)
        print(f"{args.targets}: valid, {len(targets.target)} targets")
    plan = scenario.plan()
    zh = args.lang == "zh"
    table = plan.spending.pivot_table(index="lever", columns="year", values="value", aggfunc="sum")
    first, last = int(scenario.start_year), int(scenario.end_year)
    table["total"] = table.sum(axis=1)
    table = table.assign(project=[L.lever_project(lv) for lv in table.index]).sort_values(
        ["project", "total"], ascending=[True, False])
    print(f"{scenario.name}: valid ({scenario.source}); content hash {scenario.content_hash()}")
    print("财政投入计划（亿元/年，按重大工程分组）：" if zh else "Spending plan (100m yuan a year, by major project):")
    years = [c for c in table.columns if c not in ("total", "project")]
    shown = years if len(years) <= 6 else [years[0], years[1], years[len(years) // 2], years[-1]]
    names = {lever: L.lever_label(str(lever), args.lang) for lever in table.index}
    width = max([28] + [L.text_columns(name) + 2 for name in names.values()])  # the longest name keeps a gap
    total_head = f"{first}–{last}合计" if zh else f"{first}-{last} total"
    head = f"{L.pad_text('政策杠杆' if zh else 'lever', width + 2)}" + "".join(f"{y:>8}" for y in shown) + \
        " " * max(1, 16 - L.text_columns(total_head)) + total_head
    print(head)
    for project, rows in table.groupby("project", sort=False):
        print(f"【{L.project_label(project, args.lang)}】" if zh else f"[{L.project_label(project, args.lang)}]")
        for lever, row in rows.iterrows():
            print(f"  {L.pad_text(names[lever], width)}"
                  + "".join(f"{row[y]:>8.2f}" for y in shown)
                  + f"{row['total']:>16.1f}")
    totals = plan.total_spending()
    print(("财政投入计划：" if zh else "Planned city spending: ")
          + L.money_text(float(totals.sum()), first, last, args.lang))
    print(("各年合计：" if zh else "Per year: ") + ", ".join(f"{y}: {v:.1f}" for y, v in totals.items()))
    return 0
