"""The built-in engine's work as OpenTelemetry spans.

The component starts each instance with the W3C context of the request that started it (the
gateway's operation span), and gives the engine this ``WorkTracer``: every workflow turn,
activity execution and timer of a traced instance becomes a span under that context, with
the times the engine measured. Only the OpenTelemetry API is used: without a configured
tracer provider the spans go nowhere (and untraced instances make none).
"""

from __future__ import annotations

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

import builtin_engine as wf

_tracer = trace.get_tracer("flowport")


class SpanTracer:
    """Makes one span per piece of work, named ``turn <workflow>``, ``activity <name>``, ``timer``."""

    def __init__(self, component: str) -> None:
        self._component = component

    def record(self, work: wf.Work) -> None:
        if work.kind is wf.WorkKind.TURN:
            name = f"turn {work.workflow_name}"
        elif work.kind is wf.WorkKind.ACTIVITY:
            name = f"activity {work.name}"
        else:
            name = "timer"
        attributes: dict[str, str | int] = {
            "flowport.component": self._component,
            "flowport.instance_id": work.instance_id,
            "flowport.workflow_name": work.workflow_name,
        }
        if work.kind is wf.WorkKind.TURN:
            attributes["flowport.event"] = work.name
        if work.task_id is not None:
            attributes["flowport.task_id"] = work.task_id
        span = _tracer.start_span(
            name,
            context=propagate.extract(work.trace_context),
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            start_time=int(work.started_at * 1e9),
        )
        if work.error is not None:
            span.set_status(Status(StatusCode.ERROR, work.error))
        span.end(end_time=int(work.ended_at * 1e9))
