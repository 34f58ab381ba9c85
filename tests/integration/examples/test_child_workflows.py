"""examples/builtin/child_workflows.py: children with their own IDs, recursive terminate and purge."""

from __future__ import annotations

from tests.rest import Workflows, custom_status, new_id, output


def test_each_package_is_delivered_by_its_own_child(api: Workflows) -> None:
    batch = {
        "packages": [
            {"id": "p1", "address": "1 Main St", "transit_seconds": 0.1},
            {"id": "p2", "address": "2 High St"},
            {"id": "p3", "address": ""},
        ]
    }
    iid = api.started("ship_batch", new_id("batch"), batch)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    result = output(body)
    assert result["delivered"] == 2
    assert result["packages"]["p1"] == {"label": "p1 -> 1 Main St", "delivered_by": f"{iid}-p1"}
    assert "package p3 has no address" in result["packages"]["p3"]["failed"]
    assert custom_status(body) == "2 of 3 delivered"

    # every child is an instance of its own, visible through the same API
    p1 = api.state(f"{iid}-p1")
    assert p1["workflowName"] == "deliver_package"
    assert p1["runtimeStatus"] == "COMPLETED"
    assert custom_status(p1) == "delivered"
    p3 = api.state(f"{iid}-p3")
    assert p3["runtimeStatus"] == "FAILED"
    assert p3["properties"]["dapr.workflow.failure.error_type"] == "TaskFailedError"

    children = [e for e in api.history(iid) if e["kind"] == "ChildWorkflowScheduled"]
    assert [e["name"] for e in children] == ["deliver_package"] * 3

    listed = api.list(workflowName="deliver_package", pageSize=1000).json()
    assert {f"{iid}-p1", f"{iid}-p2", f"{iid}-p3"} <= {s["instanceID"] for s in listed["instances"]}

    # purge is recursive: the children go with the batch
    purged = api.post(iid, "purge")
    assert purged.status_code == 202
    assert purged.json()["purgedInstances"] == 4
    for instance in (iid, f"{iid}-p1", f"{iid}-p2", f"{iid}-p3"):
        assert api.get(instance).status_code == 404


def test_terminating_the_batch_terminates_the_deliveries_in_transit(api: Workflows) -> None:
    batch = {"packages": [{"id": "slow", "address": "far away", "transit_seconds": 3600}]}
    iid = api.started("ship_batch", new_id("batch"), batch)
    child = f"{iid}-slow"
    api.wait_custom_status(iid, "delivering 1 packages")
    # the child exists once the parent's first step is durable; poll until it is in transit
    api.wait_custom_status(child, "in transit")

    assert api.post(iid, "terminate").status_code == 202
    assert api.wait_status(iid)["runtimeStatus"] == "TERMINATED"
    assert api.wait_status(child)["runtimeStatus"] == "TERMINATED"
