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
        """True while the engine re-runs code to rebuild state from history (after a restart
        or an eviction from the instance cache), False while it takes new steps. Use it to
        skip side effects that must happen once, such as logging."""
        return self._execution.is_replaying

    def set_custom_status(self, custom_status: Any) -> None:
        """Set the status clients read as ``serialized_custom_status`` (the value JSON-encoded;
        ``None`` clears it).

        Takes effect with the step that sets it: it is written with the step's other changes
        and readers see it once that step is durable. On replay the call runs again and sets
        the same value, writing nothing of its own; the last value set wins. It survives a
        continue-as-new until the new execution sets another.
        """
        self._execution.set_custom_status(custom_status)

    def create_timer(self, fire_at: datetime | timedelta) -> Task[None]:
        """A durable timer due at ``fire_at`` (a datetime, or a delay from the workflow's clock).

        Live, the timer is recorded (``TimerCreated``) with the step and armed; yield the task
        to wait for it. It never completes early on the workflow's clock, and survives
        restarts: an engine restarted after the due time fires it at once. On replay the call
        issues nothing new: a timer whose ``TimerFired`` is in the history completes at once,
        one still pending is armed again.
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

        Live, the call is recorded (``ActivityScheduled``) with the step and the activity runs
        once the step is taken; it runs at least once (again after a crash that lost its
        result). On replay the call is matched against the recorded one (same name, same
        position, or ``NonDeterminismError``) and the recorded result is returned without
        running the activity again; one scheduled but without a result is run again only after
        a restart. A failure raises ``TaskFailedError`` where the task is yielded, once
        ``retry_policy`` is exhausted; each retry waits on a durable timer. ``app_id`` is
        accepted for compatibility and ignored (one process).
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
        """Start a child workflow; yield the task for its output.

        Live, the call is recorded (``ChildWorkflowScheduled``) and the child is created, under
        ``instance_id`` or by default ``<parent ID>:<task number as 4 hex digits>`` (Dapr's
        rule, so the ID is the same on every replay). The child runs as an instance of its own
        (listed, queried, terminated on its own) and reports its output or failure back to this
        task; a failure raises ``TaskFailedError`` where the task is yielded, after
        ``retry_policy``. On replay the call is matched against the recorded one and nothing is
        created again: a finished child's recorded outcome is returned; after a restart a child
        that was never created is created. Terminating this workflow terminates its running
        children (``recursive``, the default). ``app_id`` is accepted and ignored.
        """
        return self._execution.call_child_workflow(workflow, input, instance_id, retry_policy)

    def wait_for_external_event(self, name: str) -> Task[Any]:
        """A task completed by the next event ``name`` (case-insensitive) raised to this instance.

        Its result is the event's data, decoded from JSON. Events raised before anyone waits
        are kept, first in first out per name, and an instance that is suspended keeps the
        events raised meanwhile until it is resumed. Nothing is recorded by the wait itself:
        the raised event is (``EventRaised``, when it arrives). On replay the recorded events
        are handed out again in the same order, so the wait completes with the same data it
        had; a wait with no recorded event stays pending. Race it against ``create_timer`` with
        ``when_any`` for a timeout.
        """
        return self._execution.wait_for_external_event(name)

    def continue_as_new(self, new_input: Any, *, save_events: bool = False) -> None:
        """Restart this instance with ``new_input`` and an empty history once this step ends.

        Return right after the call: the current execution ends at the function's next
        ``yield`` or ``return``, and tasks yielded after the call are never awaited. The
        instance keeps its ID and stays ``RUNNING``; its history is replaced by the new
        execution's (a new execution ID), and commands still pending (timers, activities)
        are dropped. With
        ``save_events`` the external events received but not consumed yet are carried over,
        in order, to the new execution. On replay of the *new* execution nothing of the old one
        is visible: it starts from its own ``WorkflowStarted``.
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
