"""Raise event, pause/resume, terminate and purge through the REST API against real Temporal."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.integration.temporal.conftest import (
    WAIT_TIMEOUT,
    get,
    problem,
    start,
    wait_status,
    wf,
)

pytestmark = pytest.mark.temporal


def post(api: httpx.Client, path: str, body: object = None, **params: str) -> httpx.Response:
    if body is None:
        return api.post(wf(path), params=params)
    return api.post(wf(path), params=params, json=body)


def test_raise_event_delivers_data(temporal_api: httpx.Client, new_id) -> None:
    instance = new_id("approval")
    assert start(temporal_api, "approval", instance, "req").status_code == 202
    wait_status(temporal_api, instance, "RUNNING")
    assert post(temporal_api, f"/{instance}/raiseEvent/approve", {"by": "ann"}).status_code == 202
    state = wait_status(temporal_api, instance, "COMPLETED")
    assert json.loads(state["properties"]["dapr.workflow.output"]) == {
        "request": "req",
        "decision": {"by": "ann"},
    }


def test_raise_event_on_closed_is_409_and_unknown_is_404(temporal_api: httpx.Client, new_id) -> None:
    instance = new_id("closed")
    assert start(temporal_api, "chain", instance).status_code == 202
    wait_status(temporal_api, instance, "COMPLETED")
    problem(post(temporal_api, f"/{instance}/raiseEvent/approve", "late"), 409)
    problem(post(temporal_api, "/no-such-instance/raiseEvent/approve", "x"), 404)


def test_pause_buffers_events_until_resume(temporal_api: httpx.Client, new_id) -> None:
    instance = new_id("paused")
    assert start(temporal_api, "approval", instance, "req").status_code == 202
    wait_status(temporal_api, instance, "RUNNING")

    assert post(temporal_api, f"/{instance}/pause").status_code == 202
    state = wait_status(temporal_api, instance, "SUSPENDED")
    assert state["properties"]["temporal.status"] == "PAUSED"
    assert post(temporal_api, f"/{instance}/pause").status_code == 202  # pausing twice is harmless

    assert post(temporal_api, f"/{instance}/raiseEvent/approve", "yes").status_code == 202
    assert get(temporal_api, instance).json()["runtimeStatus"] == "SUSPENDED"

    assert post(temporal_api, f"/{instance}/resume").status_code == 202
    state = wait_status(temporal_api, instance, "COMPLETED")
    assert json.loads(state["properties"]["dapr.workflow.output"]) == {"request": "req", "decision": "yes"}

    kinds = [event["kind"] for event in temporal_api.get(wf(f"/{instance}/history")).json()["events"]]
    assert kinds.index("WorkflowSuspended") < kinds.index("EventRaised") < kinds.index("WorkflowResumed")


def test_resume_when_not_suspended_is_409(temporal_api: httpx.Client, new_id) -> None:
    instance = new_id("notpaused")
    assert start(temporal_api, "approval", instance).status_code == 202
    wait_status(temporal_api, instance, "RUNNING")
    problem(post(temporal_api, f"/{instance}/resume"), 409)
    assert post(temporal_api, f"/{instance}/terminate").status_code == 202
    wait_status(temporal_api, instance, "TERMINATED")
    problem(post(temporal_api, f"/{instance}/pause"), 409)
    problem(post(temporal_api, f"/{instance}/resume"), 409)
    problem(post(temporal_api, "/no-such-instance/pause"), 404)
    problem(post(temporal_api, "/no-such-instance/resume"), 404)


def test_terminate_with_reason(temporal_api: httpx.Client, new_id) -> None:
    instance = new_id("term")
    assert start(temporal_api, "approval", instance).status_code == 202
    wait_status(temporal_api, instance, "RUNNING")
    assert post(temporal_api, f"/{instance}/terminate", reason="operator said so").status_code == 202
    wait_status(temporal_api, instance, "TERMINATED")
    events = temporal_api.get(wf(f"/{instance}/history")).json()["events"]
    assert events[-1]["kind"] == "WorkflowTerminated"
    # terminating a terminal instance is a no-op, an unknown one a 404
    assert post(temporal_api, f"/{instance}/terminate").status_code == 202
    problem(post(temporal_api, "/no-such-instance/terminate"), 404)


def test_terminate_a_suspended_instance(temporal_api: httpx.Client, new_id) -> None:
    instance = new_id("termpaused")
    assert start(temporal_api, "approval", instance).status_code == 202
    wait_status(temporal_api, instance, "RUNNING")
    assert post(temporal_api, f"/{instance}/pause").status_code == 202
    wait_status(temporal_api, instance, "SUSPENDED")
    assert post(temporal_api, f"/{instance}/terminate").status_code == 202
    wait_status(temporal_api, instance, "TERMINATED")


def test_purge_only_closed_and_it_disappears(temporal_api: httpx.Client, new_id) -> None:
    instance = new_id("purge")
    assert start(temporal_api, "countdown", instance, 2).status_code == 202
    wait_status(temporal_api, instance, "COMPLETED")
    running = new_id("purge-running")
    assert start(temporal_api, "approval", running).status_code == 202
    wait_status(temporal_api, running, "RUNNING")
    body = problem(post(temporal_api, f"/{running}/purge"), 409)
    assert "RUNNING" in body["message"]

    answer = post(temporal_api, f"/{instance}/purge")
    assert answer.status_code == 202, answer.text
    assert answer.json()["purgedInstances"] == 1
    assert "asynchronously" in answer.json()["detail"]

    # Temporal makes the deletion visible after a delay; poll rather than expect it at once.
    deadline = time.monotonic() + WAIT_TIMEOUT * 2
    while get(temporal_api, instance).status_code != 404:
        assert time.monotonic() < deadline, "the purged instance never disappeared"
        time.sleep(0.5)
    problem(post(temporal_api, f"/{instance}/purge"), 404)
    # the ID is free again once purged
    assert start(temporal_api, "chain", instance).status_code == 202
    wait_status(temporal_api, instance, "COMPLETED")
    problem(post(temporal_api, "/no-such-instance/purge"), 404)


def test_terminate_and_purge_reach_child_workflows(temporal_api: httpx.Client, new_id) -> None:
    waiting = new_id("parent-wait")
    assert start(temporal_api, "parent", waiting, {"child": "approval"}).status_code == 202
    child = f"{waiting}-child"
    wait_status(temporal_api, child, "RUNNING")
    assert post(temporal_api, f"/{waiting}/terminate").status_code == 202
    wait_status(temporal_api, waiting, "TERMINATED")
    wait_status(temporal_api, child, "TERMINATED")  # Temporal's default parent-close policy

    parent = new_id("parent")
    assert start(temporal_api, "parent", parent).status_code == 202
    state = wait_status(temporal_api, parent, "COMPLETED")
    assert json.loads(state["properties"]["dapr.workflow.output"])[0] == {"step": "child-0"}
    events = temporal_api.get(wf(f"/{parent}/history")).json()["events"]
    kinds = [(e["kind"], e["name"]) for e in events if e["kind"].startswith("ChildWorkflow")]
    assert kinds == [("ChildWorkflowScheduled", "chain"), ("ChildWorkflowCompleted", "chain")]

    answer = post(temporal_api, f"/{parent}/purge")
    assert answer.status_code == 202, answer.text
    assert answer.json()["purgedInstances"] == 2
    deadline = time.monotonic() + WAIT_TIMEOUT * 2
    while (
        get(temporal_api, parent).status_code != 404
        or get(temporal_api, f"{parent}-child").status_code != 404
    ):
        assert time.monotonic() < deadline, "the purged parent or child never disappeared"
        time.sleep(0.5)


def test_purge_reaches_every_generation_of_children(temporal_api: httpx.Client, new_id) -> None:
    root = new_id("deep")
    generations = 12  # a tree deeper than any fixed recursion limit the purge once had
    assert start(temporal_api, "parent", root, {"depth": generations}).status_code == 202
    wait_status(temporal_api, root, "COMPLETED")
    tree = [root + "-child" * level for level in range(generations + 1)]
    assert get(temporal_api, tree[-1]).json()["workflowName"] == "chain"

    answer = post(temporal_api, f"/{root}/purge")
    assert answer.status_code == 202, answer.text
    assert answer.json()["purgedInstances"] == len(tree)
    assert "kept" not in answer.json()["detail"]
    deadline = time.monotonic() + WAIT_TIMEOUT * 2
    while remaining := [instance for instance in tree if get(temporal_api, instance).status_code != 404]:
        assert time.monotonic() < deadline, f"never purged: {remaining}"
        time.sleep(0.5)
