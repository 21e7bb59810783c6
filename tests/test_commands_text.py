"""Commands speak one vocabulary: Chinese target names, money with its period and yearly figure, and
``--set key=value`` validated like a scenario file with errors naming ``--set`` and the key."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.cli import main
from sim.commands.compare import format_comparison_table
from sim.commands.overrides import apply_sets, parse_sets
from sim.core.errors import InputError
from sim.presentation import labels as L
from sim.scenario.loading import load_scenario


def test_money_text_gives_period_and_yearly_figure():
    assert L.money_text(680.4, 2024, 2035) == "2024–2035年合计680.4亿元，年均56.7亿元"
    assert "a year" in L.money_text(120.0, 2024, 2035, "en")


def test_compare_table_uses_chinese_names_medians_and_points(comparison_file, targets_table):
    table = pd.read_csv(comparison_file)
    text = format_comparison_table(table, targets_table, (2024, 2035))
    assert "未来产业头部企业（2027年）" in text and "head_enterprises_2027" not in text
    assert "个百分点" in text and "年均" in text and "2024–2035年合计" in text
    row = targets_table[(targets_table["scenario"] == "baseline") & (targets_table["target"] == "head_enterprises_2027")]
    assert f"{float(row['median'].iloc[0]):.1f}" in text


def test_set_changes_one_value_and_validates_like_a_file():
    base = load_scenario("baseline")
    changed = apply_sets(base, ["levers.rd_grants.amount_100m_yuan_per_year=8"])
    assert changed.levers.rd_grants.amount_100m_yuan_per_year == 8.0
    assert changed.name != base.name and changed.content_hash() != base.content_hash()
    assert apply_sets(base, []) is base
    assert parse_sets(['budget.on_exceed="scale"', "a.b=[1, 2]"]) == {"budget.on_exceed": "scale", "a.b": [1, 2]}
    for item, key in (("levers.rd_grant.amount_100m_yuan_per_year=8", "levers.rd_grant"),
                      ("levers.rd_grants.amount_100m_yuan_per_year=-1", "levers.rd_grants.amount_100m_yuan_per_year"),
                      ("levers.rd_grants.amount_100m_yuan_per_year=lots", "levers.rd_grants.amount_100m_yuan_per_year")):
        with pytest.raises(InputError) as caught:
            apply_sets(base, [item])
        assert caught.value.file == "--set" and caught.value.key == key


@pytest.mark.parametrize("command", [["run", "baseline"], ["compare", "baseline", "baseline"]])
def test_set_errors_are_one_line_naming_set_and_the_key(command, capsys):
    assert main(command + ["--set", "levers.rd_grants.amount_100m_yuan_per_year=-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--set" in err[0] and "levers.rd_grants.amount_100m_yuan_per_year" in err[0]


def test_check_groups_levers_by_major_project_with_totals(capsys):
    assert main(["check", "baseline"]) == 0
    out = capsys.readouterr().out
    assert "【1 未来技术策源】" in out and "研发补助" in out and "rd_grants " not in out
    scenario = load_scenario("baseline")
    total = float(scenario.plan().total_spending().sum())
    assert L.money_text(total, scenario.start_year, scenario.end_year) in out


@pytest.mark.parametrize("command", [[], ["value"], ["run"]])
def test_help_prints_for_every_command(command, capsys):
    """A literal % in a command's help once made `weilai --help` crash (argparse %-formats help)."""
    with pytest.raises(SystemExit) as done:
        main(command + ["--help"])
    assert done.value.code == 0
    assert "usage: weilai" in capsys.readouterr().out


def test_compare_names_the_scenarios_by_title_and_says_the_cost_is_the_delivered_one(comparison_file,
                                                                                    targets_table):
    table = pd.read_csv(comparison_file)
    a, b = str(table["scenario_a"].iloc[0]), str(table["scenario_b"].iloc[0])
    text = format_comparison_table(table, targets_table, (2024, 2035), titles={a: "甲情景标题", b: "乙情景标题"})
    assert f"A = {a}（甲情景标题）" in text and f"B = {b}（乙情景标题）" in text
    assert "模拟中实际支出" in text
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("目标"))
    row = next(line for line in lines if line.startswith("未来产业头部企业"))
    # columns line up: the header and a row end at the same terminal column
    assert L.text_columns(header) == L.text_columns(row)


def test_check_columns_line_up_for_the_longest_lever_name(capsys):
    assert main(["check", "full_package"]) == 0
    out = capsys.readouterr().out.splitlines()
    levers = [line for line in out if line.startswith("  ")]
    assert any("传统优势企业布局未来产业赛道" in line for line in levers)
    # every lever row has its numbers at the same terminal columns
    assert len({L.text_columns(line) for line in levers}) == 1
    first_number_ends = {L.text_columns(line[:line.index(".") + 3]) for line in levers}
    assert len(first_number_ends) == 1
    assert "财政投入计划：2024–2035年合计" in "\n".join(out)
