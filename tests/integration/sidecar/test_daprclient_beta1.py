"""Dapr's runtime gRPC workflow API driven by Dapr's own ``DaprClient`` (dapr 1.17.5, the last
Python SDK that calls the Beta1 methods), unmodified, in its own process, on a built-in, a
Temporal and a Conductor component of one gateway.

The program (programs/daprclient_workflow_management.py) starts a workflow that waits for
an event, pauses, resumes, raises the event, waits for completion, purges; starts another
and terminates it; and makes four mistakes. The REST API sees the same instances.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.sidecar.conftest import Sidecar, run_program, sdk_environment, steps

pytestmark = [pytest.mark.temporal, pytest.mark.conductor]


@pytest.fixture(scope="module")
def daprclient_env() -> Path:
    return sdk_environment("py-dapr-1.17.5")


CASES: dict[str, dict[str, Any]] = {
    "dapr": {  # the built-in component of the examples
        "workflow": "purchase_approval",
        "input": {"item": "laptop", "cost": 2500, "requester": "bob"},
        "event": "approval",
        "data": {"approver": "alice", "approved": True},
        "output": "Approved by 'alice'",
    },
    "temporal": {
        "workflow": "approval",
        "input": {"order": 7},
        "event": "approve",
        "data": {"ok": True},
        "output": {"request": {"order": 7}, "decision": {"ok": True}},
    },
    "conductor": {
        "workflow": "order_approval",
        "input": {"orderId": "o-7"},
        "event": "approval",
        "data": {"approved": True, "approver": "alice"},
        "output": {"orderId": "o-7", "approved": True, "approver": "alice"},
    },
}


@pytest.mark.parametrize("component", list(CASES))
def test_daprclient_manages_workflows_on_every_component(
    component: str, sidecar: Sidecar, daprclient_env: Path, rest: httpx.Client
) -> None:
    case = CASES[component]
    prefix = f"dc-{component}-{uuid.uuid4().hex[:8]}"
    arguments = [
        component,
        case["workflow"],
        json.dumps(case["input"]),
        case["event"],
        json.dumps(case["data"]),
    ]
    report = steps(
        run_program(daprclient_env, "daprclient_workflow_management.py", sidecar, *arguments, prefix)
    )

    assert report["start"]["instance_id"] == f"{prefix}-approve"
    assert report["get"]["status"] == "Running"
    assert report["get"]["name"] == case["workflow"]
    assert json.loads(report["get"]["properties"]["dapr.workflow.input"]) == case["input"]
    assert report["pause"]["status"] == "Suspended"
    assert report["resume"]["status"] == "Running"
    completed = report["completed"]
    assert completed["status"] == "Completed", completed
    output = json.loads(completed["properties"]["dapr.workflow.output"])
    if isinstance(case["output"], dict):
        assert case["output"].items() <= output.items()
    else:
        assert output == case["output"]
    assert report["purged"]["error"] is not None, "the purged instance never went away"
    assert report["terminated"]["status"] == "Terminated"

    # Each mistake is a clear message, and the gateway is unharmed.
    assert "already exists" in report["duplicate start"]["error"]
    assert f"{prefix}-nobody" in report["unknown instance"]["error"]
    assert report["unknown component"]["error"] == "workflow component 'nowhere' is not configured"
    assert "may hold only letters" in report["malformed start"]["error"]

    # REST serves the same instances.
    state = rest.get(f"/v1.0/workflows/{component}/{prefix}-duplicate").json()
    assert state["runtimeStatus"] == "TERMINATED"
    assert rest.get(f"/v1.0/workflows/{component}/{prefix}-approve").status_code == 404
