"""The workflow.builtin component through the real gateway's REST API, as a Dapr user sees it."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gateway.testing import running_gateway

BASE = "/v1.0/workflows/orders"
WAIT = 30.0


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    resources = tmp_path_factory.mktemp("resources")
    (resources / "orders.yaml").write_text(
        textwrap.dedent(
            """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: {name: orders}
            spec:
              type: workflow.builtin
              version: v1
              metadata:
              - {name: runtimes, value: "tests.integration.builtin.workflows:wfr"}
              - {name: store, value: state/orders.db}
              - {name: maxConcurrentActivities, value: "32"}
            """
        )
    )
    with running_gateway([resources]) as base_url, httpx.Client(base_url=base_url, timeout=60) as client:
        yield client
    assert (resources / "state" / "orders.db").exists()  # the store is relative to the YAML


def start(api: httpx.Client, name: str, body: Any = None, **params: str) -> str:
    response = api.post(f"{BASE}/{name}/start", params=params, json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["instanceID"])


def wait_for(api: httpx.Client, instance_id: str, *statuses: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        body: dict[str, Any] = api.get(f"{BASE}/{instance_id}").json()
        if body.get("runtimeStatus") in statuses:
            return body
        assert time.monotonic() < deadline, f"{instance_id} is {body.get('runtimeStatus')}, not {statuses}"
        time.sleep(0.02)


def test_start_and_get_show_what_dapr_shows(api: httpx.Client) -> None:
    response = api.post(f"{BASE}/Greeting/start", params={"instanceID": "greet-1"}, json="Ada")
    assert response.status_code == 202
    assert response.json() == {"instanceID": "greet-1"}
    assert response.headers["Location"].endswith("/v1.0/workflows/orders/greet-1")
    body = wait_for(api, "greet-1", "COMPLETED")
    assert body["instanceID"] == "greet-1"
    assert body["workflowName"] == "Greeting"
    props = body["properties"]
    assert props["dapr.workflow.input"] == '"Ada"'
    assert props["dapr.workflow.output"] == '"Hello Ada"'
    assert props["dapr.workflow.custom_status"] == '"greeting"'
    assert "dapr.workflow.failure.error_type" not in props
    created = datetime.fromisoformat(body["createdAt"].replace("Z", "+00:00"))
    updated = datetime.fromisoformat(body["lastUpdatedAt"].replace("Z", "+00:00"))
    assert created < updated


def test_failure_details(api: httpx.Client) -> None:
    iid = start(api, "broken", "fly")
    props = wait_for(api, iid, "FAILED")["properties"]
    assert props["dapr.workflow.failure.error_type"] == "TaskFailedError"
    assert "cannot fly" in props["dapr.workflow.failure.error_message"]
    assert "dapr.workflow.output" not in props


def test_raise_event_pause_resume(api: httpx.Client) -> None:
    iid = start(api, "approval", {"id": 7})
    wait_for(api, iid, "RUNNING")
    assert api.post(f"{BASE}/{iid}/pause").status_code == 202
    assert wait_for(api, iid, "SUSPENDED")["runtimeStatus"] == "SUSPENDED"
    assert api.post(f"{BASE}/{iid}/raiseEvent/approval", json={"approved": True}).status_code == 202
    time.sleep(0.2)
    assert api.get(f"{BASE}/{iid}").json()["runtimeStatus"] == "SUSPENDED"
    assert api.post(f"{BASE}/{iid}/resume").status_code == 202
    body = wait_for(api, iid, "COMPLETED")
    assert json.loads(body["properties"]["dapr.workflow.output"]) == {"order": 7, "approved": True}
    resumed_again = api.post(f"{BASE}/{iid}/resume")
    assert resumed_again.status_code == 409


def test_terminate_recursive_then_purge(api: httpx.Client) -> None:
    iid = start(api, "family", 2, instanceID="fam-rest")
    deadline = time.monotonic() + WAIT
    while api.get(f"{BASE}/fam-rest:0001").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    refused = api.post(f"{BASE}/{iid}/purge")
    assert refused.status_code == 409
    assert api.post(f"{BASE}/{iid}/terminate").status_code == 202
    wait_for(api, iid, "TERMINATED")
    assert wait_for(api, "fam-rest:0000", "TERMINATED")["workflowName"] == "approval"
    purged = api.post(f"{BASE}/{iid}/purge")
    assert purged.status_code == 202
    assert purged.json()["purgedInstances"] == 3
    assert api.get(f"{BASE}/{iid}").status_code == 404
    assert api.get(f"{BASE}/fam-rest:0001").status_code == 404


def test_errors(api: httpx.Client) -> None:
    start(api, "approval", {"id": 1}, instanceID="dup")
    duplicate = api.post(f"{BASE}/approval/start", params={"instanceID": "dup"}, json={"id": 1})
    assert duplicate.status_code == 409
    unknown = api.get(f"{BASE}/nobody")
    assert unknown.status_code == 404
    assert unknown.json()["errorCode"] == "ERR_INSTANCE_ID_NOT_FOUND"
    assert api.post(f"{BASE}/nobody/raiseEvent/x").status_code == 404
    assert api.post(f"{BASE}/NoSuchWorkflow/start").status_code == 400
    api.post(f"{BASE}/dup/terminate")


def test_delayed_start(api: httpx.Client) -> None:
    due = datetime.now(UTC) + timedelta(seconds=3)
    iid = start(api, "nap", 0, startTime=due.isoformat())
    assert api.get(f"{BASE}/{iid}").json()["runtimeStatus"] == "PENDING"
    wait_for(api, iid, "COMPLETED")
    assert datetime.now(UTC) >= due


def test_list_and_history(api: httpx.Client) -> None:
    ids = [start(api, "Greeting", f"n{i}", instanceID=f"hist-{i}") for i in range(3)]
    for iid in ids:
        wait_for(api, iid, "COMPLETED")
    page = api.get(BASE, params={"workflowName": "Greeting", "pageSize": 2}).json()
    assert [i["instanceID"] for i in page["instances"]] == ["hist-2", "hist-1"]
    rest = api.get(
        BASE,
        params={"workflowName": "Greeting", "pageSize": 2, "continuationToken": page["continuationToken"]},
    ).json()
    assert next(i["instanceID"] for i in rest["instances"]) == "hist-0"
    running = api.get(BASE, params={"status": "RUNNING,SUSPENDED"}).json()["instances"]
    assert all(i["runtimeStatus"] in ("RUNNING", "SUSPENDED") for i in running)
    events = api.get(f"{BASE}/hist-0/history").json()["events"]
    kinds = [(e["kind"], e.get("name")) for e in events]
    assert kinds == [
        ("WorkflowStarted", "Greeting"),
        ("ActivityScheduled", "greet"),
        ("ActivityCompleted", "greet"),
        ("WorkflowCompleted", None),
    ], events
    assert api.get(f"{BASE}/nobody/history").status_code == 404
