"""The history model: what the store records for each instance, in order.

An instance's history is the single source of truth: the engine rebuilds a workflow's state
by re-running its code against these events (replay). Scheduling events (activity, timer,
child workflow) record the commands the workflow issued, each under a task ID; the other
events are inputs, and those that complete a task carry the same task ID. The titles match
the contract's ``EventKind`` values on purpose.

Every fact an event carries has a typed field of its own; which fields an event type uses:

=========================  =========  =============================================
type                       task_id    other fields
=========================  =========  =============================================
WORKFLOW_STARTED           none       name, data = input, execution_id, trace;
                                      timestamp in the future = a delayed start
ACTIVITY_SCHEDULED         yes        name, data = input
ACTIVITY_COMPLETED         yes        data = result
ACTIVITY_FAILED            yes        failure
TIMER_CREATED              yes        fire_at
TIMER_FIRED                yes
EVENT_RAISED               none       name, data
CHILD_WORKFLOW_SCHEDULED   yes        name, data = input, child_id
CHILD_WORKFLOW_COMPLETED   yes        data = result
CHILD_WORKFLOW_FAILED      yes        failure
WORKFLOW_SUSPENDED/RESUMED none       data = the reason (JSON)
WORKFLOW_COMPLETED         none       data = output
WORKFLOW_FAILED            none       failure
WORKFLOW_TERMINATED        none       data = output
CONTINUED_AS_NEW           none       data = the next input
TURN_STARTED               none       version, patches (remote workflows only: a turn's start)
EVENT_SENT                 yes        target_id, name, data (remote workflows only)
EXECUTION_STALLED          none       data = why (remote workflows only)
=========================  =========  =============================================

Remote workflows (run by SDK workers, ``_remote``) also give a timer its ``origin`` (opaque
JSON text from the worker) and an activity its ``task_execution_id``.
"""

from __future__ import annotations

import enum
import itertools
import os
import uuid
from collections.abc import Mapping
from typing import NamedTuple

from builtin_engine._errors import FailureDetails


class EventType(enum.IntEnum):
    """The kinds of history event (stored as their integer value)."""

    WORKFLOW_STARTED = 1
    ACTIVITY_SCHEDULED = 2
    ACTIVITY_COMPLETED = 3
    ACTIVITY_FAILED = 4
    TIMER_CREATED = 5
    TIMER_FIRED = 6
    EVENT_RAISED = 7
    CHILD_WORKFLOW_SCHEDULED = 8
    CHILD_WORKFLOW_COMPLETED = 9
    CHILD_WORKFLOW_FAILED = 10
    WORKFLOW_SUSPENDED = 11
    WORKFLOW_RESUMED = 12
    WORKFLOW_COMPLETED = 13
    WORKFLOW_FAILED = 14
    WORKFLOW_TERMINATED = 15
    CONTINUED_AS_NEW = 16
    TURN_STARTED = 17
    EVENT_SENT = 18
    EXECUTION_STALLED = 19

    @property
    def title(self) -> str:
        """The event's display name, e.g. ``ActivityScheduled``."""
        return _TITLES[self]


_TITLES = {kind: "".join(part.capitalize() for part in kind.name.split("_")) for kind in EventType}
_TITLES[EventType.EVENT_RAISED] = "EventRaised"
_TITLES[EventType.CONTINUED_AS_NEW] = "ContinuedAsNew"

#: timers due at or after this (year 9000) are the "optional" timers of indefinite waits: kept
#: in the history, never armed (SDKs use 9999-12-31T23:59:59.999999999Z)
NEVER = 253370764800.0

#: events that record a command of the workflow; replay matches them against its code
SCHEDULING = frozenset(
    {EventType.ACTIVITY_SCHEDULED, EventType.TIMER_CREATED, EventType.CHILD_WORKFLOW_SCHEDULED}
)
#: events that complete a task a scheduling event opened (they carry its task ID)
CLOSING_TASKS = frozenset(
    {
        EventType.ACTIVITY_COMPLETED,
        EventType.ACTIVITY_FAILED,
        EventType.TIMER_FIRED,
        EventType.CHILD_WORKFLOW_COMPLETED,
        EventType.CHILD_WORKFLOW_FAILED,
    }
)
#: events that end a workflow execution
CLOSING = frozenset(
    {
        EventType.WORKFLOW_COMPLETED,
        EventType.WORKFLOW_FAILED,
        EventType.WORKFLOW_TERMINATED,
        EventType.CONTINUED_AS_NEW,
    }
)


class Event(NamedTuple):
    """One history event; the module docstring says which fields each type uses.

    (A named tuple: events are made at every step, and a tuple is made several times faster
    than a frozen dataclass.)
    """

    type: EventType
    timestamp: float
    #: the task a scheduling event opens or a completion event closes; ``None`` for the others
    task_id: int | None = None
    #: the activity, workflow or event name
    name: str | None = None
    #: a JSON payload: an input, a result, event data, an output
    data: str | None = None
    failure: FailureDetails | None = None
    #: when a timer is due (seconds since the epoch)
    fire_at: float | None = None
    #: the instance ID a child workflow is created under
    child_id: str | None = None
    #: the execution a ``WORKFLOW_STARTED`` begins (a continue-as-new starts another)
    execution_id: str | None = None
    #: why a timer was created (a remote worker's own description, kept as it came)
    origin: str | None = None
    #: the ID a remote worker gives one execution of an activity (kept across its retries)
    task_execution_id: str | None = None
    #: the instance an ``EVENT_SENT`` went to
    target_id: str | None = None
    #: the workflow version and patches a remote worker ran a turn with (``TURN_STARTED``)
    version: str | None = None
    patches: tuple[str, ...] | None = None
    #: the W3C trace context (``traceparent``...) the instance was started with, when traced:
    #: kept with its start so that its work is traced after a restart too (see ``_tracing``)
    trace: Mapping[str, str] | None = None


def started_event(
    name: str, data: str | None, at: float, execution_id: str, trace: Mapping[str, str] | None = None
) -> Event:
    """The first event of an execution; ``at`` in the future asks for a delayed start."""
    return Event(EventType.WORKFLOW_STARTED, at, name=name, data=data, execution_id=execution_id, trace=trace)


def started_trace(events: list[tuple[int, Event]]) -> Mapping[str, str] | None:
    """The trace context of the execution whose events (history, or pending inputs) these are."""
    if events and events[0][1].type is EventType.WORKFLOW_STARTED:
        return events[0][1].trace
    return None


class _ExecutionIds:
    """Execution IDs: this process's random prefix and a counter, with no system call per ID
    (``uuid4`` showed at 2 to 5% of the loop's time under REST load); a forked child draws
    a prefix of its own."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self._prefix = uuid.uuid4().hex[:16]
        self._counter = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


_EXECUTION_IDS = _ExecutionIds()


def new_execution_id() -> str:
    """A new execution ID, unique across processes and restarts (32 hex digits, like a UUID)."""
    return _EXECUTION_IDS.next()
