"""Flowport's built-in durable workflow engine, with Dapr's Python workflow API.

``import builtin_engine as wf`` gives the names of ``dapr.ext.workflow``: a program written for
Dapr runs here by changing its import line, with no sidecar. State lives in a SQLite file
(``./.flowport/workflows.db`` unless told otherwise); see ``docs/builtin-engine.md``.
"""

from builtin_engine._admin import DEFAULT_STORE, STORE_ENV, WorkflowAdmin
from builtin_engine._client import DaprWorkflowClient
from builtin_engine._context import DaprWorkflowContext, WorkflowActivityContext, WorkflowContext
from builtin_engine._engine import Engine, EngineOptions
from builtin_engine._errors import (
    DuplicateInstanceError,
    FailureDetails,
    InstanceStateError,
    NonDeterminismError,
    NonRetryableError,
    StoreLockedError,
    TaskFailedError,
    UnknownInstanceError,
    WorkflowEngineError,
)
from builtin_engine._registry import Registry
from builtin_engine._runtime import WorkflowRuntime, alternate_name
from builtin_engine._sqlite import SQLiteStore, sqlite_path
from builtin_engine._state import WorkflowHistoryEvent, WorkflowState, WorkflowStatePage, WorkflowStatus
from builtin_engine._store import Store
from builtin_engine._task import RetryPolicy, Task, when_all, when_any

__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "DaprWorkflowClient",
    "DaprWorkflowContext",
    "DuplicateInstanceError",
    "Engine",
    "EngineOptions",
    "FailureDetails",
    "InstanceStateError",
    "NonDeterminismError",
    "NonRetryableError",
    "Registry",
    "RetryPolicy",
    "SQLiteStore",
    "Store",
    "StoreLockedError",
    "Task",
    "TaskFailedError",
    "UnknownInstanceError",
    "WorkflowActivityContext",
    "WorkflowAdmin",
    "WorkflowContext",
    "WorkflowEngineError",
    "WorkflowHistoryEvent",
    "WorkflowRuntime",
    "WorkflowState",
    "WorkflowStatePage",
    "WorkflowStatus",
    "alternate_name",
    "sqlite_path",
    "when_all",
    "when_any",
]
