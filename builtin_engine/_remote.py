"""Remote workers: workflows and activities run by SDK workers in other processes.

A workflow whose name no in-process runtime registers is *remote* when the engine serves
remote workers (``EngineOptions.remote_workers``): its code runs in an SDK worker connected
over Dapr's Durable Task protocol (the gateway's sidecar service drives the ``RemoteWorker``
objects below). The engine keeps everything else as for an in-process workflow: the store,
the history model, timers, the activity queue, child workflows, the client operations.

The unit of work is a **turn**. Inputs for a remote instance (its start, activity and child
results, fired timers, raised events, suspend and resume) are kept durably as *pending*
(``pending_events``) until a turn takes them. A turn is one workflow work item: the committed
history of the current execution (``past``), then a ``TURN_STARTED`` marker whose timestamp is
the workflow's clock for the turn and the pending inputs (``new``). At most one turn per
instance is out at a time. The worker's answer (``TurnResult``: actions, custom status,
version) is applied in one write: the marker and the inputs move from pending to the history,
each action is recorded as the event that stands for it (its ``id`` becomes the task ID) and
carried out by dispatch (activities, timers, children) or here (sent events, terminations,
completion, continue-as-new). Inputs that arrived meanwhile make the next turn.

Work items wait in one queue that every connected worker takes from; each dispatch gets a
fresh completion token, and an answer with another non-empty token is stale and ignored (an
empty token is accepted: the JavaScript worker sends none). When a worker's stream ends, what
it held goes back to the queue under new tokens, for another worker. With no worker connected
work simply waits. Activities a remote workflow schedules run in-process when a runtime
registers them, else remotely; an in-process workflow may call remote activities too.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from builtin_engine._cache import Instance, InstanceCache
from builtin_engine._errors import FailureDetails
from builtin_engine._history import CLOSING_TASKS, NEVER, Event, EventType, new_execution_id, started_event
from builtin_engine._remote_items import (
    Action,
    ActivityWorkItem,
    CompleteWorkflow,
    CreateChild,
    CreateTimer,
    ScheduleActivity,
    SendEvent,
    Stall,
    TerminateOther,
    TurnResult,
    WorkflowWorkItem,
    WorkItem,
)
from builtin_engine._services import Services
from builtin_engine._store import Status, WriteUnit
from builtin_engine._tracing import Work, WorkKind
from builtin_engine._writer import Callback

if TYPE_CHECKING:
    from builtin_engine._dispatch import Dispatcher
    from builtin_engine._step import Stepper

log = logging.getLogger("builtin_engine")


# -- the state of one remote instance --------------------------------------------------------------


@dataclass(slots=True)
class _Turn:
    token: str
    marker: Event
    inputs: list[Event]
    #: the number of the last pending input this turn took
    taken: int
    worker: RemoteWorker | None = None
    #: when a worker took it (epoch seconds), for the turn's span
    taken_at: float = 0.0


@dataclass(slots=True)
class RemoteExecution:
    """A remote instance's execution as the engine holds it (in ``Instance.execution``)."""

    past: list[Event] = field(default_factory=list)
    pending: list[tuple[int, Event]] = field(default_factory=list)
    next_pending: int = 0
    turn: _Turn | None = None
    #: the worker that ran its last turn (a turn prefers it: it may hold the history)
    last_worker: RemoteWorker | None = None
    stalled: str | None = None

    @property
    def idle(self) -> bool:
        """Nothing out with a worker (it may then be evicted from the cache)."""
        return self.turn is None

    def close(self) -> None:
        """Nothing to release (eviction); the worker's own cache is the worker's."""


@dataclass(slots=True)
class _ActivityJob:
    """An activity waiting for a worker or out with one: the item a worker gets (a new one,
    under a new token, each time it is handed out again) and who holds it since when."""

    item: ActivityWorkItem
    worker: RemoteWorker | None = None
    #: when a worker took it (epoch seconds), for the activity's span
    taken_at: float = 0.0


