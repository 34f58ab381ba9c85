"""examples/builtin/human_approval.py: an external event raced against a timer with ``when_any``."""

from __future__ import annotations

import httpx

from tests.integration.examples.rest import (
    custom_status,
    history,
    kinds,
    new_id,
    output,
    raise_event,
    start,
    wait_for,
    wait_for_custom_status,
)


def test_a_cheap_purchase_is_auto_approved(api: httpx.Client) -> None:
    iid = start(api, "purchase_approval", {"item": "stapler", "cost": 25, "requester": "bob"})
    body = wait_for(api, iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == "Auto-approved"


def test_the_approval_wins_the_race(api: httpx.Client) -> None:
    order = {"item": "laptop", "cost": 2500, "requester": "bob"}
    iid = start(api, "purchase_approval", order, instance_id=new_id("po"))
    body = wait_for_custom_status(api, iid, "waiting for approval")
    assert body["runtimeStatus"] == "RUNNING"
    raise_event(api, iid, "approval", {"approver": "alice", "approved": True})
    body = wait_for(api, iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == "Approved by 'alice'"
    assert custom_status(body) == "approved"
    completed = [e["name"] for e in history(api, iid) if e["kind"] == "ActivityCompleted"]
    assert completed == ["send_approval_request", "place_order"]


def test_event_names_match_case_insensitively(api: httpx.Client) -> None:
    iid = start(api, "purchase_approval", {"item": "desk", "cost": 1500, "requester": "bob"})
    wait_for_custom_status(api, iid, "waiting for approval")
    raise_event(api, iid, "Approval", {"approver": "dave", "approved": False})
    body = wait_for(api, iid)
    assert output(body) == "Rejected by 'dave'"


def test_the_timer_wins_the_race(api: httpx.Client) -> None:
    order = {"item": "server", "cost": 9000, "requester": "bob", "timeout_seconds": 0.2}
    iid = start(api, "purchase_approval", order, instance_id=new_id("po"))
    body = wait_for(api, iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == "Cancelled: no approval within 0.2 seconds"
    assert custom_status(body) == "timed out"
    seen = kinds(history(api, iid))
    assert "TimerFired" in seen
    assert "EventRaised" not in seen

    # a late approval changes nothing
    raise_event(api, iid, "approval", {"approver": "alice"})
    assert output(wait_for(api, iid)) == "Cancelled: no approval within 0.2 seconds"
