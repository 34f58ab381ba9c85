"""The example worker: serves the SIMPLE tasks of examples/conductor/definitions.

Run it next to a Conductor server (conductor-python reads the server from the environment)::

    CONDUCTOR_SERVER_URL=http://localhost:8080/api python examples/conductor/worker.py

Each ``@worker_task`` function receives the task's input parameters by name and returns its
output. ``charge_payment`` declines an amount above the credit limit with a
``NonRetryableException``, which fails the task (and so the ``declined_payment`` workflow)
without retries.

With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, ``ship_order`` continues the trace of the Flowport
request that started its workflow: the gateway puts that request's W3C trace context in the
workflow input (``_traceContext``) and the definition hands ``traceparent`` to the task.
"""

# No `from __future__ import annotations` here: conductor-python converts task inputs by the
# parameters' annotations at run time, and cannot use them as strings.
import contextlib
import hashlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.exception import NonRetryableException
from conductor.client.worker.worker_task import worker_task

log = logging.getLogger("flowport.examples.conductor")


def _token(prefix: str, *parts: object) -> str:
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


@dataclass
class OrderItem:
    sku: str
    price: float
    quantity: int = 1


@worker_task(task_definition_name="validate_order")
def validate_order(orderId: str, items: list[OrderItem]) -> dict:
    if not items:
        raise NonRetryableException(f"order {orderId} has no items")
    total = sum(item.price * item.quantity for item in items)
    return {"orderId": orderId, "itemCount": len(items), "total": round(total, 2)}


# conductor-python passes simple types through as they come: creditLimit is None when the
# workflow input has none.
@worker_task(task_definition_name="charge_payment")
def charge_payment(orderId: str, amount: float, creditLimit: float) -> dict:
    if creditLimit is not None and float(amount) > float(creditLimit):
        raise NonRetryableException(f"payment declined: {amount} exceeds the credit limit of {creditLimit}")
    return {"paymentId": _token("pay", orderId, amount), "charged": amount}


@worker_task(task_definition_name="ship_order")
def ship_order(orderId: str, paymentId: str, traceparent: str) -> dict:
    with continued_trace("ship_order", traceparent):
        return {"trackingNumber": _token("trk", orderId, paymentId)}


_tracer: Any = None


@contextlib.contextmanager
def continued_trace(task: str, traceparent: str | None) -> Iterator[None]:
    """A span for this task, child of the span ``traceparent`` names, when OpenTelemetry export
    is configured (each worker runs in its own process: each sets up its own exporter)."""
    global _tracer
    if not traceparent or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        yield
        return
    from opentelemetry import propagate, trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    if _tracer is None:
        service = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "conductor-worker"}
        provider = TracerProvider(resource=Resource.create(service))
        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))  # sent as each ends
        _tracer = provider.get_tracer("flowport.examples.conductor")
    parent = propagate.extract({"traceparent": traceparent})
    with _tracer.start_as_current_span(task, context=parent, kind=trace.SpanKind.CONSUMER):
        yield


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    configuration = Configuration()  # CONDUCTOR_SERVER_URL, or http://localhost:8080/api
    log.info("serving validate_order, charge_payment, ship_order for %s", configuration.host)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with TaskHandler(configuration=configuration, scan_for_annotated_workers=True) as handler:
        handler.start_processes()
        stop.wait()
        handler.stop_processes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
