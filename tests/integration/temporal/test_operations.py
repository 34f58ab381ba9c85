"""Raise event, pause/resume, terminate and purge through the REST API against real Temporal."""

from __future__ import annotations

import pytest

from tests.rest import WAIT, Workflows, kinds, new_id, output, problem

pytestmark = pytest.mark.temporal


def test_raise_event_delivers_data(temporal_api: Workflows) -> None:
    instance = new_id("approval")
    assert temporal_api.start("approval", instance, "req").status_code == 202
    temporal_api.wait_status(instance, "RUNNING")
    assert temporal_api.post(instance, "raiseEvent/approve", {"by": "ann"}).status_code == 202
    state = temporal_api.wait_status(instance, "COMPLETED")
    assert output(state) == {
        "request": "req",
        "decision": {"by": "ann"},
    }


def test_raise_event_on_closed_is_409_and_unknown_is_404(temporal_api: Workflows) -> None:
    instance = new_id("closed")
    assert temporal_api.start("chain", instance).status_code == 202
    temporal_api.wait_status(instance, "COMPLETED")
    problem(temporal_api.post(instance, "raiseEvent/approve", "late"), 409)
    problem(temporal_api.post("no-such-instance", "raiseEvent/approve", "x"), 404)


def test_pause_buffers_events_until_resume(temporal_api: Workflows) -> None:
    instance = new_id("paused")
    assert temporal_api.start("approval", instance, "req").status_code == 202
    temporal_api.wait_status(instance, "RUNNING")

    assert temporal_api.post(instance, "pause").status_code == 202
    state = temporal_api.wait_status(instance, "SUSPENDED")
    assert state["properties"]["temporal.status"] == "PAUSED"
    assert temporal_api.post(instance, "pause").status_code == 202  # pausing twice is harmless

    assert temporal_api.post(instance, "raiseEvent/approve", "yes").status_code == 202
    # Temporal records the signal at once; the workflow must not act on it while paused.
    temporal_api.wait_history(instance, lambda events: "EventRaised" in kinds(events), "the event")
    assert temporal_api.state(instance)["runtimeStatus"] == "SUSPENDED"

    assert temporal_api.post(instance, "resume").status_code == 202
    state = temporal_api.wait_status(instance, "COMPLETED")
    assert output(state) == {"request": "req", "decision": "yes"}

    seen = kinds(temporal_api.history(instance))
    assert seen.index("WorkflowSuspended") < seen.index("EventRaised") < seen.index("WorkflowResumed")


def test_resume_when_not_suspended_is_409(temporal_api: Workflows) -> None:
    instance = new_id("notpaused")
    assert temporal_api.start("approval", instance).status_code == 202
    temporal_api.wait_status(instance, "RUNNING")
    problem(temporal_api.post(instance, "resume"), 409)
    assert temporal_api.post(instance, "terminate").status_code == 202
    temporal_api.wait_status(instance, "TERMINATED")
    problem(temporal_api.post(instance, "pause"), 409)
    problem(temporal_api.post(instance, "resume"), 409)
    problem(temporal_api.post("no-such-instance", "pause"), 404)
    problem(temporal_api.post("no-such-instance", "resume"), 404)


def test_terminate_with_reason(temporal_api: Workflows) -> None:
    instance = new_id("term")
    assert temporal_api.start("approval", instance).status_code == 202
    temporal_api.wait_status(instance, "RUNNING")
    assert temporal_api.post(instance, "terminate", reason="operator said so").status_code == 202
    temporal_api.wait_status(instance, "TERMINATED")
    events = temporal_api.history(instance)
    assert events[-1]["kind"] == "WorkflowTerminated"
    # terminating a terminal instance is a no-op, an unknown one a 404
    assert temporal_api.post(instance, "terminate").status_code == 202
    problem(temporal_api.post("no-such-instance", "terminate"), 404)


def test_terminate_a_suspended_instance(temporal_api: Workflows) -> None:
    instance = new_id("termpaused")
    assert temporal_api.start("approval", instance).status_code == 202
    temporal_api.wait_status(instance, "RUNNING")
    assert temporal_api.post(instance, "pause").status_code == 202
    temporal_api.wait_status(instance, "SUSPENDED")
    assert temporal_api.post(instance, "terminate").status_code == 202
    temporal_api.wait_status(instance, "TERMINATED")


def test_purge_only_closed_and_it_disappears(temporal_api: Workflows) -> None:
    instance = new_id("purge")
    assert temporal_api.start("countdown", instance, 2).status_code == 202
    temporal_api.wait_status(instance, "COMPLETED")
    running = new_id("purge-running")
    assert temporal_api.start("approval", running).status_code == 202
    temporal_api.wait_status(running, "RUNNING")
    body = problem(temporal_api.post(running, "purge"), 409)
    assert "RUNNING" in body["message"]

    answer = temporal_api.post(instance, "purge")
    assert answer.status_code == 202, answer.text
    assert answer.json()["purgedInstances"] == 1
    assert "asynchronously" in answer.json()["detail"]

    # Temporal makes the deletion visible after a delay; poll rather than expect it at once.
    temporal_api.wait_gone(instance, timeout=2 * WAIT)
    problem(temporal_api.post(instance, "purge"), 404)
    # the ID is free again once purged
    assert temporal_api.start("chain", instance).status_code == 202
    temporal_api.wait_status(instance, "COMPLETED")
    problem(temporal_api.post("no-such-instance", "purge"), 404)


def test_terminate_and_purge_reach_child_workflows(temporal_api: Workflows) -> None:
    waiting = new_id("parent-wait")
    assert temporal_api.start("parent", waiting, {"child": "approval"}).status_code == 202
    child = f"{waiting}-child"
    temporal_api.wait_status(child, "RUNNING")
    assert temporal_api.post(waiting, "terminate").status_code == 202
    temporal_api.wait_status(waiting, "TERMINATED")
    temporal_api.wait_status(child, "TERMINATED")  # Temporal's default parent-close policy

    parent = new_id("parent")
    assert temporal_api.start("parent", parent).status_code == 202
    state = temporal_api.wait_status(parent, "COMPLETED")
    assert output(state)[0] == {"step": "child-0"}
    events = temporal_api.history(parent)
    children = [(e["kind"], e["name"]) for e in events if e["kind"].startswith("ChildWorkflow")]
    assert children == [("ChildWorkflowScheduled", "chain"), ("ChildWorkflowCompleted", "chain")]

    answer = temporal_api.post(parent, "purge")
    assert answer.status_code == 202, answer.text
    assert answer.json()["purgedInstances"] == 2
    temporal_api.wait_gone(parent, f"{parent}-child", timeout=2 * WAIT)


def test_purge_reaches_every_generation_of_children(temporal_api: Workflows) -> None:
    root = new_id("deep")
    generations = 12  # a tree deeper than any fixed recursion limit the purge once had
    assert temporal_api.start("parent", root, {"depth": generations}).status_code == 202
    temporal_api.wait_status(root, "COMPLETED")
    tree = [root + "-child" * level for level in range(generations + 1)]
    assert temporal_api.get(tree[-1]).json()["workflowName"] == "chain"

    answer = temporal_api.post(root, "purge")
    assert answer.status_code == 202, answer.text
    assert answer.json()["purgedInstances"] == len(tree)
    assert "kept" not in answer.json()["detail"]
    temporal_api.wait_gone(*tree, timeout=2 * WAIT)
