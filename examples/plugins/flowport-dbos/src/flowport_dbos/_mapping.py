"""Translations between DBOS's records and the contract's: statuses, states, history, tokens.

Pure functions over DBOS's ``WorkflowStatus`` and ``StepInfo``; no I/O, so they are easy to read
next to the table in the guide.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dbos import StepInfo, WorkflowStatus

from contracts import (
    EventKind,
    FailureDetails,
    HistoryEvent,
    InstanceState,
    InvalidRequestError,
    RuntimeStatus,
)

#: The workflow attribute that tells our two kinds of DBOS cancellation apart. DBOS has one
#: way to stop a workflow (cancel) and it can be undone (resume), so a pause is a cancel marked
#: "pause" and a terminate is a cancel marked "terminate". A cancel that Flowport did not ask
#: for (a DBOS workflow timeout, the DBOS CLI) carries neither and shows as CANCELED.
STOP_ATTRIBUTE = "flowport.stop"
PAUSE = "pause"
TERMINATE = "terminate"

#: The DBOS event key a workflow sets (``DBOS.set_event``) to publish its Dapr custom status.
CUSTOM_STATUS_EVENT = "customStatus"

# DBOS's PENDING means "executing"; its ENQUEUED and DELAYED are Dapr's PENDING.
_SIMPLE: Mapping[str, RuntimeStatus] = {
    "ENQUEUED": RuntimeStatus.PENDING,
    "DELAYED": RuntimeStatus.PENDING,
    "PENDING": RuntimeStatus.RUNNING,
    "SUCCESS": RuntimeStatus.COMPLETED,
    "ERROR": RuntimeStatus.FAILED,
    "MAX_RECOVERY_ATTEMPTS_EXCEEDED": RuntimeStatus.FAILED,
}

#: The DBOS statuses to ask for when listing instances in a contract status.
DBOS_STATUSES: Mapping[RuntimeStatus, tuple[str, ...]] = {
    RuntimeStatus.PENDING: ("ENQUEUED", "DELAYED"),
    RuntimeStatus.RUNNING: ("PENDING",),
    RuntimeStatus.COMPLETED: ("SUCCESS",),
    RuntimeStatus.FAILED: ("ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"),
    RuntimeStatus.SUSPENDED: ("CANCELLED",),
    RuntimeStatus.TERMINATED: ("CANCELLED",),
    RuntimeStatus.CANCELED: ("CANCELLED",),
    RuntimeStatus.CONTINUED_AS_NEW: (),
}


def runtime_status(status: WorkflowStatus) -> RuntimeStatus:
    if status.status != "CANCELLED":
        return _SIMPLE[status.status]
    stop = (status.attributes or {}).get(STOP_ATTRIBUTE)
    if stop == PAUSE:
        return RuntimeStatus.SUSPENDED
    if stop == TERMINATE:
        return RuntimeStatus.TERMINATED
    return RuntimeStatus.CANCELED


def instant(epoch_ms: int | float | None) -> datetime:
    return datetime.fromtimestamp((epoch_ms or 0) / 1000, UTC)


def to_json(value: Any) -> str:
    # DBOS hands back Python values; anything JSON cannot hold is shown as its str().
    return json.dumps(value, default=str)


def serialized_input(status: WorkflowStatus) -> str | None:
    """The one positional argument the workflow was started with (see ``start_arguments``)."""
    inputs = status.input
    if not inputs or not inputs["args"]:
        return None
    return to_json(inputs["args"][0])


def start_arguments(serialized: str | None) -> tuple[Any, ...]:
    """A Dapr input becomes the workflow's single argument; no input, no argument."""
    return () if serialized is None else (json.loads(serialized),)


def failure(status: WorkflowStatus) -> FailureDetails | None:
    if status.status == "MAX_RECOVERY_ATTEMPTS_EXCEEDED":
        return FailureDetails(
            message=f"DBOS gave up recovering the workflow after {status.recovery_attempts} attempts",
            error_type="MaxRecoveryAttemptsExceeded",
        )
    error = status.error
    if status.status != "ERROR" or error is None:
        return None
    return FailureDetails(message=str(error) or type(error).__name__, error_type=error_type(error))


def error_type(error: BaseException) -> str:
    cls = type(error)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def instance_state(
    status: WorkflowStatus, custom_status: Any = None, *, payloads: bool = True
) -> InstanceState:
    """``payloads=False`` leaves out the input and output (failure details stay)."""
    runtime = runtime_status(status)
    properties: dict[str, str] = {"dbos.status": status.status}
    if status.app_version:
        properties["dbos.applicationVersion"] = status.app_version
    if status.queue_name:
        properties["dbos.queue"] = status.queue_name
    return InstanceState(
        instance_id=status.workflow_id,
        workflow_name=status.name,
        runtime_status=runtime,
        created_at=instant(status.created_at),
        last_updated_at=instant(max(status.updated_at or 0, status.created_at or 0)),
        serialized_input=serialized_input(status) if payloads else None,
        # A completed workflow always shows an output, even one that returned None.
        serialized_output=to_json(status.output) if payloads and runtime is RuntimeStatus.COMPLETED else None,
        serialized_custom_status=None if custom_status is None else to_json(custom_status),
        failure=failure(status),
        properties=properties,
    )


