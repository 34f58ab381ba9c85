"""Every operation of the Conductor component, through the gateway's REST API, against a real
Conductor server and the example worker."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.integration.conductor.conftest import order
from tests.rest import TERMINAL, Workflows, kinds, new_id, problem

pytestmark = pytest.mark.conductor


def test_order_processing_runs_on_the_worker(conductor_api: Workflows) -> None:
    instance_id = new_id("order")
    response = conductor_api.start("order_processing", instance_id, order(instance_id))
    assert response.status_code == 202, response.text
    assert response.json() == {"instanceID": instance_id}
    assert response.headers["location"].endswith(f"{conductor_api.base}/{instance_id}")

    done = conductor_api.wait_status(instance_id, *TERMINAL)
    assert done["runtimeStatus"] == "COMPLETED", done
    assert done["instanceID"] == instance_id
    assert done["workflowName"] == "order_processing"
    assert done["createdAt"] < done["lastUpdatedAt"]
    properties = done["properties"]
    assert json.loads(properties["dapr.workflow.input"]) == order(instance_id)
    output = json.loads(properties["dapr.workflow.output"])
    assert output["orderId"] == instance_id
    assert output["total"] == 12.0
    assert output["paymentId"].startswith("pay-")
    assert output["trackingNumber"].startswith("trk-")
    assert properties["conductor.correlationId"] == instance_id
    assert properties["conductor.workflowVersion"] == "1"
    assert properties["conductor.workflowId"] != instance_id


def test_generated_instance_id(conductor_api: Workflows) -> None:
    response = conductor_api.start("order_processing", None, order("generated"))
    assert response.status_code == 202, response.text
    instance_id = response.json()["instanceID"]
    assert conductor_api.wait_status(instance_id, *TERMINAL)["runtimeStatus"] == "COMPLETED"


def test_the_caller_id_is_the_correlation_id_in_conductor(
    conductor_api: Workflows, conductor_rest: httpx.Client
) -> None:
    instance_id = conductor_api.started("order_approval", new_id("corr"), {"orderId": "c"})
    workflow_id = conductor_api.state(instance_id)["properties"]["conductor.workflowId"]
    workflow = conductor_rest.get(f"/workflow/{workflow_id}", params={"includeTasks": "false"}).json()
    assert workflow["correlationId"] == instance_id
    assert workflow["input"] == {"orderId": "c"}
    assert conductor_api.post(instance_id, "terminate").status_code == 202


def test_duplicate_start_is_409_and_creates_nothing(
    conductor_api: Workflows, conductor_rest: httpx.Client
) -> None:
    instance_id = conductor_api.started("order_approval", new_id("dup"), {"orderId": "d"})
    again = conductor_api.start("order_approval", instance_id, {"orderId": "d"})
    body = problem(again, 409, "instance-exists", "ERR_START_WORKFLOW")
    assert instance_id in body["detail"]
    # Another workflow name does not make the ID free either.
    other = conductor_api.start("order_processing", instance_id, order(instance_id))
    problem(other, 409, "instance-exists")
    hits = conductor_rest.get("/workflow/search", params={"query": f'correlationId="{instance_id}"'}).json()
    assert hits["totalHits"] == 1
    assert conductor_api.post(instance_id, "terminate").status_code == 202


def test_start_options_and_bad_starts(conductor_api: Workflows) -> None:
    versioned = conductor_api.started("order_approval", new_id("ver"), {"orderId": "v"}, version="1")
    assert conductor_api.state(versioned)["properties"]["conductor.workflowVersion"] == "1"
    assert conductor_api.post(versioned, "terminate").status_code == 202

    missing_version = conductor_api.start("order_approval", new_id("ver99"), None, version="99")
    body = problem(missing_version, 400, "invalid-request", "ERR_START_WORKFLOW")
    assert "version=99" in body["detail"]  # Conductor's own message
    not_a_number = conductor_api.start("order_approval", new_id("verx"), None, version="latest")
    problem(not_a_number, 400, "invalid-request")
    unknown_name = conductor_api.start("no_such_workflow", new_id("unknown"))
    body = problem(unknown_name, 400, "invalid-request")
    assert "no_such_workflow" in body["detail"]
    unknown_option = conductor_api.start("order_approval", new_id("opt"), None, taskQueue="q")
    problem(unknown_option, 400, "malformed-request")
    delayed = conductor_api.start("order_approval", new_id("later"), None, startTime="2030-01-01T00:00:00Z")
    problem(delayed, 501, "not-supported")


def test_non_object_input_is_kept_under_input(conductor_api: Workflows) -> None:
    instance_id = conductor_api.started("order_approval", new_id("scalar"), "just text")
    assert json.loads(conductor_api.state(instance_id)["properties"]["dapr.workflow.input"]) == {
        "input": "just text"
    }
    assert conductor_api.post(instance_id, "terminate").status_code == 202


def test_unknown_instance_is_404_everywhere(conductor_api: Workflows) -> None:
    ghost = new_id("ghost")
    problem(conductor_api.get(ghost), 404, "instance-not-found", "ERR_INSTANCE_ID_NOT_FOUND")
    problem(conductor_api.client.get(f"{conductor_api.base}/{ghost}/history"), 404, "instance-not-found")
    for operation in ("terminate", "pause", "resume", "purge", "raiseEvent/approval"):
        problem(conductor_api.post(ghost, operation), 404, "instance-not-found")


def test_failed_workflow_shows_the_task_failure(conductor_api: Workflows) -> None:
    instance_id = conductor_api.started(
        "declined_payment", new_id("declined"), {"orderId": "x", "amount": 50}
    )
    failed = conductor_api.wait_status(instance_id, *TERMINAL)
    assert failed["runtimeStatus"] == "FAILED", failed
    properties = failed["properties"]
    assert properties["dapr.workflow.failure.error_type"] == "WorkflowFailed"
    assert (
        "payment declined: 50 exceeds the credit limit" in properties["dapr.workflow.failure.error_message"]
    )
    assert "dapr.workflow.output" not in properties
    assert properties["conductor.status"] == "FAILED"
    assert properties["conductor.failedTaskNames"] == "charge_payment"


def test_timed_out_workflow_is_failed_with_a_timeout_type(conductor_api: Workflows) -> None:
    instance_id = conductor_api.started("approval_deadline", new_id("deadline"))
    timed_out = conductor_api.wait_status(instance_id, *TERMINAL)
    assert timed_out["runtimeStatus"] == "FAILED", timed_out
    properties = timed_out["properties"]
    assert properties["dapr.workflow.failure.error_type"] == "WorkflowTimedOut"
    assert "timed out" in properties["dapr.workflow.failure.error_message"]
    assert properties["conductor.status"] == "TIMED_OUT"
    # Purgeable like any failed instance.
    assert conductor_api.post(instance_id, "purge").status_code == 202


def test_raise_event_completes_the_waiting_task(conductor_api: Workflows) -> None:
    instance_id = conductor_api.started("order_approval", new_id("approve"), {"orderId": "a1"})
    conductor_api.wait_status(instance_id, "RUNNING")

    nothing_waits = conductor_api.post(instance_id, "raiseEvent/payment", {"ok": True})
    body = problem(nothing_waits, 409, "invalid-state", "ERR_RAISE_EVENT_WORKFLOW")
    assert "no pending WAIT or HUMAN task with reference name 'payment'" in body["detail"]

    raised = conductor_api.post(instance_id, "raiseEvent/approval", {"approved": True, "approver": "ann"})
    assert raised.status_code == 202, raised.text
    done = conductor_api.wait_status(instance_id, *TERMINAL)
    assert done["runtimeStatus"] == "COMPLETED", done
    output = json.loads(done["properties"]["dapr.workflow.output"])
    assert output["approved"] is True
    assert output["approver"] == "ann"
    assert output["trackingNumber"].startswith("trk-")  # the SWITCH took the approved branch

    too_late = conductor_api.post(instance_id, "raiseEvent/approval", {"approved": False})
    problem(too_late, 409, "invalid-state")


def test_raise_event_with_non_object_data(conductor_api: Workflows) -> None:
    instance_id = conductor_api.started("order_approval", new_id("scalar-event"), {"orderId": "s"})
    assert conductor_api.post(instance_id, "raiseEvent/approval", [1, 2]).status_code == 202
    conductor_api.wait_status(instance_id, *TERMINAL)
    events = conductor_api.history(instance_id)
    raised = [event for event in events if event["kind"] == "EventRaised"]
    assert [(event["name"], event["data"]) for event in raised] == [("approval", {"data": [1, 2]})]


def test_pause_resume_and_an_event_while_suspended(conductor_api: Workflows) -> None:
    instance_id = conductor_api.started("order_approval", new_id("pause"), {"orderId": "p"})
    conductor_api.wait_status(instance_id, "RUNNING")
    running_resume = conductor_api.post(instance_id, "resume")
    body = problem(running_resume, 409, "invalid-state", "ERR_RESUME_WORKFLOW")
    assert "not suspended" in body["detail"]

    assert conductor_api.post(instance_id, "pause").status_code == 202
    assert conductor_api.wait_status(instance_id, "SUSPENDED")["properties"]["conductor.status"] == "PAUSED"
    assert conductor_api.post(instance_id, "pause").status_code == 202  # already suspended: no-op

    # The event completes the waiting task at once; the workflow moves on only once resumed.
    assert conductor_api.post(instance_id, "raiseEvent/approval", {"approved": False}).status_code == 202
    events = conductor_api.wait_history(
        instance_id, lambda events: "EventRaised" in kinds(events), "the event"
    )
    assert kinds(events)[-1] == "EventRaised", events  # nothing scheduled after it
    assert conductor_api.state(instance_id)["runtimeStatus"] == "SUSPENDED"
    assert conductor_api.post(instance_id, "resume").status_code == 202
    done = conductor_api.wait_status(instance_id, *TERMINAL)
    assert done["runtimeStatus"] == "COMPLETED", done
    assert json.loads(done["properties"]["dapr.workflow.output"])["approved"] is False

    problem(conductor_api.post(instance_id, "pause"), 409, "invalid-state", "ERR_PAUSE_WORKFLOW")
    problem(conductor_api.post(instance_id, "resume"), 409, "invalid-state")


def test_terminate_with_reason(conductor_api: Workflows) -> None:
    instance_id = conductor_api.started("order_approval", new_id("term"), {"orderId": "t"})
    conductor_api.wait_status(instance_id, "RUNNING")
    response = conductor_api.post(instance_id, "terminate", reason="customer cancelled")
    assert response.status_code == 202, response.text
    terminated = conductor_api.wait_status(instance_id, *TERMINAL)
    assert terminated["runtimeStatus"] == "TERMINATED"
    assert terminated["properties"]["conductor.reasonForIncompletion"] == "customer cancelled"
    assert "dapr.workflow.failure.error_type" not in terminated["properties"]
    # Terminating a terminal instance is a no-op.
    assert conductor_api.post(instance_id, "terminate").status_code == 202


def test_terminate_leaves_a_failed_instance_failed(conductor_api: Workflows) -> None:
    instance_id = conductor_api.started("declined_payment", new_id("failterm"), {"orderId": "f", "amount": 9})
    assert conductor_api.wait_status(instance_id, *TERMINAL)["runtimeStatus"] == "FAILED"
    assert conductor_api.post(instance_id, "terminate").status_code == 202
    # Conductor itself would have turned it TERMINATED.
    assert conductor_api.state(instance_id)["runtimeStatus"] == "FAILED"


def test_purge_only_terminal_then_the_id_is_free(
    conductor_api: Workflows, conductor_rest: httpx.Client
) -> None:
    instance_id = conductor_api.started("order_approval", new_id("purge"), {"orderId": "pg"})
    conductor_api.wait_status(instance_id, "RUNNING")
    body = problem(conductor_api.post(instance_id, "purge"), 409, "invalid-state", "ERR_PURGE_WORKFLOW")
    assert "RUNNING" in body["detail"]
    workflow_id = conductor_api.state(instance_id)["properties"]["conductor.workflowId"]

    assert conductor_api.post(instance_id, "terminate").status_code == 202
    conductor_api.wait_status(instance_id, "TERMINATED")
    purged = conductor_api.post(instance_id, "purge")
    assert purged.status_code == 202, purged.text
    assert purged.json()["purgedInstances"] == 1
    problem(conductor_api.get(instance_id), 404, "instance-not-found")
    assert conductor_rest.get(f"/workflow/{workflow_id}").status_code == 404
    problem(conductor_api.post(instance_id, "purge"), 404, "instance-not-found")

    # A purged ID can be used again.
    conductor_api.started("order_processing", instance_id, order(instance_id))
    assert conductor_api.wait_status(instance_id, *TERMINAL)["workflowName"] == "order_processing"


def test_list_filters_and_pages(conductor_api: Workflows) -> None:
    ids = [conductor_api.started("order_approval", new_id(f"list{n}"), {"orderId": str(n)}) for n in range(3)]
    paused = conductor_api.post(ids[0], "pause")
    assert paused.status_code == 202, paused.text

    seen: dict[str, dict[str, object]] = {}
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"workflowName": "order_approval", "status": "RUNNING,SUSPENDED"}
        params["pageSize"] = 2
        if token:
            params["continuationToken"] = token
        response = conductor_api.list(**params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["instances"]) <= 2
        for item in page["instances"]:
            assert item["instanceID"] not in seen, "paging returned an instance twice"
            seen[item["instanceID"]] = item
        pages += 1
        token = page["continuationToken"]
        if not token:
            break
    assert set(ids) <= set(seen)
    assert pages >= 2
    assert {seen[i]["runtimeStatus"] for i in ids} == {"RUNNING", "SUSPENDED"}
    assert all(item["workflowName"] == "order_approval" for item in seen.values())

    suspended = conductor_api.list(status="SUSPENDED", pageSize=1000).json()["instances"]
    assert ids[0] in {item["instanceID"] for item in suspended}
    assert ids[1] not in {item["instanceID"] for item in suspended}
    # Conductor has no CANCELED or PENDING workflows.
    assert conductor_api.list(status="CANCELED,PENDING").json() == {
        "instances": [],
        "continuationToken": None,
    }
    problem(conductor_api.list(continuationToken="abc"), 400, "invalid-request")
    for instance_id in ids:
        assert conductor_api.post(instance_id, "terminate").status_code == 202


def test_history_of_a_completed_order(conductor_api: Workflows) -> None:
    instance_id = conductor_api.started("order_processing", new_id("hist"), order("h"))
    conductor_api.wait_status(instance_id, *TERMINAL)
    events = conductor_api.history(instance_id)
    assert [(event["kind"], event["name"]) for event in events] == [
        ("WorkflowStarted", "order_processing"),
        ("ActivityScheduled", "validate_order"),
        ("ActivityCompleted", "validate_order"),
        ("ActivityScheduled", "charge_payment"),
        ("ActivityCompleted", "charge_payment"),
        ("ActivityScheduled", "ship_order"),
        ("ActivityCompleted", "ship_order"),
        ("WorkflowCompleted", None),
    ]
    assert [event["sequence"] for event in events] == list(range(len(events)))
    stamps = [event["timestamp"] for event in events]
    assert stamps == sorted(stamps)
    assert events[0]["data"] == order("h")
    assert events[2]["data"]["total"] == 12.0
    assert events[1]["details"]["taskReferenceName"] == "validate"


def test_history_of_a_failure(conductor_api: Workflows) -> None:
    instance_id = conductor_api.started(
        "declined_payment", new_id("histfail"), {"orderId": "hf", "amount": 5}
    )
    conductor_api.wait_status(instance_id, *TERMINAL)
    events = conductor_api.history(instance_id)
    kinds = [event["kind"] for event in events]
    assert kinds == ["WorkflowStarted", "ActivityScheduled", "ActivityFailed", "WorkflowFailed"]
    assert "payment declined" in events[2]["details"]["reason"]


def test_metadata_lists_the_component_and_its_workflows(conductor_api: Workflows) -> None:
    components = {
        item["name"]: item for item in conductor_api.client.get("/v1.0/metadata").json()["components"]
    }
    info = components["conductor"]
    assert info["type"] == "workflow.conductor"
    assert info["healthy"] is True
    assert {"order_processing", "order_approval", "declined_payment"} <= set(info["workflows"])
