"""The calibration report: tables (CSV) and a readable page (``report.md``) from a calibration's outputs.

Analysis only: reads the posterior tables, the posterior-predictive statistics and the stylized-fact
comparison that :mod:`calibration.fit` stored, never a live model. Tables:

- ``fit.csv``: every observation, observed vs simulated (median, 5-95% band of the posterior predictive),
  with its errors;
- ``hindcast.csv``: every compared statistic for every year 2019-2024 (observed where it exists);
- ``holdout.csv``: the 2023-2024 figures of the hold-out file (never fitted), and how the posterior
  predicted them;
- ``parameters.csv``: prior and posterior of each fitted parameter and scope share, the ratio of the
  posterior's to the prior's 90% range, and whether the data pin it down or it remains an assumption;
- ``start_2024.csv``: the forward runs' 2024 state against the hindcast's (one starting point);
- ``nuisance.csv``: the same for every input drawn from its prior in the calibration runs;
- ``screening.csv``: which inputs move which statistics in the prior runs (rank correlations);
- ``correlations.csv``: pairs of fitted parameters correlated in the posterior;
- ``generations.csv``, ``stylized_facts.csv``, ``summary.json``.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from calibration.abc import weighted_quantile

if TYPE_CHECKING:
    from calibration.fit import Calibration

PINNED, PARTLY = 0.5, 0.2  # shrinkage of the 90% interval (unit scale) for "pinned down" and "partly"
STATUS = {"pinned down": "pinned down by the data", "partly": "partly informed by the data",
          "stays wide": "remains an assumption (posterior close to the prior)"}
SCREEN_TOP = 4


def band(simulated: pd.DataFrame) -> pd.DataFrame:
    """Median and 5-95% band of a statistic over runs, per (series, year); weighted by the runs'
    ``weight`` column if there is one (posterior particles carry importance weights)."""
    rows = []
    for (series, year), group in simulated.groupby(["series", "year"]):
        group = group[np.isfinite(group["simulated"])]
        values = group["simulated"].to_numpy(dtype=float)
        weights = group["weight"].to_numpy(dtype=float) if "weight" in group else np.ones(len(values))
        q05, q50, q95 = ((weighted_quantile(values, weights, q) if len(values) else np.nan)
                         for q in (0.05, 0.5, 0.95))
        rows.append({"series": series, "year": year, "sim_median": q50, "sim_p05": q05, "sim_p95": q95,
                     "runs": len(values)})
    return pd.DataFrame(rows, columns=["series", "year", "sim_median", "sim_p05", "sim_p95", "runs"])


def fit_table(observations: pd.DataFrame, simulated: pd.DataFrame, prior: pd.DataFrame | None = None
              ) -> pd.DataFrame:
    """Observed vs simulated (median and band) per observation, with the errors of the median.

    Args:
        observations: From :meth:`calibration.series.SeriesSet.observations`.
        simulated: Posterior-predictive statistics (columns series, year, simulated).
        prior: Prior-predictive statistics, to show what the data changed (optional).

    Returns:
        Columns series, year, observed, sim_median, sim_p05, sim_p95, log_error (log median - log
        observed), relative_error (median / observed - 1), scaled_error (log error / discrepancy sd; for
        an upper bound only the excess counts), in_band (observed within the 5-95% band; for a bound:
        the median at or below it), sd, quality, transform, holdout, and with ``prior`` also
        prior_median, prior_p05, prior_p95.
    """
    table = observations.merge(band(simulated), on=["series", "year"], how="left")
    log_error = np.log(table["sim_median"]) - np.log(table["observed"])
    upper = table["transform"] == "level_upper"
    table["log_error"] = log_error
    table["relative_error"] = table["sim_median"] / table["observed"] - 1.0
    table["scaled_error"] = np.where(upper, np.maximum(log_error, 0.0), log_error) / table["sd"]
    table["in_band"] = np.where(upper, table["sim_median"] <= table["observed"],
                                (table["sim_p05"] <= table["observed"]) & (table["observed"] <= table["sim_p95"]))
    columns = ["series", "year", "observed", "sim_median", "sim_p05", "sim_p95", "log_error",
               "relative_error", "scaled_error", "in_band", "sd", "quality", "transform", "holdout"]
    if prior is not None:
        prior_band = band(prior).rename(columns={"sim_median": "prior_median", "sim_p05": "prior_p05",
                                                 "sim_p95": "prior_p95"}).drop(columns="runs")
        table = table.merge(prior_band, on=["series", "year"], how="left")
        columns += ["prior_median", "prior_p05", "prior_p95"]
    return table[columns]


def hindcast_table(observations: pd.DataFrame, simulated: pd.DataFrame) -> pd.DataFrame:
    """Every compared statistic for every simulated year, with the observation where one exists."""
    table = band(simulated).merge(observations[["series", "year", "observed"]], on=["series", "year"], how="left")
    return table.sort_values(["series", "year"]).reset_index(drop=True)


def parameter_table(factors, posterior: pd.DataFrame, roles: dict[str, str]) -> pd.DataFrame:
    """Prior vs posterior of factors: 90% intervals and how much the data narrowed them.

    Shrinkage is 1 - (posterior 90% width / prior 90% width), both on the unit scale the priors are
    uniform on (so log-uniform factors are compared in logs). "pinned down" from 0.5, "partly" from 0.2,
    else "stays wide".
    """
    weights = posterior["weight"].to_numpy()
    rows = []
    for f in factors:
        values = posterior[f.name].to_numpy(dtype=float)
        unit = _unit(f, values)
        q05, q50, q95 = (weighted_quantile(values, weights, q) for q in (0.05, 0.5, 0.95))
        u05, u95 = (weighted_quantile(unit, weights, q) for q in (0.05, 0.95))
        shrinkage = 1.0 - (u95 - u05) / 0.9
        verdict = "pinned down" if shrinkage >= PINNED else "partly" if shrinkage >= PARTLY else "stays wide"
        rows.append({
            "parameter": f.name, "role": roles.get(f.name, "nuisance"), "unit": f.unit, "kind": f.kind,
            "prior_low": f.low, "prior_high": f.high, "distribution": f.distribution, "default": f.default,
            "prior_p05": float(f.from_unit(0.05)), "prior_p95": float(f.from_unit(0.95)),
            "post_median": q50, "post_p05": q05, "post_p95": q95,
            "post_median_unit": weighted_quantile(unit, weights, 0.5), "range_ratio": 1.0 - shrinkage,
            "shrinkage": shrinkage, "verdict": verdict, "status": STATUS[verdict],
        })
    return pd.DataFrame(rows)


def posterior_correlations(factors, posterior: pd.DataFrame, threshold: float = 0.25) -> pd.DataFrame:
    """Weighted (Pearson, on the prior's unit scale) correlations of fitted parameters in the
    posterior, pairs with |r| >= threshold: combinations the data constrain even where each marginal
    stays wide."""
    weights = posterior["weight"].to_numpy()
    unit = np.column_stack([_unit(f, posterior[f.name].to_numpy(dtype=float)) for f in factors])
    cov = np.cov(unit, rowvar=False, aweights=weights)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    rows = [{"parameter_a": factors[i].name, "parameter_b": factors[j].name, "correlation": float(corr[i, j])}
            for i in range(len(factors)) for j in range(i + 1, len(factors)) if abs(corr[i, j]) >= threshold]
    table = pd.DataFrame(rows, columns=["parameter_a", "parameter_b", "correlation"])
    return table.reindex(table["correlation"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def _unit(f, values: np.ndarray) -> np.ndarray:
    """Values of a factor on the unit scale its prior is uniform on."""
    if f.distribution == "loguniform":
        return (np.log(values) - np.log(f.low)) / (np.log(f.high) - np.log(f.low))
    return (values - f.low) / (f.high - f.low) if f.high > f.low else np.zeros_like(values)


def screening_table(prior_predictive: pd.DataFrame, factor_names: list[str]) -> pd.DataFrame:
    """Rank correlation of each input with each observation's error over the prior runs (generation 0).

    Returns:
        For each observation, the ``SCREEN_TOP`` inputs with the largest absolute Spearman correlation.
    """
    rows = []
    for (series, year), group in prior_predictive.groupby(["series", "year"]):
        ok = group["log_error"].notna()
        for name in factor_names:
            if group.loc[ok, name].nunique() < 3:
                continue
            rho = spearmanr(group.loc[ok, name], group.loc[ok, "log_error"])[0]
            rows.append({"series": series, "year": year, "parameter": name, "spearman": rho})
    table = pd.DataFrame(rows)
    table["abs"] = table["spearman"].abs()
    table = table.sort_values(["series", "year", "abs"], ascending=[True, True, False])
    return table.groupby(["series", "year"]).head(SCREEN_TOP).drop(columns="abs").reset_index(drop=True)


# ------------------------------------------------------------------ the page


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(value)
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "—"
        return f"{value:.{digits}g}"
    return str(value)


def markdown_table(frame: pd.DataFrame, columns: list[str], headers: list[str] | None = None) -> str:
    headers = headers or columns
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in frame[columns].itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    return "\n".join(lines)


def write(calibration: Calibration, results: dict[str, Any], stylized: pd.DataFrame) -> dict[str, Any]:
    """Write the report folder of a calibration; returns the summary (also ``summary.json``).

    Args:
        calibration: The calibration (settings, series, roles, timings).
        results: ``abc`` (the fitted ABC-SMC), ``posterior`` (particles), ``fit`` and ``holdout``
            (posterior-predictive statistics), ``states`` and ``start`` (the start check).
        stylized: The stylized-fact comparison.
    """
    from calibration.series import load_facts
    from sim.engine.store import code_version

    folder = calibration.out / "report"
    folder.mkdir(parents=True, exist_ok=True)
    series = calibration.series
    held = calibration.holdout_series()
    obs = calibration.observations
    hold_obs = held.observations(load_facts())
    labels = {s.id: s.label_en for s in series.series + held.series}

    abc_fit, posterior_fit = results["abc"], results["posterior"]
    prior_predictive = pd.read_parquet(calibration.out / "fit" / "prior_predictive.parquet")
    fit = fit_table(obs, results["fit"], prior=prior_predictive[["series", "year", "simulated"]])
    holdout = fit_table(hold_obs, results["holdout"])
    both = pd.concat([results["fit"], results["holdout"]]).drop_duplicates(["sample", "series", "year"])
    hindcast = hindcast_table(pd.concat([obs, hold_obs]), both)
    roles = {name: "fitted (carried into draws)" for name in calibration.roles.carried}
    roles.update({f.name: "fitted start state 2019 (2024: set per draw from its hindcast)"
                  if f.name in calibration.roles.start_2024 else "fitted start state 2019 (not carried)"
                  for f in calibration.roles.fitted if f.name not in calibration.roles.carried})
    roles.update({f.name: "scope share (observation parameter, not read by the model)" for f in calibration.shares})
    parameters = parameter_table(calibration.abc_factors, posterior_fit, roles)
    nuisance = parameter_table(calibration.roles.nuisance, posterior_fit, {})
    correlations = posterior_correlations(list(calibration.abc_factors), posterior_fit)
    factors = [*calibration.abc_factors, *calibration.roles.nuisance]
    screening = screening_table(prior_predictive, [f.name for f in factors])
    generations = pd.read_csv(calibration.out / "fit" / "generations.csv").assign(stage="fit")
    start = results["start"]

    fit.to_csv(folder / "fit.csv", index=False)
    hindcast.to_csv(folder / "hindcast.csv", index=False)
    holdout.to_csv(folder / "holdout.csv", index=False)
    parameters.to_csv(folder / "parameters.csv", index=False)
    nuisance.to_csv(folder / "nuisance.csv", index=False)
    screening.to_csv(folder / "screening.csv", index=False)
    correlations.to_csv(folder / "correlations.csv", index=False)
    generations.to_csv(folder / "generations.csv", index=False)
    stylized.to_csv(folder / "stylized_facts.csv", index=False)
    start.to_csv(folder / "start_2024.csv", index=False)
    pd.concat([obs, hold_obs]).to_csv(folder / "observations.csv", index=False)
    identification = _identification_file(calibration)
    if identification is not None:
        status = dict(zip(parameters["parameter"], parameters["status"]))
        identification["status"] = identification["parameter"].map(status).fillna(
            "not fitted: drawn from its prior (an assumption)")
        identification.to_csv(folder / "target_sensitivity.csv", index=False)

    rms = float(np.sqrt(np.mean(np.square(fit["scaled_error"]))))
    rms_hold = float(np.sqrt(np.mean(np.square(holdout["scaled_error"])))) if len(holdout) else float("nan")
    timings = dict(calibration.timings)
    summary: dict[str, Any] = {
        "mode": calibration.mode, "seed": calibration.seed, "code_version": code_version(),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "workers": calibration.workers,
        "population_scale": calibration.config.population_scale,
        "seconds": timings,
        "fit": {"stop_reason": abc_fit.stop_reason_, "generations": len(abc_fit.generations_) - 1,
                "final_epsilon": float(abc_fit.posterior_.epsilon), "runs": int(generations["proposed"].sum()),
                "rms_scaled_error_of_median": rms, "observations_in_band": int(fit["in_band"].sum()),
                "observations": len(fit)},
        "holdout": {"rms_scaled_error_of_median": rms_hold, "predicted_in_band": int(holdout["in_band"].sum()),
                    "predicted": len(holdout),
                    "share_in_band": float(holdout["in_band"].mean()) if len(holdout) else float("nan")},
        "start_2024": {row.quantity: {"hindcast": row.hindcast_median, "forward": row.forward_median,
                                      "within_10_percent": bool(row.within)} for row in start.itertuples()},
        "parameters": {row.parameter: row.verdict for row in parameters.itertuples()},
        "stylized_facts_matching": [r.fact for r in stylized.itertuples() if r.matches],
        "stylized_facts_not_matching": [r.fact for r in stylized.itertuples() if not r.matches],
    }
    summary["headline"] = (
        f"{summary['fit']['observations_in_band']}/{len(fit)} observations inside the 90% band, RMS scaled error "
        f"{rms:.2f}; hold-out 2023-2024: {summary['holdout']['predicted_in_band']}/{len(holdout)} predicted inside, "
        f"RMS {rms_hold:.2f}; {sum(v == 'pinned down' for v in summary['parameters'].values())} of "
        f"{len(parameters)} fitted parameters and scope shares pinned down; forward start within 10% of the "
        f"hindcast on {int(start['within'].sum())}/{len(start)} quantities; stylized facts matching: "
        f"{len(summary['stylized_facts_matching'])}/{len(stylized)}")
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=float),
                                         encoding="utf-8")
    page = _page(calibration, summary, fit, hindcast, holdout, parameters, nuisance, correlations, generations,
                 stylized, labels, start, held, identification)
    (folder / "report.md").write_text(page, encoding="utf-8")
    return summary


def _identification_file(calibration: Calibration) -> pd.DataFrame | None:
    """The target-sensitivity table of the calibration folder, if that stage ran (else None)."""
    path = calibration.out / "target_sensitivity.csv"
    return pd.read_csv(path) if path.exists() else None


def _page(calibration, summary, fit, hindcast, holdout, parameters, nuisance, correlations, generations,
          stylized, labels, start, held, identification) -> str:
    s = summary
    secs = s["seconds"]
    f = fit.assign(label=fit["series"].map(labels))
    h = holdout.assign(label=holdout["series"].map(labels))
    hc = hindcast.assign(label=hindcast["series"].map(labels))
    informative = nuisance[nuisance["shrinkage"] >= PARTLY].sort_values("shrinkage", ascending=False)
    shares = [x for x in calibration.series.scope_share]
    lines = [
        "# 校准报告 Calibration report",
        "",
        f"Mode **{s['mode']}** (population scale {s['population_scale']:g}), seed {s['seed']}, code "
        f"{s['code_version']}, written {s['written']}. Wall time: "
        f"{secs.get('all_sessions_total', float('nan')) / 60:.1f} min over all sessions on {s['workers']} worker "
        f"process(es); the session that finished it took {secs.get('session_total', float('nan')) / 60:.1f} min "
        f"(fit {secs.get('fit_abc', 0) / 60:.1f} min, posterior predictive "
        f"{secs.get('posterior_predictive', 0) / 60:.1f} min, draws and start check "
        f"{secs.get('draws_and_start_check', 0) / 60:.1f} min, stylized facts "
        f"{secs.get('stylized_facts', 0) / 60:.1f} min; a resumed session reads finished batches from disk).",
        "",
        f"**In one line:** {s['headline']}.",
        "",
        "## 1 方法 Method",
        "",
        f"ABC-SMC (Beaumont et al. 2009; adaptive tolerances after Del Moral et al. 2012) over "
        f"{len(calibration.roles.fitted)} model parameters and {len(shares)} scope shares. Each particle is a "
        "hindcast 2019-2024 of `scenarios/history.toml` from the synthesised 2019 population; every other "
        "parameter and every uncertainty is drawn from its prior in each run. The distance is the root mean "
        "square of log errors, each divided by the series' stated model-data discrepancy "
        "(`calibration/data/series.toml`); the fit stops when that reaches "
        f"{calibration.settings.method.epsilon_min:g}, i.e. when the model agrees with every statistic as well "
        "as the scope of the statistic allows, and no better. "
        f"Fit: {s['fit']['generations']} generations after the prior one, {s['fit']['runs']} runs, final tolerance "
        f"{s['fit']['final_epsilon']:.2f} ({s['fit']['stop_reason']}). The fit sees data up to 2022 only; the "
        "2023-2024 figures are in `calibration/data/holdout.toml`, read after the fit (section 5).",
        "",
        "Draws (`draws.csv`): the fitted behavioural parameters resampled from the posterior; the 2024 start "
        "state of each draw (" + ", ".join(f"`{n.split('.', 1)[1]}`" for n in calibration.roles.start_2024)
        + ") set so that forward runs start where that draw's own hindcast ended (section 6); every other "
        "parameter at the value that draw's hindcast ran with (drawn from its prior in the fit, so parameter "
        "uncertainty still shows in every forecast band).",
        "",
        markdown_table(generations, ["generation", "epsilon", "proposed", "accepted", "acceptance_rate",
                                     "ess", "median_distance", "seconds"]),
        "",
        "## 2 数据与映射 What the model is compared with",
        "",
        "Levels of sourced Ningbo statistics against the model quantity over a scope share (the share of the "
        "city statistic that the nine directions cover, fitted from its prior), and, where no share is "
        "defensible, indices (`calibration/data/series.toml` says for each what the statistic covers, what "
        "the model quantity covers and why one stands for the other). `sd` is the stated discrepancy in log "
        "points.",
        "",
    ]
    for ser in calibration.series.series:
        share = f", scope share `{ser.scope_share}`" if ser.scope_share else ""
        lines += [f"- **{ser.label_zh} / {ser.label_en}** ({ser.transform}{share}; {ser.quality}, sd "
                  f"{ser.discrepancy_log_sd:g}): statistic: {ser.statistic_scope}. Model: {ser.model_scope}. "
                  f"Mapping: {ser.mapping}"]
    lines += ["", "Scope shares (priors; judgement, not data):", ""]
    for share in shares:
        lines += [f"- `{share.name}` ({share.label_zh} / {share.label_en}): {share.low:g} to {share.high:g} "
                  f"({share.distribution}). {share.source}"]
    lines += [
        "",
        "## 3 拟合 Fit: observed vs simulated",
        "",
        "Posterior predictive (a new hindcast of every particle, weighted): median and 5-95% band of the "
        "simulated statistic (levels: the model quantity over the particle's scope share); the prior band "
        "(generation 0, every input from its prior) shows what the data changed.",
        "",
        markdown_table(f, ["label", "year", "observed", "sim_median", "sim_p05", "sim_p95", "relative_error",
                           "scaled_error", "in_band", "prior_p05", "prior_p95", "quality"],
                       ["series", "year", "observed", "sim median", "sim 5%", "sim 95%", "rel. error",
                        "scaled error", "in band", "prior 5%", "prior 95%", "quality"]),
        "",
        "## 4 回溯 Hindcast 2019-2024, every compared statistic by year (fitted and held out)",
        "",
        markdown_table(hc, ["label", "year", "observed", "sim_median", "sim_p05", "sim_p95"],
                       ["series", "year", "observed", "sim median", "sim 5%", "sim 95%"]),
        "",
        "## 5 留出检验 Hold-out: 2023-2024 figures the fit never read",
        "",
        f"**{s['holdout']['predicted_in_band']} of {s['holdout']['predicted']} held-out figures "
        f"({100 * s['holdout']['share_in_band']:.0f}%) inside the 90% posterior-predictive band**, RMS scaled "
        f"error of the medians {s['holdout']['rms_scaled_error_of_median']:.2f}. (An upper bound counts as "
        "inside when the predictive median is at or below it.)",
        "",
        markdown_table(h, ["label", "year", "observed", "sim_median", "sim_p05", "sim_p95", "relative_error",
                           "scaled_error", "in_band", "quality"],
                       ["series", "year", "observed", "predicted median", "pred. 5%", "pred. 95%",
                        "rel. error", "scaled error", "in band", "quality"]) if len(h) else "(no hold-out figure)",
        "",
    ]
    for ser in held.series:
        lines += [f"- **{ser.label_en}** ({ser.quality}): {ser.statistic_scope}. {ser.mapping}"]
    lines += [
        "",
        "## 6 起点 One starting point: forward runs start where the hindcast ends",
        "",
        "Medians of the city state in 2024: the posterior-predictive hindcast (2019-2024, weighted) against "
        "forward runs of `scenarios/baseline.toml` (2024) with this calibration's draws. Each draw's 2024 "
        "start-state values are solved from its own hindcast (`calibration/start.py`: firm and revenue scales, "
        "certified and listed shares, and, for head enterprises, a common factor on the leading groups' "
        "relative technology with the size tail exponent), clipped to their prior ranges, in two passes: to the "
        "hindcast's end-of-2023 state, then corrected by the ratio of the hindcast's 2024 growth to the forward "
        "model's own first-year growth (one construction per draw), so that the forward runs' 2024 state meets "
        "the hindcast's. Per draw: `start_values.csv`.",
        "",
        markdown_table(start, ["quantity", "hindcast_median", "forward_median", "relative_difference", "within"],
                       ["quantity", "hindcast 2024", "forward 2024", "difference", "within 10%"]),
        "",
        "## 7 参数 Identification: which parameters the data pin down, which remain assumptions",
        "",
        "Range ratio = posterior / prior width of the 90% interval on the prior's own scale (1 = the data "
        f"say nothing). Pinned down: ratio at most {1 - PINNED:g}; partly: at most {1 - PARTLY:g}; otherwise "
        "the parameter remains an assumption and forecasts carry its prior range.",
        "",
        markdown_table(parameters, ["parameter", "role", "prior_low", "prior_high", "default", "post_median",
                                    "post_p05", "post_p95", "range_ratio", "status"],
                       ["parameter", "role", "prior low", "prior high", "default", "posterior median",
                        "post. 5%", "post. 95%", "range ratio", "status"]),
        "",
        "Combinations the data constrain (weighted posterior correlation on the priors' unit scale, "
        "|r| >= 0.25; negative: a high value of one goes with a low value of the other):",
        "",
        markdown_table(correlations, ["parameter_a", "parameter_b", "correlation"]) if len(correlations)
        else "(no pair correlated beyond 0.25)",
        "",
        "Inputs drawn from their priors in every run that the accepted runs nevertheless favour "
        "(history 2019-2024 only; not carried into forecasts):",
        "",
        markdown_table(informative, ["parameter", "default", "prior_low", "prior_high", "post_median", "post_p05",
                                     "post_p95", "shrinkage"]) if len(informative) else "(none)",
        "",
        "Which inputs move which statistic in the prior runs (Spearman correlation with the log error, "
        f"top {SCREEN_TOP} per observation): see `screening.csv`.",
        "",
    ]
    lines += _identification_section(identification)
    lines += [
        "## 8 典型事实 Stylized facts of the calibrated model (baseline 2024-2035)",
        "",
        markdown_table(stylized, ["label_en", "model_median", "model_p05", "model_p95", "runs", "published",
                                  "criterion", "matches"],
                       ["regularity", "model median", "5%", "95%", "runs", "published", "criterion", "matches"]),
        "",
    ]
    for r in stylized.itertuples():
        lines.append(f"- **{r.label_zh} / {r.label_en}**: {r.measure}. Published: {r.published_text} "
                     f"({r.source}). {r.context}")
    lines += ["", "## 9 未使用的统计 Statistics not compared", ""]
    lines += [f"- `{n.fact}`: {n.reason}" for n in calibration.series.not_compared]
    outside = f[~f["in_band"].astype(bool)]
    missed = h[~h["in_band"].astype(bool)]
    wide = parameters[parameters["verdict"] == "stays wide"]["parameter"].tolist()
    lines += [
        "", "## 10 局限 What is weak", "",
        f"- {len(fit)} fitted observations up to 2022 and {len(holdout)} held-out figures; the levels rest on "
        "scope shares that are judgements with wide priors, and the 2019 start state is synthesised from the "
        "2024 assumptions.",
        "- Fitted observations outside the simulated 90% band: "
        + (", ".join(f"{labels[r.series]} {r.year}" for r in outside.itertuples()) or "none") + ".",
        "- Held-out figures outside the predictive band: "
        + (", ".join(f"{labels[r.series]} {r.year}" for r in missed.itertuples()) or "none") + ".",
        "- Parameters the data leave wide (they remain assumptions; their draws are close to the prior): "
        + (", ".join(wide) or "none") + ".",
        "- The posterior is conditional on the stated discrepancies; wider ones would give wider draws.",
        "",
    ]
    return "\n".join(lines)


def _identification_section(table: pd.DataFrame | None) -> list[str]:
    """What the forecast rests on: target probabilities across the prior range of the most influential
    parameters (from ``target_sensitivity.csv``, if that stage ran)."""
    lines = ["### What the targets rest on", ""]
    if table is None or table.empty:
        return [*lines, "(target sensitivity not computed in this run: `weilai calibrate --identification`)", ""]
    lines += [
        "For the parameters with the largest Sobol' total indices (ST) on the probability of meeting a 2035 "
        "target (a Sobol' sweep of the baseline over the parameters of `[identification]` in "
        "`calibration/settings.toml`, every other input from the calibrated draws): the share of the sweep's "
        "runs meeting each target when the parameter lies in the low, middle or high third of its prior range. "
        "A large swing on a parameter the data leave wide means the forecast rests on an assumption.",
        "",
    ]
    wide = table.pivot_table(index=["parameter", "status", "sobol_total", "target"], columns="level",
                             values="probability").reset_index()
    wide.columns = [str(c) for c in wide.columns]
    levels = [c for c in ("low", "mid", "high") if c in wide.columns]
    wide["swing"] = wide[levels].max(axis=1) - wide[levels].min(axis=1)
    wide = wide[wide["swing"] > 0].sort_values(["sobol_total", "swing"], ascending=[False, False])
    lines += [markdown_table(wide, ["parameter", "sobol_total", "status", "target", *levels, "swing"],
                             ["parameter", "ST", "status", "target", *[f"P, {c} third" for c in levels],
                              "swing"]) if len(wide) else "(no target probability moves across these priors)",
              "", "Targets whose probability does not move across any of these priors are left out.", ""]
    return lines
