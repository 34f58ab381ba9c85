"""What the gateway tells an operator: Prometheus metrics, OpenTelemetry traces, logs.

- ``context``: the request being served (request ID, component, instance ID), for logs;
- ``metrics``: the metric families and their own listener (``--metrics-port``);
- ``tracing``: the tracer provider the standard ``OTEL_*`` variables ask for (off without them);
- ``middleware``: one pure ASGI middleware that times every request, records its metrics and
  opens its span;
- ``logs``: text or JSON log lines carrying the request's context and trace IDs.
"""
