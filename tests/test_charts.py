"""Chart builders: the specs hold the aggregated numbers (checked against quantiles computed here),
the right labels in Chinese and English, and the provenance footnote."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from sim.core.errors import InputError
from sim.presentation import charts as C
from sim.scenario.loading import load_scenario

CJK = re.compile(r"[\u3400-\u9fff]")


def datasets(chart) -> list[pd.DataFrame]:
    spec = chart.to_dict()
    return [pd.DataFrame(rows) for rows in spec.get("datasets", {}).values()]


def dataset_with(chart, *columns: str) -> pd.DataFrame:
    found = [d for d in datasets(chart) if set(columns) <= set(d.columns)]
    assert found, f"no dataset with {columns}"
    return max(found, key=len)


def spec_text(chart) -> str:
    spec = chart.to_dict()
    spec.pop("config", None)  # the font list is the same in both languages
    return json.dumps(spec, ensure_ascii=False)


def test_summarise_equals_numpy_quantiles():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"g": np.repeat(["a", "b"], 50), "value": rng.gamma(2.0, 3.0, 100)})
    table = C.summarise(frame, ["g"]).set_index("g")
    for g in ("a", "b"):
        values = frame[frame["g"] == g]["value"].to_numpy()
        for column, q in C.QUANTILES.items():
            assert table.loc[g, column] == pytest.approx(np.quantile(values, q))
        assert table.loc[g, "n"] == 50


@pytest.mark.parametrize("p, expected", [(1.0, "likely"), (0.8, "likely"), (0.7999, "at_risk"), (0.4, "at_risk"),
                                         (0.3999, "unlikely"), (0.0, "unlikely"), (float("nan"), "no_data")])
def test_likelihood_thresholds(p, expected):
    assert C.likelihood(p) == expected


def test_fan_chart_draws_quantiles_across_replicates(results, source):
    chart = C.fan_chart(results, "head_enterprises", lang="zh", source=source)
    drawn = dataset_with(chart, "p05", "p25", "median", "p75", "p95", "scenario", "year")
    city = results[(results["indicator"] == "head_enterprises") & (results["direction"] == "all")
                   & (results["district"] == "all")]
    # aggregated, not a replicate dump: one row per scenario and year
    assert len(drawn) == city["scenario"].nunique() * city["year"].nunique()
    for row in drawn.itertuples():
        values = city[(city["scenario"] == row.scenario) & (city["year"] == row.year)]["value"].to_numpy()
        assert len(values) == 20
        assert row.median == pytest.approx(np.median(values))
        assert row.p05 == pytest.approx(np.quantile(values, 0.05))
        assert row.p95 == pytest.approx(np.quantile(values, 0.95))
        assert row.p25 == pytest.approx(np.quantile(values, 0.25))
    # the 2027 target of 10 head enterprises is marked
    goal = dataset_with(chart, "threshold", "text")
    assert goal.to_dict("records")[0]["threshold"] == 10 and "2027年目标" in goal["text"].iloc[0]


def test_fan_chart_chinese_and_english_titles(results, source):
    zh = C.fan_chart(results, "head_enterprises", lang="zh", source=source).to_dict()
    en = C.fan_chart(results, "head_enterprises", lang="en", source=source)
    assert zh["title"]["text"].startswith("全市未来产业头部企业（家）")
    assert en.to_dict()["title"]["text"].startswith("Head enterprises (firms)")
    assert "人才与平台加码情景" in spec_text(C.fan_chart(results, "head_enterprises", source=source))
    assert not CJK.search(spec_text(en)), "English chart has Chinese text"


def test_fan_chart_of_a_direction_and_share_indicator(results):
    chart = C.fan_chart(results, "revenue_100m_yuan", direction="quantum", lang="zh")
    drawn = dataset_with(chart, "median", "year")
    rows = results[(results["indicator"] == "revenue_100m_yuan") & (results["direction"] == "quantum")
                   & (results["scenario"] == "baseline") & (results["year"] == 2030)]
    assert drawn[(drawn["scenario"] == "baseline") & (drawn["year"] == 2030)]["median"].iloc[0] == pytest.approx(
        np.median(rows["value"]))
    assert chart.to_dict()["title"]["text"].startswith("量子科技未来产业营业收入（亿元）")
    share = dataset_with(C.fan_chart(results, "future_industry_va_share"), "median")
    raw = results[(results["indicator"] == "future_industry_va_share") & (results["year"] == 2035)
                  & (results["scenario"] == "baseline")]["value"]
    assert share[(share["year"] == 2035) & (share["scenario"] == "baseline")]["median"].iloc[0] == pytest.approx(
        100 * np.median(raw))


def test_fan_chart_refuses_unknown_indicator(results):
    with pytest.raises(InputError, match="no results for this indicator"):
        C.fan_chart(results, "no_such_indicator")


def test_fan_charts_small_multiples(results, source):
    chart = C.fan_charts(results, ["head_enterprises", "breakthroughs"], lang="en", source=source)
    spec = chart.to_dict()
    panels = spec["vconcat"][0]["concat"]
    assert [p["title"]["text"] for p in panels] == ["Head enterprises (firms)", "Key future-technology breakthroughs (breakthroughs)"]
    # two scenarios share one colour scale: no layer may switch the merged legend off
    colours = [layer["encoding"]["color"] for p in panels for layer in p["layer"] if "color" in layer.get("encoding", {})]
    assert len(results["scenario"].unique()) > 1 and colours
    assert all(c.get("legend") is not None and c["field"] == "scenario_title" for c in colours)
    with pytest.raises(InputError, match="not in the results"):
        C.fan_charts(results, ["nope"])


def test_target_board_shows_evaluated_numbers_and_classes(targets_table, source, ensemble_store):
    chart = C.target_board(targets_table, "baseline", "zh", source)
    drawn = dataset_with(chart, "probability", "likelihood", "progress_median").set_index("target")
    expected = targets_table[targets_table["scenario"] == "baseline"].set_index("target")
    assert set(drawn.index) == set(expected.index) and len(drawn) == 14
    for target, row in expected.iterrows():
        assert drawn.loc[target, "probability"] == pytest.approx(row["probability"])
        assert drawn.loc[target, "median"] == pytest.approx(row["median"])
        assert drawn.loc[target, "progress_median"] == pytest.approx(row["median"] / row["threshold"])
        assert drawn.loc[target, "likelihood"] == C.likelihood(row["probability"])
    # 2027 targets before 2035 ones
    assert list(drawn["year"]) == sorted(drawn["year"])
    spec = chart.to_dict()
    assert spec["title"]["text"] == "目标达成看板｜基准情景：2024年现行政策延续"
    text = spec_text(chart)
    manifest = ensemble_store.manifest
    assert manifest["code_version"] in text and "基准种子 2024" in text and "20次重复" in text
    assert "很可能达成" in text and "有风险" in text and "难以达成" in text
    en = C.target_board(targets_table, "talent_push", "en", source)
    assert en.to_dict()["title"]["text"] == "Target board: More talent and platforms"
    assert not CJK.search(spec_text(en))


def test_target_board_unknown_scenario(targets_table):
    with pytest.raises(InputError, match="no evaluated targets"):
        C.target_board(targets_table, "nope")


def test_comparison_chart_reads_the_compare_schema(comparison_file, source):
    table = pd.read_csv(comparison_file)
    chart = C.comparison_chart(table, "zh", source)
    drawn = dataset_with(chart, "difference", "verdict", "label").drop_duplicates("target").set_index("target")
    for row in table.itertuples():
        assert drawn.loc[row.target, "difference"] == pytest.approx(row.probability_b - row.probability_a)
        verdict = "B更好" if row.difference_low > 0 else "B更差" if row.difference_high < 0 else "无显著差异"
        assert drawn.loc[row.target, "verdict"] == verdict
    cost_a, cost_b = table["cost_a_100m_yuan"].iloc[0], table["cost_b_100m_yuan"].iloc[0]
    assert f"A {cost_a:,.1f} 亿元，B {cost_b:,.1f} 亿元" in json.dumps(chart.to_dict()["title"], ensure_ascii=False)
    # a table with the difference as a - b is drawn as b - a all the same
    flipped = table.assign(difference=-table["difference"], difference_low=-table["difference_high"],
                           difference_high=-table["difference_low"])
    redrawn = dataset_with(C.comparison_chart(flipped, "en"), "difference", "verdict").drop_duplicates("target").set_index("target")
    assert np.allclose(redrawn["difference"], drawn["difference"])
    with pytest.raises(InputError, match="not a comparison table"):
        C.comparison_chart(table.drop(columns=["difference_low"]))


def test_sobol_chart_ranks_by_total_index_with_intervals(source):
    from synthetic import synthetic_indices

    indices = synthetic_indices()
    chart = C.sobol_chart(indices, "head_enterprises", lang="zh", top=5, source=source)
    drawn = dataset_with(chart, "index", "low", "high", "factor_label")
    st = indices[(indices["method"] == "sobol") & (indices["output"] == "head_enterprises") & (indices["index"] == "ST")]
    top5 = list(st.sort_values("value", ascending=False)["factor"].head(5))
    assert set(drawn["factor"]) == set(top5)
    assert np.allclose(drawn["high"] - drawn["value"], drawn["conf"])
    assert "甬江人才工程·领军人才" in set(drawn["factor_label"])
    assert "全球市场增速·量子科技" in set(drawn["factor_label"])
    title = C.sobol_chart(indices, "P(head_enterprises_2027)", lang="zh").to_dict()["title"]["text"]
    assert "达成概率：未来产业头部企业（2027年 ≥ 10）" in title
    with pytest.raises(InputError, match="no sobol indices"):
        C.sobol_chart(indices, "breakthroughs")
    # a total index above 1 (an estimation artefact of too small a sample) is flagged in the subtitle
    assert "样本量不足" not in json.dumps(chart.to_dict()["title"], ensure_ascii=False)
    inflated = indices.copy()
    inflated.loc[st["value"].idxmax(), "value"] = 1.25
    for flagged in (C.sobol_chart(inflated, "head_enterprises", lang="zh"), C.sensitivity_ranking_chart(inflated)):
        assert "样本量不足" in json.dumps(flagged.to_dict()["title"], ensure_ascii=False)


def test_morris_and_ranking_charts():
    from synthetic import synthetic_indices

    indices = synthetic_indices()
    morris = dataset_with(C.morris_chart(indices, "head_enterprises", lang="en"), "mu_star", "sigma", "named")
    assert len(morris) == 8 and morris["mu_star"].is_monotonic_decreasing
    ranking = C.sensitivity_ranking(indices, top=3)
    mean_st = (indices[(indices["method"] == "sobol") & (indices["index"] == "ST")]
               .groupby("factor")["value"].mean().sort_values(ascending=False))
    assert set(ranking["factor"]) == set(mean_st.index[:3])
    chart = C.sensitivity_ranking_chart(indices, top=4)
    assert dataset_with(chart, "score", "output_label")["factor"].nunique() == 4


def test_spending_chart_sums_the_plan(ensemble_store, source):
    spending = ensemble_store.spending()
    chart = C.spending_chart(spending, "baseline", "zh", source)
    drawn = dataset_with(chart, "lever_label", "median", "project_label")
    plan = load_scenario("baseline").plan()
    assert drawn["median"].sum() == pytest.approx(plan.total_spending().sum())
    by_lever = plan.spending.groupby("lever")["value"].sum()
    for row in drawn.itertuples():
        assert row.median == pytest.approx(by_lever[row.lever])
    assert "1 未来技术策源" in set(drawn["project_label"]) and "研发补助" in set(drawn["lever_label"])


def test_spending_outcome_and_breakdowns(ensemble_store, results, source):
    spending = ensemble_store.spending()
    chart = C.spending_outcome_chart(spending, results, ["head_enterprises"], lang="zh", source=source)
    drawn = dataset_with(chart, "spent", "median", "direction").set_index("direction")
    rows = results[(results["scenario"] == "baseline") & (results["indicator"] == "head_enterprises")
                   & (results["year"] == 2027) & (results["district"] == "all")]
    money = spending[(spending["scenario"] == "baseline") & (spending["year"] <= 2027)].groupby("direction")["value"].sum()
    for direction in ("quantum", "new_drugs"):
        assert drawn.loc[direction, "median"] == pytest.approx(np.median(rows[rows["direction"] == direction]["value"]))
        assert drawn.loc[direction, "spent"] == pytest.approx(money[direction])
    for by in ("direction", "district"):
        table = C.breakdown_table(results, ["head_enterprises", "innovation_platforms"], by=by)
        sums = table.groupby("indicator")["share"].sum()
        assert np.allclose(sums, 1.0)
        assert C.breakdown_chart(results, by=by, lang="en").to_dict()["title"]["text"].startswith("Which")


def test_save_chart_writes_png_svg_and_offline_html(tmp_path, targets_table, source, cjk_font_available):
    import xml.etree.ElementTree as ET

    from conftest import require
    from PIL import Image

    require(cjk_font_available, "no CJK font: apt-get install fonts-wqy-microhei")
    chart = C.target_board(targets_table, "baseline", "zh", source)
    files = C.save_chart(chart, tmp_path / "board")
    assert [f.suffix for f in files] == [".png", ".svg", ".html"]
    png = files[0].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = Image.open(files[0]).size
    assert width >= 1600 and 1.4 < width / height < 2.4  # slide resolution, landscape
    svg = ET.fromstring(files[1].read_text(encoding="utf-8"))
    assert svg.tag.endswith("svg") and "目标达成看板" in files[1].read_text(encoding="utf-8")
    page = files[2].read_text(encoding="utf-8")
    assert "vegaEmbed" in page and "cdn.jsdelivr" not in page and "<script src=" not in page


def test_write_run_charts(ensemble_store, tmp_path, cjk_font_available):
    from conftest import require

    require(cjk_font_available, "no CJK font: apt-get install fonts-wqy-microhei")
    files = C.write_run_charts(ensemble_store.path, tmp_path / "charts")
    names = sorted(f.name for f in files)
    assert names == sorted(f"{stem}.{ext}" for stem in ("target_board_baseline_zh", "target_board_talent_push_zh",
                                                         "key_indicators_zh") for ext in ("png", "svg", "html"))
    assert all(f.stat().st_size > 1000 for f in files)


def test_footnote_of_a_sweep_names_its_points_not_the_bare_base_hash():
    source = C.Provenance(scenarios=[{"name": "5b7a8469dc1b9ecd"}, {"name": "baseline_sobol", "samples": 8704,
                                                                    "replicates": 1}], base_seed=2024)
    assert "情景 baseline_sobol 8704个样本点×1次重复 · 基准种子 2024" in source.footnote("zh")
    assert "5b7a8469" not in source.footnote("zh")
    assert "baseline_sobol, 8704 sample points x 1 replicates" in source.footnote("en")
