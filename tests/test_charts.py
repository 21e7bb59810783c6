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


# ------------------------------------------------------------------------------ charts that cannot mislead


def _board_rows(targets_table, **changes):
    table = targets_table[targets_table["scenario"] == "baseline"].copy().reset_index(drop=True)
    for (row, column), value in changes.items():
        table.loc[row, column] = value
    return table


def test_board_marks_values_beyond_the_axis_with_their_value(targets_table):
    table = targets_table[targets_table["scenario"] == "baseline"].copy().reset_index(drop=True)
    i = int(table.index[table["indicator"] == "standards"][0])
    table.loc[i, ["median", "p05", "p95"]] = [4.15 * table.loc[i, "threshold"], 3.5 * table.loc[i, "threshold"],
                                              5.0 * table.loc[i, "threshold"]]
    chart = C.target_board(table, "baseline")
    drawn = dataset_with(chart, "beyond_axis", "beyond_text").set_index("target")
    target = table.loc[i, "target"]
    assert drawn.loc[target, "beyond_axis"] and drawn.loc[target, "beyond_text"] == "▶ 415%"
    assert not drawn.drop(index=target)["beyond_axis"].any() or (
        drawn.drop(index=target)[["progress_p95", "progress_median"]].max(axis=1) > 3).all()
    # the marker layer draws exactly the rows beyond the axis
    text = spec_text(chart)
    assert "▶ 415%" in text


def test_board_colour_comes_from_the_interval_with_a_borderline_class(targets_table):
    table = targets_table[targets_table["scenario"] == "baseline"].copy().reset_index(drop=True)
    i = int(table.index[table["indicator"] == "head_enterprises"][0])
    table.loc[i, ["probability", "probability_low", "probability_high"]] = [0.80, 0.67, 0.89]
    drawn = C.board_table(table, "baseline").set_index("target")
    target = table.loc[i, "target"]
    assert drawn.loc[target, "likelihood"] == "likely"  # the point estimate alone
    assert drawn.loc[target, "reading"] == "borderline"
    assert C.reading(0.9, 0.82, 0.97) == "likely" and C.reading(0.1, 0.0, 0.3) == "unlikely"
    assert C.reading(0.6, 0.45, 0.75) == "at_risk" and C.reading(0.4, 0.3, 0.5) == "borderline"
    spec = C.target_board(table, "baseline").to_dict()
    colours = [e["color"] for e in _encodings(spec) if "color" in e and e["color"].get("field")]
    assert colours and all(c["field"] == "reading_label" for c in colours)
    assert "临界（区间跨越分界）" in json.dumps(spec, ensure_ascii=False)


