"""The README's walk-through, end to end: the order workflow driven by Dapr's HTTP calls.

Start, get, pause, raise an event while paused, resume, history, list, terminate, purge, in the
order a Dapr user would type them with curl (docs/examples.md shows the same commands).
"""

from __future__ import annotations

import json

import httpx

from tests.integration.examples.rest import (
    BASE,
    custom_status,
    get,
    history,
    kinds,
    new_id,
    output,
    raise_event,
    start,
    wait_for,
    wait_for_custom_status,
)

EXPENSIVE = {"item_name": "cars", "quantity": 1, "total_cost": 6000}


def test_order_walkthrough(api: httpx.Client) -> None:
    iid = new_id("order")

    # curl -i -X POST .../order_processing/start?instanceID=ID -d '{...}'
    response = api.post(f"{BASE}/order_processing/start", params={"instanceID": iid}, json=EXPENSIVE)
    assert response.status_code == 202
    assert response.json() == {"instanceID": iid}
    assert response.headers["Location"] == f"{BASE}/{iid}"
    assert response.headers["Retry-After"] == "1"

    # curl .../ID: running, waiting for the manager
    body = wait_for_custom_status(api, iid, "waiting for approval")
    assert body["instanceID"] == iid
    assert body["workflowName"] == "order_processing"
    assert body["runtimeStatus"] == "RUNNING"
    assert json.loads(body["properties"]["dapr.workflow.input"]) == EXPENSIVE
    assert body["createdAt"].endswith("Z")

    # pause: the instance makes no progress and keeps the events it receives
    assert api.post(f"{BASE}/{iid}/pause").status_code == 202
    assert get(api, iid)["runtimeStatus"] == "SUSPENDED"
    raise_event(api, iid, "approval", {"approver": "alice", "approved": True})
    body = get(api, iid)
    assert body["runtimeStatus"] == "SUSPENDED"
    assert custom_status(body) == "waiting for approval"

    # resume delivers the buffered approval: the order completes
    assert api.post(f"{BASE}/{iid}/resume").status_code == 202
    body = wait_for(api, iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body)["processed"] is True
    assert custom_status(body) == "completed"
    assert body["lastUpdatedAt"] > body["createdAt"]

    # history: what happened, oldest first
    events = history(api, iid)
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
    other = start(api, "order_processing", {"item_name": "paperclips", "quantity": 1, "total_cost": 1})
    assert wait_for(api, other)["runtimeStatus"] == "COMPLETED"
    listed = api.get(BASE, params={"status": "COMPLETED", "workflowName": "order_processing"}).json()
    assert iid in [s["instanceID"] for s in listed["instances"]]
    assert all(s["runtimeStatus"] == "COMPLETED" for s in listed["instances"])
    first = api.get(BASE, params={"workflowName": "order_processing", "pageSize": 1}).json()
    assert len(first["instances"]) == 1
    assert first["continuationToken"]
    second = api.get(
        BASE,
        params={
            "workflowName": "order_processing",
            "pageSize": 1,
            "continuationToken": first["continuationToken"],
        },
    ).json()
    assert first["instances"][0]["instanceID"] == other  # newest first
    assert second["instances"][0]["instanceID"] != other

    # purge: the instance and its history are gone
    purged = api.post(f"{BASE}/{iid}/purge")
    assert purged.status_code == 202
    assert purged.json()["purgedInstances"] == 1
    gone = api.get(f"{BASE}/{iid}")
    assert gone.status_code == 404
    assert gone.json()["errorCode"] == "ERR_INSTANCE_ID_NOT_FOUND"


def test_terminate_then_purge(api: httpx.Client) -> None:
    iid = start(api, "order_processing", EXPENSIVE, instance_id=new_id("order"))
    wait_for_custom_status(api, iid, "waiting for approval")

    # a running instance may not be purged
    refused = api.post(f"{BASE}/{iid}/purge")
    assert refused.status_code == 409
    assert refused.json()["errorCode"] == "ERR_PURGE_WORKFLOW"

    assert api.post(f"{BASE}/{iid}/terminate").status_code == 202
    body = wait_for(api, iid)
    assert body["runtimeStatus"] == "TERMINATED"
    assert kinds(history(api, iid))[-1] == "WorkflowTerminated"

    # an event for a terminated instance is accepted and ignored; the status does not change
    raise_event(api, iid, "approval", {"approver": "late"})
    assert get(api, iid)["runtimeStatus"] == "TERMINATED"

    assert api.post(f"{BASE}/{iid}/purge").status_code == 202
    assert api.get(f"{BASE}/{iid}").status_code == 404


def test_what_dapr_refuses(api: httpx.Client) -> None:
    iid = start(api, "order_processing", EXPENSIVE, instance_id=new_id("order"))
    wait_for_custom_status(api, iid, "waiting for approval")

    again = api.post(f"{BASE}/order_processing/start", params={"instanceID": iid}, json=EXPENSIVE)
    assert again.status_code == 409
    assert again.json()["errorCode"] == "ERR_START_WORKFLOW"

    not_paused = api.post(f"{BASE}/{iid}/resume")
    assert not_paused.status_code == 409
    assert not_paused.json()["errorCode"] == "ERR_RESUME_WORKFLOW"

    unknown = api.post(f"{BASE}/no_such_workflow/start", json={})
    assert unknown.status_code == 400

    missing = api.post(f"{BASE}/{new_id('nobody')}/raiseEvent/approval", json={})
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "ERR_INSTANCE_ID_NOT_FOUND"

    # the same API answers under Dapr's older prefixes
    beta = api.get(f"/v1.0-beta1/workflows/dapr/{iid}")
    assert beta.status_code == 200
    assert beta.json()["runtimeStatus"] == "RUNNING"

    raise_event(api, iid, "approval", {"approver": "alice"})
    assert wait_for(api, iid)["runtimeStatus"] == "COMPLETED"
