"""The gateway's Prometheus metrics, and the listener that serves them.

The families live in prometheus-client's default registry, where every library that uses it
registers, so the one listener also serves the process collector (CPU, memory, open files)
and whatever a component plugin adds. Names follow Prometheus' conventions (base units,
``_total`` counters, ``_seconds``); the operation labels take Dapr's names
(``create_workflow``, ``get_workflow``...) and ``flowport_workflow_operation_total`` means what
Dapr's ``dapr_runtime_workflow_operation_count`` means.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

import prometheus_client
from prometheus_client import Counter, Gauge, Histogram

from contracts import LATENCY_BUCKETS

OPERATIONS = Counter(
    "flowport_workflow_operation",
    "Workflow API requests, by component, operation (Dapr's names) and outcome "
    "('success' or the problem type of the answer).",
    ["component", "operation", "outcome"],
)
OPERATION_SECONDS = Histogram(
    "flowport_workflow_operation_duration_seconds",
    "Time from a workflow API request's arrival to its answer.",
    ["component", "operation", "outcome"],
    buckets=LATENCY_BUCKETS,
)
COMPONENT_HEALTHY = Gauge(
    "flowport_component_healthy",
    "1 while the component's runtime answers, 0 while it is down or the component failed.",
    ["component", "type"],
)
COMPONENT_INIT_SECONDS = Gauge(
    "flowport_component_init_duration_seconds",
    "How long the component's init took at start-up.",
    ["component", "type"],
)
BUILD_INFO = Gauge("flowport_build_info", "Always 1; the running Flowport version.", ["version"])


class OperationMetrics:
    """Records one request per call; label children are cached, so a request costs one lookup."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def observe(self, component: str, operation: str, outcome: str, seconds: float) -> None:
        key = (component, operation, outcome)
        children = self._children.get(key)
        if children is None:
            children = OPERATIONS.labels(*key), OPERATION_SECONDS.labels(*key)
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


@dataclass(slots=True)
class MetricsServer:
    """The metrics listener: Prometheus text on every path, no token, its own thread."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(host: str, port: int) -> MetricsServer:
    """Listen on ``host:port`` (0 picks a free port) and serve the default registry."""
    # The ``_created`` series double every counter and histogram for a timestamp nobody graphs.
    prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
    server, thread = prometheus_client.start_http_server(port, addr=host)
    return MetricsServer(server, thread)