# --- history ------------------------------------------------------------------------------------


def history(status: WorkflowStatus, steps: Sequence[StepInfo]) -> list[HistoryEvent]:
    """DBOS records a workflow's steps, not its events: rebuild a history from them.

    The workflow row gives the start and the end, each step one or two events. DBOS stamps the
    workflow row with second precision on SQLite, so the end is moved after the last step.
    """
    events: list[tuple[int, EventKind, str | None, str | None, dict[str, str]]] = []
    created = status.created_at or 0
    events.append((created, EventKind.WORKFLOW_STARTED, status.name, serialized_input(status), {}))
    latest = created
    for step in sorted(steps, key=lambda s: s["function_id"]):
        for event in _step_events(step):
            events.append(event)
            latest = max(latest, event[0])
    end = _end_event(status)
    if end is not None:
        kind, data, details = end
        stamp = max(status.completed_at or status.updated_at or created, latest)
        events.append((stamp, kind, status.name, data, details))
    events.sort(key=lambda event: event[0])  # stable: the start stays first on a tie
    return [
        HistoryEvent(
            sequence=sequence,
            kind=kind,
            timestamp=instant(stamp),
            name=name,
            serialized_data=data,
            details=details,
        )
        for sequence, (stamp, kind, name, data, details) in enumerate(events)
    ]


def _step_events(
    step: StepInfo,
) -> Iterable[tuple[int, EventKind, str | None, str | None, dict[str, str]]]:
    name = step["function_name"]
    started = step["started_at_epoch_ms"] or 0
    completed = step["completed_at_epoch_ms"] or started
    details = {"functionId": str(step["function_id"])}
    if name == "DBOS.recv":
        # DBOS does not record the topic of a receive, only the message.
        yield completed, EventKind.EVENT_RAISED, None, to_json(step["output"]), details
    elif name == "DBOS.sleep":
        # A durable sleep, also the deadline of a recv: its output is the wake-up time.
        details["fireAt"] = instant(float(step["output"] or 0) * 1000).isoformat()
        yield started, EventKind.TIMER_CREATED, name, None, details
    elif step["child_workflow_id"] is not None:
        details["childInstanceID"] = step["child_workflow_id"]
        yield started, EventKind.CHILD_WORKFLOW_SCHEDULED, name, None, details
    elif name.startswith("DBOS."):  # send, setEvent, getEvent...: DBOS's own operations
        yield started, EventKind.OTHER, name, to_json(step["output"]), details
    else:
        yield started, EventKind.ACTIVITY_SCHEDULED, name, None, details
        error = step["error"]
        if error is not None:
            failed = {**details, "errorType": error_type(error), "errorMessage": str(error)}
            yield completed, EventKind.ACTIVITY_FAILED, name, None, failed
        else:
            yield completed, EventKind.ACTIVITY_COMPLETED, name, to_json(step["output"]), details


def _end_event(status: WorkflowStatus) -> tuple[EventKind, str | None, dict[str, str]] | None:
    runtime = runtime_status(status)
    if runtime is RuntimeStatus.COMPLETED:
        return EventKind.WORKFLOW_COMPLETED, to_json(status.output), {}
    if runtime is RuntimeStatus.FAILED:
        details = failure(status)
        facts = {"errorType": details.error_type, "errorMessage": details.message} if details else {}
        return EventKind.WORKFLOW_FAILED, None, facts
    ends = {
        RuntimeStatus.TERMINATED: EventKind.WORKFLOW_TERMINATED,
        RuntimeStatus.CANCELED: EventKind.WORKFLOW_CANCELED,
        RuntimeStatus.SUSPENDED: EventKind.WORKFLOW_SUSPENDED,
    }
    return (ends[runtime], None, {}) if runtime in ends else None


# --- list paging --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a list page ended: newest first, so everything created at or before ``created_ms``
    that is not one of ``seen`` (the instances already shown with exactly that timestamp).

    A keyset rather than an offset, so that instances started while a client pages do not
    shift later pages and show an instance twice. DBOS sorts by creation time only and stamps
    it with second precision on SQLite, hence the set of ties already seen.
    """

    created_ms: int
    seen: frozenset[str]

    @classmethod
    def advance(cls, cursor: Cursor | None, status: WorkflowStatus) -> Cursor:
        """The cursor after showing ``status``, the next row in newest-first order."""
        created = status.created_at or 0
        if cursor is not None and created == cursor.created_ms:
            return cls(created, cursor.seen | {status.workflow_id})
        return cls(created, frozenset({status.workflow_id}))

    def shown(self, status: WorkflowStatus) -> bool:
        return status.created_at == self.created_ms and status.workflow_id in self.seen

    def end_time(self) -> str:
        # DBOS turns this ISO time back into whole milliseconds by truncation; half a
        # millisecond more keeps float rounding from dropping the instances at created_ms.
        return datetime.fromtimestamp((self.created_ms + 0.5) / 1000, UTC).isoformat()

    def token(self) -> str:
        raw = json.dumps({"t": self.created_ms, "s": sorted(self.seen)}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> Cursor:
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            created, seen = int(raw["t"]), frozenset(str(item) for item in raw["s"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise InvalidRequestError(f"not a continuation token of this component: {token!r}") from None
        return cls(created, seen)
