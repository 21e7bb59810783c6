"""Scenario files: TOML in, validated frozen objects out.

A scenario says only what differs from its base (``extends = "baseline"``). Loading merges it onto the
base, validates every key, type, range, direction, district and year, and refuses unknown keys, so a
typo fails at load time with the file, the key, the bad value and what is allowed. Nothing in a
scenario file is executed.

Money is in 100 million yuan (亿元) everywhere; units are in the field names.

"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sim.core.errors import InputError
from sim.core.paths import SCENARIOS_DIR
from sim.scenario.schema import Scenario, validate_scenario


def scenario_names(folder: Path = SCENARIOS_DIR) -> list[str]:
    """Scenario files under ``scenarios/`` as names usable on the command line (``levers/rd_grants``)."""
    return sorted(str(p.relative_to(folder).with_suffix("")) for p in folder.rglob("*.toml")
                  if "sweeps" not in p.relative_to(folder).parts)


def resolve_path(ref: str | Path, relative_to: Path | None = None) -> Path:
    """Find a scenario by path or by name (``baseline`` -> ``scenarios/baseline.toml``)."""
    p = Path(ref)
    candidates = [p]
    if relative_to is not None:
        candidates.append(relative_to / p)
        candidates.append(relative_to / f"{p}.toml")
    candidates += [Path.cwd() / "scenarios" / f"{p}.toml", SCENARIOS_DIR / f"{p}.toml", SCENARIOS_DIR / p]
    for c in candidates:
        if c.is_file():
            return c
    raise InputError("scenario file not found", file=ref,
                     allowed="a path, or one of: " + ", ".join(scenario_names()))


MAX_INPUT_BYTES = 5_000_000  # scenario, sweep and targets files are a few kB; refuse anything huge


def read_toml(path: Path) -> dict:
    """Parse a TOML file; syntax errors, other encodings and absurd nesting become an InputError."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", file=path) from None
    if len(raw) > MAX_INPUT_BYTES:
        raise InputError("file too large", file=path, allowed=f"at most {MAX_INPUT_BYTES // 1_000_000} MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})", file=path,
                         allowed="a TOML file saved as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=path, allowed="TOML syntax (toml.io)") from None
    except RecursionError:
        raise InputError("not valid TOML: nested too deeply", file=path,
                         allowed="arrays and tables nested a few levels") from None


def merged_data(path: Path, _seen: tuple[Path, ...] = (), origins: dict[tuple[str, ...], Path] | None = None
                ) -> dict:
    """The file's table merged onto its ``extends`` chain (tables merge, arrays replace).

    Args:
        path: The scenario file.
        origins: If given, filled with the file each key path (a tuple of keys) was last set in, so
            that an error names the file holding the bad key.
    """
    path = path.resolve()
    if path in _seen:
        raise InputError("extends forms a cycle", file=path, key="extends",
                         value=" -> ".join(p.stem for p in (*_seen, path)),
                         allowed="a chain of bases that ends in a file without extends")
    data = read_toml(path)
    if not data:
        raise InputError("the scenario file is empty", file=path,
                         allowed='extends = "baseline" and the keys that differ from it, or a full scenario')
    base_ref = data.pop("extends", None)
    data.setdefault("name", path.stem)
    if base_ref is None:
        _note_origins(data, path, origins)
        return data
    if not isinstance(base_ref, str):
        raise InputError("extends must name one scenario", file=path, key="extends", value=base_ref,
                         allowed="a scenario name or path, e.g. \"baseline\"")
    try:
        base_path = resolve_path(base_ref, relative_to=path.parent)
    except InputError as exc:
        raise InputError("the base scenario was not found", file=path, key="extends", value=base_ref,
                         allowed=exc.allowed) from None
    base = merged_data(base_path, (*_seen, path), origins)
    for inherited in ("title_zh", "title_en", "description"):
        if inherited in data:
            continue
        base.pop(inherited, None)
    _note_origins(data, path, origins)
    return _deep_merge(base, data)


def _note_origins(data: dict, path: Path, origins: dict | None, prefix: tuple[str, ...] = ()) -> None:
    if origins is None:
        return
    for key, value in data.items():
        origins[(*prefix, str(key))] = path
        if isinstance(value, dict):
            _note_origins(value, path, origins, (*prefix, str(key)))


def _origin(key: str | None, origins: dict[tuple[str, ...], Path], default: Path) -> Path:
    """The file that set a dotted key (or its nearest parent table), else ``default``."""
    parts = tuple(key.split(".")) if key else ()
    while parts:
        if parts in origins:
            return origins[parts]
        parts = parts[:-1]
    return default


def _deep_merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out




def load_scenario(ref: str | Path) -> Scenario:
    """Load a scenario by path or name, following ``extends``.

    Raises:
        InputError: for a missing file, a TOML syntax error, an unknown key, a value out of range or
            of the wrong type, a bad direction or district, years outside the scenario, allocation
            shares not summing to one, or a budget cap exceeded.
    """
    path = resolve_path(ref)
    origins: dict[tuple[str, ...], Path] = {}
    data = merged_data(path, origins=origins)
    try:
        scenario = validate_scenario(data, file=path, strict=True)
    except InputError as exc:
        holder = _origin(exc.key, origins, path.resolve())
        if holder != path.resolve():
            exc.file = str(holder)
            exc.args = (exc.message(),)
        raise
    check_draws_reference(scenario.parameter_draws, path)
    scenario._source = path
    return scenario


def check_draws_reference(reference: str, scenario_file: Path) -> None:
    """A scenario's ``parameter_draws`` names a readable draws file inside the allowed folders.

    Allowed: ``"calibrated"``, ``"defaults"``, or a CSV path (relative to the working folder, as at run
    time) inside the project's ``calibration/`` folder, the working folder or the scenario file's own folder.

    Raises:
        InputError: naming the scenario file, the key and the value.
    """
    from sim.core.paths import CALIBRATION_DIR
    from sim.inputs.draws import load_draws

    if reference in ("calibrated", "defaults"):
        return
    allowed = ('"calibrated", "defaults", or a draws CSV inside calibration/, the working folder or the '
               "scenario file's folder")
    target = Path(reference)
    resolved = (Path.cwd() / target).resolve()
    roots = [CALIBRATION_DIR.resolve(), Path.cwd().resolve(), Path(scenario_file).resolve().parent]
    if not any(resolved.is_relative_to(root) for root in roots):
        raise InputError("parameter draws outside the allowed folders", file=scenario_file, key="parameter_draws",
                         value=reference, allowed=allowed)
    if not resolved.is_file():
        raise InputError("parameter draws file not found", file=scenario_file, key="parameter_draws",
                         value=reference, allowed=allowed)
    try:
        load_draws(resolved)
    except InputError as exc:
        raise InputError(exc.problem, file=scenario_file, key="parameter_draws", value=reference,
                         allowed="a CSV with a 'draw' column and one column per factor") from None