# -- connected workers -----------------------------------------------------------------------------


class RemoteWorker:
    """One connected worker stream: ``next()`` gives it work; ``close()`` when it ends."""

    def __init__(self, hub: RemoteWorkers, *, stateful: bool) -> None:
        self._hub = hub
        self.stateful = stateful
        self.closed = False
        #: items given to this worker and not answered yet, by token
        self.held: dict[str, WorkflowWorkItem | ActivityWorkItem] = {}
        self._waiting: asyncio.Future[None] | None = None

    async def next(self, patience: float | None = None) -> WorkItem | None:
        """The next work item for this worker; ``None`` once it is closed. ``TimeoutError``
        when none came within ``patience`` seconds (the stream may then send a health ping;
        cheaper than a timeout around the call, which costs a task per item)."""
        hub = self._hub
        while not self.closed:
            item = hub.take(self)
            if item is not None:
                return item
            waiting = self._waiting = hub.services.loop.create_future()
            hub.idle_workers.append(self)
            timer = None if patience is None else hub.services.loop.call_later(patience, self._time_out)
            try:
                await waiting
            finally:
                self._waiting = None
                if timer is not None:
                    timer.cancel()
                if not waiting.done() or waiting.exception() is not None:  # cancelled or timed out
                    with contextlib.suppress(ValueError):
                        hub.idle_workers.remove(self)
        return None

    def _time_out(self) -> None:
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_exception(TimeoutError())

    def wake(self) -> None:
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_result(None)

    def close(self) -> None:
        """The stream ended: what it held goes to other workers."""
        if not self.closed:
            self.closed = True
            self.wake()
            self._hub.disconnect(self)


