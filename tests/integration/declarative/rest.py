"""REST helpers of the declarative tests (the example tests' helpers, on this component)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.integration.declarative.conftest import COMPONENT

BASE = f"/v1.0/workflows/{COMPONENT}"
WAIT = 60.0
TERMINAL = ("COMPLETED", "FAILED", "TERMINATED")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def start(api: httpx.Client, workflow: str, body: Any = None, *, instance_id: str | None = None) -> str:
    instance_id = instance_id or new_id(workflow)
    response = api.post(f"{BASE}/{workflow}/start", params={"instanceID": instance_id}, json=body)
    assert response.status_code == 202, response.text
    return instance_id


def wait_until(
    api: httpx.Client, instance_id: str, condition: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        response = api.get(f"{BASE}/{instance_id}")
        body: dict[str, Any] = response.json()
        if response.status_code == 200 and condition(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{instance_id}: condition never held; last answer: {json.dumps(body)}")
        time.sleep(0.02)


def finished(api: httpx.Client, instance_id: str) -> dict[str, Any]:
    return wait_until(api, instance_id, lambda body: body["runtimeStatus"] in TERMINAL)


def output(body: dict[str, Any]) -> Any:
    assert body["runtimeStatus"] == "COMPLETED", json.dumps(body)
    return json.loads(body["properties"]["dapr.workflow.output"])


def failure(body: dict[str, Any]) -> dict[str, str]:
    assert body["runtimeStatus"] == "FAILED", json.dumps(body)
    properties = body["properties"]
    return {
        "type": properties["dapr.workflow.failure.error_type"],
        "message": properties["dapr.workflow.failure.error_message"],
        "details": properties.get("dapr.workflow.failure.stack_trace", ""),
    }


def run(api: httpx.Client, workflow: str, body: Any = None) -> dict[str, Any]:
    return finished(api, start(api, workflow, body))


def history(api: httpx.Client, instance_id: str) -> list[dict[str, Any]]:
    response = api.get(f"{BASE}/{instance_id}/history")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def raise_event(api: httpx.Client, instance_id: str, event: str, data: Any = None) -> None:
    response = api.post(f"{BASE}/{instance_id}/raiseEvent/{event}", json=data)
    assert response.status_code == 202, response.text
