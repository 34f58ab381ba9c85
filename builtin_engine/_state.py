"""What clients read back: ``WorkflowState``, ``WorkflowStatus`` and history events."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from builtin_engine._context import from_timestamp
from builtin_engine._errors import FailureDetails
from builtin_engine._history import NEVER, SCHEDULING, Event
from builtin_engine._store import InstanceRecord, Status

#: how the fire time of a timer that never fires (an indefinite wait's) is shown
_NEVER_SHOWN = "9999-12-31T23:59:59.999999Z"


class WorkflowStatus(enum.Enum):
    """Dapr SDK's status enum; programs read ``state.runtime_status.name``."""

    UNKNOWN = 0
    RUNNING = 1
    COMPLETED = 2
    FAILED = 3
    TERMINATED = 4
    PENDING = 5
    SUSPENDED = 6
    STALLED = 7


_STATUS = {
    Status.PENDING: WorkflowStatus.PENDING,
    Status.RUNNING: WorkflowStatus.RUNNING,
    Status.SUSPENDED: WorkflowStatus.SUSPENDED,
    Status.COMPLETED: WorkflowStatus.COMPLETED,
    Status.FAILED: WorkflowStatus.FAILED,
    Status.TERMINATED: WorkflowStatus.TERMINATED,
}
_STORED = {value: key for key, value in _STATUS.items()}


def stored_statuses(statuses: Sequence[WorkflowStatus]) -> list[Status]:
    """The store's statuses for a filter given in SDK terms (unknown ones match nothing)."""
    return [_STORED[s] for s in statuses if s in _STORED]


class WorkflowState:
    """The state of one instance, as Dapr's SDK shows it.

    ``created_at``/``last_updated_at`` are naive UTC datetimes; the ``serialized_*`` fields are
    JSON text (``None`` when absent or when read with ``fetch_payloads=False``);
    ``serialized_output`` is set for completed instances (and terminated ones given an output).
    """

    __slots__ = (
        "created_at", "failure_details", "instance_id", "last_updated_at", "name", "runtime_status",
        "serialized_custom_status", "serialized_input", "serialized_output",
    )  # fmt: skip

    def __init__(
        self,
        instance_id: str,
        name: str,
        runtime_status: WorkflowStatus,
        created_at: datetime,
        last_updated_at: datetime,
        serialized_input: str | None = None,
        serialized_output: str | None = None,
        serialized_custom_status: str | None = None,
        failure_details: FailureDetails | None = None,
    ) -> None:
        self.instance_id = instance_id
        self.name = name
        self.runtime_status = runtime_status
        self.created_at = created_at
        self.last_updated_at = last_updated_at
        self.serialized_input = serialized_input
        self.serialized_output = serialized_output
        self.serialized_custom_status = serialized_custom_status
        self.failure_details = failure_details

    @classmethod
    def of(cls, record: InstanceRecord, *, fetch_payloads: bool = True) -> WorkflowState:
        return cls(
            record.instance_id,
            record.name,
            _STATUS[record.status],
            from_timestamp(record.created_at),
            from_timestamp(record.updated_at),
            record.input if fetch_payloads else None,
            record.output if fetch_payloads else None,
            record.custom_status if fetch_payloads else None,
            record.failure,
        )

    def to_json(self) -> dict[str, Any]:
        """The state as a JSON-ready dict (Dapr SDK's shape)."""
        failure = self.failure_details
        return {
            "instance_id": self.instance_id,
            "name": self.name,
            "runtime_status": self.runtime_status.name,
            "created_at": self.created_at.isoformat(),
            "last_updated_at": self.last_updated_at.isoformat(),
            "serialized_input": self.serialized_input,
            "serialized_output": self.serialized_output,
            "serialized_custom_status": self.serialized_custom_status,
            "failure_details": None
            if failure is None
            else {
                "message": failure.message,
                "error_type": failure.error_type,
                "stack_trace": failure.stack_trace,
            },
        }

    def __str__(self) -> str:
        return json.dumps(self.to_json())

    def __repr__(self) -> str:
        return f"WorkflowState({self.instance_id!r}, {self.name!r}, {self.runtime_status.name})"


@dataclass(frozen=True, slots=True)
class WorkflowStatePage:
    """One page of ``list_workflow_states``, newest first; ``continuation_token`` is ``None`` at the end."""

    states: Sequence[WorkflowState]
    continuation_token: str | None = None


@dataclass(frozen=True, slots=True)
class WorkflowHistoryEvent:
    """One event of an instance's history.

    ``event_type`` is the event's name (``WorkflowStarted``, ``ActivityScheduled``,
    ``ActivityCompleted``, ``TimerCreated``, ``EventRaised``...); ``name`` the activity, child
    workflow, event or workflow name; ``data`` its JSON payload; ``details`` other facts.
    """

    sequence: int
    event_type: str
    timestamp: datetime
    name: str | None = None
    task_id: int | None = None
    data: str | None = None
    details: dict[str, str] = field(default_factory=dict)


def history_events(events: Sequence[tuple[int, Event]]) -> list[WorkflowHistoryEvent]:
    """Readable events: completions get the name of what they complete."""
    names: dict[int, str] = {}
    result: list[WorkflowHistoryEvent] = []
    for seq, event in events:
        details: dict[str, str] = {}
        name = event.name
        if event.type in SCHEDULING:
            if event.task_id is not None and name:
                names[event.task_id] = name
        elif event.task_id is not None and name is None:
            name = names.get(event.task_id)
        if event.fire_at is not None:
            details["fireAt"] = (
                _NEVER_SHOWN if event.fire_at >= NEVER else from_timestamp(event.fire_at).isoformat() + "Z"
            )
        if event.origin is not None:
            details["origin"] = event.origin
        if event.task_execution_id is not None:
            details["taskExecutionId"] = event.task_execution_id
        if event.target_id is not None:
            details["targetInstanceId"] = event.target_id
        if event.version is not None:
            details["version"] = event.version
        if event.patches:
            details["patches"] = ",".join(event.patches)
        if event.child_id is not None:
            details["childInstanceId"] = event.child_id
        failure = event.failure
        if failure is not None:
            details["error_type"] = failure.error_type
            details["message"] = failure.message
            if failure.stack_trace is not None:
                details["stack_trace"] = failure.stack_trace
        result.append(
            WorkflowHistoryEvent(
                seq,
                event.type.title,
                from_timestamp(event.timestamp),
                name,
                event.task_id,
                event.data,
                details,
            )
        )
    return result
