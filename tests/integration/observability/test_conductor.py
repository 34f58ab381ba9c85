"""A traced start on Conductor: the gateway's calls are spans, and the example worker's task
continues the trace from the context the component put in the workflow input."""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.integration.observability.conftest import only
from tests.rest import Workflows, new_id
from tests.servers.conductor import EXAMPLES, ConductorServer, component_yaml
from tests.servers.otlp import OtlpReceiver, tracing_env

pytestmark = pytest.mark.conductor


def test_a_start_reaches_the_task_worker_in_one_trace(
    serve,
    conductor_server: ConductorServer,
    conductor_worker: subprocess.Popen[bytes],
    otlp_receiver: OtlpReceiver,
    tmp_path: Path,
) -> None:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "conductor.yaml").write_text(
        component_yaml(conductor_server.api_url, EXAMPLES / "definitions")
    )
    gateway = serve([resources], env=tracing_env(otlp_receiver, "gateway-conductor"))
    trace_id = secrets.token_hex(16)
    instance = new_id("traced")
    order = {"orderId": instance, "items": [{"sku": "a", "price": 2.5, "quantity": 2}], "creditLimit": 100}
    answer = gateway.api.post(
        f"/v1.0/workflows/conductor/order_processing/start?instanceID={instance}",
        json=order,
        headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
    )
    assert answer.status_code == 202, answer.text
    state = Workflows(gateway.api, "conductor").wait_status(instance, "COMPLETED")
    # The trace context rode in the workflow input, but the input shown is the caller's.
    assert json.loads(state["properties"]["dapr.workflow.input"]) == order

    spans = otlp_receiver.wait_for(
        lambda got: any(s.trace_id == trace_id and s.name == "ship_order" for s in got)
    )
    trace = [span for span in spans if span.trace_id == trace_id]
    operation = only(trace, "create_workflow conductor")
    call = only(trace, "POST /workflow")
    assert call.kind == Span.SPAN_KIND_CLIENT
    assert call.parent_span_id == operation.span_id
    task = only(trace, "ship_order")
    assert task.service == "conductor-worker"
    assert task.parent_span_id == operation.span_id

    assert (
        gateway.sample(
            "flowport_backend_call_duration_seconds",
            "_count",
            component="conductor",
            call="POST /workflow",
            outcome="success",
        )
        == 1
    )
