"""Display labels for charts and the briefing page, Chinese first and English on request.

Indicator labels and units come from the region's ``indicators.toml``, the one declaration of every
indicator; the sensitivity factors have a small table here. Directions, districts and scenario titles
come from their own data files; levers and the six major projects (重大工程) from the scenario schema.
Nothing here is a number shown to users.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from sim.inputs.region import Region, load_region

Lang = str  # "zh" or "en"
LANGS = ("zh", "en")

# Short names of the uncertain inputs and behavioural parameters (parameter_space.toml entries).
FACTOR_LABELS: dict[str, tuple[str, str]] = {
    "uncertainties.market_growth": ("全球市场增速", "World market growth"),
    "uncertainties.tech_progress": ("全球技术进步速度", "World technology progress"),
    "uncertainties.talent_competition": ("城市间人才竞争", "Talent competition from other cities"),
    "uncertainties.vc_climate": ("创投环境", "Venture-capital climate"),
    "uncertainties.macro_shock_probability": ("宏观冲击概率", "Macro-shock probability"),
    "uncertainties.macro_shock_severity": ("宏观冲击强度", "Macro-shock severity"),
    "parameters.growth_volatility": ("企业增长波动", "Firm growth volatility"),
    "parameters.volatility_size_exponent": ("波动的规模指数", "Volatility size exponent"),
    "parameters.young_firm_growth_premium": ("年轻企业增长溢价", "Young-firm growth premium"),
    "parameters.rd_output_elasticity": ("研发产出弹性", "R&D output elasticity"),
    "parameters.knowledge_depreciation": ("知识折旧率", "Knowledge depreciation"),
    "parameters.innovation_elasticity": ("创新弹性", "Innovation elasticity"),
    "parameters.product_rate": ("新产品产出率", "New-product rate"),
    "parameters.standard_rate": ("标准产出率", "Standards rate"),
    "parameters.breakthrough_rate": ("技术突破率", "Breakthrough rate"),
    "parameters.firm_breakthrough_share": ("企业突破率", "Firm breakthrough rate"),
    "parameters.exit_hazard_multiplier": ("企业退出风险倍数", "Exit-hazard multiplier"),
    "parameters.exit_size_elasticity": ("退出风险的规模弹性", "Exit size elasticity"),
    "parameters.startup_rate": ("创业率", "Start-up rate"),
    "parameters.spinoffs_per_1000_researchers": ("科研机构衍生企业率", "Institute spin-off rate"),
    "parameters.transfers_per_1000_researchers": ("技术转移率", "Technology-transfer rate"),
    "parameters.transfer_knowledge_gain": ("技术转移知识增益", "Knowledge gain per transfer"),
    "parameters.agglomeration_elasticity": ("集聚弹性", "Agglomeration elasticity"),
    "parameters.pilot_zone_growth_effect": ("先导区增长效应", "Pilot-zone growth effect"),
    "parameters.pilot_zone_entry_effect": ("先导区进入效应", "Pilot-zone entry effect"),
    "parameters.rd_grant_additionality": ("研发补助额外性", "R&D-grant additionality"),
    "parameters.loan_subsidy_growth_effect": ("贴息增长效应", "Loan-subsidy growth effect"),
    "parameters.direct_subsidy_hazard_reduction": ("直接补助降低退出风险", "Direct-subsidy hazard reduction"),
    "parameters.funding_hazard_reduction": ("融资降低退出风险", "Funding hazard reduction"),
    "parameters.funding_growth_effect": ("融资增长效应", "Funding growth effect"),
    "parameters.guidance_fund_leverage": ("引导基金杠杆", "Guidance-fund leverage"),
    "parameters.angel_fund_leverage": ("天使基金杠杆", "Angel-fund leverage"),
    "parameters.private_vc_100m_yuan_per_year": ("社会创投规模", "Private venture capital"),
    "parameters.talent_outflow_rate": ("人才流失率", "Talent outflow rate"),
    "parameters.recruit_retention": ("引进人才留存率", "Recruit retention"),
    "parameters.graduate_share_future": ("毕业生进入未来产业比例", "Graduates entering future industries"),
    "parameters.recruit_productivity_gain": ("引进人才生产率增益", "Recruit productivity gain"),
    "parameters.top_scientist_breakthrough_gain": ("顶尖科学家突破增益", "Top-scientist breakthrough gain"),
    "parameters.high_tech_certification_probability": ("高企认定概率", "High-tech certification probability"),
    "parameters.attraction_cost_per_firm_100m_yuan": ("招引单家企业成本", "Attraction cost per firm"),
    "parameters.scenario_absorption": ("场景订单转化", "Scenario absorption"),
    "parameters.first_of_a_kind_validation_gain": ("首台套验证增益", "First-of-a-kind validation gain"),
    "parameters.initial_revenue_scale": ("2024年营收基数倍数", "Initial revenue scale"),
    "parameters.talent_supply_response": ("人才供给响应", "Talent supply response"),
    "parameters.recruit_share_half": ("引进人才收益半饱和比例", "Recruit share at half gain"),
    "parameters.public_spillover_share": ("公共研究溢出份额", "Public-research spillover share"),
    "parameters.public_spillover_elasticity": ("公共研究溢出弹性", "Public-research spillover elasticity"),
    "parameters.absorptive_half_rd_100m_yuan": ("吸收能力半饱和研发", "Absorptive capacity half-saturation R&D"),
    "parameters.research_output_elasticity": ("科研产出弹性", "Research output elasticity"),
    "parameters.uncalled_commitment_lapse_rate": ("未缴出资失效率", "Uncalled commitment lapse rate"),
    "parameters.venture_relative_tech_min": ("创投可投技术门槛", "Venture investability bar"),
}
# Lever factors whose scenario path names a part of a lever (the talent tiers): path attribute -> suffix.
LEVER_PART_LABELS = {
    "top_scientists_per_year": ("顶尖科学家", "top scientists"),
    "leading_talent_per_year": ("领军人才", "leading talent"),
    "young_talent_per_year": ("青年人才", "young talent"),
    "support_100m_yuan_per_zone_per_year": ("每区支持", "support per zone"),
}
SECTION_LABELS = {
    "levers": ("政策杠杆", "Policy lever"),
    "uncertainties": ("外部不确定性", "External uncertainty"),
    "parameters": ("行为参数", "Behavioural parameter"),
}
SCOPE_ALL = {"zh": "全市", "en": "City"}
# Units of the parameter space's inputs (parameter_space.toml ``unit``), as shown beside a value.
UNIT_LABELS: dict[str, tuple[str, str]] = {
    "100m_yuan_per_year": ("亿元/年", "100m yuan/yr"),
    "people_per_year": ("人/年", "people/yr"),
    "platforms_per_year": ("个/年", "platforms/yr"),
    "scenarios_per_year": ("个/年", "scenarios/yr"),
    "units_per_year": ("个/年", "units/yr"),
    "colleges_per_year": ("所/年", "colleges/yr"),
    "directions": ("个方向", "directions"),
    "100m_yuan_per_zone_per_year": ("亿元/区/年", "100m yuan per zone/yr"),
    "multiplier": ("倍（1=2024年水平）", "x (1 = 2024 level)"),
    "per_year": ("每年发生概率", "chance per year"),
    "log_points": ("对数点", "log points"),
}


def unit_label(unit: str, lang: str = "zh") -> str:
    """Display unit of a parameter-space unit code (``100m_yuan_per_year`` -> ``亿元/年``); the code if unknown."""
    return pick(UNIT_LABELS[unit], lang) if unit in UNIT_LABELS else unit


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported language, else raise ValueError."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


def pick(pair: tuple[str, str], lang: str) -> str:
    """The Chinese or English element of a (zh, en) pair."""
    return pair[0] if check_lang(lang) == "zh" else pair[1]


def indicator_label(indicator: str, lang: str = "zh", region: Region | None = None) -> str:
    """Short name of an indicator, without unit or notes (e.g. ``未来产业头部企业``)."""
    region = region or load_region()
    if indicator not in region.indicators:
        return indicator
    text = region.indicators[indicator]["label_zh" if check_lang(lang) == "zh" else "label_en"]
    return re.sub(r"\s*(（[^（）]*）|\([^()]*\))\s*$", "", text).strip()  # drop a trailing (qualifier)


def indicator_unit(indicator: str, lang: str = "zh", region: Region | None = None) -> str:
    """Display unit of an indicator (``家``, ``亿元``, ``%``; English ``firms``, ``100m yuan``)."""
    region = region or load_region()
    if indicator not in region.indicators:
        return ""
    return str(region.indicators[indicator]["unit_zh" if check_lang(lang) == "zh" else "unit_en"])


def indicator_note(indicator: str, lang: str = "zh", region: Region | None = None) -> str:
    """The label's qualifier in parentheses, if any (``2024年起累计``, ``cumulative since 2024``)."""
    region = region or load_region()
    if indicator not in region.indicators:
        return ""
    text = region.indicators[indicator]["label_zh" if check_lang(lang) == "zh" else "label_en"]
    match = re.search(r"(?:（([^（）]*)）|\(([^()]*)\))\s*$", text)
    if not match:
        return ""
    inner = match.group(1) or match.group(2)
    parts = [p.strip() for p in re.split(r"，|,", inner)]
    units = {str(spec["unit_zh"]) for spec in region.indicators.values()}
    return "，".join(p for p in parts if p not in units)


