"""Errors a user can cause by what they type or write, reported without a traceback.

Every input problem (a scenario file, a sweep file, a targets file, a command-line value) is raised
as :class:`InputError`, which carries the file, the key, the bad value and what is allowed. The
command line prints its one-line message and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


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
