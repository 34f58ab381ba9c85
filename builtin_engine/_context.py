"""The contexts handed to workflow and activity code: Dapr's ``DaprWorkflowContext`` API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from builtin_engine._task import RetryPolicy, Task

if TYPE_CHECKING:
    from builtin_engine._replay import Execution


def to_timestamp(moment: datetime) -> float:
    """Seconds since the epoch; naive datetimes are UTC, as in Dapr's SDK."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def from_timestamp(seconds: float) -> datetime:
    """A naive UTC datetime, the form Dapr's SDK hands to workflow code."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


class DaprWorkflowContext:
    """What a workflow function receives as its first argument.

    Workflow code re-runs from the top whenever the engine rebuilds the instance from its
    history (after a restart or a cache eviction): every method here returns the recorded
    outcome on replay instead of doing the work again, so the code must be deterministic. Use
    ``current_utc_datetime`` instead of the clock, activities for I/O and randomness, and check
    ``is_replaying`` to skip logging on replay.
    """

    __slots__ = ("_execution",)

    def __init__(self, execution: Execution) -> None:
        self._execution = execution

    @property
    def instance_id(self) -> str:
        """The ID of this workflow instance."""
        return self._execution.instance_id

    @property
    def current_utc_datetime(self) -> datetime:
        """The workflow's clock: the (naive UTC) time of the event being processed.

        Deterministic: on replay it returns the same values as on the first run.
        """
        return from_timestamp(self._execution.current_time)

    @property
    def is_replaying(self) -> bool:
        """True while the engine re-runs code to rebuild state from history."""
        return self._execution.is_replaying

    def set_custom_status(self, custom_status: Any) -> None:
        """Set the status text clients read as ``serialized_custom_status`` (JSON-encoded)."""
        self._execution.set_custom_status(custom_status)

    def create_timer(self, fire_at: datetime | timedelta) -> Task[None]:
        """A durable timer due at ``fire_at`` (a datetime, or a delay from the workflow's clock).

        Survives restarts; on replay a fired timer completes at once.
        """
        if isinstance(fire_at, timedelta):
            due = self._execution.current_time + fire_at.total_seconds()
        else:
            due = to_timestamp(fire_at)
        return self._execution.create_timer(due)

    def call_activity(
        self,
        activity: Callable[..., Any] | str,
        *,
        input: Any = None,
        retry_policy: RetryPolicy | None = None,
        app_id: str | None = None,
    ) -> Task[Any]:
        """Schedule an activity (by function or registered name); yield the task for its result.

        Runs at least once; on replay a recorded result is returned without running it again.
        A failure raises ``TaskFailedError`` where the task is yielded, after ``retry_policy``
        is exhausted. ``app_id`` is accepted for compatibility and ignored (one process).
        """
        return self._execution.call_activity(activity, input, retry_policy)

    def call_child_workflow(
        self,
        workflow: Callable[..., Any] | str,
        *,
        input: Any = None,
        instance_id: str | None = None,
        retry_policy: RetryPolicy | None = None,
        app_id: str | None = None,
    ) -> Task[Any]:
        """Start a child workflow (default ID ``<parent>:<4 hex digits>``); yield for its output."""
        return self._execution.call_child_workflow(workflow, input, instance_id, retry_policy)

    def wait_for_external_event(self, name: str) -> Task[Any]:
        """A task completed by the next event ``name`` (case-insensitive) raised to this instance.

        Events raised before the wait are kept, first in first out per name.
        """
        return self._execution.wait_for_external_event(name)

    def continue_as_new(self, new_input: Any, *, save_events: bool = False) -> None:
        """Restart this instance with ``new_input`` and an empty history once this step ends.

        With ``save_events`` the external events not yet consumed are carried over.
        """
        self._execution.continue_as_new(new_input, save_events)


#: Dapr's name is kept for drop-in compatibility; this is the neutral one.
WorkflowContext = DaprWorkflowContext


class WorkflowActivityContext:
    """What an activity function receives as its first argument."""

    __slots__ = ("_instance_id", "_task_id")

    def __init__(self, instance_id: str, task_id: int) -> None:
        self._instance_id = instance_id
        self._task_id = task_id

    @property
    def workflow_id(self) -> str:
        """The ID of the workflow instance that scheduled this activity."""
        return self._instance_id

    @property
    def orchestration_id(self) -> str:
        """Alias of ``workflow_id`` (durabletask's name)."""
        return self._instance_id

    @property
    def task_id(self) -> int:
        """The activity's sequence number within its workflow execution."""
        return self._task_id
