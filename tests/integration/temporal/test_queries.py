"""List and history through the REST API against real Temporal."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from tests.integration.temporal.conftest import WAIT_TIMEOUT, problem, start, wait_status, wf

pytestmark = pytest.mark.temporal


def listing(api: httpx.Client, **params: Any) -> dict[str, Any]:
    answer = api.get(wf(""), params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def wait_listed(api: httpx.Client, count: int, **params: Any) -> list[dict[str, Any]]:
    """Visibility is eventually consistent: poll until ``count`` instances match."""
    deadline = time.monotonic() + WAIT_TIMEOUT
    while True:
        found = listing(api, pageSize=1000, **params)["instances"]
        if len(found) == count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_list_filters_and_pages(temporal_api: httpx.Client, new_id) -> None:
    # A type no worker serves: its instances stay RUNNING and only this test starts it.
    name = f"listed_{uuid.uuid4().hex[:8]}"
    ids = [new_id("listed") for _ in range(5)]
    for instance in ids:
        assert start(temporal_api, name, instance, taskQueue="list-test").status_code == 202
    assert sorted(i["instanceID"] for i in wait_listed(temporal_api, 5, workflowName=name)) == sorted(ids)

    for instance in ids[:2]:
        assert temporal_api.post(wf(f"/{instance}/terminate")).status_code == 202
    terminated = wait_listed(temporal_api, 2, workflowName=name, status="TERMINATED")
    assert sorted(i["instanceID"] for i in terminated) == sorted(ids[:2])
    assert all(i["runtimeStatus"] == "TERMINATED" for i in terminated)
    running = wait_listed(temporal_api, 3, workflowName=name, status="RUNNING")
    assert sorted(i["instanceID"] for i in running) == sorted(ids[2:])
    assert all(i["workflowName"] == name for i in running)

    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"workflowName": name, "pageSize": 2}
        if token:
            params["continuationToken"] = token
        page = listing(temporal_api, **params)
        assert len(page["instances"]) <= 2
        seen += [i["instanceID"] for i in page["instances"]]
        token = page["continuationToken"]
        pages += 1
        if not token:
            break
        assert pages < 10
    assert sorted(seen) == sorted(ids)
    for instance in ids[2:]:
        temporal_api.post(wf(f"/{instance}/terminate"))


def test_list_shows_suspended_and_hides_continued_runs(temporal_api: httpx.Client, new_id) -> None:
    paused = new_id("listpaused")
    assert start(temporal_api, "approval", paused).status_code == 202
    wait_status(temporal_api, paused, "RUNNING")
    assert temporal_api.post(wf(f"/{paused}/pause")).status_code == 202
    wait_status(temporal_api, paused, "SUSPENDED")
    deadline = time.monotonic() + WAIT_TIMEOUT
    while paused not in [i["instanceID"] for i in listing(temporal_api, status="SUSPENDED")["instances"]]:
        assert time.monotonic() < deadline, "the paused instance was never listed as SUSPENDED"
        time.sleep(0.2)
    temporal_api.post(wf(f"/{paused}/terminate"))

    counted = new_id("listcountdown")
    assert start(temporal_api, "countdown", counted, 2).status_code == 202
    wait_status(temporal_api, counted, "COMPLETED")
    deadline = time.monotonic() + WAIT_TIMEOUT
    while True:
        everything = [
            i for i in listing(temporal_api, pageSize=1000)["instances"] if i["instanceID"] == counted
        ]
        runs = [
            i
            for i in listing(temporal_api, pageSize=1000, status="CONTINUED_AS_NEW")["instances"]
            if i["instanceID"] == counted
        ]
        if len(everything) == 1 and len(runs) == 2:
            break
        assert time.monotonic() < deadline, (everything, runs)
        time.sleep(0.2)
    assert everything[0]["runtimeStatus"] == "COMPLETED"


def test_bad_continuation_token_is_400(temporal_api: httpx.Client) -> None:
    problem(temporal_api.get(wf(""), params={"continuationToken": "%%%not-a-token"}), 400)


def test_history_of_a_chain(temporal_api: httpx.Client, new_id) -> None:
    instance = new_id("history")
    assert start(temporal_api, "chain", instance, "h").status_code == 202
    wait_status(temporal_api, instance, "COMPLETED")
    answer = temporal_api.get(wf(f"/{instance}/history"))
    assert answer.status_code == 200, answer.text
    events = answer.json()["events"]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    meaningful = [(e["kind"], e["name"], e["data"]) for e in events if e["kind"] != "Other"]
    assert meaningful == [
        ("WorkflowStarted", "chain", "h"),
        ("ActivityScheduled", "step", "h-0"),
        ("ActivityCompleted", "step", {"step": "h-0"}),
        ("ActivityScheduled", "step", "h-1"),
        ("ActivityCompleted", "step", {"step": "h-1"}),
        ("ActivityScheduled", "step", "h-2"),
        ("ActivityCompleted", "step", {"step": "h-2"}),
        ("WorkflowCompleted", None, [{"step": "h-0"}, {"step": "h-1"}, {"step": "h-2"}]),
    ]
    others = {e["name"] for e in events if e["kind"] == "Other"}
    assert "WorkflowTaskCompleted" in others
    timestamps = [e["timestamp"] for e in events]
    assert timestamps == sorted(timestamps)


def test_history_of_a_failure_and_unknown(temporal_api: httpx.Client, new_id) -> None:
    instance = new_id("histfail")
    assert start(temporal_api, "fail", instance, 5).status_code == 202
    wait_status(temporal_api, instance, "FAILED")
    events = temporal_api.get(wf(f"/{instance}/history")).json()["events"]
    failed = [e for e in events if e["kind"] == "ActivityFailed"]
    assert failed
    assert failed[0]["name"] == "reject"
    assert failed[0]["details"]["errorType"] == "OrderRejected"
    assert events[-1]["kind"] == "WorkflowFailed"
    assert events[-1]["details"]["errorType"] == "OrderRejected"
    problem(temporal_api.get(wf("/no-such-instance/history")), 404)
