"""Remote work, seen by an operator: a real SDK worker's turns and activities as spans at a
real OTLP receiver, and the workers and their work items on the metrics listener.

``flowport serve`` in its own process with tracing on (tests.servers.otlp) and gRPC; the
worker is programs/chain_worker.py (dapr 1.19.0, its own process, only ``DAPR_GRPC_PORT``).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from tests.integration.observability.conftest import builtin_component_yaml, only, serve
from tests.integration.sidecar.conftest import Worker, sdk_environment
from tests.rest import Workflows, new_id, output
from tests.servers._process import free_port
from tests.servers.otlp import OtlpReceiver, tracing_env

__all__ = ["serve"]  # the observability suite's fixture, used here too

WAIT = 90.0


def test_remote_turns_and_activities_are_spans_and_metrics(
    serve: Any, otlp_receiver: OtlpReceiver, workers: list[Worker], tmp_path: Path
) -> None:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "builtin.yaml").write_text(builtin_component_yaml(tmp_path))
    grpc_port = free_port()
    gateway = serve(
        [resources], env=tracing_env(otlp_receiver, "gateway-remote"), args=["--grpc-port", str(grpc_port)]
    )
    gauge = "flowport_engine_remote_workers"
    assert gateway.sample(gauge, component="builtin") == 0
    worker = Worker(sdk_environment("py-dapr-1.19.0"), "traced", grpc_port, tmp_path / "activities.jsonl")
    workers.append(worker)
    deadline = time.monotonic() + WAIT
    while gateway.sample(gauge, component="builtin") != 1:
        assert time.monotonic() < deadline, "the worker never connected"
        time.sleep(0.1)

    caller_trace, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    instance = new_id("remote-traced")
    answer = gateway.api.post(
        f"/v1.0/workflows/builtin/steps/start?instanceID={instance}",
        json={"steps": 2, "pause": 0},
        headers={"traceparent": f"00-{caller_trace}-{caller_span}-01"},
    )
    assert answer.status_code == 202, answer.text
    assert output(Workflows(gateway.api, "builtin").wait_status(instance, "COMPLETED")) == [0, 1]

    spans = otlp_receiver.wait_for(
        lambda got: (
            sum(1 for s in got if s.trace_id == caller_trace and s.name == "turn steps") >= 3
            and sum(1 for s in got if s.trace_id == caller_trace and s.name == "activity step") >= 2
        )
    )
    trace = [span for span in spans if span.trace_id == caller_trace]
    operation = only(trace, "create_workflow builtin")
    turns = [span for span in trace if span.name == "turn steps"]
    activities = [span for span in trace if span.name == "activity step"]
    assert all(span.parent_span_id == operation.span_id for span in turns + activities)
    assert {turn.attributes["flowport.event"] for turn in turns} == {"WORKFLOW_STARTED", "ACTIVITY_COMPLETED"}
    history = Workflows(gateway.api, "builtin").history(instance)
    scheduled = sorted(int(e["details"]["taskId"]) for e in history if e["kind"] == "ActivityScheduled")
    assert sorted(span.attributes["flowport.task_id"] for span in activities) == scheduled
    assert all(span.attributes["flowport.instance_id"] == instance for span in turns + activities)

    completed = "flowport_engine_remote_work_items_completed"
    assert gateway.sample(completed, "_total", component="builtin", kind="workflow") == 3
    assert gateway.sample(completed, "_total", component="builtin", kind="activity") == 2
    for kind in ("workflow", "activity"):
        for state in ("queued", "running"):
            labels = {"component": "builtin", "kind": kind, "state": state}
            assert gateway.sample("flowport_engine_remote_work_items", **labels) == 0
    worker.stop()
    deadline = time.monotonic() + WAIT
    while gateway.sample(gauge, component="builtin") != 0:
        assert time.monotonic() < deadline, "the worker's stream never ended"
        time.sleep(0.1)