def indicator_definition(indicator: str, lang: str = "zh", region: Region | None = None) -> str:
    """The model-level definition of a target indicator (empty for other outputs)."""
    region = region or load_region()
    entry = region.indicators.get(indicator, {})
    return str(entry.get("definition_zh" if check_lang(lang) == "zh" else "definition_en", ""))


def is_share(indicator: str, region: Region | None = None) -> bool:
    """Whether an indicator is a share (shown in percent)."""
    region = region or load_region()
    return region.indicators.get(indicator, {}).get("unit") == "share"


def scope_label(direction: str, district: str, lang: str = "zh", region: Region | None = None) -> str:
    """``全市``, a direction name, a district name, or both."""
    region = region or load_region()
    parts = []
    if direction != "all":
        parts.append(direction_label(direction, lang, region))
    if district != "all":
        parts.append(district_label(district, lang, region))
    return " · ".join(parts) if parts else SCOPE_ALL[check_lang(lang)]


def direction_label(direction: str, lang: str = "zh", region: Region | None = None) -> str:
    region = region or load_region()
    if direction == "all":
        return SCOPE_ALL[check_lang(lang)]
    if direction in region.direction_table.index:
        return region.direction_label(direction, lang)
    return direction


def district_label(district: str, lang: str = "zh", region: Region | None = None) -> str:
    region = region or load_region()
    if district == "all":
        return SCOPE_ALL[check_lang(lang)]
    if district in region.district_table.index:
        return region.district_label(district, lang)
    return district


