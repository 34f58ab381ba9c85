"""The contract between the Flowport gateway and a workflow backend.

A plugin author needs only this package: subclass ``WorkflowComponent``, declare its
``capabilities``, parse metadata with ``parse_metadata``, raise the errors below, and register
the class under the ``flowport.components`` entry-point group by its ``spec.type``.
"""

from contracts._component import (
    ComponentSpec,
    PurgeResult,
    WorkflowComponent,
    parse_metadata,
)
from contracts._duration import parse_duration
from contracts._errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    ComponentConfigError,
    ComponentConfigErrors,
    DefinitionNotFoundError,
    FlowportError,
    InstanceExistsError,
    InstanceNotFoundError,
    InvalidRequestError,
    InvalidStateError,
    NotSupportedError,
    WorkflowError,
)
from contracts._status import RuntimeStatus
from contracts._types import (
    ALL_CAPABILITIES,
    Capability,
    ComponentHealth,
    DefinitionEdge,
    DefinitionNode,
    DefinitionRequest,
    EventKind,
    FailureDetails,
    GetRequest,
    HistoryEvent,
    HistoryRequest,
    InstancePage,
    InstanceState,
    ListRequest,
    PauseRequest,
    PurgeRequest,
    RaiseEventRequest,
    ResumeRequest,
    StartRequest,
    TerminateRequest,
    WorkflowDefinition,
)

ENTRY_POINT_GROUP = "flowport.components"

__all__ = [
    "ALL_CAPABILITIES",
    "ENTRY_POINT_GROUP",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "Capability",
    "ComponentConfigError",
    "ComponentConfigErrors",
    "ComponentHealth",
    "ComponentSpec",
    "DefinitionEdge",
    "DefinitionNode",
    "DefinitionNotFoundError",
    "DefinitionRequest",
    "EventKind",
    "FailureDetails",
    "FlowportError",
    "GetRequest",
    "HistoryEvent",
    "HistoryRequest",
    "InstanceExistsError",
    "InstanceNotFoundError",
    "InstancePage",
    "InstanceState",
    "InvalidRequestError",
    "InvalidStateError",
    "ListRequest",
    "NotSupportedError",
    "PauseRequest",
    "PurgeRequest",
    "PurgeResult",
    "RaiseEventRequest",
    "ResumeRequest",
    "RuntimeStatus",
    "StartRequest",
    "TerminateRequest",
    "WorkflowComponent",
    "WorkflowDefinition",
    "WorkflowError",
    "parse_duration",
    "parse_metadata",
]
