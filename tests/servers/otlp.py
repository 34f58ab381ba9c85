"""An OTLP trace receiver for tests and benchmarks, over HTTP and over gRPC.

No OpenTelemetry Collector (nor Jaeger) installs from the package registries this project
uses (PyPI, npm, Maven Central, apt; the Go proxy would mean compiling the collector on
every fresh machine), so the receiver is this: a real HTTP server that takes what a real
OTLP exporter sends (``POST /v1/traces``, protobuf, optionally gzip), and a real gRPC server
serving OTLP's ``TraceService/Export``, both decoding with the official
``opentelemetry-proto`` messages, exactly as a collector's OTLP receivers do. Point exporters
at it with ``tracing_env(receiver, service)`` (``grpc=True`` for the gRPC one). The session
fixture ``otlp_receiver`` starts one for the whole test session.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


@dataclass(frozen=True, slots=True)
class ReceivedSpan:
    service: str
    scope: str
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    attributes: dict[str, Any]
    status_code: int
    status_message: str
    events: tuple[str, ...]
    #: (trace ID, span ID) of each linked span
    links: tuple[tuple[str, str], ...]
    start_ns: int


class OtlpReceiver:
    """Every span received, in arrival order."""

    def __init__(self) -> None:
        self._spans: list[ReceivedSpan] = []
        self._arrived = threading.Condition()
        self.requests = 0
        self.endpoint = ""
        #: the OTLP/gRPC endpoint (``host:port``)
        self.grpc_endpoint = ""

    def spans(self) -> list[ReceivedSpan]:
        with self._arrived:
            return list(self._spans)

    def wait_for(
        self, predicate: Callable[[list[ReceivedSpan]], bool], timeout: float = 60.0
    ) -> list[ReceivedSpan]:
        """Every span so far, once ``predicate`` holds of them (``TimeoutError`` otherwise)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not predicate(self._spans):
                left = deadline - time.monotonic()
                if left <= 0:
                    names = sorted({f"{s.service}: {s.name}" for s in self._spans})
                    raise TimeoutError(f"spans received so far did not satisfy the test: {names}")
                self._arrived.wait(left)
            return list(self._spans)

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        return [span for span in self.spans() if span.trace_id == trace_id]

    def receive(self, body: bytes) -> None:
        self.receive_request(ExportTraceServiceRequest.FromString(body))

    def receive_request(self, request: ExportTraceServiceRequest) -> None:
        spans: list[ReceivedSpan] = []
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append(
                        ReceivedSpan(
                            service=str(resource.get("service.name", "")),
                            scope=scope_spans.scope.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=span.kind,
                            attributes=_attributes(span.attributes),
                            status_code=span.status.code,
                            status_message=span.status.message,
                            events=tuple(event.name for event in span.events),
                            links=tuple((link.trace_id.hex(), link.span_id.hex()) for link in span.links),
                            start_ns=span.start_time_unix_nano,
                        )
                    )
        with self._arrived:
            self.requests += 1
            self._spans.extend(spans)
            self._arrived.notify_all()


def _attributes(items: Any) -> dict[str, Any]:
    return {item.key: _value(item.value) for item in items}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


@contextmanager
def running_otlp_receiver() -> Iterator[OtlpReceiver]:
    """An OTLP/HTTP receiver on a free loopback port, in a thread."""
    receiver = OtlpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path != "/v1/traces":
                self.send_error(404)
                return
            receiver.receive(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the test reads spans, not this server's access log

    class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(  # OTLP's method name
            self, request: ExportTraceServiceRequest, context: grpc.ServicerContext
        ) -> ExportTraceServiceResponse:
            receiver.receive_request(request)
            return ExportTraceServiceResponse()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.endpoint = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    grpc_server = grpc.server(ThreadPoolExecutor(max_workers=4, thread_name_prefix="otlp-grpc"))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(), grpc_server)
    receiver.grpc_endpoint = f"127.0.0.1:{grpc_server.add_insecure_port('127.0.0.1:0')}"
    grpc_server.start()
    try:
        yield receiver
    finally:
        grpc_server.stop(None)
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def tracing_env(receiver: OtlpReceiver, service: str, *, grpc: bool = False) -> dict[str, str]:
    """What an operator sets to send traces to a collector, with a short batch delay; with
    ``grpc``, over OTLP/gRPC."""
    transport = (
        {
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{receiver.grpc_endpoint}",
        }
        if grpc
        else {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
    )
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        **transport,
        "OTEL_SERVICE_NAME": service,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """The session's OTLP/HTTP receiver: traced gateways and workers export to it."""
    with running_otlp_receiver() as receiver:
        yield receiver
