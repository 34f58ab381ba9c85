"""What remote workers get and what their answers ask for: the values ``_remote`` exchanges
with the gateway's sidecar service.

A ``WorkflowWorkItem`` is one turn of a remote workflow (its committed history and the turn's
inputs), an ``ActivityWorkItem`` one execution of an activity; the answer to a turn is a
``TurnResult`` holding the actions the worker's code issued, each an ``Action`` below. Plain
frozen values: the engine imports no protocol, the gateway maps these to Dapr's messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from builtin_engine._errors import FailureDetails
from builtin_engine._history import Event
from builtin_engine._store import Status

# -- what workers get -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkflowWorkItem:
    """One turn of a remote workflow."""

    instance_id: str
    execution_id: str
    #: the workflow's name, and the instance that started it as a child (with its task ID)
    name: str
    parent_id: str | None
    parent_task_id: int | None
    #: the committed history of the current execution, oldest first
    past: Sequence[Event]
    #: a TURN_STARTED marker, then the inputs of this turn
    new: Sequence[Event]
    token: str
    #: the W3C trace context the instance was started with, when traced (see ``_tracing``)
    trace: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ActivityWorkItem:
    """One execution of an activity by a remote worker."""

    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input: str | None
    task_execution_id: str | None
    token: str
    #: the W3C trace context of the instance that scheduled it, when traced
    trace: Mapping[str, str] | None = None


WorkItem = WorkflowWorkItem | ActivityWorkItem


# -- what a turn's answer asks for ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleActivity:
    id: int
    name: str
    input: str | None = None
    task_execution_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreateTimer:
    id: int
    fire_at: float
    #: the worker's description of why (kept as it came, JSON text)
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class CreateChild:
    id: int
    name: str
    input: str | None = None
    #: ``None``: ``<parent>:<id as 4 hex digits>``, Dapr's default
    instance_id: str | None = None


@dataclass(frozen=True, slots=True)
class SendEvent:
    id: int
    instance_id: str
    name: str
    data: str | None = None


@dataclass(frozen=True, slots=True)
class TerminateOther:
    id: int
    instance_id: str
    reason: str | None = None
    recurse: bool = True


@dataclass(frozen=True, slots=True)
class CompleteWorkflow:
    """The workflow ended: COMPLETED, FAILED, TERMINATED, or CONTINUED_AS_NEW (``result`` is
    then the next input, and ``carryover`` the events raised but not consumed, as
    ``(name, data)``)."""

    id: int
    status: Status | None  # None: continued as new
    result: str | None = None
    failure: FailureDetails | None = None
    carryover: Sequence[tuple[str, str | None]] = ()


@dataclass(frozen=True, slots=True)
class Stall:
    """The worker cannot run this version of the workflow: the instance waits (STALLED)."""

    id: int
    reason: str


Action = ScheduleActivity | CreateTimer | CreateChild | SendEvent | TerminateOther | CompleteWorkflow | Stall


@dataclass(frozen=True, slots=True)
class TurnResult:
    actions: Sequence[Action] = ()
    custom_status: str | None = None
    version: str | None = None
    patches: tuple[str, ...] | None = None
