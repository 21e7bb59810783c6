"""Briefing charts: tidy stored results in, altair charts out, Chinese first.

Every builder aggregates first with :func:`summarise` (median and 5/25/75/95% quantiles across
replicates, or across samples for spending), then draws; no chart carries raw replicate rows. Each
returned chart has a title, units, the scenario name and a footnote with the data's provenance (code
version, seeds, replicates, from the store's manifest through :class:`Provenance`), and is sized for a
16:9 slide with large type. ``lang="en"`` gives the same chart in English.

Target likelihood classes (the colours of the target board and the briefing summary), on the
estimated probability of meeting a target across replicates:

* likely (很可能达成): probability >= 0.8 (``LIKELY_AT``);
* at risk (有风险): 0.4 <= probability < 0.8 (``AT_RISK_AT``);
* unlikely (难以达成): probability < 0.4.

The board colours a target by its *reading* (:func:`reading`): the class its whole 95% interval lies
in, or borderline (临界) when the interval straddles a cut. Targets whose value the scenario's
designation schedule sets (:func:`set_by_designation`) are drawn without intervals.

The thresholds are a reading convention, not a statistic: with 20 replicates the Wilson interval of
a probability is about +-0.2 wide, which the board draws next to every bar.

Builders: :func:`target_board`, :func:`fan_chart` / :func:`fan_charts`, :func:`comparison_chart`,
:func:`sobol_chart`, :func:`morris_chart`, :func:`sensitivity_ranking_chart`,
:func:`spending_chart`, :func:`spending_outcome_chart`, :func:`breakdown_chart`.
Export: :func:`save_chart` (PNG at slide resolution and SVG through vl-convert, self-contained
HTML); :func:`write_run_charts` writes the charts of an ensemble store for ``weilai run``."""

# The chart API in one namespace (``from sim.presentation import charts as C``); each family lives
# in its own module.
from sim.presentation.charts.board import (  # noqa: F401
    board_table,
    target_board,
)
from sim.presentation.charts.breakdowns import (  # noqa: F401
    breakdown_chart,
    breakdown_table,
)
from sim.presentation.charts.comparison import (  # noqa: F401
    COMPARISON_COLUMNS,
    comparison_chart,
    difference_sense,
)
from sim.presentation.charts.districts import (  # noqa: F401
    district_map,
    district_table,
    district_tiles,
    district_zones,
)
from sim.presentation.charts.export import (  # noqa: F401
    CJK,
    chart_spec,
    evaluated_targets,
    save_chart,
    write_run_charts,
)
from sim.presentation.charts.fans import (  # noqa: F401
    at_risk_indicators,
    fan_chart,
    fan_charts,
    fan_table,
)
from sim.presentation.charts.provenance import (  # noqa: F401
    Provenance,
)
from sim.presentation.charts.sensitivity import (  # noqa: F401
    morris_chart,
    sensitivity_ranking,
    sensitivity_ranking_chart,
    sobol_chart,
)
from sim.presentation.charts.spending import (  # noqa: F401
    spending_chart,
    spending_outcome_chart,
    spending_outcome_table,
    spending_table,
)
from sim.presentation.charts.style import (  # noqa: F401
    AT_RISK_AT,
    INK,
    KEY_INDICATORS,
    LIKELIHOOD_COLOURS,
    LIKELIHOOD_LABELS,
    LIKELIHOODS,
    LIKELY_AT,
    MIN_TEXT_PX,
    MUTED,
    DESIGNATION_SET,
    PROJECTOR_WEIGHT,
    PROJECT_COLOURS,
    QUANTILES,
    READING_COLOURS,
    READING_LABELS,
    READINGS,
    SCENARIO_COLOURS,
    SECTION_COLOURS,
    SLIDE_SCALE,
    city_totals,
    format_value,
    likelihood,
    points_text,
    reading,
    set_by_designation,
    summarise,
)
