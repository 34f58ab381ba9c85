"""Flowport's built-in durable workflow engine, with Dapr's Python workflow API.

``import builtin_engine as wf`` gives the names of ``dapr.ext.workflow``: a program written for
Dapr runs here by changing its import line, with no sidecar. State lives in a SQLite file
(``./.flowport/workflows.db`` unless told otherwise); see ``docs/builtin-engine.md``.

The map of the package, one module per concept (everything but this facade and ``aio`` is
private and may move)::

    authoring API (public)        _runtime    WorkflowRuntime: registrations; hosts an engine
                                  _context    DaprWorkflowContext, WorkflowActivityContext
                                  _task       Task, when_all, when_any, RetryPolicy
                                  _errors     the error tree
    clients (public)              _dapr_client  DaprWorkflowClient (sync) runs ...
                                  aio           ... DaprWorkflowClient (async), which wraps ...
                                  _client       ... WorkflowAdmin: the one client path; picks the
                                                in-process Engine or the StoreBackend per call
                                  _commands   Command: raise, terminate, suspend, resume, start;
                                              ``admit`` judges one against an instance's state
                                  _state      WorkflowState, WorkflowStatus, history as shown

    the engine                    _engine     Engine: lifecycle and the client operations;
                                              composes the parts below
                                    _services   what the parts share: loop, writer, reads,
                                                tasks, watchers of committed records
                                    _cache      InstanceCache: known instances, live
                                                executions (LRU), eviction, cold replay
                                    _step       Stepper: apply an event, record commands,
                                                queue writes; end, continue-as-new, replay
                                    _dispatch   Dispatcher: activities, timers, children
                                    _remote     RemoteWorkers: turns of workflows run by SDK
                                                workers in other processes, their queue
                                    _remote_items  what those workers get and answer
                                    _inbox      Inbox: commands from other processes
                                    _retention  Retention: purges expired finished instances
                                    _rerun      a new instance from a finished one, cut at a task
                                  _replay     Execution: a workflow generator driven by events
                                  _history    Event, EventType: the history model
                                  _registry   workflows and activities by name
                                  _codec      payloads to JSON text and back

    the store                     _store      Store interface, InstanceRecord, WriteUnit
                                  _sqlite     SQLiteStore and its row codec
                                  _schema     the tables, their version, migrations
                                  _writer     GroupCommitter: one writer thread, group commit
                                  _locking    one engine per store (a file lock)

Data flows one way: a client builds a ``Command`` → ``WorkflowAdmin`` → the ``Engine`` (or
the store's inbox, read by the engine's ``Inbox``) → ``Stepper.deliver`` → ``Execution`` →
the commands it issued are recorded and handed to ``Dispatcher`` → their outcomes come back
to ``Stepper.deliver`` as events. Every write goes through the ``GroupCommitter``.
"""

from builtin_engine._client import DEFAULT_STORE, STORE_ENV, WorkflowAdmin
from builtin_engine._context import DaprWorkflowContext, WorkflowActivityContext, WorkflowContext
from builtin_engine._dapr_client import DaprWorkflowClient
from builtin_engine._engine import Engine, EngineOptions
from builtin_engine._errors import (
    DuplicateInstanceError,
    FailureDetails,
    InstanceStateError,
    InvalidContinuationTokenError,
    InvalidRerunError,
    NonDeterminismError,
    NonRetryableError,
    StoreLockedError,
    StoreVersionError,
    TaskFailedError,
    UnknownInstanceError,
    WorkflowEngineError,
)
from builtin_engine._registry import Registry
from builtin_engine._retention import RetentionPolicy
from builtin_engine._runtime import WorkflowRuntime, alternate_name
from builtin_engine._schema import SCHEMA_VERSION
from builtin_engine._sqlite import SQLiteStore, sqlite_path
from builtin_engine._state import WorkflowHistoryEvent, WorkflowState, WorkflowStatePage, WorkflowStatus
from builtin_engine._stats import EngineStats
from builtin_engine._store import Store
from builtin_engine._task import RetryPolicy, Task, when_all, when_any
from builtin_engine._tracing import Work, WorkKind, WorkTracer

__all__ = [
    "DEFAULT_STORE",
    "SCHEMA_VERSION",
    "STORE_ENV",
    "DaprWorkflowClient",
    "DaprWorkflowContext",
    "DuplicateInstanceError",
    "Engine",
    "EngineOptions",
    "EngineStats",
    "FailureDetails",
    "InstanceStateError",
    "InvalidContinuationTokenError",
    "InvalidRerunError",
    "NonDeterminismError",
    "NonRetryableError",
    "Registry",
    "RetentionPolicy",
    "RetryPolicy",
    "SQLiteStore",
    "Store",
    "StoreLockedError",
    "StoreVersionError",
    "Task",
    "TaskFailedError",
    "UnknownInstanceError",
    "Work",
    "WorkKind",
    "WorkTracer",
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
