"""One request to the built-in component, seen through all three windows: its trace at a
real OTLP receiver, its metrics on the metrics listener, its JSON log lines."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from dapr.proto.runtime.v1 import dapr_pb2_grpc, workflow_pb2
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from gateway.testing import free_port
from tests.integration.observability.conftest import builtin_resources, only
from tests.rest import Workflows, new_id
from tests.servers.otlp import OtlpReceiver, ReceivedSpan, tracing_env

START_ROUTE = "POST /v1.0/workflows/{component}/{workflowName}/start"


def traced_start(api: httpx.Client, workflow: str, instance_id: str, body: Any) -> str:
    """Start ``workflow`` on the built-in component in a new trace, as a traced caller would;
    the trace's ID."""
    trace_id = secrets.token_hex(16)
    answer = api.post(
        f"/v1.0/workflows/builtin/{workflow}/start?instanceID={instance_id}",
        json=body,
        headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
    )
    assert answer.status_code == 202, answer.text
    return trace_id


GET_ROUTE = "GET /v1.0/workflows/{component}/{instanceID}"


def test_a_start_is_one_trace_counted_and_logged(serve, otlp_receiver: OtlpReceiver, tmp_path: Path) -> None:
    resources = builtin_resources(tmp_path)
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

    # The engine's work for the instance continues the trace under the operation's span.
    spans = otlp_receiver.wait_for(
        lambda got: any(s.trace_id == caller_trace and s.name == "activity greet" for s in got)
    )
    trace = [span for span in spans if span.trace_id == caller_trace]
    activity = only(trace, "activity greet")
    assert activity.parent_span_id == operation.span_id
    assert activity.attributes["flowport.instance_id"] == instance
    turns = [span for span in trace if span.name == "turn Greeting"]
    assert {turn.attributes["flowport.event"] for turn in turns} >= {"WORKFLOW_STARTED", "ACTIVITY_COMPLETED"}
    assert all(turn.parent_span_id == operation.span_id for turn in turns)

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
        and "/start?" in line["message"]
    ]
    assert access["component"] == "builtin"
    assert access["trace_id"] == caller_trace
    assert access["span_id"] == request.span_id
    assert access["request_id"]
    assert {"time", "level", "message"} <= access.keys()


