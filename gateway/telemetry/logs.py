"""Log lines, as text (the default) or one JSON object per line (``--log-format json``).

Every record passes ``RequestContextFilter``, which adds what is known of the request being
served: ``request_id``, ``component``, ``instance_id`` and, with tracing on, the current
span's ``trace_id`` and ``span_id``. Code that logs outside a request (a component's or the
engine's own work) may pass them itself with ``extra={"component": ..., "instance_id": ...}``.
uvicorn's loggers, access log included, propagate to the same handler.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal

from opentelemetry import trace

from gateway.telemetry.context import current_request

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
#: record attributes the filter may add, in the order the JSON line shows them
CONTEXT_FIELDS = ("component", "instance_id", "request_id", "trace_id", "span_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"


class RequestContextFilter(logging.Filter):
    """Adds the request's context to a record, never overriding what the caller passed."""

    def __init__(self, *, tracing: bool) -> None:
        super().__init__()
        self._tracing = tracing

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request.get()
        if request is not None:
            _set_default(record, "request_id", request.request_id)
            _set_default(record, "component", request.component)
            _set_default(record, "instance_id", request.instance)
        if self._tracing:
            span = trace.get_current_span().get_span_context()
            if span.is_valid:
                _set_default(record, "trace_id", format(span.trace_id, "032x"))
                _set_default(record, "span_id", format(span.span_id, "016x"))
        return True


class TextFormatter(logging.Formatter):
    """The classic line, followed by ``[component=... instance=...]`` where they are known."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        component = getattr(record, "component", None)
        instance = getattr(record, "instance_id", None)
        parts = [f"component={component}"] if component else []
        if instance:
            parts.append(f"instance={instance}")
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", <context fields>, "exception"}``, one per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is when a record comes (as ``logging.lastResort``)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def configure_logging(level: str, log_format: LogFormat, *, tracing: bool = False) -> None:
    """The root logger's handler: stderr, in ``log_format``, with the request's context.

    Replaces the handler an earlier call installed and leaves others (a test runner's) alone.
    """
    handler = _StderrHandler()
    handler.addFilter(RequestContextFilter(tracing=tracing))
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _StderrHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())


def _set_default(record: logging.LogRecord, name: str, value: str | None) -> None:
    if value and not getattr(record, name, None):
        setattr(record, name, value)