class RemoteWorkers:
    """The engine's part for remote workers: turns, the work queue, tokens, answers."""

    def __init__(
        self, cache: InstanceCache, services: Services, dispatch: Dispatcher, *, enabled: bool
    ) -> None:
        self.cache = cache
        self.services = services
        self.dispatch = dispatch
        self.enabled = enabled
        self.step: Stepper | None = None
        self.workers: list[RemoteWorker] = []
        self.idle_workers: collections.deque[RemoteWorker] = collections.deque()
        self._turns: collections.deque[str] = collections.deque()  # instance IDs with a turn to take
        self._activities: collections.deque[_ActivityJob] = collections.deque()
        self._jobs: dict[str, _ActivityJob] = {}  # token -> job out with a worker or queued
        #: answers taken since start (for operators)
        self.turns_done = 0
        self.activities_done = 0

    def bind(self, step: Stepper) -> None:
        self.step = step

    def _stepper(self) -> Stepper:
        assert self.step is not None, "remote workers are not bound to a stepper"
        return self.step

    # -- workers --------------------------------------------------------------------------------

    def connect(self, *, stateful: bool = False) -> RemoteWorker:
        """A new worker stream (``stateful``: it keeps histories between turns)."""
        worker = RemoteWorker(self, stateful=stateful)
        self.workers.append(worker)
        log.info("a remote worker connected (%d now)", len(self.workers))
        return worker

    def disconnect(self, worker: RemoteWorker) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
        if worker in self.idle_workers:
            self.idle_workers.remove(worker)
        held, worker.held = worker.held, {}
        for item in held.values():
            if isinstance(item, WorkflowWorkItem):
                inst = self.cache.known.get(item.instance_id)
                execution = inst.execution if inst is not None else None
                if not isinstance(execution, RemoteExecution):
                    continue
                turn = execution.turn
                if turn is not None and turn.token == item.token:
                    turn.token = _token()
                    turn.worker = None
                    if execution.last_worker is worker:
                        execution.last_worker = None
                    self._turns.append(item.instance_id)
            else:
                job = self._jobs.pop(item.token, None)
                if job is not None:
                    job.item = replace(job.item, token=_token())
                    job.worker = None
                    self._jobs[job.item.token] = job
                    self._activities.append(job)
        log.info(
            "a remote worker disconnected (%d left); %d work items go back to the queue",
            len(self.workers),
            len(held),
        )
        self._wake()

    @property
    def connected(self) -> int:
        return len(self.workers)

    @property
    def queued(self) -> tuple[int, int]:
        """Workflow turns and activities waiting for a worker."""
        return len(self._turns), len(self._activities)

    @property
    def running(self) -> tuple[int, int]:
        """Workflow turns and activities out with a worker, not answered yet."""
        turns = activities = 0
        for worker in self.workers:
            for item in worker.held.values():
                if isinstance(item, WorkflowWorkItem):
                    turns += 1
                else:
                    activities += 1
        return turns, activities

    def take(self, worker: RemoteWorker) -> WorkItem | None:
        """The next item for ``worker``, or ``None`` if there is none now."""
        while self._turns:
            instance_id = self._turns.popleft()
            item = self._turn_item(instance_id)
            if item is not None:
                worker.held[item.token] = item
                execution = self.cache.known[instance_id].execution
                assert isinstance(execution, RemoteExecution)
                assert execution.turn is not None
                execution.turn.worker = worker
                execution.turn.taken_at = time.time()
                execution.last_worker = worker
                return item
        while self._activities:
            job = self._activities.popleft()
            activity = job.item
            if self._jobs.get(activity.token) is not job or not self._current(
                activity.instance_id, activity.execution_id
            ):
                self._jobs.pop(activity.token, None)
                continue
            job.worker = worker
            job.taken_at = time.time()
            worker.held[activity.token] = activity
            return activity
        return None

    def _wake(self) -> None:
        while self.idle_workers and (self._turns or self._activities):
            self.idle_workers.popleft().wake()

    # -- turns ----------------------------------------------------------------------------------

    def begin(self, inst: Instance, started: Event) -> None:
        """A new remote instance: its start is its first pending input (already written)."""
        execution = RemoteExecution(pending=[(0, started)], next_pending=1)
        self.cache.activate(inst, execution)
        if started.timestamp > time.time() + 0.001:
            inst.deferred = started
            self.dispatch.arm_start(inst, started.timestamp)
            return
        self._set_status(inst, Status.RUNNING, None)
        self.offer_turn(inst)

    def start_deferred(self, inst: Instance) -> None:
        inst.deferred = None
        self._set_status(inst, Status.RUNNING, None)
        self.offer_turn(inst)

    def rebuild(
        self,
        inst: Instance,
        history: list[tuple[int, Event]],
        pending: list[tuple[int, Event]],
        *,
        recovering: bool,
    ) -> None:
        """Take a remote instance back from the store (start-up, or after an eviction), re-arm
        its timers and, at start-up, re-dispatch its unanswered activities and children."""
        execution = RemoteExecution(
            past=[event for _, event in history],
            pending=list(pending),
            next_pending=(pending[-1][0] + 1) if pending else 0,
        )
        self.cache.activate(inst, execution)
        inst.next_seq = history[-1][0] + 1 if history else 0
        if not history and pending and pending[0][1].type is EventType.WORKFLOW_STARTED:
            started = pending[0][1]
            if started.timestamp > time.time():
                inst.deferred = started
                self.dispatch.arm_start(inst, started.timestamp)
        self._rearm(inst, execution, recovering)
        self.offer_turn(inst)

    def _rearm(self, inst: Instance, execution: RemoteExecution, recovering: bool) -> None:
        opened: dict[int, Event] = {}
        for event in (*execution.past, *(e for _, e in execution.pending)):
            kind = event.type
            if kind in (
                EventType.ACTIVITY_SCHEDULED,
                EventType.TIMER_CREATED,
                EventType.CHILD_WORKFLOW_SCHEDULED,
            ):
                if event.task_id is not None:
                    opened[event.task_id] = event
            elif event.task_id is not None and kind in CLOSING_TASKS:
                opened.pop(event.task_id, None)
        for task_id, event in opened.items():
            if event.type is EventType.TIMER_CREATED:
                if event.fire_at is not None and event.fire_at < NEVER:
                    self.dispatch.arm(inst, task_id, event.fire_at)
            elif not recovering:
                continue  # after an eviction their answers are on their way
            elif event.type is EventType.ACTIVITY_SCHEDULED:
                self.dispatch.start_activity(
                    inst, task_id, event.name or "", event.data, task_execution_id=event.task_execution_id
                )
            else:
                self.services.spawn(
                    self.dispatch.recover_child(
                        inst, task_id, event.name or "", event.data, event.child_id or ""
                    )
                )

    def offer(self, inst: Instance, event: Event, ack: Callback | None, inbox_ids: Sequence[int]) -> None:
        """Keep an input for the instance's next turn (durably) and start the turn if none is out."""
        execution = inst.execution
        assert isinstance(execution, RemoteExecution)
        seq = execution.next_pending
        execution.next_pending += 1
        execution.pending.append((seq, event))
        unit = WriteUnit(inbox_done=list(inbox_ids), pending_add=[(inst.instance_id, seq, event)])
        if event.type is EventType.WORKFLOW_SUSPENDED:
            inst.record = inst.record.stepped(Status.SUSPENDED, event.timestamp, inst.record.custom_status)
            unit.instances.append(inst.record)
        elif event.type is EventType.WORKFLOW_RESUMED:
            inst.record = inst.record.stepped(Status.RUNNING, event.timestamp, inst.record.custom_status)
            unit.instances.append(inst.record)
        self.services.writer.submit(unit, ack)
        self.offer_turn(inst)

    def offer_turn(self, inst: Instance) -> None:
        """Queue a turn for the instance if it has inputs and none is out."""
        execution = inst.execution
        if (
            not isinstance(execution, RemoteExecution)
            or execution.turn is not None
            or not execution.pending
            or inst.deferred is not None
            or execution.stalled is not None
            or not self.cache.is_current(inst)
        ):
            return
        inputs = [event for _, event in execution.pending]
        # The turn's clock never shows a time before its inputs (a fired timer's time is its due
        # time even when the loop's clock ran a hair ahead of the wall clock).
        marker = Event(EventType.TURN_STARTED, max(time.time(), max(event.timestamp for event in inputs)))
        execution.turn = _Turn(_token(), marker, inputs, execution.pending[-1][0])
        last = execution.last_worker
        if last is not None and not last.closed and last in self.idle_workers:
            self._turns.appendleft(inst.instance_id)  # its last worker is idle: it takes it next
            self.idle_workers.remove(last)
            last.wake()
            return
        self._turns.append(inst.instance_id)
        self._wake()

    def _turn_item(self, instance_id: str) -> WorkflowWorkItem | None:
        inst = self.cache.known.get(instance_id)
        execution = inst.execution if inst is not None else None
        if (
            inst is None
            or not isinstance(execution, RemoteExecution)
            or execution.turn is None
            or execution.turn.worker is not None
        ):
            return None
        turn = execution.turn
        record = inst.record
        return WorkflowWorkItem(
            instance_id,
            record.execution_id,
            record.name,
            record.parent_id,
            record.parent_task_id,
            tuple(execution.past),
            (turn.marker, *turn.inputs),
            turn.token,
            inst.trace,
        )

    def complete_workflow(self, instance_id: str, token: str, result: TurnResult) -> bool:
        """Apply a turn's answer; ``False`` if it is stale (another dispatch's, or the instance
        ended or moved on) and was ignored."""
        inst = self.cache.known.get(instance_id)
        execution = inst.execution if inst is not None else None
        if inst is None or not isinstance(execution, RemoteExecution) or execution.turn is None:
            return False
        turn = execution.turn
        if token and token != turn.token:
            return False
        if turn.worker is not None:
            turn.worker.held.pop(turn.token, None)
        execution.turn = None
        self.turns_done += 1
        if inst.trace is not None and self.services.tracer is not None:
            self._traced_turn(inst, turn, result)
        self._apply(inst, execution, turn, result)
        return True

    def _traced_turn(self, inst: Instance, turn: _Turn, result: TurnResult) -> None:
        """The turn's work, from the moment a worker took it to its answer (see ``_tracing``)."""
        assert self.services.tracer is not None
        assert inst.trace is not None
        ending = next((a for a in result.actions if isinstance(a, CompleteWorkflow)), None)
        failed = ending is not None and ending.status is Status.FAILED and ending.failure is not None
        first = turn.inputs[0].type.name if turn.inputs else EventType.TURN_STARTED.name
        self.services.tracer.record(
            Work(
                WorkKind.TURN,
                inst.instance_id,
                inst.record.name,
                first,
                None,
                inst.trace,
                turn.taken_at or turn.marker.timestamp,
                time.time(),
                ending.failure.message if failed and ending is not None and ending.failure else None,
            )
        )

    def complete_activity(
        self,
        instance_id: str,
        task_id: int,
        token: str,
        result: str | None,
        failure: FailureDetails | None,
    ) -> bool:
        """Take an activity's answer; ``False`` if it is stale and was ignored."""
        job = self._jobs.get(token) if token else self._job_of(instance_id, task_id)
        if job is None or job.item.instance_id != instance_id or job.item.task_id != task_id:
            return False
        item = job.item
        del self._jobs[item.token]
        if job.worker is not None:
            job.worker.held.pop(item.token, None)
        self.activities_done += 1
        now = time.time()
        if failure is None:
            event = Event(EventType.ACTIVITY_COMPLETED, now, task_id, data=result)
        else:
            event = Event(EventType.ACTIVITY_FAILED, now, task_id, failure=failure)
        tracer = self.services.tracer
        inst = self.cache.known.get(item.instance_id)
        if tracer is not None and item.trace is not None and inst is not None:
            tracer.record(
                Work(
                    WorkKind.ACTIVITY,
                    item.instance_id,
                    inst.record.name,
                    item.name,
                    task_id,
                    item.trace,
                    job.taken_at or now,
                    now,
                    failure.message if failure is not None else None,
                )
            )
        self.dispatch.finish_remote(item.instance_id, item.execution_id, event)
        return True

    def run_activity(
        self, inst: Instance, task_id: int, name: str, data: str | None, task_execution_id: str | None
    ) -> None:
        """Queue an activity for a remote worker (dispatch counts it in flight)."""
        item = ActivityWorkItem(
            inst.instance_id, inst.execution_id, task_id, name, data, task_execution_id, _token(), inst.trace
        )
        job = _ActivityJob(item)
        self._jobs[job.item.token] = job
        self._activities.append(job)
        self._wake()

    def fail(self, instance_id: str, failure: FailureDetails) -> bool:
        """End a running remote instance as FAILED with ``failure`` (e.g. an answer too large to
        deliver); ``False`` if it is not running here."""
        inst = self.cache.known.get(instance_id)
        if inst is None or not isinstance(inst.execution, RemoteExecution):
            return False
        if inst.execution.turn is not None and inst.execution.turn.worker is not None:
            inst.execution.turn.worker.held.pop(inst.execution.turn.token, None)
        inst.execution.turn = None
        for job in [job for job in self._jobs.values() if job.item.instance_id == instance_id]:
            del self._jobs[job.item.token]  # moot now: a late answer is ignored as stale
            if job.worker is not None:
                job.worker.held.pop(job.item.token, None)
        unit = WriteUnit(pending_reset=inst.instance_id)
        self._end(inst, unit, CompleteWorkflow(-1, Status.FAILED, failure=failure), time.time())
        self.services.writer.submit(unit)
        return True

    def _job_of(self, instance_id: str, task_id: int) -> _ActivityJob | None:
        for job in self._jobs.values():
            if job.item.instance_id == instance_id and job.item.task_id == task_id:
                return job
        return None

    def _current(self, instance_id: str, execution_id: str) -> bool:
        inst = self.cache.known.get(instance_id)
        return inst is not None and inst.execution_id == execution_id

    # -- applying an answer ---------------------------------------------------------------------

    def _apply(self, inst: Instance, execution: RemoteExecution, turn: _Turn, result: TurnResult) -> None:
        instance_id = inst.instance_id
        now = time.time()
        unit = WriteUnit(pending_done=[(instance_id, turn.taken)])
        marker = turn.marker._replace(version=result.version, patches=result.patches)
        for event in (marker, *turn.inputs):
            self._record(inst, execution, unit, event)
        execution.pending = [(seq, event) for seq, event in execution.pending if seq > turn.taken]
        ending: CompleteWorkflow | None = None
        for action in result.actions:
            if isinstance(action, CompleteWorkflow):
                ending = action
                break  # what follows a completion is ignored
            self._carry_out(inst, execution, unit, action, now)
        custom_status = result.custom_status
        if ending is None:
            status = Status.SUSPENDED if inst.record.status is Status.SUSPENDED else Status.RUNNING
            if execution.stalled is not None:
                status = Status.RUNNING
            inst.record = inst.record.stepped(status, now, custom_status)
            unit.instances.append(inst.record)
            self.services.writer.submit(unit)
            self.cache.touch(inst)
            self.offer_turn(inst)
            return
        inst.record = inst.record._replace(custom_status=custom_status)
        if ending.status is None:
            self._continue_as_new(inst, execution, unit, ending, now)
            return
        unit.pending_reset = instance_id
        unit.pending_done = []
        self._end(inst, unit, ending, now)
        self.services.writer.submit(unit)

    def _record(self, inst: Instance, execution: RemoteExecution, unit: WriteUnit, event: Event) -> None:
        unit.events.append((inst.instance_id, inst.next_seq, event))
        inst.next_seq += 1
        execution.past.append(event)

    def _carry_out(
        self, inst: Instance, execution: RemoteExecution, unit: WriteUnit, action: Action, now: float
    ) -> None:
        instance_id = inst.instance_id
        loop = self.services.loop
        if isinstance(action, ScheduleActivity):
            self._record(
                inst,
                execution,
                unit,
                Event(
                    EventType.ACTIVITY_SCHEDULED,
                    now,
                    action.id,
                    action.name,
                    action.input,
                    task_execution_id=action.task_execution_id,
                ),
            )
            self.dispatch.start_activity(
                inst, action.id, action.name, action.input, task_execution_id=action.task_execution_id
            )
        elif isinstance(action, CreateTimer):
            self._record(
                inst,
                execution,
                unit,
                Event(EventType.TIMER_CREATED, now, action.id, fire_at=action.fire_at, origin=action.origin),
            )
            if action.fire_at < NEVER:
                self.dispatch.arm(inst, action.id, action.fire_at)
        elif isinstance(action, CreateChild):
            child_id = action.instance_id or f"{instance_id}:{action.id:04x}"
            self._record(
                inst,
                execution,
                unit,
                Event(
                    EventType.CHILD_WORKFLOW_SCHEDULED,
                    now,
                    action.id,
                    action.name,
                    action.input,
                    child_id=child_id,
                ),
            )
            loop.call_soon(
                self.dispatch.create_child,
                instance_id,
                inst.execution_id,
                action.id,
                action.name,
                action.input,
                child_id,
            )
        elif isinstance(action, SendEvent):
            self._record(
                inst,
                execution,
                unit,
                Event(
                    EventType.EVENT_SENT,
                    now,
                    action.id,
                    action.name,
                    action.data,
                    target_id=action.instance_id,
                ),
            )
            loop.call_soon(self._send, action.instance_id, action.name, action.data)
        elif isinstance(action, TerminateOther):
            loop.call_soon(self._terminate_other, action.instance_id, action.reason, action.recurse)
        elif isinstance(action, Stall):
            execution.stalled = action.reason
            self._record(inst, execution, unit, Event(EventType.EXECUTION_STALLED, now, data=action.reason))

    def _send(self, target_id: str, name: str, data: str | None) -> None:
        target = self.cache.known.get(target_id)
        if target is None:
            log.warning("an event %r sent to %r was dropped: no such running instance", name, target_id)
            return
        self._stepper().deliver(target, Event(EventType.EVENT_RAISED, time.time(), name=name, data=data))

    def _terminate_other(self, target_id: str, reason: str | None, recurse: bool) -> None:
        target = self.cache.known.get(target_id)
        if target is not None:
            self._stepper().terminate(target, reason, recurse, None)

    def _end(self, inst: Instance, unit: WriteUnit, ending: CompleteWorkflow, now: float) -> None:
        status = ending.status or Status.COMPLETED
        kind = _ENDINGS[status]
        unit.events.append(
            (inst.instance_id, inst.next_seq, Event(kind, now, data=ending.result, failure=ending.failure))
        )
        inst.next_seq += 1
        inst.record = inst.record._replace(
            status=status,
            output=ending.result,
            failure=ending.failure if status is Status.FAILED else None,
            updated_at=now,
        )
        unit.instances.append(inst.record)
        self._stepper().end(inst)

    def _continue_as_new(
        self,
        inst: Instance,
        execution: RemoteExecution,
        unit: WriteUnit,
        ending: CompleteWorkflow,
        now: float,
    ) -> None:
        """End this execution and queue the next one's first turn (the history starts over)."""
        instance_id = inst.instance_id
        unit.events.append(
            (inst.instance_id, inst.next_seq, Event(EventType.CONTINUED_AS_NEW, now, data=ending.result))
        )
        inst.next_seq += 1
        self.dispatch.cancel_timers(inst)
        inst.record = inst.record._replace(
            execution_id=new_execution_id(), input=ending.result, output=None, failure=None, updated_at=now
        )
        unit.instances.append(inst.record)
        self.services.writer.submit(unit)
        started = started_event(inst.record.name, ending.result, now, inst.record.execution_id, inst.trace)
        carried = [
            Event(EventType.EVENT_RAISED, now, name=name, data=data) for name, data in ending.carryover
        ]
        leftover = [event for _, event in execution.pending]
        pending = [(seq, event) for seq, event in enumerate((started, *carried, *leftover))]
        execution.past = []
        execution.pending = pending
        execution.next_pending = len(pending)
        execution.last_worker = None
        inst.next_seq = 0
        self.services.writer.submit(
            WriteUnit(
                reset_history=instance_id,
                pending_reset=instance_id,
                pending_add=[(instance_id, seq, event) for seq, event in pending],
            )
        )
        self.cache.touch(inst)
        self.offer_turn(inst)

    def _set_status(self, inst: Instance, status: Status, ack: Callback | None) -> None:
        inst.record = inst.record.stepped(status, time.time(), inst.record.custom_status)
        self.services.writer.submit(WriteUnit(instances=[inst.record]), ack)


_ENDINGS = {
    Status.COMPLETED: EventType.WORKFLOW_COMPLETED,
    Status.FAILED: EventType.WORKFLOW_FAILED,
    Status.TERMINATED: EventType.WORKFLOW_TERMINATED,
}


def _token() -> str:
    """A fresh completion token: unique across processes and restarts, no system call each
    (like execution IDs: a random prefix per process and a counter)."""
    return new_execution_id()
