"""Errors a user can cause by what they type or write, reported without a traceback.

Every input problem (a scenario file, a sweep file, a targets file, a command-line value) is raised
as :class:`InputError`, which carries the file, the key, the bad value and what is allowed. The
command line prints its one-line message and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError


class InputError(Exception):
    """A problem with something the user supplied.

    Attributes:
        file: The file the problem is in, or None for command-line values.
        key: Dotted path of the offending key (``levers.rd_grants.start_year``), or None.
        value: The offending value, or None when the problem is a missing thing.
        allowed: A short statement of what is allowed.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        key: str | None = None,
        value: Any = None,
        allowed: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(self.message())

    def message(self) -> str:
        """One line: where, what, the bad value and what is allowed."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.key:
            parts.append(f"key '{self.key}'")
        head = ": ".join([", ".join(parts), self.problem]) if parts else self.problem
        if self.value is not None:
            head += f" (got {self.value!r})"
        if self.allowed:
            head += f"; allowed: {self.allowed}"
        return head


class StoreMismatchError(InputError):
    """A result store was written by a different design and must not be mixed."""


TYPE_HINTS = {
    "float_type": "a number", "float_parsing": "a number", "int_type": "a whole number",
    "int_parsing": "a whole number", "int_from_float": "a whole number", "string_type": "text",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "an array",
    "dict_type": "a table", "model_type": "a table", "finite_number": "a finite number",
}


def from_validation_error(exc: ValidationError, file: str | Path | None, schema: type[BaseModel]) -> InputError:
    """Turn pydantic's first validation error into an :class:`InputError` (file, key, value, allowed).

    Custom errors may carry ``problem``, ``key``, ``value`` and ``allowed`` in their context; for an
    unknown key the allowed keys are read from ``schema`` at that location.
    """
    errors = exc.errors()
    err = errors[0]
    ctx = err.get("ctx") or {}
    loc = [str(p) for p in err["loc"]]
    key = ctx.get("key") or ".".join(loc) or None
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    kind = err["type"]
    value = ctx.get("value", err.get("input"))
    if kind == "extra_forbidden":
        return InputError("unknown key" + more, file=file, key=key,
                          allowed=", ".join(allowed_keys(schema, loc[:-1])))
    if kind == "missing":
        return InputError("missing key" + more, file=file, key=key, allowed="this key is required here")
    if "problem" in ctx:
        return InputError(ctx["problem"] + more, file=file, key=key, value=value, allowed=ctx.get("allowed"))
    bounds = [f"{sym} {ctx[k]}" for k, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")) if k in ctx]
    allowed = ctx.get("allowed") or (" and ".join(bounds) if bounds else None) or ctx.get("expected")
    if allowed is None and "pattern" in ctx:
        allowed = f"text matching {ctx['pattern']}"
    if allowed is None and "max_length" in ctx:
        allowed = f"at most {ctx['max_length']} {'characters' if isinstance(value, str) else 'item(s)'}"
    if allowed is None and "min_length" in ctx:
        allowed = f"at least {ctx['min_length']} item(s)"
    allowed = allowed or TYPE_HINTS.get(kind)
    problem = "not one of the choices" if kind == "literal_error" else \
        err["msg"].removeprefix("Value error, ").split(" [")[0]
    if isinstance(value, (dict, list)) and len(str(value)) > 80:
        value = None
    return InputError(problem + more, file=file, key=key, value=value, allowed=allowed)


def allowed_keys(schema: type[BaseModel], loc: list[str]) -> list[str]:
    """Keys a pydantic schema allows at a location (list indices are skipped)."""
    from pydantic import BaseModel

    def inner(annotation: Any) -> Any:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        for arg in get_args(annotation):
            found = inner(arg)
            if found is not None:
                return found
        return None

    cls: Any = schema
    for part in loc:
        if part.isdigit():
            continue
        field = getattr(cls, "model_fields", {}).get(part)
        cls = inner(field.annotation) if field is not None else None
        if cls is None:
            return []
    return sorted(cls.model_fields)
