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

from contracts._errors import WorkflowError
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


class ListFilter(enum.Enum):
    """A filter of ``list`` and of the bulk operations.

    A component applies the ones it names in ``WorkflowComponent.list_filters``; a request
    that uses another is answered 501 by the gateway, never with unfiltered results.
    """

    STATUS = "status"
    WORKFLOW_NAME = "workflowName"
    CREATED_TIME = "createdTime"
    INSTANCE_ID_PREFIX = "instanceIDPrefix"


#: the filters every component applies (``list`` had them from the start)
BASIC_LIST_FILTERS = frozenset({ListFilter.STATUS, ListFilter.WORKFLOW_NAME})


@dataclass(frozen=True, slots=True)
class InstanceFilter:
    """Which instances a listing or a bulk operation selects; every given filter must hold.

    Empty ``statuses`` means any status. ``created_after`` is inclusive and
    ``created_before`` exclusive (timezone-aware). ``instance_id_prefix`` matches the start
    of the instance ID exactly (case-sensitive).
    """

    statuses: frozenset[RuntimeStatus] = frozenset()
    workflow_name: str | None = None
    created_after: datetime | None = field(default=None, kw_only=True)
    created_before: datetime | None = field(default=None, kw_only=True)
    instance_id_prefix: str | None = field(default=None, kw_only=True)

    @property
    def filters(self) -> frozenset[ListFilter]:
        """The filters this request uses."""
        used = {
            ListFilter.STATUS: bool(self.statuses),
            ListFilter.WORKFLOW_NAME: self.workflow_name is not None,
            ListFilter.CREATED_TIME: self.created_after is not None or self.created_before is not None,
            ListFilter.INSTANCE_ID_PREFIX: bool(self.instance_id_prefix),
        }
        return frozenset(name for name, present in used.items() if present)

    def matches(self, state: InstanceState) -> bool:
        """Whether ``state`` passes every filter (for components that filter what they read)."""
        return (
            (not self.statuses or state.runtime_status in self.statuses)
            and (self.workflow_name is None or state.workflow_name == self.workflow_name)
            and (self.created_after is None or state.created_at >= self.created_after)
            and (self.created_before is None or state.created_at < self.created_before)
            and (not self.instance_id_prefix or state.instance_id.startswith(self.instance_id_prefix))
        )


@dataclass(frozen=True, slots=True)
class ListRequest(InstanceFilter):
    """One page of instances matching the filter, newest first.

    ``continuation_token`` is the opaque token a previous page returned; ``page_size`` is at
    most 1000.
    """

    page_size: int = 100
    continuation_token: str | None = None


@dataclass(frozen=True, slots=True)
class BulkPurgeRequest(InstanceFilter):
    """Purge every instance matching the filter (``recursive``: with its children).

    ``statuses`` holds terminal statuses only (the gateway gives all four when the caller
    names none). ``dry_run`` counts the matches and changes nothing.
    """

    recursive: bool = True
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class BulkTerminateRequest(InstanceFilter):
    """Terminate every instance matching the filter, each with ``reason``.

    ``statuses`` holds RUNNING, PENDING and SUSPENDED only (the gateway gives all three when
    the caller names none). ``dry_run`` counts the matches and changes nothing.
    """

    reason: str | None = None
    recursive: bool = True
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class BulkFailure:
    """One instance a bulk operation could not act on, and why."""

    instance_id: str
    error: WorkflowError


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What a bulk operation did.

    ``matched`` instances passed the filter; the operation succeeded on ``succeeded`` of them
    (one already gone counts as done) and failed on each of ``failures``. A purge also says
    how many instances went, children included (``purged_instances``), and any caveat.
    """

    matched: int
    succeeded: int = 0
    failures: Sequence[BulkFailure] = ()
    purged_instances: int = 0
    detail: str | None = None


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
