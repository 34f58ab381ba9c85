"""examples/builtin/child_workflows.py: children with their own IDs, recursive terminate and purge."""

from __future__ import annotations

import httpx

from tests.integration.examples.rest import (
    BASE,
    custom_status,
    get,
    history,
    new_id,
    output,
    start,
    wait_for,
    wait_for_custom_status,
)


def test_each_package_is_delivered_by_its_own_child(api: httpx.Client) -> None:
    batch = {
        "packages": [
            {"id": "p1", "address": "1 Main St", "transit_seconds": 0.1},
            {"id": "p2", "address": "2 High St"},
            {"id": "p3", "address": ""},
        ]
    }
    iid = start(api, "ship_batch", batch, instance_id=new_id("batch"))
    body = wait_for(api, iid)
    assert body["runtimeStatus"] == "COMPLETED"
    result = output(body)
    assert result["delivered"] == 2
    assert result["packages"]["p1"] == {"label": "p1 -> 1 Main St", "delivered_by": f"{iid}-p1"}
    assert "package p3 has no address" in result["packages"]["p3"]["failed"]
    assert custom_status(body) == "2 of 3 delivered"

    # every child is an instance of its own, visible through the same API
    p1 = get(api, f"{iid}-p1")
    assert p1["workflowName"] == "deliver_package"
    assert p1["runtimeStatus"] == "COMPLETED"
    assert custom_status(p1) == "delivered"
    p3 = get(api, f"{iid}-p3")
    assert p3["runtimeStatus"] == "FAILED"
    assert p3["properties"]["dapr.workflow.failure.error_type"] == "TaskFailedError"

    children = [e for e in history(api, iid) if e["kind"] == "ChildWorkflowScheduled"]
    assert [e["name"] for e in children] == ["deliver_package"] * 3

    listed = api.get(BASE, params={"workflowName": "deliver_package", "pageSize": 1000}).json()
    assert {f"{iid}-p1", f"{iid}-p2", f"{iid}-p3"} <= {s["instanceID"] for s in listed["instances"]}

    # purge is recursive: the children go with the batch
    purged = api.post(f"{BASE}/{iid}/purge")
    assert purged.status_code == 202
    assert purged.json()["purgedInstances"] == 4
    for instance in (iid, f"{iid}-p1", f"{iid}-p2", f"{iid}-p3"):
        assert api.get(f"{BASE}/{instance}").status_code == 404


def test_terminating_the_batch_terminates_the_deliveries_in_transit(api: httpx.Client) -> None:
    batch = {"packages": [{"id": "slow", "address": "far away", "transit_seconds": 3600}]}
    iid = start(api, "ship_batch", batch, instance_id=new_id("batch"))
    child = f"{iid}-slow"
    wait_for_custom_status(api, iid, "delivering 1 packages")
    # the child exists once the parent's first step is durable; poll until it is in transit
    wait_for_custom_status(api, child, "in transit")

    assert api.post(f"{BASE}/{iid}/terminate").status_code == 202
    assert wait_for(api, iid)["runtimeStatus"] == "TERMINATED"
    assert wait_for(api, child)["runtimeStatus"] == "TERMINATED"
