"""What the example tests do over HTTP, the way a Dapr user's client would."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

COMPONENT = "dapr"
BASE = f"/v1.0/workflows/{COMPONENT}"
#: generous: the machine may be loaded; tests poll, they never sleep a fixed time
WAIT = 60.0
TERMINAL = ("COMPLETED", "FAILED", "TERMINATED")


def new_id(prefix: str) -> str:
    """A fresh instance ID: the tests share one gateway and one store."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def start(api: httpx.Client, workflow: str, body: Any = None, *, instance_id: str | None = None) -> str:
    params = {"instanceID": instance_id} if instance_id else {}
    response = api.post(f"{BASE}/{workflow}/start", params=params, json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["instanceID"])


def get(api: httpx.Client, instance_id: str) -> dict[str, Any]:
    response = api.get(f"{BASE}/{instance_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_until(
    api: httpx.Client, instance_id: str, condition: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    """Poll the instance until ``condition`` holds for its state; fail after ``WAIT`` seconds."""
    deadline = time.monotonic() + WAIT
    while True:
        response = api.get(f"{BASE}/{instance_id}")
        # 404 too is "not yet": a child workflow exists only once its parent's step is durable
        body: dict[str, Any] = response.json()
        if response.status_code == 200 and condition(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{instance_id} never got {what}; last answer: {json.dumps(body)}")
        time.sleep(0.02)


def wait_for(api: httpx.Client, instance_id: str, *statuses: str) -> dict[str, Any]:
    """Poll until the instance has one of ``statuses`` (any terminal one if none is given)."""
    wanted = statuses or TERMINAL
    return wait_until(api, instance_id, lambda body: body["runtimeStatus"] in wanted, f"status {wanted}")


def wait_for_custom_status(api: httpx.Client, instance_id: str, status: Any) -> dict[str, Any]:
    return wait_until(
        api, instance_id, lambda body: custom_status(body) == status, f"custom status {status!r}"
    )


def raise_event(api: httpx.Client, instance_id: str, event: str, data: Any = None) -> None:
    response = api.post(f"{BASE}/{instance_id}/raiseEvent/{event}", json=data)
    assert response.status_code == 202, response.text


def output(body: dict[str, Any]) -> Any:
    """The decoded ``dapr.workflow.output`` of a state (Dapr shows it as JSON text)."""
    return json.loads(body["properties"]["dapr.workflow.output"])


def custom_status(body: dict[str, Any]) -> Any:
    text = body["properties"]["dapr.workflow.custom_status"]
    return json.loads(text) if text else None


def history(api: httpx.Client, instance_id: str) -> list[dict[str, Any]]:
    response = api.get(f"{BASE}/{instance_id}/history")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [event["kind"] for event in events]
