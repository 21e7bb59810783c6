"""Districts: a tile map of Ningbo's districts with their pilot zones and the district indicators.

The model keeps firms, revenue and researchers by district (``weilai run --detail full``); none of the
policy's target indicators is defined by district except the pilot zones, which are placed in districts
(the sourced zones of ``pilot_zones_existing.csv`` and the scenario's designation schedule). The map
is a schematic tile grid (``sim/data/<region>/district_tiles.csv``): no licensed, sourced boundary file
is shipped, so no outlines are drawn and the tiles say so.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from sim.core.errors import InputError
from sim.inputs.region import Region, load_region
from sim.presentation import labels as L
from sim.presentation.charts.provenance import Provenance
from sim.presentation.charts.style import INK, finish_chart, fmt_number, footnote_of, summarise

DISTRICT_INDICATORS = ("revenue_100m_yuan", "firms", "researchers")


def district_tiles(region: Region) -> pd.DataFrame:
    """Tile positions (col, row) of the region's districts; every district must have one.

    Raises:
        InputError: if the tile file is missing or leaves out a district.
    """
    file = region.folder / "district_tiles.csv"
    if not file.exists():
        raise InputError("the region has no district tile grid", file=file, allowed="district,col,row rows")
    tiles = pd.read_csv(file)
    missing = [d for d in region.districts if d not in set(tiles["district"])]
    if missing:
        raise InputError("a district has no tile", file=file, key="district", value=missing[0],
                         allowed=", ".join(region.districts))
    return tiles


def district_zones(region: Region, designations: list[dict] | None = None, year: int | None = None) -> pd.DataFrame:
    """Pilot zones per district: the sourced ones in place and the scenario's designations (up to ``year``).

    Args:
        designations: ``[{district, direction, year}, ...]`` from the scenario's pilot-zone lever.

    Returns:
        Rows (district, level, direction, year, origin): origin ``existing`` or ``scenario``.
    """
    rows = [{"district": r.district, "level": r.level, "direction": r.direction, "year": int(r.year),
             "origin": "existing"} for r in region.existing_zones.itertuples()]
    for d in designations or []:
        if year is None or int(d["year"]) <= year:
            rows.append({"district": d["district"], "level": "municipal", "direction": d["direction"],
                         "year": int(d["year"]), "origin": "scenario"})
    return pd.DataFrame(rows, columns=["district", "level", "direction", "year", "origin"])


def district_table(results: pd.DataFrame, scenario: str | None = None, indicator: str = "revenue_100m_yuan",
                   year: int | None = None, designations: list[dict] | None = None, lang: str = "zh",
                   region: Region | None = None) -> pd.DataFrame:
    """One row per district: tile position, the indicator's median (over replicates, summed over
    directions) in ``year`` (default the last), and the pilot zones there.

    Raises:
        InputError: if the results have no district rows for the indicator.
    """
    region = region or load_region()
    scenario = scenario if scenario is not None else str(results["scenario"].iloc[0])
    rows = results[(results["scenario"] == scenario) & (results["indicator"] == indicator)]
    if "district" not in rows:
        raise InputError("the results have no district rows (run with --detail full)", key="district")
    rows = rows[rows["district"] != "all"]
    if rows.empty:
        have = sorted(results[results.get("district", pd.Series(dtype=str)) != "all"]["indicator"].unique()) \
            if "district" in results else []
        raise InputError("no district rows for this indicator (run with --detail full)", key="indicator",
                         value=indicator, allowed=", ".join(have) or "none in these results")
    year = int(rows["year"].max()) if year is None else int(year)
    rows = rows[rows["year"] == year]
    per_replicate = rows.groupby(["replicate", "district"], observed=True)["value"].sum().reset_index()
    values = summarise(per_replicate, ["district"])[["district", "median", "p05", "p95"]]
    table = district_tiles(region).merge(values, on="district", how="left")
    zones = district_zones(region, designations, year)
    zh = lang == "zh"
    table["label"] = [L.district_label(d, lang, region) for d in table["district"]]
    table["value_text"] = [fmt_number(round(v, 1)) if pd.notna(v) else ("无数据" if lang == "zh" else "no data")
                           for v in table["median"]]

    def zone_text(district: str) -> str:
        here = zones[zones["district"] == district]
        parts = []
        for level, word in (("national", ("国家级", "national")), ("provincial", ("省级", "provincial")),
                            ("municipal", ("市级", "municipal"))):
            n = int((here["level"] == level).sum())
            if n:
                parts.append(f"{L.pick(word, lang)}{n}" if zh else f"{n} {L.pick(word, lang)}")
        return ("先导区 " if zh else "zones: ") + ("、".join(parts) if zh else ", ".join(parts)) if parts else ""

    table["zones_text"] = [zone_text(d) for d in table["district"]]
    table["zones"] = [int((zones["district"] == d).sum()) for d in table["district"]]
    table["year"] = year
    table["scenario"] = scenario
    return table


def scenario_designations(scenario: str) -> list[dict]:
    """The pilot-zone designations of a scenario file (empty for a scenario without a file)."""
    try:
        from sim.scenario.loading import load_scenario

        lever = load_scenario(scenario).levers.pilot_zones
    except Exception:  # noqa: BLE001 - an ad-hoc scenario (a sweep point, --set) has no file to read
        return []
    return [d.model_dump() for d in lever.designations]


def district_map(results: pd.DataFrame, scenario: str | None = None, indicator: str = "revenue_100m_yuan",
                 year: int | None = None, designations: list[dict] | None = None, lang: str = "zh",
                 source: Provenance | None = None, region: Region | None = None) -> alt.VConcatChart:
    """Tile map of the districts: colour = the indicator's median in ``year``; text = the value and the
    pilot zones (sourced existing ones and the scenario's designations)."""
    region = region or load_region()
    L.check_lang(lang)
    zh = lang == "zh"
    data = district_table(results, scenario, indicator, year, designations, lang, region)
    year = int(data["year"].iloc[0])
    scenario = str(data["scenario"].iloc[0])
    size = 150
    x = alt.X("col:O", axis=None, scale=alt.Scale(paddingInner=0.06))
    y = alt.Y("row:O", axis=None, scale=alt.Scale(paddingInner=0.06))
    base = alt.Chart(data)
    name = L.indicator_label(indicator, lang, region)
    unit = L.indicator_unit(indicator, lang, region)
    empty = base.mark_rect(cornerRadius=6, color="#e0e0e0", stroke="white", strokeWidth=2).encode(x=x, y=y)
    tiles = base.transform_filter("isValid(datum.median)").mark_rect(cornerRadius=6, stroke="white",
                                                                     strokeWidth=2).encode(
        x=x, y=y, color=alt.Color("median:Q", scale=alt.Scale(scheme="blues"),
                                  legend=alt.Legend(title=f"{name}（{unit}）" if zh else f"{name} ({unit})",
                                                    orient="right", titleLimit=400)),
        tooltip=["label:N", "median:Q", "p05:Q", "p95:Q", "zones_text:N"])
    dark = alt.datum.median > 0.6 * float(data["median"].max() or 1)
    ink = alt.condition(dark, alt.value("white"), alt.value(INK))
    label = base.mark_text(fontSize=16, fontWeight="bold", dy=-28).encode(x=x, y=y, text="label:N", color=ink)
    value = base.mark_text(fontSize=15, dy=0).encode(x=x, y=y, text="value_text:N", color=ink)
    zones = base.mark_text(fontSize=13, dy=26).encode(x=x, y=y, text="zones_text:N", color=ink)
    n_cols, n_rows = int(data["col"].max()) + 1, int(data["row"].max()) + 1
    chart = alt.layer(empty, tiles, label, value, zones).properties(width=size * n_cols, height=size * 0.8 * n_rows)
    title_name = L.scenario_title(scenario, lang, source.titles() if source else None)
    if zh:
        title = f"各区县{name}与先导区（{year}年）"
        subtitle = [f"{title_name} · 格内数字为{len(results['replicate'].unique()) if 'replicate' in results else ''}"
                    "次重复的中位数；"
                    "先导区含已获批的（来源见pilot_zones_existing.csv）与情景认定计划中的",
                    "示意性方格图，不是行政区划边界图：方格大致按地理方位排列（上为北），未附有授权来源的边界文件"]
    else:
        title = f"{name} and pilot zones by district ({year})"
        subtitle = [f"{title_name} · number: median over replicates; zones: approved ones (pilot_zones_existing.csv) "
                    "and the scenario's designations",
                    "Schematic tile grid, not a boundary map: tiles placed roughly by location (north up); no licensed "
                    "boundary file is shipped"]
    foot = footnote_of(source, results, lang, [scenario]) if source else (
        f"数据：weilai 模拟 · 情景 {scenario}" if zh else f"Data: weilai simulation · scenario {scenario}")
    return finish_chart(chart, title, subtitle, foot, lang, "district_map")
