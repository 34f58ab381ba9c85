"""The console's Jinja environment: templates from the package and the filters they use."""

from __future__ import annotations

from datetime import UTC, datetime

import jinja2

from contracts import RuntimeStatus

_STATUS_CLASSES = {
    RuntimeStatus.RUNNING: "running",
    RuntimeStatus.PENDING: "pending",
    RuntimeStatus.SUSPENDED: "suspended",
    RuntimeStatus.COMPLETED: "completed",
    RuntimeStatus.FAILED: "failed",
    RuntimeStatus.TERMINATED: "terminated",
    RuntimeStatus.CANCELED: "terminated",
    RuntimeStatus.CONTINUED_AS_NEW: "completed",
}


def when(moment: datetime | None) -> str:
    """``2026-11-21 05:55:45`` in UTC."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def clock(moment: datetime) -> str:
    """``05:55:45.979`` in UTC."""
    return moment.astimezone(UTC).strftime("%H:%M:%S.%f")[:-3]


def ago(moment: datetime, now: datetime) -> str:
    seconds = max((now - moment).total_seconds(), 0)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} s ago"


def duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def status_class(status: RuntimeStatus | str) -> str:
    value = status if isinstance(status, RuntimeStatus) else RuntimeStatus(status)
    return _STATUS_CLASSES[value]


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gateway.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, clock=clock, duration=duration, status_class=status_class)
    env.globals.update(ago=ago)
    return env