@lru_cache(maxsize=1)
def _lever_classes() -> dict[str, Any]:  # lever name -> its schema class
    from sim.scenario.lever_schemas import Levers

    return {name: type(lever) for name, lever in Levers().items()}


def lever_label(lever: str, lang: str = "zh") -> str:
    """Name of a lever of the scenario schema (``rd_grants`` -> ``研发补助``)."""
    cls = _lever_classes().get(lever)
    if cls is None:
        return lever
    return cls.NAME_ZH if check_lang(lang) == "zh" else cls.NAME_EN


def lever_project(lever: str) -> int:
    """Number (1-6) of the major project (重大工程) a lever belongs to, 0 if unknown."""
    cls = _lever_classes().get(lever)
    return int(cls.PROJECT) if cls is not None else 0


def project_label(project: int, lang: str = "zh", numbered: bool = True) -> str:
    """Name of one of the six major projects (``3 未来平台提升``)."""
    from sim.scenario.lever_schemas import PROJECTS

    if int(project) not in PROJECTS:
        return "其他" if check_lang(lang) == "zh" else "Other"
    name = pick(PROJECTS[int(project)], lang)
    return f"{int(project)} {name}" if numbered else name


def factor_section(factor: str) -> str:
    """Section of a factor name: ``levers``, ``uncertainties`` or ``parameters`` (``other`` if none)."""
    head = factor.split(".", 1)[0]
    return head if head in SECTION_LABELS else "other"


def section_label(section: str, lang: str = "zh") -> str:
    return pick(SECTION_LABELS.get(section, ("其他", "Other")), lang)