def _encodings(spec):
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "encoding" in node:
                found.append(node["encoding"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(spec)
    return found


def test_designation_set_targets_are_drawn_without_intervals(targets_table):
    drawn = dataset_with(C.target_board(targets_table, "baseline"), "designated", "probability_low").set_index("target")
    assert drawn.loc["municipal_zones_2027", "designated"]
    for column in ("probability_low", "probability_high", "progress_p05", "progress_p95"):
        assert pd.isna(drawn.loc["municipal_zones_2027", column])
    assert "认定计划" in drawn.loc["municipal_zones_2027", "value_text"]
    others = drawn.drop(index="municipal_zones_2027")
    assert not others["designated"].any() and others["probability_low"].notna().all()
    # a set_by column of the targets table decides where present
    marked = targets_table.assign(set_by=np.where(targets_table["target"] == "standards_2027", "designation", "model"))
    redrawn = C.board_table(marked, "baseline").set_index("target")
    assert redrawn.loc["standards_2027", "designated"] and not redrawn.loc["municipal_zones_2027", "designated"]


def test_comparison_is_in_percentage_points_and_explains_zero_width_intervals(comparison_file):
    table = pd.read_csv(comparison_file)
    chart = C.comparison_chart(table, "zh")
    drawn = dataset_with(chart, "difference_points", "difference_text").drop_duplicates("target").set_index("target")
    for row in table.itertuples():
        points = (row.probability_b - row.probability_a) * 100
        assert drawn.loc[row.target, "difference_points"] == pytest.approx(points)
        assert drawn.loc[row.target, "difference_text"].endswith("个百分点")
    text = spec_text(chart)
    assert "个百分点" in text and '"format": "+%"' not in text and "+76%" not in text
    assert "区间宽度为0" not in json.dumps(chart.to_dict()["title"], ensure_ascii=False)
    same = table.assign(probability_b=table["probability_a"], difference=0.0, difference_low=0.0, difference_high=0.0)
    title = json.dumps(C.comparison_chart(same, "zh").to_dict()["title"], ensure_ascii=False)
    assert f"{len(same)}项目标的区间宽度为0" in title
    assert C.points_text(0.76, "zh") == "+76个百分点" and C.points_text(-0.05, "en") == "-5 pp"


def test_morris_chart_keeps_factors_without_sigma():
    from synthetic import synthetic_indices

    indices = synthetic_indices()
    rows = indices[(indices["method"] == "morris") & (indices["output"] == "head_enterprises")]
    top = rows[rows["index"] == "mu_star"].sort_values("value", ascending=False)["factor"].iloc[0]
    grouped = indices.copy()
    grouped.loc[(grouped["method"] == "morris") & (grouped["factor"] == top) & (grouped["index"] == "sigma"),
                "value"] = float("nan")
    chart = C.morris_chart(grouped, "head_enterprises", lang="zh")
    drawn = pd.concat([d for d in datasets(chart) if "mu_star" in d])
    assert top in set(drawn["factor"]) and drawn["factor"].nunique() == 8
    assert not drawn.set_index("factor").loc[[top], "sigma_known"].any()
    assert "σ无法估计" in json.dumps(chart.to_dict()["title"], ensure_ascii=False)


def test_sobol_chart_warns_on_first_order_above_total_and_intervals_across_zero():
    from synthetic import synthetic_indices

    indices = synthetic_indices().assign(conf=0.001)  # narrow intervals, S1 < ST everywhere
    clean = json.dumps(C.sobol_chart(indices, "head_enterprises").to_dict()["title"], ensure_ascii=False)
    assert "S1大于ST" not in clean and "跨过0" not in clean
    bad = indices.copy()
    mask = (bad["method"] == "sobol") & (bad["output"] == "head_enterprises")
    st = bad[mask & (bad["index"] == "ST")].sort_values("value", ascending=False)
    factor = st["factor"].iloc[0]
    bad.loc[mask & (bad["factor"] == factor) & (bad["index"] == "S1"), "value"] = float(st["value"].iloc[0]) + 0.1
    title = json.dumps(C.sobol_chart(bad, "head_enterprises").to_dict()["title"], ensure_ascii=False)
    assert "1个因素的S1大于ST" in title
    bad.loc[mask & (bad["factor"] == factor) & (bad["index"] == "ST"), "conf"] = 5.0
    title = json.dumps(C.sobol_chart(bad, "head_enterprises").to_dict()["title"], ensure_ascii=False)
    assert "置信区间跨过0" in title


def test_fan_charts_with_two_scenarios_band_one_and_line_the_other(results, targets_table):
    chart = C.fan_charts(results, ["head_enterprises"])
    spec = chart.to_dict()
    layers = spec["vconcat"][0]["concat"][0]["layer"]
    areas = [layer for layer in layers if layer["mark"]["type"] == "area"]
    dashed = [layer for layer in layers if layer["mark"]["type"] == "line" and layer["mark"].get("strokeDash")]
    last = C.fan_table(results, "head_enterprises")["scenario_title"].iloc[-1]
    # bands for one scenario only (the one compared), the other scenario a dashed median line
    assert len(areas) == 2 and all(f"=== '{last}'" in json.dumps(a["transform"], ensure_ascii=False) for a in areas)
    assert len(dashed) == 1 and f"!== '{last}'" in json.dumps(dashed[0]["transform"], ensure_ascii=False)
    assert "区间带属于" in json.dumps(spec["title"], ensure_ascii=False)


def test_fan_charts_show_the_at_risk_targets_by_default(results, targets_table):
    present = set(results["indicator"].unique())
    chosen = C.at_risk_indicators(targets_table, present)
    rated = targets_table.dropna(subset=["probability"])
    rated = rated[(rated["scenario"] == "talent_push") & (rated["indicator"] != "municipal_pilot_zones")]
    worst = rated[rated["probability_low"] < C.LIKELY_AT].sort_values("probability", kind="stable")["indicator"]
    assert "municipal_pilot_zones" not in chosen
    assert chosen and chosen[0] == [i for i in worst if i in present][0]
    chart = C.fan_charts(results, targets_table=targets_table)
    titles = [p["title"]["text"] for p in chart.to_dict()["vconcat"][0]["concat"]]
    from sim.presentation import labels as L

    assert titles[0].startswith(L.indicator_label(chosen[0], "zh", __import__("sim.inputs.region", fromlist=["x"]).load_region()))
    assert chart.to_dict()["title"]["text"] == "有风险目标的指标走势（全市）"


def test_spending_outcome_chart_is_framed_as_side_by_side_not_a_return(ensemble_store, results):
    chart = C.spending_outcome_chart(ensemble_store.spending(), results, ["head_enterprises"], lang="zh")
    title = json.dumps(chart.to_dict()["title"], ensure_ascii=False)
    assert "不表示投入回报" in title and "weilai compare" in title and "投入与产出" not in title
    drawn = dataset_with(chart, "spent", "start_median", "direction").set_index("direction")
    rows = results[(results["scenario"] == "baseline") & (results["indicator"] == "head_enterprises")
                   & (results["year"] == 2024) & (results["district"] == "all")]
    assert drawn.loc["quantum", "start_median"] == pytest.approx(np.median(rows[rows["direction"] == "quantum"]["value"]))
    en = C.spending_outcome_chart(ensemble_store.spending(), results, ["head_enterprises"], lang="en")
    assert "not a return" in en.to_dict()["title"]["text"]


def _font_sizes(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key.lower().endswith("fontsize") and isinstance(value, (int, float)):
                found.append((key, value))
            _font_sizes(value, found)
    elif isinstance(node, list):
        for value in node:
            _font_sizes(value, found)
    return found


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_chart_text_is_large_and_dark_enough_to_project(targets_table, comparison_file, results):
    from synthetic import synthetic_indices

    charts = [C.target_board(targets_table, "baseline"), C.comparison_chart(pd.read_csv(comparison_file)),
              C.fan_charts(results), C.morris_chart(synthetic_indices(), "head_enterprises")]
    for chart in charts:
        spec = chart.to_dict()
        sizes = [v for k, v in _font_sizes(spec, []) if v > 1]  # fontSize 1: an empty spacer title
        assert min(sizes) >= C.MIN_TEXT_PX, sorted(sizes)[:3]
        config = spec["config"]
        assert config["axis"]["labelFontSize"] >= 15 and config["axis"]["labelFontWeight"] >= 500
        for colour in (config["axis"]["labelColor"], config["text"]["color"], spec["title"]["subtitleColor"]):
            assert _luminance(colour) < 0.3, colour


def test_district_tile_map_shows_district_values_and_pilot_zones(results):
    from sim.inputs.region import load_region

    region = load_region()
    tiles = C.district_tiles(region)
    assert set(tiles["district"]) == set(region.districts)
    assert not tiles.duplicated(["col", "row"]).any()  # one tile per cell
    designations = [{"district": "beilun", "direction": "quantum", "year": 2025},
                    {"district": "beilun", "direction": "aerospace", "year": 2030},
                    {"district": "cixi", "direction": "future_energy", "year": 2036}]
    table = C.district_table(results, "baseline", year=2027, designations=designations).set_index("district")
    rows = results[(results["scenario"] == "baseline") & (results["indicator"] == "revenue_100m_yuan")
                   & (results["district"] != "all") & (results["year"] == 2027)]
    for district in rows["district"].unique():
        per_rep = rows[rows["district"] == district].groupby("replicate")["value"].sum()
        assert table.loc[district, "median"] == pytest.approx(np.median(per_rep))
    # zones: the sourced ones in place and the scenario's designated up to the year
    existing = region.existing_zones
    assert table.loc["haishu", "zones"] == int((existing["district"] == "haishu").sum())
    assert table.loc["beilun", "zones"] == 1 and "市级1" in table.loc["beilun", "zones_text"]
    assert table.loc["cixi", "zones"] == 0
    chart = C.district_map(results, "baseline", designations=designations)
    title = json.dumps(chart.to_dict()["title"], ensure_ascii=False)
    assert "示意性方格图" in title and "不是行政区划边界图" in title
    with pytest.raises(InputError, match="district rows"):
        C.district_table(results, "baseline", indicator="gdp_100m_yuan")


def test_fan_charts_zoom_the_near_term_when_the_later_scale_squashes_it(results):
    """A 2027 target under a scale set by 2035 values gets a panel of its own for 2024-2027."""
    grown = results.copy()
    later = (grown["indicator"] == "head_enterprises") & (grown["year"] > 2027)
    grown.loc[later, "value"] = grown.loc[later, "value"] * 30 + 100
    cells = C.fan_charts(grown, ["head_enterprises", "breakthroughs"]).to_dict()["vconcat"][0]["concat"]
    assert "layer" in cells[1], "a fan whose near term reads on its own scale is one panel"
    full, zoom = cells[0]["hconcat"]
    assert cells[0]["resolve"]["scale"]["y"] == "independent"
    zoom_x = [layer["encoding"]["x"] for layer in zoom["layer"] if "scale" in layer["encoding"].get("x", {})]
    assert zoom_x and all(x["scale"]["domain"] == [2024, 2027] for x in zoom_x)
    assert zoom["layer"][0]["encoding"]["x"]["title"] == "至2027年（放大）"
    # the zoom draws the years up to the target only, with the target's label; the full fan shades them
    spec = C.fan_charts(grown, ["head_enterprises"]).to_dict()
    years = {row["year"] for name, rows in spec["datasets"].items() for row in rows
             if name == spec["vconcat"][0]["concat"][0]["hconcat"][1]["layer"][0]["data"]["name"]}
    assert years == {2024, 2025, 2026, 2027}
    zoom_text = [layer for layer in zoom["layer"] if layer["mark"]["type"] == "text"]
    full_text = [layer for layer in full["layer"] if layer["mark"]["type"] == "text"]
    assert len(zoom_text) == 1 and "transform" not in zoom_text[0]
    assert len(full_text) == 1 and "datum.year > 2027" in json.dumps(full_text[0]["transform"])
    assert full["layer"][0]["mark"]["type"] == "rect"
    english = C.fan_charts(grown, ["head_enterprises"], lang="en")
    assert "to 2027 (zoom)" in spec_text(english) and not CJK.search(spec_text(english))
    # unchanged data: the untouched results keep one panel per indicator
    plain = C.fan_charts(results, ["head_enterprises"]).to_dict()["vconcat"][0]["concat"][0]
    assert "layer" in plain
