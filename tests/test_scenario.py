"""Scenario files: loading, inheritance, validation, and every bad-input case through the command line."""

import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import weilai_in_process

from sim.core.errors import InputError
from sim.scenario.loading import load_scenario, scenario_names


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def check(path: Path, capsys) -> subprocess.CompletedProcess:
    return weilai_in_process(capsys, "check", str(path))


BAD_INPUT = [
    # (file content, key named, words that must appear in the message)
    ('extends = "baseline"\n[levers.rd_grant]\namount_100m_yuan_per_year = 3\n',
     "levers.rd_grant", ["unknown key", "rd_grants"]),
    ('extends = "baseline"\nbudjet = 3\n', "budjet", ["unknown key", "budget"]),
    ('extends = "baseline"\n[levers.rd_grants]\namount_100m_yuan_per_year = -3\n',
     "levers.rd_grants.amount_100m_yuan_per_year", ["-3", ">= 0"]),
    ('extends = "baseline"\n[levers.rd_grants]\namount_100m_yuan_per_year = "lots"\n',
     "levers.rd_grants.amount_100m_yuan_per_year", ["'lots'", "a number"]),
    ('extends = "baseline"\n[levers.rd_grants]\nallocation = { quantum = 0.5, aerospace = 0.4 }\n',
     "levers.rd_grants.allocation", ["sum to 0.9", "sum to 1"]),
    ('extends = "baseline"\n[levers.rd_grants]\nallocation = { quantom = 1.0 }\n',
     "levers.rd_grants.allocation", ["unknown direction", "quantum"]),
    ('extends = "baseline"\n[levers.talent_programme]\nstart_year = 2040\n',
     "levers.talent_programme.start_year", ["2040", "2024 to 2035"]),
    ('extends = "baseline"\n[levers.rd_grants]\nstart_year = 2020\n',
     "levers.rd_grants.start_year", ["2020", "2024 to 2035"]),
    ('extends = "baseline"\n[budget]\ncap_100m_yuan_per_year = 20\n',
     "budget.cap_100m_yuan_per_year", ["exceeds", "2024: 34.0", "scale"]),
    ('extends = "baseline"\n[uncertainties]\ntalent_competition = 3\n',
     "uncertainties.talent_competition", ["out of range", "0.7 to 1.6"]),
    ('extends = "baseline"\n[uncertainties]\ntalent_competiton = 1.2\n',
     "uncertainties.talent_competiton", ["unknown key", "talent_competition"]),
    ('extends = "baseline"\n[uncertainties.market_growth]\nquantum = 0.9\n',
     "uncertainties.market_growth.quantum", ["out of range", "0.04 to 0.32"]),
    ('extends = "baseline"\n[parameters]\nstartup_rate = 500\n',
     "parameters.startup_rate", ["out of range", "8 to 50"]),
    ('extends = "baseline"\n[[levers.pilot_zones.designations]]\ndistrict = "haishu"\n'
     'direction = "quantm"\nyear = 2025\n',
     "levers.pilot_zones.designations.0.direction", ["unknown direction", "quantum"]),
    ('extends = "baseline"\n[[levers.pilot_zones.designations]]\ndistrict = "hangzhou"\n'
     'direction = "quantum"\nyear = 2025\n',
     "levers.pilot_zones.designations.0.district", ["unknown district", "beilun"]),
    ('extends = "baseline"\n[levers.guidance_fund]\nstage_focus = { seed = 0.5, early = 0.5, growth = 0.5 }\n',
     "levers.guidance_fund.stage_focus", ["sum to 1.5"]),
    ('extends = "nope"\n', "extends", ["not found", "baseline"]),
    ('start_year = 2030\nend_year = 2035\n', "start_year", ["no initial state", "2024"]),
]


@pytest.mark.parametrize(("content", "key", "words"), BAD_INPUT, ids=[c[1] for c in BAD_INPUT])
def test_bad_scenario_is_refused_with_file_key_value_and_allowed(tmp_path, content, key, words, capsys):
    path = write(tmp_path, "bad.toml", content)
    result = check(path, capsys)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "bad.toml" in message and f"key '{key}'" in message
    for word in words:
        assert word in message


def test_syntax_error_names_the_file_and_line(tmp_path, capsys):
    result = check(write(tmp_path, "broken.toml", 'extends = "baseline"\n[levers.rd_grants\n'), capsys)
    assert result.returncode == 2
    assert "broken.toml" in result.stderr and "line 2" in result.stderr and "Traceback" not in result.stderr


def test_missing_file_lists_the_scenarios(capsys):
    result = weilai_in_process(capsys, "check", "no_such_scenario")
    assert result.returncode == 2
    assert "not found" in result.stderr and "baseline" in result.stderr and "Traceback" not in result.stderr


