"""One request to the built-in component, seen through all three windows: its trace at a
real OTLP receiver, its metrics on the metrics listener, its JSON log lines."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tests.integration.observability.conftest import builtin_component_yaml, tracing_env
from tests.rest import Workflows, new_id
from tests.servers.otlp import OtlpReceiver, ReceivedSpan

START_ROUTE = "POST /v1.0/workflows/{component}/{workflowName}/start"
GET_ROUTE = "GET /v1.0/workflows/{component}/{instanceID}"


def only(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, f"{name}: {spans}"
    return found[0]


def test_a_start_is_one_trace_counted_and_logged(serve, otlp_receiver: OtlpReceiver, tmp_path: Path) -> None:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "builtin.yaml").write_text(builtin_component_yaml(tmp_path))
    gateway = serve(
        [resources], env=tracing_env(otlp_receiver, "gateway-under-test"), args=["--log-format", "json"]
    )
    caller_trace, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    instance = new_id("obs")
    started_before = gateway.sample(
        "flowport_workflow_operation",
        "_total",
        component="builtin",
        operation="create_workflow",
        outcome="success",
    )

    answer = gateway.api.post(
        f"/v1.0/workflows/builtin/Greeting/start?instanceID={instance}",
        json="Ada",
        headers={"traceparent": f"00-{caller_trace}-{caller_span}-01"},
    )
    assert answer.status_code == 202, answer.text
    Workflows(gateway.api, "builtin").wait_status(instance, "COMPLETED")
    missing = gateway.api.get(
        "/v1.0/workflows/builtin/no-such-instance",
        headers={"traceparent": f"00-{caller_trace}-{caller_span}-01"},
    )
    assert missing.status_code == 404

    # The trace: the caller's, continued; the request span, and the component operation in it.
    spans = otlp_receiver.wait_for(
        lambda got: sum(1 for s in got if s.trace_id == caller_trace and s.kind == Span.SPAN_KIND_SERVER) >= 2
    )
    trace = [span for span in spans if span.trace_id == caller_trace]
    assert {span.service for span in trace} == {"gateway-under-test"}
    request = only(trace, START_ROUTE)
    assert request.kind == Span.SPAN_KIND_SERVER
    assert request.parent_span_id == caller_span
    assert request.attributes["http.response.status_code"] == 202
    assert request.attributes["flowport.component"] == "builtin"
    assert request.attributes["flowport.operation"] == "create_workflow"
    assert request.attributes["flowport.instance_id"] == instance
    operation = only(trace, "create_workflow builtin")
    assert operation.parent_span_id == request.span_id
    assert operation.attributes["flowport.instance_id"] == instance
    assert operation.status_code != Status.STATUS_CODE_ERROR

    # Errors are recorded on the operation's span; a 4xx does not mark the request span failed.
    failed = only(trace, "get_workflow builtin")
    assert failed.status_code == Status.STATUS_CODE_ERROR
    assert "exception" in failed.events
    assert only(trace, GET_ROUTE).attributes["flowport.problem"] == "instance-not-found"

    # The metrics listener counted both, by operation and outcome.
    assert (
        gateway.sample(
            "flowport_workflow_operation",
            "_total",
            component="builtin",
            operation="create_workflow",
            outcome="success",
        )
        == started_before + 1
    )
    assert (
        gateway.sample(
            "flowport_workflow_operation",
            "_total",
            component="builtin",
            operation="get_workflow",
            outcome="instance-not-found",
        )
        == 1
    )
    assert (
        gateway.sample(
            "flowport_workflow_operation_duration_seconds",
            "_count",
            component="builtin",
            operation="create_workflow",
            outcome="success",
        )
        == started_before + 1
    )
    assert gateway.sample("flowport_component_healthy", component="builtin", type="workflow.builtin") == 1
    assert gateway.sample("flowport_component_init_duration_seconds", component="builtin") > 0

    # The JSON log: the access line of the start carries the instance, request and trace IDs.
    lines = [json.loads(line) for line in gateway.log_lines() if line.startswith("{")]
    (access,) = [
        line
        for line in lines
        if line["logger"] == "uvicorn.access"
        and line.get("instance_id") == instance
        and "start" in line["message"]
    ]
    assert access["component"] == "builtin"
    assert access["trace_id"] == caller_trace
    assert access["span_id"] == request.span_id
    assert access["request_id"]
    assert {"time", "level", "message"} <= access.keys()


def test_text_logs_name_the_instance_and_metrics_need_no_token(serve, tmp_path: Path) -> None:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "builtin.yaml").write_text(builtin_component_yaml(tmp_path))
    gateway = serve([resources], args=["--api-token", "s3cret"])
    instance = new_id("text")
    answer = gateway.api.post(
        f"/v1.0/workflows/builtin/Greeting/start?instanceID={instance}",
        json="Ada",
        headers={"dapr-api-token": "s3cret"},
    )
    assert answer.status_code == 202
    assert gateway.api.get("/readyz").status_code == 204  # probes need no token either

    # The metrics listener answers without the token, and counted the start.
    assert gateway.sample("flowport_workflow_operation", "_total", operation="create_workflow") == 1
    (access,) = [line for line in gateway.log_lines() if f"instanceID={instance}" in line]
    assert access.endswith(f"202 [component=builtin instance={instance}]")
