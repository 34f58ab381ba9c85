"""Replay: one workflow execution, advanced by history events.

An ``Execution`` holds a workflow's generator and the tasks it waits for. The engine feeds it
history events one by one: on a cold load it feeds the recorded history (``is_replaying``),
then every new event as it happens. Each event costs O(1): a live execution is never
replayed again, only resumed.

Commands the workflow issues (activities, timers, child workflows) get sequential task IDs.
On replay each recorded scheduling event must match the command with the same task ID, by
kind and name; any difference is a ``NonDeterminismError``. Commands not yet in the history
are new: the engine takes them with ``take_actions`` and records them.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from typing import Any

from builtin_engine._codec import Decoder, from_json, to_json
from builtin_engine._context import DaprWorkflowContext
from builtin_engine._errors import FailureDetails, NonDeterminismError
from builtin_engine._history import SCHEDULING, Event, EventType
from builtin_engine._registry import Registry, name_of
from builtin_engine._task import CompletableTask, RetryPolicy, Task


@dataclass(frozen=True, slots=True)
class Action:
    """A command the workflow issued, in the shape of the scheduling event that records it."""

    type: EventType
    task_id: int
    name: str | None = None
    data: str | None = None
    fire_at: float | None = None
    child_id: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an execution ended: completed (``data`` = output), failed, or continued as new."""

    type: EventType
    data: str | None = None
    failure: FailureDetails | None = None
    carried_events: tuple[tuple[str, str | None], ...] = ()


class DurableTask(CompletableTask[Any]):
    """An activity or child workflow task, retried under its policy."""

    __slots__ = ("action", "attempts", "decoder", "first_attempt_at", "retry")

    def __init__(
        self, action: Action, retry: RetryPolicy | None, decoder: Decoder | None, now: float
    ) -> None:
        super().__init__()
        self.action = action
        self.retry = retry
        self.decoder = decoder
        self.attempts = 1
        self.first_attempt_at = now


class TimerTask(CompletableTask[None]):
    """A durable timer; ``retry_of`` marks the pause before retrying a ``DurableTask``."""

    __slots__ = ("fire_at", "retry_of")

    def __init__(self, fire_at: float, retry_of: DurableTask | None = None) -> None:
        super().__init__()
        self.fire_at = fire_at
        self.retry_of = retry_of


class WorkflowNotRegisteredError(Exception):
    """The instance names a workflow the engine does not know."""


@dataclass(slots=True)
class _Buffered:
    """External events received before anyone waited, FIFO per name, with a global order."""

    by_name: dict[str, deque[tuple[int, str | None]]] = field(default_factory=dict)
    counter: int = 0


