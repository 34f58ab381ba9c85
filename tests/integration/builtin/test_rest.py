"""The workflow.builtin component through the real gateway's REST API, as a Dapr user sees it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.builtin.hosting import orders_component
from tests.rest import Workflows, kinds, output, problem, serve_component


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workflows]:
    resources = tmp_path_factory.mktemp("resources")
    orders_component(resources, maxConcurrentActivities="32")
    with serve_component(resources, "orders") as api:
        yield api
    assert (resources / "state" / "orders.db").exists()  # the store is relative to the YAML


def test_start_and_get_show_what_dapr_shows(api: Workflows) -> None:
    response = api.start("Greeting", "greet-1", "Ada")
    assert response.status_code == 202
    assert response.json() == {"instanceID": "greet-1"}
    assert response.headers["Location"].endswith("/v1.0/workflows/orders/greet-1")
    body = api.wait_status("greet-1", "COMPLETED")
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


def test_failure_details(api: Workflows) -> None:
    iid = api.started("broken", None, "fly")
    props = api.wait_status(iid, "FAILED")["properties"]
    assert props["dapr.workflow.failure.error_type"] == "TaskFailedError"
    assert "cannot fly" in props["dapr.workflow.failure.error_message"]
    assert "dapr.workflow.output" not in props


def test_raise_event_pause_resume(api: Workflows) -> None:
    iid = api.started("approval", None, {"id": 7})
    api.wait_status(iid, "RUNNING")
    api.accepted(iid, "pause")
    api.wait_status(iid, "SUSPENDED")
    api.accepted(iid, "raiseEvent/approval", {"approved": True})
    # The engine records the event at once; suspended, the workflow must not act on it.
    api.wait_history(iid, lambda events: "EventRaised" in kinds(events), "the approval")
    assert api.state(iid)["runtimeStatus"] == "SUSPENDED"
    api.accepted(iid, "resume")
    body = api.wait_status(iid, "COMPLETED")
    assert output(body) == {"order": 7, "approved": True}
    problem(api.post(iid, "resume"), 409, "invalid-state")


def test_terminate_recursive_then_purge(api: Workflows) -> None:
    iid = api.started("family", "fam-rest", 2)
    # the children exist once the parent's step is durable
    api.wait_until("fam-rest:0001", lambda state: True, "started by its parent")
    problem(api.post(iid, "purge"), 409, "invalid-state")
    api.accepted(iid, "terminate")
    api.wait_status(iid, "TERMINATED")
    assert api.wait_status("fam-rest:0000", "TERMINATED")["workflowName"] == "approval"
    purged = api.post(iid, "purge")
    assert purged.status_code == 202
    assert purged.json()["purgedInstances"] == 3
    assert api.get(iid).status_code == 404
    assert api.get("fam-rest:0001").status_code == 404


def test_errors(api: Workflows) -> None:
    api.started("approval", "dup", {"id": 1})
    problem(api.start("approval", "dup", {"id": 1}), 409, "instance-exists")
    problem(api.get("nobody"), 404, "instance-not-found", "ERR_INSTANCE_ID_NOT_FOUND")
    problem(api.post("nobody", "raiseEvent/x"), 404)
    problem(api.start("NoSuchWorkflow"), 400)
    api.post("dup", "terminate")


def test_delayed_start(api: Workflows) -> None:
    due = datetime.now(UTC) + timedelta(seconds=3)
    iid = api.started("nap", None, 0, startTime=due.isoformat())
    assert api.state(iid)["runtimeStatus"] == "PENDING"
    api.wait_status(iid, "COMPLETED")
    assert datetime.now(UTC) >= due


def test_list_and_history(api: Workflows) -> None:
    ids = [api.started("Greeting", f"hist-{i}", f"n{i}") for i in range(3)]
    for iid in ids:
        api.wait_status(iid, "COMPLETED")
    page = api.list(workflowName="Greeting", pageSize=2).json()
    assert [i["instanceID"] for i in page["instances"]] == ["hist-2", "hist-1"]
    rest = api.list(workflowName="Greeting", pageSize=2, continuationToken=page["continuationToken"]).json()
    assert next(i["instanceID"] for i in rest["instances"]) == "hist-0"
    running = api.list(status="RUNNING,SUSPENDED").json()["instances"]
    assert all(i["runtimeStatus"] in ("RUNNING", "SUSPENDED") for i in running)
    events = api.history("hist-0")
    kinds = [(e["kind"], e.get("name")) for e in events]
    assert kinds == [
        ("WorkflowStarted", "Greeting"),
        ("ActivityScheduled", "greet"),
        ("ActivityCompleted", "greet"),
        ("WorkflowCompleted", None),
    ], events
    problem(api.client.get(f"{api.base}/nobody/history"), 404)
