"""The README's walk-through, end to end: the order workflow driven by Dapr's HTTP calls.

Start, get, pause, raise an event while paused, resume, history, list, terminate, purge, in the
order a Dapr user would type them with curl (docs/examples.md shows the same commands).
"""

from __future__ import annotations

import json

from tests.rest import Workflows, custom_status, kinds, new_id, output

EXPENSIVE = {"item_name": "cars", "quantity": 1, "total_cost": 6000}


def test_order_walkthrough(api: Workflows) -> None:
    iid = new_id("order")

    # curl -i -X POST .../order_processing/start?instanceID=ID -d '{...}'
    response = api.client.post(
        f"{api.base}/order_processing/start", params={"instanceID": iid}, json=EXPENSIVE
    )
    assert response.status_code == 202
    assert response.json() == {"instanceID": iid}
    assert response.headers["Location"] == f"{api.base}/{iid}"
    assert response.headers["Retry-After"] == "1"

    # curl .../ID: running, waiting for the manager
    body = api.wait_custom_status(iid, "waiting for approval")
    assert body["instanceID"] == iid
    assert body["workflowName"] == "order_processing"
    assert body["runtimeStatus"] == "RUNNING"
    assert json.loads(body["properties"]["dapr.workflow.input"]) == EXPENSIVE
    assert body["createdAt"].endswith("Z")

    # pause: the instance makes no progress and keeps the events it receives
    assert api.post(iid, "pause").status_code == 202
    assert api.state(iid)["runtimeStatus"] == "SUSPENDED"
    api.accepted(iid, "raiseEvent/approval", {"approver": "alice", "approved": True})
    # the engine records the event at once, and must not act on it while suspended
    api.wait_history(iid, lambda events: "EventRaised" in kinds(events), "the approval")
    body = api.state(iid)
    assert body["runtimeStatus"] == "SUSPENDED"
    assert custom_status(body) == "waiting for approval"

    # resume delivers the buffered approval: the order completes
    assert api.post(iid, "resume").status_code == 202
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body)["processed"] is True
    assert custom_status(body) == "completed"
    assert body["lastUpdatedAt"] > body["createdAt"]

    # history: what happened, oldest first
    events = api.history(iid)
    seen = kinds(events)
    assert seen[0] == "WorkflowStarted"
    assert seen[-1] == "WorkflowCompleted"
    assert seen.index("WorkflowSuspended") < seen.index("WorkflowResumed")
    raised = [e for e in events if e["kind"] == "EventRaised"]
    assert [e["name"] for e in raised] == ["approval"]
    assert raised[0]["data"] == {"approver": "alice", "approved": True}
    activities = [e["name"] for e in events if e["kind"] == "ActivityCompleted"]
    assert activities == [
        "notify",
        "verify_inventory",
        "request_approval",
        "process_payment",
        "update_inventory",
        "ship_order",
        "notify",
    ]
    assert [e["sequence"] for e in events] == sorted(e["sequence"] for e in events)

    # list: completed order_processing instances, newest first, one page at a time
    other = api.started("order_processing", None, {"item_name": "paperclips", "quantity": 1, "total_cost": 1})
    assert api.wait_status(other)["runtimeStatus"] == "COMPLETED"
    listed = api.list(status="COMPLETED", workflowName="order_processing").json()
    assert iid in [s["instanceID"] for s in listed["instances"]]
    assert all(s["runtimeStatus"] == "COMPLETED" for s in listed["instances"])
    first = api.list(workflowName="order_processing", pageSize=1).json()
    assert len(first["instances"]) == 1
    assert first["continuationToken"]
    second = api.list(
        workflowName="order_processing", pageSize=1, continuationToken=first["continuationToken"]
    ).json()
    assert first["instances"][0]["instanceID"] == other  # newest first
    assert second["instances"][0]["instanceID"] != other

    # purge: the instance and its history are gone
    purged = api.post(iid, "purge")
    assert purged.status_code == 202
    assert purged.json()["purgedInstances"] == 1
    gone = api.get(iid)
    assert gone.status_code == 404
    assert gone.json()["errorCode"] == "ERR_INSTANCE_ID_NOT_FOUND"


def test_terminate_then_purge(api: Workflows) -> None:
    iid = api.started("order_processing", new_id("order"), EXPENSIVE)
    api.wait_custom_status(iid, "waiting for approval")

    # a running instance may not be purged
    refused = api.post(iid, "purge")
    assert refused.status_code == 409
    assert refused.json()["errorCode"] == "ERR_PURGE_WORKFLOW"

    assert api.post(iid, "terminate").status_code == 202
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "TERMINATED"
    assert kinds(api.history(iid))[-1] == "WorkflowTerminated"

    # an event for a terminated instance is accepted and ignored; the status does not change
    api.accepted(iid, "raiseEvent/approval", {"approver": "late"})
    assert api.state(iid)["runtimeStatus"] == "TERMINATED"

    assert api.post(iid, "purge").status_code == 202
    assert api.get(iid).status_code == 404


def test_what_dapr_refuses(api: Workflows) -> None:
    iid = api.started("order_processing", new_id("order"), EXPENSIVE)
    api.wait_custom_status(iid, "waiting for approval")

    again = api.client.post(f"{api.base}/order_processing/start", params={"instanceID": iid}, json=EXPENSIVE)
    assert again.status_code == 409
    assert again.json()["errorCode"] == "ERR_START_WORKFLOW"

    not_paused = api.post(iid, "resume")
    assert not_paused.status_code == 409
    assert not_paused.json()["errorCode"] == "ERR_RESUME_WORKFLOW"

    unknown = api.client.post(f"{api.base}/no_such_workflow/start", json={})
    assert unknown.status_code == 400

    missing = api.client.post(f"{api.base}/{new_id('nobody')}/raiseEvent/approval", json={})
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "ERR_INSTANCE_ID_NOT_FOUND"

    # the same API answers under Dapr's older prefixes
    beta = api.client.get(f"/v1.0-beta1/workflows/dapr/{iid}")
    assert beta.status_code == 200
    assert beta.json()["runtimeStatus"] == "RUNNING"

    api.accepted(iid, "raiseEvent/approval", {"approver": "alice"})
    assert api.wait_status(iid)["runtimeStatus"] == "COMPLETED"
