"""OpenTelemetry tracing, configured only by the standard ``OTEL_*`` environment variables.

Tracing is off unless ``OTEL_TRACES_EXPORTER`` names an exporter or an OTLP endpoint is set
(``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), and off whenever
``OTEL_SDK_DISABLED=true``. When on, the SDK's tracer provider becomes the global one, so the
components' spans (which use only the OpenTelemetry API) join the gateway's. Everything else
(service name, resource attributes, sampler, batching, the exporter's endpoint, headers,
timeout) is read by the SDK from its own variables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from opentelemetry import trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

#: the instrumentation scope of every span the gateway and the in-repo components make
TRACER_NAME = "flowport"


class TracingConfigError(ValueError):
    """An ``OTEL_*`` variable asks for something Flowport cannot do."""


def tracer_provider_from_environment() -> TracerProvider | None:
    """The tracer provider the ``OTEL_*`` variables ask for, or ``None`` when tracing is off."""
    environ = os.environ
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    names = [n.strip() for n in environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names and any(environ.get(v) for v in _OTLP_ENDPOINTS):
        names = ["otlp"]
    names = [name for name in names if name != "none"]
    if not names:
        return None
    exporters = [_exporter(name, environ) for name in names]
    attributes = {} if _names_service(environ) else {SERVICE_NAME: "flowport"}
    provider = TracerProvider(resource=Resource.create(attributes))
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def install(provider: TracerProvider) -> trace.Tracer:
    """Make ``provider`` the process's tracer provider; the gateway's tracer."""
    trace.set_tracer_provider(provider)
    return provider.get_tracer(TRACER_NAME)


_OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def _names_service(environ: Mapping[str, str]) -> bool:
    if environ.get("OTEL_SERVICE_NAME"):
        return True
    attributes = environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    return any(item.split("=", 1)[0].strip() == SERVICE_NAME for item in attributes.split(","))


def _exporter(name: str, environ: Mapping[str, str]) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    if name != "otlp":
        known = "otlp, console, none"
        raise TracingConfigError(f"OTEL_TRACES_EXPORTER: unknown exporter {name!r}; known: {known}")
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()
    # Imported when asked for: each exporter brings its transport's modules.
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as OTLPGrpcSpanExporter,
        )

        return OTLPGrpcSpanExporter()
    raise TracingConfigError(
        f"OTEL_EXPORTER_OTLP_PROTOCOL: {protocol!r} is not supported; Flowport exports OTLP as "
        "http/protobuf (the collector's port 4318, the default) or grpc (port 4317)"
    )


class AsgiHeaders(Getter[Iterable[tuple[bytes, bytes]]]):
    """Reads W3C trace context (``traceparent``, ``tracestate``) from an ASGI scope's headers."""

    def get(self, carrier: Iterable[tuple[bytes, bytes]], key: str) -> list[str] | None:
        wanted = key.encode("latin-1")
        found = [value.decode("latin-1") for name, value in carrier if name == wanted]
        return found or None

    def keys(self, carrier: Iterable[tuple[bytes, bytes]]) -> list[str]:
        return [name.decode("latin-1") for name, _ in carrier]