class Execution:
    """One execution of a workflow instance (a continue-as-new starts another)."""

    def __init__(self, instance_id: str, registry: Registry) -> None:
        self.instance_id = instance_id
        self.registry = registry
        self.current_time = 0.0
        self.is_replaying = False
        self.custom_status: str | None = None
        self.outcome: Outcome | None = None
        self.suspended = False
        self._ctx = DaprWorkflowContext(self)
        self._gen: Generator[Any, Any, Any] | None = None
        self._waiting: Task[Any] | None = None
        self._next_task_id = 0
        self._open: dict[int, CompletableTask[Any]] = {}
        self._pending: dict[int, Action] = {}
        self._event_waiters: dict[str, deque[CompletableTask[Any]]] = {}
        self._buffered: _Buffered | None = None
        self._suspend_buffer: list[Event] = []
        self._continue: tuple[str | None, bool] | None = None

    # -- what the engine calls ----------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Process one history event; raises ``NonDeterminismError`` on a replay mismatch."""
        kind = event.type
        if kind in SCHEDULING:
            self._match_recorded(event)
            return
        if self.suspended and kind is not EventType.WORKFLOW_RESUMED:
            if kind is not EventType.WORKFLOW_SUSPENDED:
                self._suspend_buffer.append(event)
            return
        if self.outcome is not None:
            return  # late completions after the end are dropped, as durabletask does
        if event.timestamp > self.current_time:
            self.current_time = event.timestamp
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, event)
        waiting = self._waiting
        if waiting is not None and waiting.is_complete and self.outcome is None:
            self._waiting = None
            self._run(waiting)

    def take_actions(self) -> list[Action]:
        """The commands issued since the last call, to record and carry out."""
        if not self._pending:
            return []
        actions = list(self._pending.values())
        self._pending.clear()
        return actions

    def outstanding(self) -> list[tuple[int, CompletableTask[Any]]]:
        """Recorded commands still waiting for their completion (re-armed after a cold load)."""
        return [(tid, task) for tid, task in self._open.items() if tid not in self._pending]

    @property
    def idle(self) -> bool:
        """Always: an in-process execution has nothing out that eviction could lose."""
        return True

    def close(self) -> None:
        """Drop the generator (terminate, eviction); its ``finally`` blocks run now."""
        gen, self._gen = self._gen, None
        if gen is not None:
            # A workflow misbehaving on close (yielding in ``finally``) cannot be helped.
            with contextlib.suppress(Exception):
                gen.close()

    # -- what the context calls ---------------------------------------------------------------

    def set_custom_status(self, value: Any) -> None:
        self.custom_status = to_json(value)

    def create_timer(self, due: float) -> Task[None]:
        task = TimerTask(due)
        self._issue(task)
        return task

    def call_activity(
        self, activity: Callable[..., Any] | str, value: Any, retry: RetryPolicy | None
    ) -> Task[Any]:
        name = name_of(activity)
        entry = self.registry.activities.get(name)
        decoder = entry.signature.output_decoder if entry is not None else None
        return self._schedule(EventType.ACTIVITY_SCHEDULED, name, to_json(value), None, retry, decoder)

    def call_child_workflow(
        self,
        workflow: Callable[..., Any] | str,
        value: Any,
        instance_id: str | None,
        retry: RetryPolicy | None,
    ) -> Task[Any]:
        child_id = instance_id or f"{self.instance_id}:{self._next_task_id:04x}"
        return self._schedule(
            EventType.CHILD_WORKFLOW_SCHEDULED, name_of(workflow), to_json(value), child_id, retry, None
        )

    def wait_for_external_event(self, name: str) -> Task[Any]:
        key = name.lower()
        task: CompletableTask[Any] = CompletableTask()
        buffered = self._buffered.by_name.get(key) if self._buffered is not None else None
        if buffered:
            task.complete(from_json(buffered.popleft()[1]))
        else:
            self._event_waiters.setdefault(key, deque()).append(task)
        return task

    def continue_as_new(self, value: Any, save_events: bool) -> None:
        self._continue = (to_json(value), save_events)

    # -- internals ----------------------------------------------------------------------------

    def _schedule(
        self,
        kind: EventType,
        name: str,
        data: str | None,
        child_id: str | None,
        retry: RetryPolicy | None,
        decoder: Decoder | None,
    ) -> DurableTask:
        action = Action(kind, self._next_task_id, name, data, child_id=child_id)
        task = DurableTask(action, retry, decoder, self.current_time)
        self._next_task_id += 1
        self._pending[action.task_id] = action
        self._open[action.task_id] = task
        return task

    def _issue(self, task: TimerTask) -> None:
        action = Action(EventType.TIMER_CREATED, self._next_task_id, fire_at=task.fire_at)
        self._next_task_id += 1
        self._pending[action.task_id] = action
        self._open[action.task_id] = task

    def _match_recorded(self, event: Event) -> None:
        action = None if event.task_id is None else self._pending.pop(event.task_id, None)
        if action is None or action.type is not event.type or action.name != event.name:
            issued = "nothing" if action is None else _describe(action.type, action.name)
            raise NonDeterminismError(
                f"workflow {self.instance_id!r} is not deterministic: the history records "
                f"{_describe(event.type, event.name)} as task {event.task_id}, but on replay the "
                f"code issued {issued}. Workflow code must make the same calls in the same order "
                "on every run."
            )
        task = self._open.get(action.task_id)
        if isinstance(task, DurableTask) and (event.data, event.child_id) != (action.data, action.child_id):
            # The history is the truth: a rerun may have recorded another input or child ID.
            task.action = replace(action, data=event.data, child_id=event.child_id)

    def _start(self, event: Event) -> None:
        entry = self.registry.workflows.get(event.name or "")
        if entry is None:
            known = ", ".join(sorted(self.registry.workflows)) or "none"
            self._fail(
                WorkflowNotRegisteredError(f"no workflow named {event.name!r} is registered (known: {known})")
            )
            return
        try:
            if entry.signature.takes_input:
                result = entry.fn(self._ctx, from_json(event.data, entry.signature.input_decoder))
            else:
                result = entry.fn(self._ctx)
        except Exception as exc:
            self._fail(exc)
            return
        if isinstance(result, Generator):
            self._gen = result
            self._run(None)
        else:
            self._finish(result)

    def _run(self, task: Task[Any] | None) -> None:
        """Drive the generator until it waits for an incomplete task or ends."""
        gen = self._gen
        if gen is None:
            return
        while True:
            try:
                if task is None:
                    yielded = gen.send(None)
                elif task._exception is not None:
                    yielded = gen.throw(task._exception)
                else:
                    yielded = gen.send(task._result)
            except StopIteration as stop:
                self._gen = None
                self._finish(stop.value)
                return
            except Exception as exc:
                self._gen = None
                self._fail(exc)
                return
            if self._continue is not None:
                self.close()
                self._finish(None)
                return
            if not isinstance(yielded, Task):
                self.close()
                self._fail(TypeError(f"a workflow must yield tasks, not {type(yielded).__name__}"))
                return
            if not yielded._complete:
                self._waiting = yielded
                return
            task = yielded

    def _finish(self, result: Any) -> None:
        if self._continue is not None:
            new_input, save_events = self._continue
            carried: tuple[tuple[str, str | None], ...] = ()
            if save_events:
                carried = self._unconsumed_events()
            self.outcome = Outcome(EventType.CONTINUED_AS_NEW, new_input, carried_events=carried)
            return
        try:
            output = to_json(result)
        except Exception as exc:
            self._fail(exc)
            return
        self.outcome = Outcome(EventType.WORKFLOW_COMPLETED, output)

    def _fail(self, exc: BaseException) -> None:
        self.outcome = Outcome(EventType.WORKFLOW_FAILED, failure=FailureDetails.of(exc))

    def _unconsumed_events(self) -> tuple[tuple[str, str | None], ...]:
        entries: list[tuple[int, str, str | None]] = []
        if self._buffered is not None:
            for name, queue in self._buffered.by_name.items():
                entries.extend((order, name, data) for order, data in queue)
        entries.sort()
        carried = [(name, data) for _, name, data in entries]
        carried.extend(
            (event.name or "", event.data)
            for event in self._suspend_buffer
            if event.type is EventType.EVENT_RAISED
        )
        return tuple(carried)

    def _task_of(self, event: Event) -> CompletableTask[Any] | None:
        """The open task a completion event closes (taken off the open ones)."""
        return None if event.task_id is None else self._open.pop(event.task_id, None)

    def _on_result(self, event: Event) -> None:
        task = self._task_of(event)
        if isinstance(task, DurableTask):
            task.complete(from_json(event.data, task.decoder))

    def _on_failure(self, event: Event) -> None:
        task = self._task_of(event)
        if not isinstance(task, DurableTask):
            return
        failure = event.failure or FailureDetails("", "Exception")
        if task.retry is not None:
            delay = task.retry.next_delay(task.attempts, failure, self.current_time - task.first_attempt_at)
            if delay is not None:
                self._issue(TimerTask(self.current_time + delay, task))
                return
        what = "Activity" if task.action.type is EventType.ACTIVITY_SCHEDULED else "Child workflow"
        task.fail(f"{what} task #{event.task_id} ({task.action.name}) failed: {failure.message}", failure)

    def _on_timer(self, event: Event) -> None:
        task = self._task_of(event)
        if not isinstance(task, TimerTask):
            return
        target = task.retry_of
        if target is None:
            task.complete(None)
            return
        # The retry pause is over: issue the same command again under a new task ID.
        old = target.action
        target.action = Action(old.type, self._next_task_id, old.name, old.data, child_id=old.child_id)
        target.attempts += 1
        self._next_task_id += 1
        self._pending[target.action.task_id] = target.action
        self._open[target.action.task_id] = target

    def _on_event(self, event: Event) -> None:
        key = (event.name or "").lower()
        waiters = self._event_waiters.get(key)
        if waiters:
            waiters.popleft().complete(from_json(event.data))
            return
        if self._buffered is None:
            self._buffered = _Buffered()
        self._buffered.counter += 1
        self._buffered.by_name.setdefault(key, deque()).append((self._buffered.counter, event.data))

    def _on_suspended(self, event: Event) -> None:
        self.suspended = True

    def _on_resumed(self, event: Event) -> None:
        self.suspended = False
        buffered, self._suspend_buffer = self._suspend_buffer, []
        for held in buffered:
            self.apply(held)


def _describe(kind: EventType, name: str | None) -> str:
    return f"{kind.title} {name!r}" if name else kind.title


_HANDLERS: dict[EventType, Callable[[Execution, Event], None]] = {
    EventType.WORKFLOW_STARTED: Execution._start,
    EventType.ACTIVITY_COMPLETED: Execution._on_result,
    EventType.ACTIVITY_FAILED: Execution._on_failure,
    EventType.CHILD_WORKFLOW_COMPLETED: Execution._on_result,
    EventType.CHILD_WORKFLOW_FAILED: Execution._on_failure,
    EventType.TIMER_FIRED: Execution._on_timer,
    EventType.EVENT_RAISED: Execution._on_event,
    EventType.WORKFLOW_SUSPENDED: Execution._on_suspended,
    EventType.WORKFLOW_RESUMED: Execution._on_resumed,
}
