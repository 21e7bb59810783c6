"""``weilai emulate train|predict|rebuild|export``: the emulator of the targets (:mod:`sim.analysis.decision.emulator`)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from sim.core.errors import InputError


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``weilai emulate``."""
    from sim.commands.options import add_execution_arguments

    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    train = sub.add_parser("train", help="fit an emulator to sweep stores")
    train.add_argument("stores", nargs="+", help="sweep stores over levers and uncertainties (same factors)")
    train.add_argument("--out", required=True, help="emulator folder")
    train.add_argument("--reference", default=None,
                       help="sweep store of held-out mixes with many replicates: writes accuracy.json/.md")
    predict = sub.add_parser("predict", help="target probabilities and indicator quantiles for a scenario")
    predict.add_argument("emulator", help="emulator folder (e.g. sim/data/ningbo/emulator)")
    predict.add_argument("scenario", help="scenario file or name")
    predict.add_argument("--json", action="store_true", help="print JSON instead of a table")
    rebuild = sub.add_parser("rebuild", help="run the shipped emulator sweeps, train, check against the reference")
    rebuild.add_argument("--out", default=None, help="emulator folder (default: the shipped one, sim/data/<region>/emulator)")
    rebuild.add_argument("--workdir", default="results/emulator", help="where the sweep stores go (resumable)")
    add_execution_arguments(rebuild)
    export = sub.add_parser("export", help="write the emulator as a self-contained JavaScript evaluator")
    export.add_argument("emulator", help="emulator folder")
    export.add_argument("--out", default=None, help="file (default: <emulator>/emulator.js)")


def cli_main(args: argparse.Namespace) -> int:
    return {"train": _train, "predict": _predict, "rebuild": _rebuild, "export": _export}[args.action](args)


def _train(args: argparse.Namespace, stores: list[str] | None = None, reference: str | None = None) -> int:
    from sim.analysis.decision.accuracy import accuracy_report, write_report
    from sim.analysis.decision.emulator import fit_emulator, training_data
    from sim.analysis.decision.export import export_js

    stores = stores or args.stores
    for ref in list(stores) + ([reference or getattr(args, "reference", None)] if (reference or getattr(args, "reference", None)) else []):
        if not Path(ref).is_dir():
            raise InputError("result store not found", file=ref, allowed="a folder written by weilai sweep")
    started = time.perf_counter()
    data = training_data(stores)
    print(f"training on {len(data.x)} runs at {len(set(data.groups))} points, {len(data.factors)} inputs")
    emu = fit_emulator(data, progress=True)
    out = Path(args.out)
    written = []
    reference = reference or getattr(args, "reference", None)
    if reference:
        report = accuracy_report(emu, reference)
        s = report["summary"]
        print(f"accuracy on {s['mixes']} held-out mixes x {s['replicates_per_mix']} replicates: MAE {s['mae']:.3f} "
              f"(reference s.e. {s['reference_standard_error_mean']:.3f}; RMSE without it "
              f"{s['rmse_noise_corrected']:.3f}), coverage {s['coverage_95_with_reference_error']:.2f}, "
              f"{s['prediction_ms_all_targets']:.3f} ms per prediction")
    written.append(emu.save(out))
    if reference:
        written += write_report(emu, emu.accuracy, out)
    js = out / "emulator.js"
    js.write_text(export_js(emu), encoding="utf-8")
    written.append(js)
    print(f"written in {time.perf_counter() - started:.0f} s: " + ", ".join(str(p) for p in written))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from sim.analysis.decision.emulator import load_emulator, predict_scenario
    from sim.presentation.labels import indicator_label
    from sim.scenario.loading import load_scenario

    emu = load_emulator(args.emulator)
    scenario = load_scenario(args.scenario)
    started = time.perf_counter()
    probs, quants = predict_scenario(emu, scenario)
    if args.json:
        print(json.dumps({"targets": probs.to_dict(orient="records"), "quantiles": quants.to_dict(orient="records")},
                         ensure_ascii=False, indent=1))
        return 0
    acc = emu.accuracy.get("summary", {})
    print(f"{scenario.name}: emulator {Path(args.emulator)} (trained on {emu.identity['training_runs']} runs; "
          f"held-out MAE {acc.get('mae', float('nan')):.3f}); {1000 * (time.perf_counter() - started):.0f} ms "
          "including the model check")
    for _, r in probs.iterrows():
        print(f"  {r['target']:<28} P = {r['probability']:.2f}  [{r['low']:.2f}, {r['high']:.2f}]")
    for _, r in quants.iterrows():
        print(f"  {indicator_label(r['indicator'])} {r['year']}: median {r['q50']:.3g} (5-95%: {r['q05']:.3g}-{r['q95']:.3g})")
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    from sim.analysis.decision.emulator import shipped_emulator_dir, training_sweeps
    from sim.commands.options import execution_options
    from sim.analysis.sweep import load_sweep, run_sweep

    options = execution_options(args)
    train_files, reference_file = training_sweeps()
    workdir = Path(args.workdir)
    stores = []
    for path in train_files + [reference_file]:
        sweep = load_sweep(path)
        out = workdir / path.stem
        print(f"{path.name}: {sweep.n_runs} runs -> {out}")
        store = run_sweep(sweep, out, **options)
        status = store.status()
        if status["runs_done"] < status["runs_total"]:
            raise InputError("the sweep did not finish; run the same command again to resume", file=out,
                             value=f"{status['runs_done']} of {status['runs_total']} runs")
        stores.append(str(out))
    args.out = args.out or str(shipped_emulator_dir(sweep.scenario.region))
    return _train(args, stores=stores[:-1], reference=stores[-1])


def _export(args: argparse.Namespace) -> int:
    from sim.analysis.decision.emulator import load_emulator
    from sim.analysis.decision.export import export_js

    emu = load_emulator(args.emulator)
    out = Path(args.out) if args.out else Path(args.emulator) / "emulator.js"
    out.write_text(export_js(emu), encoding="utf-8")
    print(f"written: {out}")
    return 0
