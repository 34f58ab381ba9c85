"""examples/builtin/order_processing.py through the REST API: every path an order can take."""

from __future__ import annotations

import json

from tests.rest import Workflows, custom_status, new_id, output


def test_a_cheap_order_is_paid_and_shipped(api: Workflows) -> None:
    order = {"item_name": "paperclips", "quantity": 3, "total_cost": 30}
    iid = api.started("order_processing", new_id("order"), order)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert body["workflowName"] == "order_processing"
    result = output(body)
    assert result["processed"] is True
    assert result["receipt"] == f"receipt-{iid}"
    assert result["tracking"] == f"TRACK-{iid}-3xpaperclips"
    assert custom_status(body) == "completed"


def test_an_expensive_order_waits_for_approval(api: Workflows) -> None:
    order = {"item_name": "cars", "quantity": 1, "total_cost": 6000}
    iid = api.started("order_processing", new_id("order"), order)
    body = api.wait_custom_status(iid, "waiting for approval")
    assert body["runtimeStatus"] == "RUNNING"
    assert "dapr.workflow.output" not in body["properties"]

    api.accepted(iid, "raiseEvent/approval", {"approver": "alice", "approved": True})
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body)["processed"] is True
    assert output(body)["tracking"] == f"TRACK-{iid}-1xcars"


def test_an_approval_raised_before_the_workflow_waits_is_kept(api: Workflows) -> None:
    iid = api.started(
        "order_processing", new_id("order"), {"item_name": "cars", "quantity": 1, "total_cost": 7000}
    )
    api.accepted(iid, "raiseEvent/approval", {"approver": "bob"})  # at once: the workflow has not asked yet
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body)["processed"] is True


def test_a_rejected_order_is_not_paid(api: Workflows) -> None:
    order = {"item_name": "cars", "quantity": 1, "total_cost": 9000}
    iid = api.started("order_processing", new_id("order"), order)
    api.wait_custom_status(iid, "waiting for approval")
    api.accepted(iid, "raiseEvent/approval", {"approver": "carol", "approved": False})
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == {"processed": False, "reason": "rejected by carol"}
    assert custom_status(body) == "rejected by carol"


def test_an_unapproved_order_times_out(api: Workflows) -> None:
    order = {"item_name": "cars", "quantity": 1, "total_cost": 9000, "approval_timeout_seconds": 0.2}
    iid = api.started("order_processing", new_id("order"), order)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == {"processed": False, "reason": "approval timed out"}
    assert custom_status(body) == "cancelled: approval timed out"


def test_an_order_beyond_the_stock_is_rejected(api: Workflows) -> None:
    order = {"item_name": "computers", "quantity": 1_000_000, "total_cost": 10}
    iid = api.started("order_processing", new_id("order"), order)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    result = output(body)
    assert result["processed"] is False
    assert result["reason"].startswith("only ")
    assert custom_status(body) == "rejected: insufficient inventory"


def test_a_declined_payment_fails_the_order_with_its_details(api: Workflows) -> None:
    order = {"item_name": "computers", "quantity": 1, "total_cost": 0}
    iid = api.started("order_processing", new_id("order"), order)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "FAILED"
    props = body["properties"]
    assert "dapr.workflow.output" not in props
    assert props["dapr.workflow.failure.error_type"] == "TaskFailedError"
    assert "payment declined: invalid amount 0.0" in props["dapr.workflow.failure.error_message"]
    assert "ValueError" in props["dapr.workflow.failure.stack_trace"]
    assert custom_status(body) == "processing payment"


def test_an_invalid_order_fails_with_the_validation_error(api: Workflows) -> None:
    order = {"item_name": "cars", "quantity": 0, "total_cost": 1}  # quantity must be positive
    iid = api.started("order_processing", new_id("order"), order)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "FAILED"
    props = body["properties"]
    assert json.loads(props["dapr.workflow.input"]) == order
    assert props["dapr.workflow.failure.error_type"] == "ValidationError"
    assert "greater than 0" in props["dapr.workflow.failure.error_message"]
