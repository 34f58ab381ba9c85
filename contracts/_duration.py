"""Durations as Dapr component files write them (Go's syntax)."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> timedelta:
    """Read ``500ms``, ``5s``, ``1m30s`` (Go's duration syntax, as Dapr metadata writes
    durations) or a bare number of seconds.

    Raises ``ValueError`` on anything else or on a negative value; wrap it in a
    ``ComponentConfigError`` (``parse_metadata`` does so for pydantic validators).
    """
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        parts = _PART.findall(value)
        if not parts or "".join(number + unit for number, unit in parts) != value:
            raise ValueError(f"{text!r} is not a duration such as '5s', '500ms' or '1m30s'") from None
        seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds < 0:
        raise ValueError(f"{text!r} is negative")
    return timedelta(seconds=seconds)
