"""The request and response types of the component contract.

All are frozen dataclasses. Payloads (workflow input and output, event data, custom status)
cross the contract as JSON text (``str``), exactly as Dapr shows them in its ``properties``;
``None`` means "absent". A component decodes them only if its runtime needs values.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contracts._status import RuntimeStatus


class Capability(enum.Enum):
    """An operation a component may offer. A call to one it lacks answers 501."""

    START = "start"
    GET = "get"
    TERMINATE = "terminate"
    RAISE_EVENT = "raise_event"
    PAUSE = "pause"
    RESUME = "resume"
    PURGE = "purge"
    LIST = "list"
    HISTORY = "history"


ALL_CAPABILITIES = frozenset(Capability)


@dataclass(frozen=True, slots=True)
class StartRequest:
    """Start ``workflow_name`` as instance ``instance_id``.

    ``start_at`` asks for a delayed start. ``options`` carries runtime-specific start options
    (``taskQueue`` for Temporal, ``version`` for Conductor...) by the names the component lists
    in ``WorkflowComponent.start_options``; the gateway rejects any other name with a 400.
    """

    workflow_name: str
    instance_id: str
    serialized_input: str | None = None
    start_at: datetime | None = None
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GetRequest:
    """Read the state of one instance; ``fetch_payloads=False`` may skip input/output/custom status."""

    instance_id: str
    fetch_payloads: bool = True


@dataclass(frozen=True, slots=True)
class TerminateRequest:
    """Stop an instance for good. ``recursive`` also terminates its child workflows."""

    instance_id: str
    reason: str | None = None
    serialized_output: str | None = None
    recursive: bool = True


@dataclass(frozen=True, slots=True)
class RaiseEventRequest:
    """Deliver event ``event_name`` with ``serialized_data`` to a waiting (or future) wait."""

    instance_id: str
    event_name: str
    serialized_data: str | None = None


@dataclass(frozen=True, slots=True)
class PauseRequest:
    """Suspend an instance: it makes no progress and buffers events until resumed."""

    instance_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ResumeRequest:
    """Resume a suspended instance and deliver the events it buffered."""

    instance_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PurgeRequest:
    """Delete a terminal instance and its history. ``recursive`` also purges its children."""

    instance_id: str
    recursive: bool = True


@dataclass(frozen=True, slots=True)
class ListRequest:
    """One page of instances, newest first.

    Empty ``statuses`` means any status. ``continuation_token`` is the opaque token a previous
    page returned; ``page_size`` is at most 1000.
    """

    statuses: frozenset[RuntimeStatus] = frozenset()
    workflow_name: str | None = None
    page_size: int = 100
    continuation_token: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """The events of one instance, oldest first."""

    instance_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureDetails:
    """Why an instance failed: Dapr's ``failure.error_message`` / ``error_type`` / ``stack_trace``.

    Keyword-only, in the built-in engine's order (message, type, trace), so no caller can swap
    the message and the type.
    """

    message: str
    error_type: str
    stack_trace: str | None = None


@dataclass(frozen=True, slots=True)
class InstanceState:
    """What ``get`` and ``list`` return for one instance.

    ``properties`` carries extra runtime-specific facts (a Temporal run ID, a Conductor
    workflow ID); the gateway shows them beside Dapr's own properties.
    """

    instance_id: str
    workflow_name: str
    runtime_status: RuntimeStatus
    created_at: datetime
    last_updated_at: datetime
    serialized_input: str | None = None
    serialized_output: str | None = None
    serialized_custom_status: str | None = None
    failure: FailureDetails | None = None
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InstancePage:
    """One page of ``list``; ``continuation_token`` is ``None`` on the last page."""

    instances: Sequence[InstanceState]
    continuation_token: str | None = None


class EventKind(enum.Enum):
    """The normalised kinds of history event; ``OTHER`` keeps a runtime's own name in ``name``."""

    WORKFLOW_STARTED = "WorkflowStarted"
    WORKFLOW_COMPLETED = "WorkflowCompleted"
    WORKFLOW_FAILED = "WorkflowFailed"
    WORKFLOW_TERMINATED = "WorkflowTerminated"
    WORKFLOW_CANCELED = "WorkflowCanceled"
    WORKFLOW_SUSPENDED = "WorkflowSuspended"
    WORKFLOW_RESUMED = "WorkflowResumed"
    CONTINUED_AS_NEW = "ContinuedAsNew"
    ACTIVITY_SCHEDULED = "ActivityScheduled"
    ACTIVITY_COMPLETED = "ActivityCompleted"
    ACTIVITY_FAILED = "ActivityFailed"
    TIMER_CREATED = "TimerCreated"
    TIMER_FIRED = "TimerFired"
    EVENT_RAISED = "EventRaised"
    CHILD_WORKFLOW_SCHEDULED = "ChildWorkflowScheduled"
    CHILD_WORKFLOW_COMPLETED = "ChildWorkflowCompleted"
    CHILD_WORKFLOW_FAILED = "ChildWorkflowFailed"
    OTHER = "Other"


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One event of an instance's history, normalised across runtimes.

    ``name`` is the activity, timer, event or child workflow name where there is one;
    ``serialized_data`` its payload (JSON text) and ``details`` any other facts worth showing.
    """

    sequence: int
    kind: EventKind
    timestamp: datetime
    name: str | None = None
    serialized_data: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    """Whether a component can serve requests now, and why not if it cannot."""

    healthy: bool
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class DefinitionRequest:
    """Read the declarative definition behind ``workflow_name``."""

    workflow_name: str


@dataclass(frozen=True, slots=True)
class DefinitionNode:
    """A state or task of a definition's graph; ``parent`` is the node that contains it."""

    id: str
    label: str
    kind: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class DefinitionEdge:
    """A transition of a definition's graph; ``label`` says which (next, choice 0, catch...)."""

    source: str
    target: str
    label: str


@dataclass(frozen=True, slots=True)
class WorkflowDefinition:
    """A declarative workflow definition (an ASL state machine, a Serverless Workflow...).

    ``serialized_document`` is the definition as JSON text; ``nodes`` and ``edges`` its graph,
    for drawing; ``digest`` identifies this version of the document.
    """

    name: str
    language: str
    source: str | None
    serialized_document: str
    digest: str
    nodes: Sequence[DefinitionNode] = ()
    edges: Sequence[DefinitionEdge] = ()
