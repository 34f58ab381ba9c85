"""Errors of the built-in engine, for workflow authors and for client callers.

::

    Exception
    ├── TaskFailedError              raised inside a workflow where a failed task is yielded
    ├── NonDeterminismError          a replay produced different commands than the history
    ├── NonRetryableError            raise from an activity to skip its retry policy
    └── WorkflowEngineError          a client call the engine refused
        ├── UnknownInstanceError     no instance with that ID (also a LookupError)
        ├── DuplicateInstanceError   start with an ID that is already in use
        ├── InstanceStateError       the instance's state forbids the operation
        ├── InvalidContinuationTokenError  a list token this store did not hand out (also a ValueError)
        ├── InvalidRerunError        a rerun from an event that cannot start one (also a ValueError)
        ├── StoreLockedError         another process already runs an engine on this store
        └── StoreVersionError        the store was written by a newer release
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FailureDetails:
    """Why a task or workflow failed: the exception's type name, message and stack trace.

    ``inner`` and ``non_retriable`` carry what remote workers report beyond that (the failure
    that caused this one; an error the worker says must not be retried).
    """

    message: str
    error_type: str
    stack_trace: str | None = None
    inner: FailureDetails | None = None
    non_retriable: bool = False

    @classmethod
    def of(cls, exc: BaseException) -> FailureDetails:
        if isinstance(exc, TaskFailedError):
            # An unhandled task failure fails the workflow with the task's own details, so
            # the instance shows the root cause rather than a generic wrapper.
            return FailureDetails(str(exc), type(exc).__name__, exc.details.stack_trace)
        stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(str(exc), type(exc).__name__, stack)


class TaskFailedError(Exception):
    """A yielded activity or child workflow failed; ``details`` says why."""

    def __init__(self, message: str, details: FailureDetails) -> None:
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> FailureDetails:
        return self._details


class NonDeterminismError(Exception):
    """Workflow code issued different commands on replay than the ones recorded in history.

    Workflow code must be deterministic: it re-runs from the top whenever the engine rebuilds
    an instance from its history (after a restart or a cache eviction). Use
    ``ctx.current_utc_datetime`` instead of the clock and do I/O in activities.
    """


class NonRetryableError(Exception):
    """Raise from an activity to fail it at once, whatever the caller's retry policy says."""


class WorkflowEngineError(Exception):
    """A client operation the engine refused."""

    def __init__(self, message: str, *, instance_id: str | None = None) -> None:
        super().__init__(message)
        self.instance_id = instance_id


class UnknownInstanceError(WorkflowEngineError, LookupError):
    """No instance with the given ID exists (or it was purged)."""


class DuplicateInstanceError(WorkflowEngineError):
    """An instance with this ID already exists; purge it before reusing the ID."""


class InstanceStateError(WorkflowEngineError):
    """The instance is in the wrong state for the operation (purge while running...)."""


class InvalidContinuationTokenError(WorkflowEngineError, ValueError):
    """A continuation token that this store did not hand out."""


class InvalidRerunError(WorkflowEngineError, ValueError):
    """A rerun from an event that is not an activity, timer or child workflow of the instance,
    or with options that do not fit that event."""


class StoreLockedError(WorkflowEngineError):
    """Another engine already owns this store; one engine per store at a time."""


class StoreVersionError(WorkflowEngineError):
    """The store's schema is newer than this release knows; nothing was written to it."""
