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


def read_toml(path: Path) -> dict:
    """Parse a TOML file; syntax errors become an InputError with the line."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", file=path) from None


def merged_data(path: Path, _seen: tuple[Path, ...] = ()) -> dict:
    """The file's table merged onto its ``extends`` chain (tables merge, arrays replace)."""
    path = path.resolve()
    if path in _seen:
        raise InputError("extends forms a cycle", file=path, key="extends",
                         value=" -> ".join(p.stem for p in (*_seen, path)))
    data = read_toml(path)
    base_ref = data.pop("extends", None)
    data.setdefault("name", path.stem)
    if base_ref is None:
        return data
    if not isinstance(base_ref, str):
        raise InputError("extends must name one scenario", file=path, key="extends", value=base_ref,
                         allowed="a scenario name or path, e.g. \"baseline\"")
    try:
        base_path = resolve_path(base_ref, relative_to=path.parent)
    except InputError as exc:
        raise InputError("the base scenario was not found", file=path, key="extends", value=base_ref,
                         allowed=exc.allowed) from None
    base = merged_data(base_path, (*_seen, path))
    for inherited in ("title_zh", "title_en", "description"):
        if inherited in data:
            continue
        base.pop(inherited, None)
    return _deep_merge(base, data)


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
    scenario = validate_scenario(merged_data(path), file=path)
    scenario._source = path
    return scenario
