"""History events: what the store records for each instance, in order.

An instance's history is the single source of truth: the engine rebuilds a workflow's state
by re-running its code against these events (replay). Scheduling events (activity, timer,
child workflow) record the commands the workflow issued; the other events are inputs that
complete its tasks. The names match the contract's ``EventKind`` values on purpose.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


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

    @property
    def title(self) -> str:
        """The event's display name, e.g. ``ActivityScheduled``."""
        return _TITLES[self]


_TITLES = {kind: "".join(part.capitalize() for part in kind.name.split("_")) for kind in EventType}
_TITLES[EventType.EVENT_RAISED] = "EventRaised"
_TITLES[EventType.CONTINUED_AS_NEW] = "ContinuedAsNew"

#: events that record a command of the workflow; replay matches them against its code
SCHEDULING = frozenset(
    {EventType.ACTIVITY_SCHEDULED, EventType.TIMER_CREATED, EventType.CHILD_WORKFLOW_SCHEDULED}
)


@dataclass(frozen=True, slots=True)
class Event:
    """One history event.

    ``task_id`` ties scheduling and completion events together (-1 where not relevant);
    ``name`` is the activity, workflow or event name; ``data`` a JSON payload (an input, a
    result, event data); ``extra`` JSON text with any other facts (failure details, a timer's
    due time, a child's instance ID, an execution ID).
    """

    type: EventType
    timestamp: float
    task_id: int = -1
    name: str | None = None
    data: str | None = None
    extra: str | None = None