def test_retries_and_timers_are_spans(serve, otlp_receiver: OtlpReceiver, tmp_path: Path) -> None:
    resources = builtin_resources(tmp_path)
    gateway = serve([resources], env=tracing_env(otlp_receiver, "gateway-engine"))
    trace_id = secrets.token_hex(16)
    headers = {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    persistent, nap = new_id("retry"), new_id("nap")
    for name, instance, data in (("persistent", persistent, "fly"), ("nap", nap, 0.05)):
        answer = gateway.api.post(
            f"/v1.0/workflows/builtin/{name}/start?instanceID={instance}", json=data, headers=headers
        )
        assert answer.status_code == 202, answer.text
    workflows = Workflows(gateway.api, "builtin")
    workflows.wait_status(persistent, "FAILED")
    workflows.wait_status(nap, "COMPLETED")

    def of(instance: str, name: str, got: list[ReceivedSpan]) -> list[ReceivedSpan]:
        return [
            s
            for s in got
            if s.trace_id == trace_id
            and s.name == name
            and s.attributes.get("flowport.instance_id") == instance
        ]

    spans = otlp_receiver.wait_for(
        lambda got: len(of(persistent, "activity explode", got)) == 3 and len(of(nap, "timer", got)) == 1
    )
    attempts = of(persistent, "activity explode", spans)
    assert all(attempt.status_code == Status.STATUS_CODE_ERROR for attempt in attempts)
    assert all("cannot fly" in attempt.status_message for attempt in attempts)
    (timer,) = of(nap, "timer", spans)
    assert "flowport.task_id" in timer.attributes
    failed_turns = [
        s for s in of(persistent, "turn persistent", spans) if s.status_code == Status.STATUS_CODE_ERROR
    ]
    assert len(failed_turns) == 1  # the turn that ended the workflow as failed


def test_text_logs_name_the_instance_and_metrics_need_no_token(serve, tmp_path: Path) -> None:
    resources = builtin_resources(tmp_path)
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


def test_the_engine_shows_its_workings(serve, tmp_path: Path) -> None:
    resources = builtin_resources(tmp_path)
    gateway = serve([resources])

    def engine(name: str, suffix: str = "", **labels: str) -> float:
        return gateway.sample(f"flowport_engine_{name}", suffix, component="builtin", **labels)

    assert engine("instances", status="COMPLETED") == 0
    greeting, nap = new_id("greet"), new_id("nap")
    workflows = Workflows(gateway.api, "builtin")
    assert (
        gateway.api.post(
            f"/v1.0/workflows/builtin/Greeting/start?instanceID={greeting}", json="Ada"
        ).status_code
        == 202
    )
    workflows.wait_status(greeting, "COMPLETED")
    assert (
        gateway.api.post(f"/v1.0/workflows/builtin/nap/start?instanceID={nap}", json=3600).status_code == 202
    )
    workflows.wait_status(nap, "RUNNING")

    assert engine("instances", status="COMPLETED") == 1
    assert engine("instances", status="RUNNING") == 1
    assert engine("timers_pending") == 1
    assert engine("steps_applied", "_total") >= 3  # started, activity completed, ... per instance
    assert engine("activity_wait_seconds", "_count") >= 1
    assert engine("activities_running") == 0
    assert engine("activity_queue_depth") == 0
    commits = engine("commit_duration_seconds", "_count")
    assert commits >= 1
    assert engine("commit_batch_size", "_sum") >= commits  # each commit holds one write or more
    assert engine("instance_cache_size") >= 1
    assert engine("instance_cache_capacity") == 20000
    assert engine("inbox_waiting") == 0

    assert gateway.api.post(f"/v1.0/workflows/builtin/{nap}/terminate").status_code == 202
    workflows.wait_status(nap, "TERMINATED")
    assert engine("timers_pending") == 0
    assert engine("instances", status="TERMINATED") == 1


def test_calls_over_grpc_are_counted_like_rest_requests(serve, tmp_path: Path) -> None:
    resources = builtin_resources(tmp_path)
    grpc_port = free_port()
    gateway = serve([resources], args=["--grpc-port", str(grpc_port)])
    instance = new_id("grpc")

    def count(operation: str, outcome: str, component: str = "builtin") -> float:
        labels = {"component": component, "operation": operation, "outcome": outcome}
        return gateway.sample("flowport_workflow_operation", "_total", **labels)

    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        dapr = dapr_pb2_grpc.DaprStub(channel)
        dapr.StartWorkflowBeta1(
            workflow_pb2.StartWorkflowRequest(
                workflow_component="builtin", workflow_name="Greeting", instance_id=instance, input=b'"Ada"'
            )
        )
        Workflows(gateway.api, "builtin").wait_status(instance, "COMPLETED")  # REST gets count too
        gets = count("get_workflow", "success")
        dapr.GetWorkflowAlpha1(
            workflow_pb2.GetWorkflowRequest(workflow_component="builtin", instance_id=instance)
        )
        for component in ("builtin", "no-such-component"):
            with pytest.raises(grpc.RpcError):
                dapr.GetWorkflowBeta1(
                    workflow_pb2.GetWorkflowRequest(
                        workflow_component=component, instance_id="no-such-instance"
                    )
                )

    # Dapr's operation names and the outcomes of REST requests; Beta1 and Alpha1 alike; never a
    # label for a component name that is not configured.
    assert count("create_workflow", "success") == 1
    assert count("get_workflow", "success") == gets + 1
    assert count("get_workflow", "instance-not-found") == 1
    assert count("get_workflow", "component-not-found", component="") == 1
    family = gateway.metrics()["flowport_workflow_operation_duration_seconds"]
    timed = [
        s
        for s in family.samples
        if s.name.endswith("_count") and s.labels.get("operation") == "create_workflow"
    ]
    assert [s.value for s in timed] == [1.0]


def test_an_instance_is_still_traced_after_the_gateway_restarts(
    serve, otlp_receiver: OtlpReceiver, tmp_path: Path
) -> None:
    resources = builtin_resources(tmp_path)
    gateway = serve([resources], env=tracing_env(otlp_receiver, "gateway-restarted"))
    parent = new_id("traced")
    trace_id = traced_start(gateway.api, "family", parent, 1)
    workflows = Workflows(gateway.api, "builtin")
    instance = f"{parent}:0000"  # its one child, an approval, waiting for its event
    workflows.wait_status(instance, "RUNNING")

    gateway.process.crash_and_restart()  # kill -9: only what the store holds survives
    workflows.accepted(instance, "raiseEvent/approval", {"approved": True})  # no trace context
    workflows.wait_status(parent, "COMPLETED")

    def turns(got: list[ReceivedSpan]) -> list[ReceivedSpan]:
        return [
            s
            for s in got
            if s.trace_id == trace_id
            and s.name == "turn approval"
            and s.attributes.get("flowport.instance_id") == instance
            and s.attributes.get("flowport.event") == "EVENT_RAISED"
        ]

    # the child's turn the event caused, in the new process, is in the trace the parent's start
    # came with
    (turn,) = turns(otlp_receiver.wait_for(lambda got: len(turns(got)) == 1))
    assert turn.service == "gateway-restarted"


def test_traces_go_over_otlp_grpc_too(serve, otlp_receiver: OtlpReceiver, tmp_path: Path) -> None:
    resources = builtin_resources(tmp_path)
    gateway = serve([resources], env=tracing_env(otlp_receiver, "gateway-over-grpc", grpc=True))
    instance = new_id("otlpgrpc")
    trace_id = traced_start(gateway.api, "Greeting", instance, "Ada")
    Workflows(gateway.api, "builtin").wait_status(instance, "COMPLETED")
    spans = otlp_receiver.wait_for(
        lambda got: any(s.trace_id == trace_id and s.name == START_ROUTE for s in got)
    )
    assert {s.service for s in spans if s.trace_id == trace_id} == {"gateway-over-grpc"}
