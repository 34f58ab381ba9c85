"""examples/builtin/task_chaining.py through the REST API: a chain, its retries, its compensation."""

from __future__ import annotations

from typing import Any

from tests.rest import Workflows, custom_status, new_id, output


def _activities(events: list[dict[str, Any]], kind: str, name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == kind and e["name"] == name]


def test_the_three_steps_run_in_order(api: Workflows) -> None:
    iid = api.started("book_trip", new_id("trip"), {"traveller": "ada", "destination": "Lisbon"})
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == {
        "traveller": "ada",
        "bookings": ["FLIGHT-LISBON-1", "HOTEL-LISBON-1", "CAR-LISBON-1"],
    }
    assert custom_status(body) == {"booked": ["flight", "hotel", "car"]}
    completed = [e["name"] for e in api.history(iid) if e["kind"] == "ActivityCompleted"]
    assert completed == ["book_flight", "book_hotel", "book_car"]


def test_a_flaky_step_is_retried_with_backoff(api: Workflows) -> None:
    trip = {"traveller": "grace", "destination": "Oslo", "flaky_attempts": 2}
    iid = api.started("book_trip", new_id("trip"), trip)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body)["bookings"] == ["FLIGHT-OSLO-1", "HOTEL-OSLO-3", "CAR-OSLO-1"]
    events = api.history(iid)
    failures = _activities(events, "ActivityFailed", "book_hotel")
    assert [f["details"]["error_type"] for f in failures] == ["TimeoutError", "TimeoutError"]
    # the waits between attempts are durable timers in the history
    assert [e["kind"] for e in events].count("TimerFired") == 2


def test_a_refused_step_is_not_retried_and_the_others_are_cancelled(api: Workflows) -> None:
    trip = {"traveller": "alan", "destination": "Rome", "refuse": "car"}
    iid = api.started("book_trip", new_id("trip"), trip)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "FAILED"
    props = body["properties"]
    assert props["dapr.workflow.failure.error_type"] == "TripNotBooked"
    assert props["dapr.workflow.failure.error_message"] == (
        "trip to Rome not booked: no car available to Rome; cancelled: hotel, flight"
    )
    assert "TripNotBooked" in props["dapr.workflow.failure.stack_trace"]
    assert "dapr.workflow.output" not in props
    assert custom_status(body) == {"booked": [], "cancelled": ["hotel", "flight"]}
    events = api.history(iid)
    assert len(_activities(events, "ActivityScheduled", "book_car")) == 1  # BookingRefused: no retry
    cancelled = [e["data"]["reference"] for e in _activities(events, "ActivityScheduled", "cancel_booking")]
    assert cancelled == ["HOTEL-ROME-1", "FLIGHT-ROME-1"]
    assert events[-1]["kind"] == "WorkflowFailed"


def test_retries_stop_at_the_policy_s_maximum(api: Workflows) -> None:
    trip = {"traveller": "edsger", "destination": "Paris", "flaky_attempts": 10}
    iid = api.started("book_trip", new_id("trip"), trip)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "FAILED"
    message = body["properties"]["dapr.workflow.failure.error_message"]
    assert message == "trip to Paris not booked: the hotel provider timed out (attempt 4); cancelled: flight"
    assert len(_activities(api.history(iid), "ActivityScheduled", "book_hotel")) == 4