def test_extends_cycle_is_refused(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(InputError, match="cycle"):
        load_scenario(tmp_path / "a.toml")


def test_scenario_files_are_data_not_code(tmp_path):
    path = write(tmp_path, "evil.toml", 'extends = "baseline"\ntitle_en = "__import__(\'os\').system(\'false\')"\n')
    scenario = load_scenario(path)
    assert scenario.title_en.startswith("__import__")  # kept as text, never evaluated


def test_extends_merges_tables_and_keeps_the_rest(tmp_path):
    path = write(tmp_path, "child.toml", '''
        extends = "baseline"
        [levers.talent_programme]
        young_talent_per_year = 500
    ''')
    child, base = load_scenario(path), load_scenario("baseline")
    assert child.name == "child"
    assert child.levers.talent_programme.young_talent_per_year == 500
    assert child.levers.talent_programme.leading_talent_per_year == base.levers.talent_programme.leading_talent_per_year
    assert child.levers.rd_grants == base.levers.rd_grants
    assert child.title_zh == ""  # titles describe one file; they are not inherited


def test_frozen_and_with_values_revalidates():
    base = load_scenario("baseline")
    with pytest.raises(Exception):
        base.start_year = 2025
    copy = base.with_values({"levers.rd_grants.amount_100m_yuan_per_year": 9.0,
                             "uncertainties.market_growth.quantum": 0.2})
    assert copy.levers.rd_grants.amount_100m_yuan_per_year == 9.0
    assert copy.uncertainties["market_growth"]["quantum"] == 0.2
    assert base.levers.rd_grants.amount_100m_yuan_per_year == 6.0
    assert copy.content_hash() != base.content_hash()
    assert load_scenario("baseline").content_hash() == base.content_hash()
    with pytest.raises(InputError, match="levers.rd_grants.amount_100m_yuan_per_year"):
        base.with_values({"levers.rd_grants.amount_100m_yuan_per_year": -1.0})


def test_every_scenario_in_the_library_loads_and_says_what_it_is():
    names = scenario_names()
    assert {"baseline", "full_package", "austerity", "zero_policy", "stress_talent_competition",
            "stress_weak_vc", "stress_slow_tech"} <= set(names)
    # one single-lever scenario per lever, each in the full package
    from sim.scenario.lever_schemas import Levers
    levers = {name for name, _ in Levers().items()}
    assert {n.removeprefix("levers/") for n in names if n.startswith("levers/")} == levers
    full = load_scenario("full_package")
    for name in levers:
        single = load_scenario(f"levers/{name}")
        assert getattr(full.levers, name) == getattr(single.levers, name), name
    for name in names:
        scenario = load_scenario(name)
        assert scenario.title_zh and scenario.title_en, name
        first = Path(scenario.source).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and len(first) > 20, f"{name}: the header says what it represents"


def test_spending_is_the_sum_of_the_levers_and_the_cap_scales():
    plan = load_scenario("full_package").plan()
    by_lever = plan.spending.groupby(["year", "lever"])["value"].sum().groupby("year").sum()
    assert np.allclose(by_lever.to_numpy(), plan.total_spending().to_numpy())
    austerity = load_scenario("austerity").plan()
    assert np.allclose(austerity.total_spending().to_numpy(), 20.0)
    baseline = load_scenario("baseline").plan()
    ratio = austerity.rd_grants.money_100m_yuan.sum() / baseline.rd_grants.money_100m_yuan.sum()
    assert ratio == pytest.approx(20.0 / 34.0)  # 32.5 of levers + 1.5 for the three zones in place


def test_full_package_spending_by_lever_matches_hand_arithmetic():
    plan = load_scenario("full_package").plan()
    s = plan.spending.groupby(["lever", "year"])["value"].sum()
    # 1+N fund: 10亿 a year 2025-2029, nothing in 2024 or 2030
    assert s["guidance_fund", 2024] == 0 and s["guidance_fund", 2027] == pytest.approx(10.0)
    assert s["guidance_fund", 2030] == 0
    # platforms: 4 a year from 2025, 1亿 to set up, 0.5亿 a year to run those founded before
    assert s["new_platforms", 2025] == pytest.approx(4.0)
    assert s["new_platforms", 2027] == pytest.approx(4 * 1.0 + 8 * 0.5)
    # zones: the 3 provincial zones in place, 3 designated in 2025, 3 more in 2026, 1亿 each per year
    assert s["pilot_zones", 2024] == pytest.approx(3.0)
    assert s["pilot_zones", 2025] == pytest.approx(6.0) and s["pilot_zones", 2026] == pytest.approx(9.0)
    # talent 2025: doubled from 4, 60, 140 recruits: 8 x 0.3 + 120 x 0.06 + 280 x 0.01 + 2 x 0.5 retention
    assert s["talent_programme", 2025] == pytest.approx(2.4 + 7.2 + 2.8 + 1.0)
    # basic research: 8 in 2024, doubled from 2025
    assert s["basic_research", 2024] == pytest.approx(8.0) and s["basic_research", 2025] == pytest.approx(16.0)
    # incumbent diversification: 3亿 a year from 2025, nothing in 2024
    assert s["incumbent_diversification", 2024] == 0
    assert s["incumbent_diversification", 2025] == pytest.approx(3.0)
