"""Task chaining with retries and compensation: booking a trip as a saga.

The workflow books a flight, a hotel and a car, one after the other, each step feeding the
next. A flaky step is retried by a durable ``RetryPolicy`` (the waits between attempts are
timers in the history, so a restart does not reset them). A step that fails for good
triggers the compensation: the bookings already made are cancelled in reverse order, then the
workflow fails with a ``TripNotBooked`` error that clients read in its failure details.

The input chooses what goes wrong, so that every path can be seen::

    {"traveller": "ada", "destination": "Lisbon"}                          # all three booked
    {"traveller": "ada", "destination": "Lisbon", "flaky_attempts": 2}     # hotel retried twice
    {"traveller": "ada", "destination": "Lisbon", "refuse": "car"}         # car refused: undo

Run on its own: ``python examples/builtin/task_chaining.py``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import builtin_engine as wf

wfr = wf.WorkflowRuntime()

#: retries a flaky booking: up to 4 attempts, waiting 0.1 s, 0.2 s, 0.4 s between them.
#: ``BookingRefused`` is not worth retrying: it fails the step at once.
BOOKING_RETRY = wf.RetryPolicy(
    first_retry_interval=timedelta(milliseconds=100),
    max_number_of_attempts=4,
    backoff_coefficient=2.0,
    max_retry_interval=timedelta(seconds=2),
    non_retryable_error_types=["BookingRefused"],
)


@dataclass
class TripRequest:
    traveller: str
    destination: str
    #: the step ("flight", "hotel" or "car") whose provider refuses the booking
    refuse: str | None = None
    #: how many times the hotel's provider times out before it answers
    flaky_attempts: int = 0


@dataclass
class Booking:
    kind: str
    reference: str


class BookingRefused(Exception):
    """A provider said no: retrying will not help."""


class TripNotBooked(Exception):
    """The trip failed; the bookings made before the failure were cancelled."""


@wfr.workflow(name="book_trip")
def book_trip(ctx: wf.DaprWorkflowContext, trip: TripRequest) -> Generator[wf.Task[Any], Any, dict[str, Any]]:
    """Books flight, hotel and car in turn; undoes what was booked if one of them fails."""
    booked: list[Booking] = []
    try:
        for step in (book_flight, book_hotel, book_car):
            booking: Booking = yield ctx.call_activity(step, input=trip, retry_policy=BOOKING_RETRY)
            booked.append(booking)
            ctx.set_custom_status({"booked": [b.kind for b in booked]})
    except wf.TaskFailedError as failure:
        for booking in reversed(booked):
            yield ctx.call_activity(cancel_booking, input=booking, retry_policy=BOOKING_RETRY)
        ctx.set_custom_status({"booked": [], "cancelled": [b.kind for b in reversed(booked)]})
        raise TripNotBooked(
            f"trip to {trip.destination} not booked: {failure.details.message}; "
            f"cancelled: {', '.join(b.kind for b in reversed(booked)) or 'nothing'}"
        ) from None
    return {"traveller": trip.traveller, "bookings": [b.reference for b in booked]}


# Attempts per (instance, step), to simulate a provider that times out a few times. Kept in
# the hosting process only: enough for a demonstration.
_attempts: Counter[tuple[str, str]] = Counter()
_attempts_lock = threading.Lock()


def _book(ctx: wf.WorkflowActivityContext, trip: TripRequest, kind: str) -> Booking:
    with _attempts_lock:
        _attempts[ctx.workflow_id, kind] += 1
        attempt = _attempts[ctx.workflow_id, kind]
    if trip.refuse == kind:
        raise BookingRefused(f"no {kind} available to {trip.destination}")
    if kind == "hotel" and attempt <= trip.flaky_attempts:
        raise TimeoutError(f"the hotel provider timed out (attempt {attempt})")
    print(f"[{kind}] booked for {trip.traveller} to {trip.destination} (attempt {attempt})", flush=True)
    return Booking(kind, f"{kind.upper()}-{trip.destination.upper()}-{attempt}")


@wfr.activity(name="book_flight")
def book_flight(ctx: wf.WorkflowActivityContext, trip: TripRequest) -> Booking:
    return _book(ctx, trip, "flight")


@wfr.activity(name="book_hotel")
def book_hotel(ctx: wf.WorkflowActivityContext, trip: TripRequest) -> Booking:
    return _book(ctx, trip, "hotel")


@wfr.activity(name="book_car")
def book_car(ctx: wf.WorkflowActivityContext, trip: TripRequest) -> Booking:
    return _book(ctx, trip, "car")


@wfr.activity(name="cancel_booking")
def cancel_booking(ctx: wf.WorkflowActivityContext, booking: Booking) -> None:
    print(f"[{booking.kind}] cancelled {booking.reference}", flush=True)


def main() -> None:
    wfr.start()
    client = wf.DaprWorkflowClient()
    try:
        for trip in (
            TripRequest("ada", "Lisbon"),
            TripRequest("grace", "Oslo", flaky_attempts=2),
            TripRequest("alan", "Rome", refuse="car"),
        ):
            instance_id = client.schedule_new_workflow(book_trip, input=trip)
            state = client.wait_for_workflow_completion(instance_id, timeout_in_seconds=30)
            assert state is not None
            if state.failure_details is not None:
                outcome = f"{state.failure_details.error_type}: {state.failure_details.message}"
            else:
                outcome = state.serialized_output or ""
            print(f"{instance_id}: {state.runtime_status.name} {outcome}\n", flush=True)
    finally:
        wfr.shutdown()


if __name__ == "__main__":
    main()