def factor_label(factor: str, lang: str = "zh", region: Region | None = None) -> str:
    """Short name of a sensitivity factor.

    ``levers.talent_leading`` -> ``甬江人才工程·领军人才``;
    ``uncertainties.market_growth.quantum`` -> ``全球市场增速·量子科技``.
    """
    region = region or load_region()
    check_lang(lang)
    space = region.space
    if factor.startswith("levers."):
        entry = space.factors.get(factor)
        path = entry.path if entry is not None else factor
        parts = path.split(".")
        lever = parts[1] if len(parts) > 1 else factor
        name = lever_label(lever, lang)
        if len(parts) > 2 and parts[2] in LEVER_PART_LABELS:
            name += "·" + pick(LEVER_PART_LABELS[parts[2]], lang)
        return name
    for entry_name, pair in FACTOR_LABELS.items():
        if factor == entry_name:
            return pick(pair, lang)
        if factor.startswith(entry_name + "."):
            direction = factor[len(entry_name) + 1:]
            return f"{pick(pair, lang)}·{direction_label(direction, lang, region)}"
    entry = space.factors.get(factor)
    return entry.description if entry is not None else factor


def target_label(indicator: str, year: int, comparator: str, threshold: float, lang: str = "zh",
                 region: Region | None = None) -> str:
    """A target as a row label: ``未来产业头部企业（2027年 ≥ 10）``."""
    sign = {">=": "≥", "<=": "≤"}.get(comparator, comparator)
    goal = f"{threshold:g}"
    if check_lang(lang) == "zh":
        return f"{indicator_label(indicator, lang, region)}（{int(year)}年 {sign} {goal}）"
    return f"{indicator_label(indicator, lang, region)} ({int(year)} {sign} {goal})"


def output_label(output: str, lang: str = "zh", region: Region | None = None) -> str:
    """Label of a sensitivity output: an indicator, or ``P(<target id>)`` for a target's probability."""
    match = re.fullmatch(r"P\((.+)\)", output)
    if not match:
        return indicator_label(output, lang, region)
    from sim.analysis.targets import load_targets

    target_id = match.group(1)
    targets = {t.id: t for t in load_targets(region=region or load_region()).target}
    if target_id not in targets:
        return output
    t = targets[target_id]
    prefix = "达成概率：" if check_lang(lang) == "zh" else "P(met): "
    return prefix + target_label(t.indicator, t.year, t.comparator, t.threshold, lang, region)


def scenario_title(name: str, lang: str = "zh", titles: dict[str, tuple[str, str]] | None = None) -> str:
    """Display title of a scenario: from ``titles`` (name -> (zh, en)), its scenario file, or its name."""
    check_lang(lang)
    if titles and name in titles:
        title = pick(titles[name], lang)
        if title:
            return title
    try:
        from sim.scenario.loading import load_scenario

        scenario = load_scenario(name)
    except Exception:  # noqa: BLE001 - an ad-hoc or renamed scenario is shown by its name
        return name
    title = scenario.title_zh if lang == "zh" else scenario.title_en
    return title or name


def money_text(total_100m_yuan: float, first_year: int, last_year: int, lang: str = "zh") -> str:
    """Money over a period with its yearly average: ``2024–2035年合计680.4亿元，年均56.7亿元``."""
    years = int(last_year) - int(first_year) + 1
    per_year = total_100m_yuan / years if years > 0 else float("nan")
    if check_lang(lang) == "zh":
        return f"{first_year}–{last_year}年合计{total_100m_yuan:,.1f}亿元，年均{per_year:,.1f}亿元"
    return (f"{total_100m_yuan:,.1f} (100m yuan) in total over {first_year}-{last_year}, "
            f"{per_year:,.1f} a year")


def short_target_label(indicator: str, year: int, lang: str = "zh", region: Region | None = None) -> str:
    """A target's short name for text and terminal tables: ``未来产业头部企业（2027年）``."""
    name = indicator_label(indicator, lang, region).split("（")[0].split(" (")[0]
    return f"{name}（{int(year)}年）" if check_lang(lang) == "zh" else f"{name} ({int(year)})"


def names_list(names: list[str], lang: str = "zh") -> str:
    """Names joined for a sentence: ``甲、乙和丙`` / ``a, b and c``."""
    if len(names) <= 1:
        return "".join(names)
    if check_lang(lang) == "zh":
        return "、".join(names[:-1]) + "和" + names[-1]
    return ", ".join(names[:-1]) + " and " + names[-1]


def text_columns(text: str) -> int:
    """Terminal columns of a text, East Asian characters counting two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def pad_text(text: str, width: int) -> str:
    """Left-align text in a terminal column, counting East Asian characters as two columns."""
    return text + " " * max(1, width - text_columns(text))
