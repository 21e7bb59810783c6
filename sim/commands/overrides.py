"""``--set key=value`` on ``weilai run`` and ``weilai compare``: a quick lever change without a file.

The value is read as a TOML value (``8``, ``0.5``, ``"scale"``, ``[1, 2]``) and set on the loaded
scenario at the dotted key; the result is validated exactly like a scenario file, and any problem is a
one-line error naming ``--set`` and the key.
"""

from __future__ import annotations

import argparse
import hashlib
import tomllib

from sim.core.errors import InputError

SET_HELP = ("change one value of the scenario without editing its file, e.g. "
            "--set levers.rd_grants.amount_100m_yuan_per_year=8 (repeatable; validated like a file)")


def add_set_argument(parser: argparse.ArgumentParser) -> None:
    """The repeatable ``--set KEY=VALUE`` option."""
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="set", help=SET_HELP)


def parse_sets(items: list[str]) -> dict[str, object]:
    """``["a.b=8", ...]`` -> ``{"a.b": 8}``; values are TOML values.

    Raises:
        InputError: for an item without ``=``, an empty key or a value that is not a TOML value.
    """
    values: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or not raw.strip():
            raise InputError("expected KEY=VALUE", file="--set", value=item,
                             allowed="a dotted key and a value, e.g. levers.rd_grants.amount_100m_yuan_per_year=8")
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            raise InputError("the value is not a number, a quoted string, true/false or a list", file="--set",
                             key=key, value=raw, allowed='a TOML value: 8, 0.5, "scale", [1, 2]') from None
        values[key] = value
    return values


def apply_sets(scenario, items: list[str]):
    """The scenario with the ``--set`` values applied and validated again (unchanged without any).

    The copy keeps its name with a ``.set-<hash>`` suffix so that its runs never mix with the file's
    own in a result store.

    Raises:
        InputError: naming ``--set`` and the key, for a bad item, an unknown key or a value out of range.
    """
    if not items:
        return scenario
    values = parse_sets(items)
    digest = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:6]
    changed = "，".join(f"{k}={v}" for k, v in values.items())
    titles = {"title_zh": f"{scenario.title_zh or scenario.name}（--set {changed}）",
              "title_en": f"{scenario.title_en or scenario.name} (--set {changed})"}
    try:
        return scenario.with_values({**values, **titles}, name=f"{scenario.name}.set-{digest}")
    except InputError as exc:
        raise InputError(exc.problem, file="--set", key=exc.key, value=exc.value, allowed=exc.allowed) from None
    except (AttributeError, TypeError):
        key = next(iter(values))
        raise InputError("the key runs through a value that is not a table", file="--set", key=key,
                         allowed="a dotted key of the scenario, "
                         "e.g. levers.rd_grants.amount_100m_yuan_per_year") from None
