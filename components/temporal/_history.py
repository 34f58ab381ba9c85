"""Temporal history events normalised to the contract's ``HistoryEvent``.

Workflow-task bookkeeping and anything without a Dapr counterpart stays in the history as
``EventKind.OTHER`` named by Temporal's own event type (``WorkflowTaskCompleted``), so the
sequence numbers remain Temporal's event IDs with no gaps.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent as TemporalEvent

from components.temporal._mapping import failure_details, timestamp
from components.temporal._payloads import payloads_json
from contracts import EventKind, HistoryEvent

_E = EventType
_KINDS: dict[int, EventKind] = {
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: EventKind.WORKFLOW_STARTED,
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: EventKind.WORKFLOW_COMPLETED,
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: EventKind.WORKFLOW_FAILED,
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: EventKind.WORKFLOW_FAILED,
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: EventKind.WORKFLOW_TERMINATED,
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: EventKind.WORKFLOW_CANCELED,
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: EventKind.CONTINUED_AS_NEW,
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED: EventKind.WORKFLOW_SUSPENDED,
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_UNPAUSED: EventKind.WORKFLOW_RESUMED,
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: EventKind.EVENT_RAISED,
    _E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: EventKind.ACTIVITY_SCHEDULED,
    _E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: EventKind.ACTIVITY_COMPLETED,
    _E.EVENT_TYPE_ACTIVITY_TASK_FAILED: EventKind.ACTIVITY_FAILED,
    _E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: EventKind.ACTIVITY_FAILED,
    _E.EVENT_TYPE_TIMER_STARTED: EventKind.TIMER_CREATED,
    _E.EVENT_TYPE_TIMER_FIRED: EventKind.TIMER_FIRED,
    _E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: EventKind.CHILD_WORKFLOW_SCHEDULED,
    _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: EventKind.CHILD_WORKFLOW_COMPLETED,
    _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: EventKind.CHILD_WORKFLOW_FAILED,
    _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: EventKind.CHILD_WORKFLOW_FAILED,
    _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: EventKind.CHILD_WORKFLOW_FAILED,
    _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: EventKind.CHILD_WORKFLOW_FAILED,
    _E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: EventKind.CHILD_WORKFLOW_FAILED,
}


def event_type_name(event_type: int) -> str:
    """``EVENT_TYPE_WORKFLOW_TASK_COMPLETED`` -> ``WorkflowTaskCompleted``."""
    try:
        raw = _E.Name(event_type)  # type: ignore[arg-type]
    except ValueError:
        return f"EventType{event_type}"
    return "".join(part.capitalize() for part in raw.removeprefix("EVENT_TYPE_").split("_"))


def normalise_history(events: Iterable[TemporalEvent]) -> list[HistoryEvent]:
    """Temporal's events, oldest first, as contract events.

    Completion events name the activity or child they complete, which Temporal only records
    on the scheduling event, so names are carried forward by scheduled-event ID.
    """
    names_by_event_id: dict[int, str] = {}
    normalised: list[HistoryEvent] = []
    for event in events:
        converted = _normalise(event, names_by_event_id)
        if converted.name is not None and converted.kind in _NAMING_KINDS:
            names_by_event_id[event.event_id] = converted.name
        normalised.append(converted)
    return normalised


_NAMING_KINDS = frozenset({EventKind.ACTIVITY_SCHEDULED, EventKind.CHILD_WORKFLOW_SCHEDULED})


def _normalise(event: TemporalEvent, names: dict[int, str]) -> HistoryEvent:
    kind = _KINDS.get(event.event_type, EventKind.OTHER)
    when = timestamp(event.event_time) or datetime.fromtimestamp(0, tz=UTC)
    name: str | None = None
    data: str | None = None
    details: dict[str, str] = {}
    attributes = event.WhichOneof("attributes")
    match event.event_type:
        case _E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            started = event.workflow_execution_started_event_attributes
            name, data = started.workflow_type.name, payloads_json(started.input.payloads)
            details["taskQueue"] = started.task_queue.name
        case _E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            data = payloads_json(event.workflow_execution_completed_event_attributes.result.payloads)
        case _E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            details.update(_failure(event.workflow_execution_failed_event_attributes))
        case _E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
            details["reason"] = "timed out"
        case _E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
            terminated = event.workflow_execution_terminated_event_attributes
            data = payloads_json(terminated.details.payloads)
            if terminated.reason:
                details["reason"] = terminated.reason
        case _E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            continued = event.workflow_execution_continued_as_new_event_attributes
            name, data = continued.workflow_type.name, payloads_json(continued.input.payloads)
            details["newRunId"] = continued.new_execution_run_id
        case _E.EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED:
            reason = event.workflow_execution_paused_event_attributes.reason
            if reason:
                details["reason"] = reason
        case _E.EVENT_TYPE_WORKFLOW_EXECUTION_UNPAUSED:
            reason = event.workflow_execution_unpaused_event_attributes.reason
            if reason:
                details["reason"] = reason
        case _E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            signaled = event.workflow_execution_signaled_event_attributes
            name, data = signaled.signal_name, payloads_json(signaled.input.payloads)
        case _E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            name, data = scheduled.activity_type.name, payloads_json(scheduled.input.payloads)
            details["activityId"] = scheduled.activity_id
        case _E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed = event.activity_task_completed_event_attributes
            name = names.get(completed.scheduled_event_id)
            data = payloads_json(completed.result.payloads)
            details["scheduledEventId"] = str(completed.scheduled_event_id)
        case _E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            failed = event.activity_task_failed_event_attributes
            name = names.get(failed.scheduled_event_id)
            details.update(_failure(failed))
            details["scheduledEventId"] = str(failed.scheduled_event_id)
        case _E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            timed_out = event.activity_task_timed_out_event_attributes
            name = names.get(timed_out.scheduled_event_id)
            details.update(_failure(timed_out))
            details["scheduledEventId"] = str(timed_out.scheduled_event_id)
        case _E.EVENT_TYPE_TIMER_STARTED:
            timer = event.timer_started_event_attributes
            name = timer.timer_id
            fire_after = timer.start_to_fire_timeout.ToTimedelta()
            details["fireAt"] = (when + fire_after).isoformat()
        case _E.EVENT_TYPE_TIMER_FIRED:
            name = event.timer_fired_event_attributes.timer_id
        case _E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            child = event.start_child_workflow_execution_initiated_event_attributes
            name, data = child.workflow_type.name, payloads_json(child.input.payloads)
            details["childInstanceId"] = child.workflow_id
        case _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
            done = event.child_workflow_execution_completed_event_attributes
            name, data = done.workflow_type.name, payloads_json(done.result.payloads)
            details["childInstanceId"] = done.workflow_execution.workflow_id
        case _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
            child_failed = event.child_workflow_execution_failed_event_attributes
            name = child_failed.workflow_type.name
            details.update(_failure(child_failed))
            details["childInstanceId"] = child_failed.workflow_execution.workflow_id
        case _ if kind is EventKind.CHILD_WORKFLOW_FAILED and attributes:
            other = getattr(event, attributes)
            name = other.workflow_type.name if other.HasField("workflow_type") else None
            details["reason"] = event_type_name(event.event_type)
        case _:
            name = event_type_name(event.event_type)
    return HistoryEvent(
        sequence=event.event_id, kind=kind, timestamp=when, name=name, serialized_data=data, details=details
    )


def _failure(attributes: object) -> dict[str, str]:
    failure = getattr(attributes, "failure", None)
    if failure is None or not attributes.HasField("failure"):  # type: ignore[attr-defined]
        return {}
    found = failure_details(failure)
    return {"errorType": found.error_type, "errorMessage": found.message}
