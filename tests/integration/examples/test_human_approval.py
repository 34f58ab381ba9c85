"""examples/builtin/human_approval.py: an external event raced against a timer with ``when_any``."""

from __future__ import annotations

from tests.rest import Workflows, custom_status, kinds, new_id, output


def test_a_cheap_purchase_is_auto_approved(api: Workflows) -> None:
    iid = api.started("purchase_approval", None, {"item": "stapler", "cost": 25, "requester": "bob"})
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == "Auto-approved"


def test_the_approval_wins_the_race(api: Workflows) -> None:
    order = {"item": "laptop", "cost": 2500, "requester": "bob"}
    iid = api.started("purchase_approval", new_id("po"), order)
    body = api.wait_custom_status(iid, "waiting for approval")
    assert body["runtimeStatus"] == "RUNNING"
    api.accepted(iid, "raiseEvent/approval", {"approver": "alice", "approved": True})
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == "Approved by 'alice'"
    assert custom_status(body) == "approved"
    completed = [e["name"] for e in api.history(iid) if e["kind"] == "ActivityCompleted"]
    assert completed == ["send_approval_request", "place_order"]


def test_event_names_match_case_insensitively(api: Workflows) -> None:
    iid = api.started("purchase_approval", None, {"item": "desk", "cost": 1500, "requester": "bob"})
    api.wait_custom_status(iid, "waiting for approval")
    api.accepted(iid, "raiseEvent/Approval", {"approver": "dave", "approved": False})
    body = api.wait_status(iid)
    assert output(body) == "Rejected by 'dave'"


def test_the_timer_wins_the_race(api: Workflows) -> None:
    order = {"item": "server", "cost": 9000, "requester": "bob", "timeout_seconds": 0.2}
    iid = api.started("purchase_approval", new_id("po"), order)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == "Cancelled: no approval within 0.2 seconds"
    assert custom_status(body) == "timed out"
    seen = kinds(api.history(iid))
    assert "TimerFired" in seen
    assert "EventRaised" not in seen

    # a late approval changes nothing
    api.accepted(iid, "raiseEvent/approval", {"approver": "alice"})
    assert output(api.wait_status(iid)) == "Cancelled: no approval within 0.2 seconds"
