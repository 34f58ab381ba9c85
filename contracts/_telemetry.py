"""What a component reports about the calls it makes to its runtime.

A component wraps each call to its runtime (one RPC, one HTTP request) in ``backend_call``::

    with backend_call(self.name, "StartWorkflowExecution") as call:
        headers = call.trace_context()  # W3C trace context to send along; {} when not tracing
        ...

Every call is timed into ``flowport_backend_call_duration_seconds{component, call, outcome}``
(``outcome`` is ``success`` or the exception's class name), which the gateway's metrics
listener serves. When the request being served is traced, the call is also a CLIENT span
named after the call, child of the component operation's span, with the error recorded if it
raised. Calls made outside a traced request (health checks, start-up) make no span.

Only prometheus-client's default registry and the OpenTelemetry API are used: both do
nothing until the gateway serves metrics or configures a tracer provider.
"""

from __future__ import annotations

import time
from contextvars import Token
from types import TracebackType

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Histogram

#: The buckets of Flowport's latency histograms, in seconds: a gateway or a runtime on loopback
#: answers in a millisecond, one that struggles in seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

BACKEND_CALL_SECONDS = Histogram(
    "flowport_backend_call_duration_seconds",
    "Calls from a component to its runtime (one RPC or HTTP request), by call and outcome "
    "('success' or the exception's class name).",
    ["component", "call", "outcome"],
    buckets=LATENCY_BUCKETS,
)

_tracer = trace.get_tracer("flowport")


def trace_context() -> dict[str, str]:
    """The W3C trace context (``traceparent``, ``tracestate``) of the span being served, for a
    runtime to carry further (in a workflow's input, say); empty when the request is not traced."""
    carrier: dict[str, str] = {}
    if trace.get_current_span().is_recording():
        propagate.inject(carrier)
    return carrier


def backend_call(component: str, call: str) -> BackendCall:
    """``with backend_call(component, "StartWorkflowExecution") as call: ...``"""
    return BackendCall(component, call)


class BackendCall:
    """Times one call to the runtime and, inside a traced request, makes it a span."""

    __slots__ = ("_began", "_call", "_component", "_span", "_token")

    def __init__(self, component: str, call: str) -> None:
        self._component = component
        self._call = call
        self._span: trace.Span | None = None
        self._token: Token[otel_context.Context] | None = None
        self._began = 0.0

    def __enter__(self) -> BackendCall:
        if trace.get_current_span().is_recording():
            self._span = _tracer.start_span(
                self._call, kind=SpanKind.CLIENT, attributes={"flowport.component": self._component}
            )
            self._token = otel_context.attach(trace.set_span_in_context(self._span))
        self._began = time.perf_counter()
        return self

    def trace_context(self) -> dict[str, str]:
        """The W3C trace context of this call's span, to send with it; empty when the request
        is not traced."""
        return trace_context() if self._span is not None else {}

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        outcome = "success" if exc_type is None else exc_type.__name__
        BACKEND_CALL_SECONDS.labels(self._component, self._call, outcome).observe(
            time.perf_counter() - self._began
        )
        if self._span is not None:
            if exc is not None:
                self._span.record_exception(exc)
                self._span.set_status(Status(StatusCode.ERROR, str(exc)))
            self._span.end()
        if self._token is not None:
            otel_context.detach(self._token)
