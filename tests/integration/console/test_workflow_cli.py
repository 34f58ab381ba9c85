"""``flowport workflow``: the README's order walk-through as a newcomer would type it, run as
the installed command against a real gateway (built-in engine and Temporal)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.console.conftest import APPROVAL, BUILTIN, ORDER, TEMPORAL

FLOWPORT = str(Path(sys.executable).parent / "flowport")
WAIT = 60.0
pytestmark = pytest.mark.temporal


def flowport(gateway: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLOWPORT_ADDRESS": gateway}
    return subprocess.run(
        [FLOWPORT, "workflow", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=60,
        check=False,
    )


def ok(gateway: str, *args: str) -> str:
    done = flowport(gateway, *args)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def as_json(gateway: str, *args: str) -> Any:
    return json.loads(ok(gateway, "--output", "json", *args))


def wait_for(gateway: str, instance_id: str, what: str, check: Any) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while not check(state := as_json(gateway, "get", BUILTIN, instance_id)):
        assert time.monotonic() < deadline, f"{instance_id} never {what}: {state}"
        time.sleep(0.1)
    return state


def test_the_order_walk_through(console_gateway: str) -> None:
    order = f"order-{uuid.uuid4().hex[:6]}"
    assert ok(console_gateway, "start", BUILTIN, "order_processing", "--instance-id", order, "--input",
              json.dumps(ORDER)).strip() == f"started {order}"  # fmt: skip

    listed = ok(console_gateway, "list", "--workflow-name", "order_processing", "--status", "RUNNING")
    assert order in listed
    assert "RUNNING" in listed
    wait_for(
        console_gateway,
        order,
        "waited for approval",
        lambda s: s["properties"]["dapr.workflow.custom_status"] == '"waiting for approval"',
    )
    before = as_json(console_gateway, "history", BUILTIN, order)["events"]
    timeline = ok(console_gateway, "history", BUILTIN, order, "--timeline")
    assert "request_approval" in timeline
    assert ">" in timeline, "the running workflow's bar is open"

    assert ok(console_gateway, "raise-event", BUILTIN, order, "approval", "--data", json.dumps(APPROVAL))
    done = wait_for(console_gateway, order, "completed", lambda s: s["runtimeStatus"] == "COMPLETED")
    assert json.loads(done["properties"]["dapr.workflow.output"])["processed"] is True
    after = as_json(console_gateway, "history", BUILTIN, order)["events"]
    assert len(after) > len(before), "the history grew"
    assert {"EventRaised", "WorkflowCompleted"} <= {event["kind"] for event in after}
    shown = ok(console_gateway, "get", BUILTIN, order)
    assert "COMPLETED" in shown
    assert "receipt-" in shown

    assert f"purged {order}" in ok(console_gateway, "purge", BUILTIN, order)
    gone = flowport(console_gateway, "get", BUILTIN, order)
    assert gone.returncode == 1
    assert "404 Instance not found (instance-not-found)" in gone.stderr
    assert "ERR_INSTANCE_ID_NOT_FOUND" in gone.stderr


def test_bulk_terminate_asks_first_and_lists_across_components(console_gateway: str) -> None:
    prefix = f"cli-{uuid.uuid4().hex[:6]}-"
    for index in range(2):
        ok(console_gateway, "start", TEMPORAL, "approval", "--instance-id", f"{prefix}{index}")
    refused = flowport(console_gateway, "terminate", TEMPORAL, "--prefix", prefix, stdin="n\n")
    assert refused.returncode == 1
    assert "aborted: nothing was changed" in refused.stderr
    deadline = time.monotonic() + WAIT
    while "Terminate 2 instance(s)" not in (asked := flowport(console_gateway, "terminate", TEMPORAL, "--prefix",
                                                               prefix, stdin="n\n")).stderr:  # fmt: skip
        assert time.monotonic() < deadline, asked.stderr  # Temporal's visibility lags a little
        time.sleep(0.2)
    assert "terminated 2 of 2" in ok(console_gateway, "terminate", TEMPORAL, "--prefix", prefix, "--yes")
    listed = as_json(console_gateway, "list", "--prefix", prefix)
    assert {item["component"] for item in listed["instances"]} <= {TEMPORAL}


def test_usage_errors_exit_2_and_refusals_exit_1(console_gateway: str) -> None:
    assert flowport(console_gateway, "bogus").returncode == 2
    bad_json = flowport(console_gateway, "start", BUILTIN, "order_processing", "--input", "{nope")
    assert bad_json.returncode == 2
    assert "--input is not valid JSON" in bad_json.stderr
    unknown = flowport(console_gateway, "start", BUILTIN, "no_such_workflow")
    assert unknown.returncode == 1
    assert "no workflow named 'no_such_workflow'" in unknown.stderr
    down = flowport("http://127.0.0.1:9", "list")
    assert down.returncode == 1
    assert "cannot reach the Flowport gateway" in down.stderr
