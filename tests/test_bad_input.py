"""Bad input of every kind is refused with one line and exit status 2, and nothing is written.

Each case writes its input files into a fresh folder, runs ``weilai`` in this process with that folder
as the working folder (so default output folders would land there too), and checks: exit status 2,
exactly one line on stderr naming the file, the key, the bad value and what is allowed, no traceback,
and the folder byte-identical before and after (every file's path and content, every folder's name).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path

import pytest

from sim.cli import main

BASE = 'extends = "baseline"\n'
GOOD_TARGET = ('policy = "p"\nbase_year = 2024\n[[target]]\nid = "a"\nindicator = "breakthroughs"\n'
               'year = 2027\ncomparator = ">="\nthreshold = 30\nclause = "c"\n')
GOOD_SWEEP = ('scenario = "baseline"\nmethod = "morris"\nsamples = 4\nreplicates = 1\n'
              'factors = ["uncertainties.market_growth", "parameters.startup_rate"]\nyears = [2027]\n')
RANDOM_BYTES = random.Random(10).randbytes(600) + b"\xff\xfe"
DEEP_ARRAY = "x = " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_TABLE = "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n"
A_STORE = {"store/manifest.json": json.dumps({"kind": "sweep", "scenario": {"start_year": 2024, "end_year": 2035},
                                              "design": {}, "sessions": []}),
           "store/indices.parquet": b"PAR1 good indices PAR1"}


def target(**changes: object) -> str:
    """A one-target targets file with some keys replaced (TOML values as text)."""
    values = {"id": '"a"', "indicator": '"breakthroughs"', "year": "2027", "comparator": '">="',
              "threshold": "30", "clause": '"c"'}
    values.update({k: str(v) for k, v in changes.items()})
    body = "\n".join(f"{k} = {v}" for k, v in values.items())
    return f'policy = "p"\nbase_year = 2024\n[[target]]\n{body}\n'


def sweep(**changes: object) -> str:
    """The small sweep with some top-level keys replaced or added (TOML values as text)."""
    lines = dict(line.split(" = ", 1) for line in GOOD_SWEEP.strip().splitlines())
    lines.update({k: str(v) for k, v in changes.items()})
    return "\n".join(f"{k} = {v}" for k, v in lines.items()) + "\n"


# (id, files {relative path: text or bytes}, argv, words the message must hold, environment)
SCENARIO_CASES = [
    ("gbk", {"s.toml": (BASE + 'title_zh = "宁波未来产业"\n').encode("gbk")}, ["check", "s.toml"],
     ["s.toml", "not UTF-8", "UTF-8"]),
    ("utf16", {"s.toml": (BASE + 'title_zh = "宁波"\n').encode("utf-16")}, ["check", "s.toml"],
     ["s.toml", "not UTF-8"]),
    ("random-bytes", {"s.toml": RANDOM_BYTES}, ["check", "s.toml"], ["s.toml", "not UTF-8"]),
    ("deep-array", {"s.toml": DEEP_ARRAY}, ["check", "s.toml"], ["s.toml", "nested too deeply"]),
    ("deep-inline-table", {"s.toml": DEEP_TABLE}, ["check", "s.toml"], ["s.toml", "nested too deeply"]),
    ("nul-byte", {"s.toml": BASE + "title_en = \"a\x00b\"\n"}, ["check", "s.toml"], ["s.toml", "not valid TOML"]),
    ("huge-file", {"s.toml": BASE + "#" * 5_100_000 + "\n"}, ["check", "s.toml"], ["s.toml", "too large"]),
    ("syntax", {"s.toml": BASE + "[levers\n"}, ["check", "s.toml"], ["s.toml", "not valid TOML"]),
    ("duplicate-key", {"s.toml": BASE + "title_en = 'a'\ntitle_en = 'b'\n"}, ["check", "s.toml"],
     ["s.toml", "not valid TOML"]),
    ("start-year-text", {"s.toml": BASE + 'start_year = "2024"\n'}, ["check", "s.toml"],
     ["s.toml", "key 'start_year'", "'2024'", "a whole number"]),
    ("start-year-float", {"s.toml": BASE + "start_year = 2024.0\n"}, ["check", "s.toml"],
     ["s.toml", "key 'start_year'", "2024.0", "a whole number"]),
    ("end-year-text", {"s.toml": BASE + 'end_year = "2035"\n'}, ["check", "s.toml"],
     ["key 'end_year'", "'2035'", "a whole number"]),
    ("uncertainty-bool", {"s.toml": BASE + "[uncertainties]\ntalent_competition = true\n"}, ["check", "s.toml"],
     ["s.toml", "uncertainties.talent_competition", "True", "allowed"]),
    ("uncertainty-text", {"s.toml": BASE + '[uncertainties]\ntalent_competition = "1.2"\n'}, ["check", "s.toml"],
     ["uncertainties.talent_competition", "'1.2'"]),
    ("per-direction-text", {"s.toml": BASE + '[uncertainties.market_growth]\nquantum = "0.1"\n'},
     ["check", "s.toml"], ["uncertainties.market_growth", "'0.1'"]),
    ("amount-text", {"s.toml": BASE + '[levers.rd_grants]\namount_100m_yuan_per_year = "3"\n'},
     ["check", "s.toml"], ["levers.rd_grants.amount_100m_yuan_per_year", "'3'", "a number"]),
    ("amount-bool", {"s.toml": BASE + "[levers.rd_grants]\namount_100m_yuan_per_year = true\n"},
     ["check", "s.toml"], ["levers.rd_grants.amount_100m_yuan_per_year", "True", "a number"]),
    ("lever-year-text", {"s.toml": BASE + '[levers.rd_grants]\nstart_year = "2026"\n'},
     ["check", "s.toml"], ["levers.rd_grants.start_year", "'2026'", "a whole number"]),
    ("title-number", {"s.toml": BASE + "title_zh = 3\n"}, ["check", "s.toml"], ["key 'title_zh'", "3", "text"]),
    ("lever-not-table", {"s.toml": BASE + "[levers]\nrd_grants = 5\n"}, ["check", "s.toml"],
     ["levers.rd_grants", "5", "allowed"]),
    ("on-exceed-choice", {"s.toml": BASE + '[budget]\non_exceed = "maybe"\n'}, ["check", "s.toml"],
     ["budget.on_exceed", "'maybe'", "refuse"]),
    ("empty-file", {"s.toml": ""}, ["check", "s.toml"], ["s.toml", "empty", "extends"]),
    ("only-comments", {"s.toml": "# nothing here\n\n"}, ["check", "s.toml"], ["s.toml", "empty"]),
    ("empty-file-run", {"s.toml": ""}, ["run", "s.toml", "--out", "out", "--workers", "1", "--no-progress"],
     ["s.toml", "empty"]),
    ("name-dotdot", {"s.toml": BASE + 'name = ".."\n'}, ["check", "s.toml"], ["key 'name'", "'..'", "matching"]),
    ("name-dot", {"s.toml": BASE + 'name = "."\n'}, ["check", "s.toml"], ["key 'name'", "'.'"]),
    ("name-slash", {"s.toml": BASE + 'name = "/"\n'}, ["check", "s.toml"], ["key 'name'", "'/'"]),
    ("name-absolute", {"s.toml": BASE + 'name = "/tmp/evil"\n'}, ["check", "s.toml"], ["key 'name'", "/tmp/evil"]),
    ("name-parent", {"s.toml": BASE + 'name = "../escape"\n'}, ["check", "s.toml"], ["key 'name'", "../escape"]),
    ("name-hidden", {"s.toml": BASE + 'name = ".hidden"\n'}, ["check", "s.toml"], ["key 'name'", ".hidden"]),
    ("name-empty", {"s.toml": BASE + 'name = ""\n'}, ["check", "s.toml"], ["key 'name'", "''"]),
    ("name-too-long", {"s.toml": BASE + f'name = "{"a" * 100}"\n'}, ["check", "s.toml"], ["key 'name'", "80"]),
    ("name-dotdot-run", {"s.toml": BASE + 'name = ".."\n'},
     ["run", "s.toml", "--workers", "1", "--no-progress"], ["key 'name'", "'..'"]),
    ("region-escape", {"s.toml": BASE + 'region = "../../../tmp/x"\n'}, ["check", "s.toml"],
     ["s.toml", "key 'region'", "../../../tmp/x", "ningbo"]),
    ("region-absolute", {"s.toml": BASE + 'region = "/etc"\n'}, ["check", "s.toml"], ["key 'region'", "/etc"]),
    ("region-unknown", {"s.toml": BASE + 'region = "hangzhou"\n'}, ["check", "s.toml"],
     ["key 'region'", "hangzhou", "ningbo"]),
    ("region-number", {"s.toml": BASE + "region = 3\n"}, ["check", "s.toml"], ["key 'region'", "3"]),
    ("draws-absolute", {"s.toml": BASE + 'parameter_draws = "/etc/passwd"\n'}, ["check", "s.toml"],
     ["s.toml", "key 'parameter_draws'", "/etc/passwd", "calibrated"]),
    ("draws-escape", {"s.toml": BASE + 'parameter_draws = "../../../x.csv"\n'}, ["check", "s.toml"],
     ["key 'parameter_draws'", "../../../x.csv", "outside"]),
    ("draws-missing", {"s.toml": BASE + 'parameter_draws = "missing.csv"\n'}, ["check", "s.toml"],
     ["s.toml", "key 'parameter_draws'", "missing.csv", "not found"]),
    ("draws-no-draw-column", {"s.toml": BASE + 'parameter_draws = "d.csv"\n', "d.csv": "a,b\n1,2\n"},
     ["check", "s.toml"], ["key 'parameter_draws'", "d.csv", "'draw' column"]),
    ("draws-random-bytes", {"s.toml": BASE + 'parameter_draws = "d.csv"\n', "d.csv": RANDOM_BYTES},
     ["check", "s.toml"], ["key 'parameter_draws'", "d.csv"]),
    ("draws-empty", {"s.toml": BASE + 'parameter_draws = "d.csv"\n', "d.csv": ""},
     ["check", "s.toml"], ["key 'parameter_draws'", "d.csv"]),
    ("extends-base-unknown-key", {"base.toml": BASE + "budjet = 3\n", "s.toml": 'extends = "base.toml"\n'},
     ["check", "s.toml"], ["base.toml", "key 'budjet'", "budget"]),
    ("extends-base-bad-type", {"base.toml": BASE + 'start_year = "2024"\n', "s.toml": 'extends = "base.toml"\n'},
     ["check", "s.toml"], ["base.toml", "key 'start_year'", "'2024'"]),
    ("extends-middle-bad-lever", {"a.toml": BASE + "[levers.rd_grants]\namount_100m_yuan_per_year = -1\n",
                                  "b.toml": 'extends = "a.toml"\ntitle_en = "b"\n',
                                  "s.toml": 'extends = "b.toml"\ntitle_en = "s"\n'},
     ["check", "s.toml"], ["a.toml", "levers.rd_grants.amount_100m_yuan_per_year", "-1", ">= 0"]),
    ("extends-base-bad-uncertainty", {"base.toml": BASE + "[uncertainties]\ntalent_competition = 9\n",
                                      "s.toml": 'extends = "base.toml"\n'},
     ["check", "s.toml"], ["base.toml", "uncertainties.talent_competition", "9", "0.7 to 1.6"]),
    ("extends-cycle", {"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'}, ["check", "a.toml"],
     ["key 'extends'", "cycle"]),
    ("extends-number", {"s.toml": "extends = 3\n"}, ["check", "s.toml"], ["key 'extends'", "3", "scenario name"]),
    ("extends-missing", {"s.toml": 'extends = "nowhere"\n'}, ["check", "s.toml"],
     ["key 'extends'", "nowhere", "baseline"]),
    ("extends-base-gbk", {"base.toml": (BASE + 'title_zh = "宁波"\n').encode("gbk"), "s.toml": 'extends = "base"\n'},
     ["check", "s.toml"], ["base.toml", "not UTF-8"]),
    ("unknown-top-key", {"s.toml": BASE + "budjet = 3\n"}, ["check", "s.toml"], ["key 'budjet'", "budget"]),
    ("unknown-lever", {"s.toml": BASE + "[levers.rd_grant]\namount_100m_yuan_per_year = 3\n"}, ["check", "s.toml"],
     ["levers.rd_grant", "rd_grants"]),
    ("negative-amount", {"s.toml": BASE + "[levers.rd_grants]\namount_100m_yuan_per_year = -3\n"},
     ["check", "s.toml"], ["levers.rd_grants.amount_100m_yuan_per_year", "-3", ">= 0"]),
    ("nan-amount", {"s.toml": BASE + "[levers.rd_grants]\namount_100m_yuan_per_year = nan\n"},
     ["check", "s.toml"], ["levers.rd_grants.amount_100m_yuan_per_year", "nan"]),
    ("inf-amount", {"s.toml": BASE + "[levers.rd_grants]\namount_100m_yuan_per_year = inf\n"},
     ["check", "s.toml"], ["levers.rd_grants.amount_100m_yuan_per_year", "inf"]),
    ("allocation-sum", {"s.toml": BASE + "[levers.rd_grants]\nallocation = { quantum = 0.5, aerospace = 0.4 }\n"},
     ["check", "s.toml"], ["levers.rd_grants.allocation", "sum to 1"]),
    ("priority-direction", {"s.toml": BASE + "[priorities]\nshares = { quantom = 1.0 }\n"}, ["check", "s.toml"],
     ["priorities.shares", "quantum"]),
    ("start-year-1900", {"s.toml": BASE + "start_year = 1900\n"}, ["check", "s.toml"],
     ["key 'start_year'", "1900", ">= 2015"]),
    ("end-before-start", {"s.toml": BASE + "end_year = 2020\n"}, ["check", "s.toml"], ["key 'end_year'", "2020"]),
    ("not-found", {}, ["check", "nowhere.toml"], ["nowhere.toml", "not found", "baseline"]),
    ("a-folder", {"d/x.txt": "x"}, ["check", "d"], ["not found"]),
]

SWEEP_CASES = [
    ("gbk", {"w.toml": (GOOD_SWEEP + 'title_zh = "宁波"\n').encode("gbk")}, ["sweep", "w.toml", "--check"],
     ["w.toml", "not UTF-8"]),
    ("random-bytes", {"w.toml": RANDOM_BYTES}, ["sweep", "w.toml", "--check"], ["w.toml", "not UTF-8"]),
    ("deep-array", {"w.toml": DEEP_ARRAY}, ["sweep", "w.toml", "--check"], ["w.toml", "nested too deeply"]),
    ("deep-table", {"w.toml": DEEP_TABLE}, ["sweep", "w.toml", "--check"], ["w.toml", "nested too deeply"]),
    ("syntax", {"w.toml": GOOD_SWEEP + "samples = \n"}, ["sweep", "w.toml", "--check"], ["w.toml", "not valid TOML"]),
    ("samples-text", {"w.toml": sweep(samples='"4"')}, ["sweep", "w.toml", "--check"],
     ["w.toml", "key 'samples'", "'4'", "a whole number"]),
    ("samples-float", {"w.toml": sweep(samples="4.0")}, ["sweep", "w.toml", "--check"],
     ["key 'samples'", "4.0", "a whole number"]),
    ("samples-bool", {"w.toml": sweep(samples="true")}, ["sweep", "w.toml", "--check"], ["key 'samples'", "True"]),
    ("targets-text", {"w.toml": sweep(targets='"yes"')}, ["sweep", "w.toml", "--check"],
     ["key 'targets'", "'yes'", "true or false"]),
    ("targets-number", {"w.toml": sweep(targets="1")}, ["sweep", "w.toml", "--check"],
     ["key 'targets'", "1", "true or false"]),
    ("replicates-bool", {"w.toml": sweep(replicates="true")}, ["sweep", "w.toml", "--check"],
     ["key 'replicates'", "True", "a whole number"]),
    ("seed-text", {"w.toml": sweep(seed='"7"')}, ["sweep", "w.toml", "--check"], ["key 'seed'", "'7'"]),
    ("years-text", {"w.toml": sweep(years='["2027"]')}, ["sweep", "w.toml", "--check"],
     ["years.0", "'2027'", "a whole number"]),
    ("factors-text", {"w.toml": sweep(factors='"parameters.startup_rate"')}, ["sweep", "w.toml", "--check"],
     ["key 'factors'", "parameters.startup_rate", "allowed"]),
    ("option-text", {"w.toml": GOOD_SWEEP + '[morris]\nnum_levels = "4"\n'}, ["sweep", "w.toml", "--check"],
     ["morris.num_levels", "'4'", "a whole number"]),
    ("name-dotdot", {"w.toml": sweep(name='".."')}, ["sweep", "w.toml", "--check"], ["key 'name'", "'..'"]),
    ("name-dotdot-run", {"w.toml": sweep(name='".."')}, ["sweep", "w.toml", "--workers", "1", "--no-progress"],
     ["key 'name'", "'..'"]),
    ("name-slash", {"w.toml": sweep(name='"/"')}, ["sweep", "w.toml", "--check"], ["key 'name'", "'/'"]),
    ("name-absolute", {"w.toml": sweep(name='"/tmp/evil"')}, ["sweep", "w.toml", "--check"],
     ["key 'name'", "/tmp/evil"]),
    ("empty-file", {"w.toml": ""}, ["sweep", "w.toml", "--check"], ["w.toml", "missing key"]),
    ("method-unknown", {"w.toml": sweep(method='"magic"')}, ["sweep", "w.toml", "--check"],
     ["key 'method'", "'magic'", "sobol"]),
    ("factor-unknown", {"w.toml": sweep(factors='["parameters.nope"]')}, ["sweep", "w.toml", "--check"],
     ["factors.0", "parameters.nope", "known"]),
    ("factor-twice", {"w.toml": sweep(factors='["parameters.startup_rate", "parameters.startup_rate"]')},
     ["sweep", "w.toml", "--check"], ["factors.1", "parameters.startup_rate", "each factor once"]),
    ("sobol-not-power-of-2", {"w.toml": sweep(method='"sobol"', samples="6")}, ["sweep", "w.toml", "--check"],
     ["key 'samples'", "6", "power of 2"]),
    ("samples-too-few", {"w.toml": sweep(samples="1")}, ["sweep", "w.toml", "--check"], ["key 'samples'", ">= 2"]),
    ("samples-too-many", {"w.toml": sweep(samples=str(2**40))}, ["sweep", "w.toml", "--check"],
     ["key 'samples'", str(2**40), "<= 1048576"]),
    ("unknown-key", {"w.toml": sweep(sampels="4")}, ["sweep", "w.toml", "--check"], ["key 'sampels'", "samples"]),
    ("scenario-missing", {"w.toml": sweep(scenario='"nowhere"')}, ["sweep", "w.toml", "--check"],
     ["w.toml", "key 'scenario'", "nowhere"]),
    ("scenario-bad", {"w.toml": sweep(scenario='"s.toml"'), "s.toml": BASE + 'start_year = "2024"\n'},
     ["sweep", "w.toml", "--check"], ["s.toml", "key 'start_year'", "'2024'"]),
    ("scheduler-not-address", {"w.toml": GOOD_SWEEP + '[execution]\nscheduler = "evil.example.com"\n'},
     ["sweep", "w.toml", "--check"], ["w.toml", "execution.scheduler", "evil.example.com", "matching"]),
    ("scheduler-http", {"w.toml": GOOD_SWEEP + '[execution]\nscheduler = "http://h:8786"\n'},
     ["sweep", "w.toml", "--check"], ["execution.scheduler", "http://h:8786"]),
    ("workers-zero", {"w.toml": GOOD_SWEEP + "[execution]\nworkers = 0\n"}, ["sweep", "w.toml", "--check"],
     ["execution.workers", "0", ">= 1"]),
    ("year-outside", {"w.toml": sweep(years="[2050]")}, ["sweep", "w.toml", "--check"],
     ["years.0", "2050", "2024 to 2035"]),
    ("output-unknown", {"w.toml": sweep(outputs='["nope"]')}, ["sweep", "w.toml", "--check"],
     ["outputs.0", "nope", "allowed"]),
    ("morris-odd-levels", {"w.toml": GOOD_SWEEP + "[morris]\nnum_levels = 5\n"}, ["sweep", "w.toml", "--check"],
     ["morris.num_levels", "5", "even"]),
    ("group-member-unknown", {"w.toml": GOOD_SWEEP + '[groups]\ng = ["parameters.nope"]\n'},
     ["sweep", "w.toml", "--check"], ["groups.g.0", "parameters.nope"]),
    ("not-found", {}, ["sweep", "nowhere.toml", "--check"], ["nowhere.toml", "not found", "baseline_morris"]),
]

TARGET_CASES = [
    ("threshold-nan", {"t.toml": target(threshold="nan")}, ["check", "baseline", "--targets", "t.toml"],
     ["t.toml", "target.0.threshold", "nan", "finite"]),
    ("threshold-minus-inf", {"t.toml": target(threshold="-inf")}, ["check", "baseline", "--targets", "t.toml"],
     ["t.toml", "target.0.threshold", "-inf", "finite"]),
    ("threshold-inf", {"t.toml": target(threshold="inf")}, ["check", "baseline", "--targets", "t.toml"],
     ["target.0.threshold", "inf"]),
    ("threshold-text", {"t.toml": target(threshold='"20"')}, ["check", "baseline", "--targets", "t.toml"],
     ["target.0.threshold", "'20'", "a number"]),
    ("threshold-bool", {"t.toml": target(threshold="true")}, ["check", "baseline", "--targets", "t.toml"],
     ["target.0.threshold", "True", "a number"]),
    ("year-text", {"t.toml": target(year='"2027"')}, ["check", "baseline", "--targets", "t.toml"],
     ["target.0.year", "'2027'", "a whole number"]),
    ("year-1900", {"t.toml": target(year="1900")}, ["check", "baseline", "--targets", "t.toml"],
     ["target.0.year", "1900", ">= 2015"]),
    ("comparator", {"t.toml": target(comparator='">"')}, ["check", "baseline", "--targets", "t.toml"],
     ["target.0.comparator", "'>'", ">="]),
    ("indicator-unknown", {"t.toml": target(indicator='"nope"')}, ["check", "baseline", "--targets", "t.toml"],
     ["target.0.indicator", "nope", "breakthroughs"]),
    ("unknown-key", {"t.toml": target(treshold="3")}, ["check", "baseline", "--targets", "t.toml"],
     ["target.0.treshold", "threshold"]),
    ("duplicate-ids", {"t.toml": GOOD_TARGET + GOOD_TARGET.split("base_year = 2024\n")[1]},
     ["check", "baseline", "--targets", "t.toml"], ["t.toml", "target.1.id", "'a'", "a different id"]),
    ("empty-list", {"t.toml": 'policy = "p"\nbase_year = 2024\ntarget = []\n'},
     ["check", "baseline", "--targets", "t.toml"], ["t.toml", "key 'target'", "at least 1"]),
    ("no-targets", {"t.toml": 'policy = "p"\nbase_year = 2024\n'}, ["check", "baseline", "--targets", "t.toml"],
     ["t.toml", "key 'target'", "missing"]),
    ("target-text", {"t.toml": 'policy = "p"\nbase_year = 2024\ntarget = "yes"\n'},
     ["check", "baseline", "--targets", "t.toml"], ["key 'target'", "'yes'", "an array"]),
    ("base-year-text", {"t.toml": GOOD_TARGET.replace("base_year = 2024", 'base_year = "2024"')},
     ["check", "baseline", "--targets", "t.toml"], ["key 'base_year'", "'2024'"]),
    ("gbk", {"t.toml": (GOOD_TARGET.replace('clause = "c"', 'clause = "到2027年"')).encode("gbk")},
     ["check", "baseline", "--targets", "t.toml"], ["t.toml", "not UTF-8"]),
    ("random-bytes", {"t.toml": RANDOM_BYTES}, ["check", "baseline", "--targets", "t.toml"], ["t.toml", "not UTF-8"]),
    ("deep-array", {"t.toml": DEEP_ARRAY}, ["check", "baseline", "--targets", "t.toml"], ["nested too deeply"]),
    ("empty-file", {"t.toml": ""}, ["check", "baseline", "--targets", "t.toml"], ["t.toml", "missing key"]),
    ("not-found", {}, ["check", "baseline", "--targets", "nowhere.toml"], ["nowhere.toml", "not found"]),
    ("nan-on-run", {"t.toml": target(threshold="nan")},
     ["run", "baseline", "--targets", "t.toml", "--out", "out", "--workers", "1", "--no-progress"],
     ["t.toml", "target.0.threshold", "nan"]),
    ("duplicate-on-run", {"t.toml": GOOD_TARGET + GOOD_TARGET.split("base_year = 2024\n")[1]},
     ["run", "baseline", "--targets", "t.toml", "--workers", "1", "--no-progress"], ["t.toml", "target.1.id"]),
]

RUN = ["run", "baseline", "--workers", "1", "--no-progress", "--out", "out"]
USER_FILES = {"mine/targets.csv": "my own table\n", "mine/charts/board.html": "<p>mine</p>\n"}
CLI_CASES = [
    ("replicates-billion", {}, ["run", "baseline", "--replicates", "1000000000"],
     ["--replicates", "1000000000", "1 or more (at most 100,000)"]),
    ("replicates-zero", {}, ["run", "baseline", "--replicates", "0"], ["--replicates", "0", "1 or more"]),
    ("replicates-negative", {}, ["run", "baseline", "--replicates", "-5"], ["--replicates", "-5"]),
    ("replicates-text", {}, ["run", "baseline", "--replicates", "abc"], ["--replicates", "'abc'", "--help"]),
    ("replicates-float", {}, ["run", "baseline", "--replicates", "1e3"], ["--replicates", "'1e3'"]),
    ("seed-negative", {}, ["run", "baseline", "--seed", "-1"], ["--seed", "-1", "0 or more"]),
    ("seed-huge", {}, ["run", "baseline", "--seed", str(2**70)], ["--seed", str(2**70)]),
    ("timeout-inf", {}, [*RUN, "--run-timeout", "inf"], ["--run-timeout", "inf", "finite"]),
    ("timeout-nan", {}, [*RUN, "--run-timeout", "nan"], ["--run-timeout", "nan"]),
    ("timeout-negative", {}, [*RUN, "--run-timeout", "-3"], ["--run-timeout", "-3"]),
    ("timeout-zero", {}, [*RUN, "--run-timeout", "0"], ["--run-timeout", "0"]),
    ("timeout-text", {}, [*RUN, "--run-timeout", "soon"], ["--run-timeout", "'soon'"]),
    ("workers-zero", {}, ["run", "baseline", "--workers", "0", "--out", "out"], ["--workers", "0", "1 or more"]),
    ("workers-huge", {}, ["run", "baseline", "--workers", "100000", "--out", "out"], ["--workers", "100000"]),
    ("out-proc", {}, ["run", "baseline", "--out", "/proc/weilai-test"], ["--out", "/proc/weilai-test"]),
    ("out-sys", {}, ["run", "baseline", "--out", "/sys/weilai"], ["--out", "/sys/weilai"]),
    ("out-is-file", {"f.txt": "mine"}, ["run", "baseline", "--out", "f.txt"], ["--out", "f.txt", "a file"]),
    ("out-under-file", {"f.txt": "mine"}, ["run", "baseline", "--out", "f.txt/sub"], ["--out", "f.txt/sub"]),
    ("out-not-a-store", USER_FILES, ["run", "baseline", "--out", "mine"], ["--out", "mine", "not a result store"]),
    ("out-empty-string", {"x.txt": "mine"}, ["run", "baseline", "--out", ""], ["--out", "not a result store"]),
    ("lang", {}, ["run", "baseline", "--lang", "fr"], ["--lang", "'fr'", "zh"]),
    ("detail", {}, ["run", "baseline", "--detail", "some"], ["--detail", "'some'", "full"]),
    ("ci-width-zero", {}, [*RUN, "--ci-width", "0"], ["--ci-width", "0", "between 0 and 1"]),
    ("ci-width-big", {}, [*RUN, "--ci-width", "1.5"], ["--ci-width", "1.5"]),
    ("ci-width-nan", {}, [*RUN, "--ci-width", "nan"], ["--ci-width", "nan"]),
    ("batch-zero", {}, [*RUN, "--ci-width", "0.1", "--batch", "0"], ["--batch", "0"]),
    ("max-replicates-low", {}, [*RUN, "--ci-width", "0.1", "--replicates", "50", "--max-replicates", "10"],
     ["--max-replicates", "10", "50 or more"]),
    ("scheduler-not-address", {}, [*RUN, "--scheduler", "nonsense"], ["--scheduler", "'nonsense'", "tcp://"]),
    ("scheduler-no-port", {}, [*RUN, "--scheduler", "tcp://host"], ["--scheduler", "tcp://host"]),
    ("scheduler-bad-port", {}, [*RUN, "--scheduler", "tcp://h:99999"], ["--scheduler", "99999", "1 to 65535"]),
    ("scheduler-http", {}, [*RUN, "--scheduler", "http://h:8786"], ["--scheduler", "http://h:8786"]),
    ("scheduler-env", {}, RUN, ["WEILAI_SCHEDULER", "environment", "'bogus'"], {"WEILAI_SCHEDULER": "bogus"}),
    ("scheduler-env-sweep", {"w.toml": GOOD_SWEEP}, ["sweep", "w.toml", "--out", "out", "--no-progress"],
     ["WEILAI_SCHEDULER", "'udp://x:1'"], {"WEILAI_SCHEDULER": "udp://x:1"}),
    ("scheduler-in-sweep-run", {"w.toml": GOOD_SWEEP + '[execution]\nscheduler = "tcp://evil"\n'},
     ["sweep", "w.toml", "--out", "out"], ["w.toml", "execution.scheduler", "tcp://evil"]),
    ("tls-file-missing", {}, [*RUN, "--scheduler", "tls://h:8786", "--tls-ca-file", "ca.pem", "--tls-cert", "c.pem",
                               "--tls-key", "k.pem"], ["--tls-ca-file", "ca.pem", "PEM"]),
    ("tls-incomplete", {"ca.pem": "x"}, [*RUN, "--scheduler", "tls://h:8786", "--tls-ca-file", "ca.pem"],
     ["--tls-cert", "all three"]),
    ("model-missing-function", {}, [*RUN, "--model", "os:no_such_function"], ["--model", "os:no_such_function"]),
    ("model-missing-module", {}, [*RUN, "--model", "no_such_module_xyz:f"], ["--model", "no_such_module_xyz:f"]),
    ("model-not-callable", {}, [*RUN, "--model", "os:sep"], ["--model", "os:sep", "module:function"]),
    ("unknown-option", {}, ["run", "baseline", "--bogus"], ["--bogus", "--help"]),
    ("unknown-command", {}, ["explode"], ["'explode'", "run"]),
    ("no-command", {}, [], ["COMMAND", "--help"]),
    ("scenario-not-found", {}, ["run", "nowhere", "--out", "out"], ["nowhere", "not found", "baseline"]),
    ("compare-one-replicate", {}, ["compare", "baseline", "zero_policy", "--replicates", "1"],
     ["--replicates", "1", "2 or more"]),
    ("compare-billion", {}, ["compare", "baseline", "zero_policy", "--replicates", "1000000000"],
     ["--replicates", "1000000000"]),
    ("compare-seed", {}, ["compare", "baseline", "zero_policy", "--seed", "-3"], ["--seed", "-3"]),
    ("compare-out-file", {"f.txt": "mine"}, ["compare", "baseline", "zero_policy", "--out", "f.txt"],
     ["--out", "f.txt"]),
    ("compare-out-not-store", USER_FILES, ["compare", "baseline", "zero_policy", "--out", "mine"],
     ["--out", "mine", "not a result store"]),
    ("compare-timeout-inf", {}, ["compare", "baseline", "zero_policy", "--out", "out", "--run-timeout", "inf"],
     ["--run-timeout", "inf"]),
    ("sweep-chunk-zero", {"w.toml": GOOD_SWEEP}, ["sweep", "w.toml", "--chunk-size", "0", "--out", "out"],
     ["--chunk-size", "0"]),
    ("sweep-out-proc", {"w.toml": GOOD_SWEEP}, ["sweep", "w.toml", "--out", "/proc/x"], ["--out", "/proc/x"]),
    ("sweep-out-file", {"w.toml": GOOD_SWEEP, "f.txt": "x"}, ["sweep", "w.toml", "--out", "f.txt"],
     ["--out", "f.txt"]),
    ("sweep-out-not-store", {"w.toml": GOOD_SWEEP, **USER_FILES}, ["sweep", "w.toml", "--out", "mine"],
     ["--out", "mine", "not a result store"]),
    ("sweep-workers-zero", {"w.toml": GOOD_SWEEP}, ["sweep", "w.toml", "--workers", "0", "--out", "out"],
     ["--workers", "0"]),
    ("analyze-top-negative", A_STORE, ["analyze", "store", "--top", "-1"], ["--top", "-1", "1 or more"]),
    ("analyze-years-1900", A_STORE, ["analyze", "store", "--years", "1900"], ["--years", "1900", "2024 to 2035"]),
    ("analyze-years-2099", A_STORE, ["analyze", "store", "--years", "2027", "2099"], ["--years", "2099"]),
    ("analyze-out-file", {**A_STORE, "f.txt": "mine"}, ["analyze", "store", "--out", "f.txt"], ["--out", "f.txt"]),
    ("analyze-out-proc", A_STORE, ["analyze", "store", "--out", "/proc/x"], ["--out", "/proc/x"]),
    ("analyze-out-user-folder", {**A_STORE, **USER_FILES}, ["analyze", "store", "--out", "mine"],
     ["--out", "mine", "other files"]),
    ("analyze-not-a-store", {"d/x.txt": "x"}, ["analyze", "d"], ["d", "no manifest.json", "weilai sweep"]),
    ("analyze-years-text", A_STORE, ["analyze", "store", "--years", "next"], ["--years", "'next'"]),
    ("brief-out-existing-dir", {"existing/x.txt": "x"}, ["brief", "store", "--out", "existing"],
     ["--out", "existing", "a folder"]),
    ("brief-out-under-file", {"f.txt": "x"}, ["brief", "store", "--out", "f.txt/brief.html"],
     ["--out", "f.txt/brief.html"]),
    ("brief-out-proc", {}, ["brief", "store", "--out", "/proc/brief.html"], ["--out", "/proc/brief.html"]),
    ("brief-lang", {}, ["brief", "store", "--lang", "fr"], ["--lang", "'fr'"]),
    ("status-not-a-store", {"d/x.txt": "x"}, ["status", "d"], ["d", "no manifest.json", "weilai run"]),
    ("calibrate-seed", {}, ["calibrate", "--seed", "-1", "--out", "cal"], ["--seed", "-1", "0 or more"]),
    ("calibrate-workers", {}, ["calibrate", "--workers", "0", "--out", "cal"], ["--workers", "0", "1 or more"]),
]


def _cases(kind: str, cases: list) -> list:
    return [pytest.param(*case[1:4], case[4] if len(case) > 4 else {}, id=f"{kind}-{case[0]}") for case in cases]


ALL_CASES = (_cases("scenario", SCENARIO_CASES) + _cases("sweep", SWEEP_CASES) + _cases("targets", TARGET_CASES)
             + _cases("cli", CLI_CASES))


def tree_state(folder: Path) -> str:
    """A hash of every folder name, file name and file content under ``folder``."""
    digest = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(folder)):
        dirs.sort()
        digest.update(f"D {Path(root).relative_to(folder)}\n".encode())
        for name in sorted(files):
            file = Path(root) / name
            digest.update(f"F {file.relative_to(folder)} ".encode() + hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


@pytest.mark.parametrize(("files", "argv", "words", "env"), ALL_CASES)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, monkeypatch, capsys, files, argv, words, env):
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WEILAI_SCHEDULER", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = tree_state(tmp_path)

    status = main(argv)

    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, (out, err)
    assert len(lines) == 1, err
    assert "Traceback" not in err + out
    line = lines[0]
    assert line.startswith("weilai: error: ")
    assert "allowed" in line or "--help" in line, line  # says what is allowed
    for word in words:
        assert word in line, (word, line)
    assert tree_state(tmp_path) == before, "the folder changed"


def test_there_are_at_least_a_hundred_distinct_cases():
    ids = [p.id for p in ALL_CASES]
    assert len(ids) == len(set(ids)) >= 100
    kinds = {i.split("-", 1)[0] for i in ids}
    assert kinds == {"scenario", "sweep", "targets", "cli"}


def test_a_scenario_may_name_draws_in_its_own_folder(tmp_path, monkeypatch):
    """Draws beside the scenario file are allowed wherever that folder is (a calibration written outside
    the project keeps its identification scenario and draws together); a folder above it is not."""
    from sim.core.errors import InputError
    from sim.scenario.loading import check_draws_reference

    folder = tmp_path / "elsewhere" / "identification"
    folder.mkdir(parents=True)
    draws = folder / "draws.csv"
    draws.write_text("draw,parameters.startup_rate\n0,20\n", encoding="utf-8")
    above = tmp_path / "elsewhere" / "draws.csv"
    above.write_text("draw,parameters.startup_rate\n0,20\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    check_draws_reference(str(draws), folder / "s.toml")  # no error
    with pytest.raises(InputError, match="outside the allowed folders"):
        check_draws_reference(str(above), folder / "s.toml")
