"""A Temporal server that goes away and comes back, as an operator sees it: readiness, the
health gauge, and exactly one log line when the outage begins and one when it ends."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.integration.observability.conftest import Gateway, only
from tests.rest import Workflows, new_id
from tests.servers.otlp import OtlpReceiver, tracing_env
from tests.servers.temporal import TemporalServer, component_yaml, running_temporal, running_worker

pytestmark = pytest.mark.temporal

WAIT_TIMEOUT = 90.0


@pytest.fixture
def own_server() -> Iterator[TemporalServer]:
    """A dev server of this test's own: stopping it never disturbs the session's."""
    with running_temporal() as server:
        yield server


def outage_lines(gateway: Gateway) -> list[str]:
    lines = [json.loads(line) for line in gateway.log_lines() if line.startswith("{")]
    return [
        line["message"]
        for line in lines
        if line["logger"] == "gateway.health" and line.get("component") == "temporal"
    ]


def test_outage_is_logged_once_when_it_begins_and_once_when_it_ends(
    serve, own_server: TemporalServer, tmp_path: Path
) -> None:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "temporal.yaml").write_text(component_yaml(own_server, connectTimeout="3s", rpcTimeout="5s"))
    gateway = serve([resources], args=["--log-format", "json"])
    assert gateway.api.get("/readyz").status_code == 204
    assert gateway.api.get("/v1.0/healthz/outbound").status_code == 204

    own_server.stop()
    for _ in range(3):
        assert gateway.api.get("/v1.0/workflows/temporal/anything").status_code == 503
    for path in ("/readyz", "/v1.0/healthz/outbound"):
        answer = gateway.api.get(path)
        assert answer.status_code == 503
        body = answer.json()
        assert body["type"] == "urn:flowport:problem:not-ready"
        assert "temporal" in body["detail"]
        assert body["components"][0]["name"] == "temporal"
        assert body["components"][0]["ready"] is False
    assert gateway.api.get("/v1.0/healthz").status_code == 204  # liveness is not readiness
    assert gateway.sample("flowport_component_healthy", component="temporal") == 0
    assert gateway.sample("flowport_workflow_operation", "_total", outcome="backend-unavailable") == 3

    own_server.start()  # same port, same database
    deadline = time.monotonic() + WAIT_TIMEOUT
    while gateway.api.get("/v1.0/workflows/temporal/anything").status_code != 404:
        assert time.monotonic() < deadline, "the gateway never saw the server come back"
        time.sleep(0.2)
    while len(outage_lines(gateway)) < 2:
        assert time.monotonic() < deadline, outage_lines(gateway)
        time.sleep(0.1)
    began, ended = outage_lines(gateway)
    assert "backend unavailable" in began
    assert "available again" in ended
    assert gateway.sample("flowport_component_healthy", component="temporal") == 1
    assert gateway.api.get("/readyz").status_code == 204


def test_a_start_and_a_signal_continue_in_the_worker(
    serve, temporal_server: TemporalServer, otlp_receiver: OtlpReceiver, tmp_path: Path
) -> None:
    """The example worker runs temporalio's TracingInterceptor: it reads the trace context
    the component writes into the start and signal headers of its raw RPCs."""
    queue = new_id("traced")
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "temporal.yaml").write_text(component_yaml(temporal_server, task_queue=queue))
    with running_worker(temporal_server, task_queue=queue, env=tracing_env(otlp_receiver, "temporal-worker")):
        gateway = serve([resources], env=tracing_env(otlp_receiver, "gateway-temporal"))
        started_trace, signal_trace = secrets.token_hex(16), secrets.token_hex(16)
        chain, approval = new_id("chain"), new_id("approval")
        workflows = Workflows(gateway.api, "temporal")
        answer = gateway.api.post(
            f"/v1.0/workflows/temporal/chain/start?instanceID={chain}",
            json="x",
            headers={"traceparent": f"00-{started_trace}-{secrets.token_hex(8)}-01"},
        )
        assert answer.status_code == 202, answer.text
        workflows.wait_status(chain, "COMPLETED")
        assert (
            gateway.api.post(f"/v1.0/workflows/temporal/approval/start?instanceID={approval}").status_code
            == 202
        )
        answer = gateway.api.post(
            f"/v1.0/workflows/temporal/{approval}/raiseEvent/approve",
            json={"ok": True},
            headers={"traceparent": f"00-{signal_trace}-{secrets.token_hex(8)}-01"},
        )
        assert answer.status_code == 202, answer.text
        workflows.wait_status(approval, "COMPLETED")

        # Start: request -> operation -> StartWorkflowExecution, under which the worker's
        # interceptor puts RunWorkflow and each StartActivity -> RunActivity.
        spans = otlp_receiver.wait_for(
            lambda got: (
                sum(1 for s in got if s.trace_id == started_trace and s.name == "RunActivity:step") == 3
            )
        )
        trace = [span for span in spans if span.trace_id == started_trace]
        by_id = {span.span_id: span for span in trace}
        rpc = only(trace, "StartWorkflowExecution")
        assert rpc.kind == Span.SPAN_KIND_CLIENT
        assert rpc.service == "gateway-temporal"
        assert by_id[rpc.parent_span_id].name == "create_workflow temporal"
        run = only(trace, "RunWorkflow:chain")
        assert run.service == "temporal-worker"
        assert run.parent_span_id == rpc.span_id
        for activity in (s for s in trace if s.name == "RunActivity:step"):
            assert by_id[activity.parent_span_id].name == "StartActivity:step"
            assert by_id[activity.parent_span_id].parent_span_id == rpc.span_id

        # Signal: the worker's handler span links to the gateway's SignalWorkflowExecution call
        # (the gateway exports in batches: wait for the call's span to arrive).
        otlp_receiver.wait_for(
            lambda got: any(s.trace_id == signal_trace and s.name == "SignalWorkflowExecution" for s in got)
        )
        signal_rpc = only(otlp_receiver.trace(signal_trace), "SignalWorkflowExecution")
        spans = otlp_receiver.wait_for(
            lambda got: any((signal_trace, signal_rpc.span_id) in s.links for s in got)
        )
        (handler,) = [s for s in spans if (signal_trace, signal_rpc.span_id) in s.links]
        assert handler.name == "HandleSignal:approve"
        assert handler.service == "temporal-worker"

    # Every RPC was timed, by name and outcome.
    assert (
        gateway.sample(
            "flowport_backend_call_duration_seconds",
            "_count",
            component="temporal",
            call="StartWorkflowExecution",
            outcome="success",
        )
        == 2
    )
