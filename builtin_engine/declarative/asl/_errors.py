"""ASL errors: a name (``States.Timeout``, an activity's exception type...) and a cause."""

from __future__ import annotations

from typing import Any

#: errors that ``States.ALL`` does not catch and no Retry or Catch can handle
UNCATCHABLE = frozenset({"States.Runtime", "States.DataLimitExceeded"})


class StatesError(Exception):
    """An error raised while running a state: what ``Retry`` and ``Catch`` match on.

    ``expression`` is the path or intrinsic function that failed, for a runtime error; ``state``
    and ``state_input`` are filled in by the state that raised it, for the failure's details.
    """

    def __init__(self, error: str, cause: str = "", *, expression: str | None = None) -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause
        self.expression = expression
        self.state: str | None = None
        self.state_input: Any = None


def matches(names: list[str], error: str) -> bool:
    """Whether a retrier's or catcher's ``ErrorEquals`` covers ``error``."""
    if error in UNCATCHABLE:
        return False
    for name in names:
        if name == error or name == "States.ALL":
            return True
        if name == "States.TaskFailed" and error != "States.Timeout":
            return True
    return False
