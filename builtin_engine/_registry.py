"""The workflow and activity functions an engine can run, by name."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from builtin_engine._codec import Signature, signature_of

#: the attribute Dapr's SDK sets on a function to give it a name other than ``__name__``
NAME_ATTRIBUTE = "_dapr_alternate_name"


def name_of(fn_or_name: Callable[..., Any] | str) -> str:
    """The registered name of a workflow or activity given by function or by name."""
    if isinstance(fn_or_name, str):
        return fn_or_name
    alternate = getattr(fn_or_name, NAME_ATTRIBUTE, None)
    if isinstance(alternate, str) and alternate:
        return alternate
    name = getattr(fn_or_name, "__name__", None)
    if not isinstance(name, str):
        raise TypeError(f"{fn_or_name!r} is neither a function nor a name")
    return name


@dataclass(frozen=True, slots=True)
class Registered:
    """One registered function with what the engine needs to call it."""

    name: str
    fn: Callable[..., Any]
    signature: Signature
    is_async: bool


class Registry:
    """Workflows and activities by name. Registering a second function under a name is an error."""

    def __init__(self) -> None:
        self.workflows: dict[str, Registered] = {}
        self.activities: dict[str, Registered] = {}

    def add_workflow(self, fn: Callable[..., Any], name: str | None = None) -> str:
        return self._add(self.workflows, "workflow", fn, name)

    def add_activity(self, fn: Callable[..., Any], name: str | None = None) -> str:
        return self._add(self.activities, "activity", fn, name)

    def merge(self, other: Registry) -> None:
        """Add everything ``other`` registers (the gateway hosts several runtimes at once)."""
        for entry in other.workflows.values():
            self._put(self.workflows, "workflow", entry)
        for entry in other.activities.values():
            self._put(self.activities, "activity", entry)

    def _add(self, table: dict[str, Registered], what: str, fn: Callable[..., Any], name: str | None) -> str:
        if not callable(fn):
            raise TypeError(f"a {what} must be a function, not {fn!r}")
        final = name or name_of(fn)
        if name:
            # Calls by function reference must find the alternate name, as in Dapr.
            with contextlib.suppress(AttributeError, TypeError):
                setattr(fn, NAME_ATTRIBUTE, name)
        entry = Registered(final, fn, signature_of(fn), inspect.iscoroutinefunction(fn))
        self._put(table, what, entry)
        return final

    @staticmethod
    def _put(table: dict[str, Registered], what: str, entry: Registered) -> None:
        existing = table.get(entry.name)
        if existing is not None and existing.fn is not entry.fn:
            raise ValueError(f"a {what} named {entry.name!r} is already registered")
        table[entry.name] = entry
