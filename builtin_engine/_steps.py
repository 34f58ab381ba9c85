"""Instance steps: the heart of the engine, and the activities, timers and children they drive.

Everything happens on one asyncio loop, so an instance's events are applied one at a time
without locks. A step is: append the event to the instance's history (in memory, numbered),
apply it to the cached ``Execution``, record and carry out the commands it produced, and
queue the step's writes for the group committer. Acknowledgements to clients (start, raise
event, terminate...) wait for the commit; the engine itself does not, because the queue keeps
each instance's writes in order and a crash only loses an unacknowledged tail that replay
re-creates (activities run at least once).

Instances are cached (LRU); an evicted instance is rebuilt from its stored history (a cold
replay) when its next event arrives. Sync activities run in a thread pool, async ones on the
loop, both under one concurrency limit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from builtin_engine._codec import from_json, to_json
from builtin_engine._context import WorkflowActivityContext
from builtin_engine._errors import (
    DuplicateInstanceError,
    FailureDetails,
    NonDeterminismError,
    WorkflowEngineError,
)
from builtin_engine._history import Event, EventType
from builtin_engine._registry import Registered, Registry
from builtin_engine._replay import DurableTask, Execution, Outcome, TimerTask, failure_json
from builtin_engine._store import (
    InstanceRecord,
    Status,
    Store,
    WriteUnit,
)
from builtin_engine._writer import Callback, GroupCommitter

log = logging.getLogger("builtin_engine")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Tuning knobs. The defaults suit a small machine."""

    #: activities running at once (sync and async together)
    max_concurrent_activities: int = 256
    #: threads running sync activities
    thread_pool_workers: int = 16
    #: instances kept in memory; idle ones beyond this are evicted and replayed on demand
    max_cached_instances: int = 20_000
    #: seconds between polls of the inbox where clients in other processes leave requests
    poll_interval: float = 0.05


class ActivityNotRegisteredError(Exception):
    """A workflow called an activity name nobody registered."""


class _Instance:
    """An instance the engine drives: its row, its history position and its cached execution."""

    __slots__ = (
        "backlog", "created", "created_at", "custom_status", "deferred", "execution", "execution_id",
        "failure", "inflight", "input", "instance_id", "loading", "name", "next_seq", "output",
        "parent_id", "parent_task_id", "status", "timers", "updated_at",
    )  # fmt: skip

    def __init__(self, record: InstanceRecord) -> None:
        self.instance_id = record.instance_id
        self.name = record.name
        self.status = record.status
        self.created_at = record.created_at
        self.updated_at = record.updated_at
        self.input = record.input
        self.output = record.output
        self.custom_status = record.custom_status
        self.failure = record.failure
        self.parent_id = record.parent_id
        self.parent_task_id = record.parent_task_id
        self.execution_id = record.execution_id
        self.next_seq = 0
        self.execution: Execution | None = None
        self.inflight = 0
        self.loading = False
        self.backlog: list[tuple[Event, Callback | None, list[int]]] = []
        self.created: asyncio.Future[None] | None = None
        self.deferred: Event | None = None
        self.timers: dict[int, asyncio.TimerHandle] | None = None

    def record(self) -> InstanceRecord:
        return InstanceRecord(
            self.instance_id, self.name, self.status, self.created_at, self.updated_at, self.input,
            self.output, self.custom_status, self.failure, self.parent_id, self.parent_task_id,
            self.execution_id,
        )  # fmt: skip


def _started_event(name: str, data: str | None, at: float, execution_id: str) -> Event:
    return Event(EventType.WORKFLOW_STARTED, at, -1, name, data, json.dumps({"execution": execution_id}))


class Stepper:
    """Drives instances: the state and step logic ``Engine`` builds its service on."""

    def __init__(self, store: Store, registry: Registry, options: EngineOptions | None = None) -> None:
        self.store = store
        self.registry = registry
        self.options = options or EngineOptions()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: GroupCommitter | None = None
        self._known: dict[str, _Instance] = {}
        self._live: OrderedDict[str, _Instance] = OrderedDict()
        self._children: dict[str, set[str]] = {}
        self._watchers: dict[str, list[Callable[[], None]]] = {}
        self._activity_pool: ThreadPoolExecutor | None = None
        self._read_pool: ThreadPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the engine is not started")
        return self._loop

    def _writer_or_fail(self) -> GroupCommitter:
        if self._writer is None:
            raise WorkflowEngineError("the workflow engine is not running")
        return self._writer

    async def _read(self, fn: Callable[..., R], *args: Any) -> R:
        return await self.loop.run_in_executor(self._read_pool, fn, *args)

    async def history(self, instance_id: str) -> list[tuple[int, Event]]:
        """An instance's stored events with their sequence numbers."""
        return await self._read(self.store.history, instance_id)

    async def get(self, instance_id: str) -> InstanceRecord | None:
        """An instance's stored row."""
        return await self._read(self.store.get, instance_id)

    # -- steps ------------------------------------------------------------------------------------

    def _begin(self, inst: _Instance, started: Event) -> None:
        """Run a new instance's first step now, or when its start time comes."""
        inst.execution = Execution(inst.instance_id, self.registry)
        self._live[inst.instance_id] = inst
        if started.timestamp > time.time() + 0.001:
            inst.deferred = started
            self._arm(inst, -1, started.timestamp)
            return
        unit = WriteUnit()
        self._apply(inst, started, unit)
        self._commit(inst, unit, None, status_changed=True)

    def _deliver(
        self, inst: _Instance, event: Event, ack: Callback | None = None, inbox_ids: Sequence[int] = ()
    ) -> None:
        """Record a new event for ``inst`` and take the step it enables."""
        if self._known.get(inst.instance_id) is not inst:  # it ended meanwhile: the event is moot
            self._drop(ack, inbox_ids)
            return
        if inst.execution is None:
            inst.backlog.append((event, ack, list(inbox_ids)))
            if not inst.loading:
                inst.loading = True
                self._spawn(self._load(inst))
            return
        unit = WriteUnit(inbox_done=list(inbox_ids))
        unit.events.append((inst.instance_id, inst.next_seq, event))
        inst.next_seq += 1
        before = inst.status
        self._apply(inst, event, unit)
        self._commit(inst, unit, ack, status_changed=inst.status is not before)

    def _apply(self, inst: _Instance, event: Event, unit: WriteUnit) -> None:
        execution = inst.execution
        assert execution is not None
        try:
            execution.apply(event)
        except NonDeterminismError as exc:
            execution.close()
            execution.outcome = Outcome(EventType.WORKFLOW_FAILED, failure=FailureDetails.of(exc))
        self._after_step(inst, unit)

    def _after_step(self, inst: _Instance, unit: WriteUnit) -> None:
        """Record and carry out the step's commands, and update the instance's row."""
        execution = inst.execution
        assert execution is not None
        now = time.time()
        actions = execution.take_actions()
        outcome = execution.outcome
        if outcome is None:
            for action in actions:
                unit.events.append((
                    inst.instance_id, inst.next_seq,
                    Event(action.type, now, action.task_id, action.name, action.data, action.extra),
                ))  # fmt: skip
                inst.next_seq += 1
                if action.type is EventType.ACTIVITY_SCHEDULED:
                    self._start_activity(inst, action.task_id, action.name or "", action.data)
                elif action.type is EventType.TIMER_CREATED:
                    self._arm(inst, action.task_id, float(action.extra or 0))
                else:
                    self.loop.call_soon(
                        self._create_child, inst.instance_id, inst.execution_id, action.task_id,
                        action.name or "", action.data, action.extra or "",
                    )  # fmt: skip
        inst.custom_status = execution.custom_status
        inst.updated_at = now
        if outcome is not None:
            self._end(inst, outcome, unit, now)
            return
        if inst.deferred is not None:
            inst.status = Status.SUSPENDED if execution.suspended else Status.PENDING
        else:
            inst.status = Status.SUSPENDED if execution.suspended else Status.RUNNING
        unit.instances.append(inst.record())

    def _commit(
        self, inst: _Instance, unit: WriteUnit, ack: Callback | None, *, status_changed: bool
    ) -> None:
        writer = self._writer_or_fail()
        if status_changed or inst.status.is_terminal:
            instance_id = inst.instance_id

            def notify(error: BaseException | None) -> None:
                if ack is not None:
                    ack(error)
                for wake in list(self._watchers.get(instance_id, ())):
                    wake()

            writer.submit(unit, notify)
        else:
            writer.submit(unit, ack)
        execution = inst.execution
        outcome = execution.outcome if execution is not None else None
        if outcome is not None and outcome.type is EventType.CONTINUED_AS_NEW:
            self._continue_as_new(inst, outcome)
        live = self._live
        if inst.instance_id in live:
            live.move_to_end(inst.instance_id)
            if len(live) > self.options.max_cached_instances:
                self._evict(keep=inst)

    def _end(self, inst: _Instance, outcome: Outcome, unit: WriteUnit, now: float) -> None:
        kind = outcome.type
        if kind is EventType.CONTINUED_AS_NEW:
            unit.events.append((inst.instance_id, inst.next_seq, Event(kind, now, -1, None, outcome.data)))
            inst.next_seq += 1
            unit.instances.append(inst.record())
            return
        extra = failure_json(outcome.failure) if outcome.failure is not None else None
        unit.events.append((inst.instance_id, inst.next_seq, Event(kind, now, -1, None, outcome.data, extra)))
        inst.next_seq += 1
        inst.status = Status.COMPLETED if kind is EventType.WORKFLOW_COMPLETED else Status.FAILED
        inst.output = outcome.data
        inst.failure = outcome.failure
        unit.instances.append(inst.record())
        self._forget(inst)
        if inst.parent_id is not None:
            self.loop.call_soon(self._notify_parent, inst.parent_id, inst.parent_task_id, inst.record())

    def _continue_as_new(self, inst: _Instance, outcome: Outcome) -> None:
        """Start the next execution with an empty history (the old one is already queued)."""
        self._cancel_timers(inst)
        now = time.time()
        inst.execution_id = uuid.uuid4().hex
        inst.input = outcome.data
        inst.output = None
        inst.failure = None
        started = _started_event(inst.name, outcome.data, now, inst.execution_id)
        unit = WriteUnit(reset_history=inst.instance_id, events=[(inst.instance_id, 0, started)])
        inst.next_seq = 1
        inst.execution = Execution(inst.instance_id, self.registry)
        self._apply(inst, started, unit)
        for name, data in outcome.carried_events:
            if inst.execution is None or inst.execution.outcome is not None:
                break
            carried = Event(EventType.EVENT_RAISED, now, -1, name, data)
            unit.events.append((inst.instance_id, inst.next_seq, carried))
            inst.next_seq += 1
            self._apply(inst, carried, unit)
        self._commit(inst, unit, None, status_changed=True)

    def _terminate(
        self,
        inst: _Instance,
        output: str | None,
        recursive: bool,
        ack: Callback | None,
        inbox_ids: Sequence[int] = (),
    ) -> None:
        if self._known.get(inst.instance_id) is not inst:  # it ended meanwhile: nothing to stop
            self._drop(ack, inbox_ids)
            return
        now = time.time()
        unit = WriteUnit(inbox_done=list(inbox_ids))
        unit.events.append(
            (inst.instance_id, inst.next_seq, Event(EventType.WORKFLOW_TERMINATED, now, -1, None, output))
        )
        inst.next_seq += 1
        inst.status = Status.TERMINATED
        inst.output = output
        inst.updated_at = now
        unit.instances.append(inst.record())
        if inst.execution is not None:
            inst.execution.close()
        self._forget(inst)
        self._commit(inst, unit, ack, status_changed=True)
        for _, held_ack, ids in inst.backlog:  # buffered events are discarded with the instance
            self._drop(held_ack, ids)
        inst.backlog = []
        if recursive:
            for child_id in sorted(self._children.pop(inst.instance_id, ())):
                child = self._known.get(child_id)
                if child is not None:
                    self._terminate(child, None, True, None)
        if inst.parent_id is not None:
            self.loop.call_soon(self._notify_parent, inst.parent_id, inst.parent_task_id, inst.record())

    def _drop(self, ack: Callback | None, inbox_ids: Sequence[int]) -> None:
        """Acknowledge a request that has nothing left to act on."""
        if inbox_ids:
            self._writer_or_fail().submit(WriteUnit(inbox_done=list(inbox_ids)), ack)
        elif ack is not None:
            ack(None)

    def _forget(self, inst: _Instance) -> None:
        """Drop a finished instance from memory (its row and history stay in the store)."""
        self._cancel_timers(inst)
        self._known.pop(inst.instance_id, None)
        self._live.pop(inst.instance_id, None)
        inst.execution = None
        inst.deferred = None
        if inst.parent_id is not None:
            siblings = self._children.get(inst.parent_id)
            if siblings is not None:
                siblings.discard(inst.instance_id)
                if not siblings:
                    del self._children[inst.parent_id]

    def _evict(self, keep: _Instance) -> None:
        """Drop the least recently used idle executions (never ``keep``, the one just stepped)."""
        excess = len(self._live) - self.options.max_cached_instances
        for instance_id in list(self._live):
            if excess <= 0:
                break
            inst = self._live[instance_id]
            if inst is keep or inst.inflight or inst.deferred is not None or inst.execution is None:
                continue
            inst.execution.close()
            inst.execution = None
            del self._live[instance_id]
            excess -= 1

    async def _load(self, inst: _Instance) -> None:
        """Rebuild an evicted instance from its stored history, then take its held events."""
        try:
            await self._writer_or_fail().flush()
            history = await self.history(inst.instance_id)
        except Exception:
            log.exception("reloading instance %r failed", inst.instance_id)
            inst.loading = False
            return
        if self._known.get(inst.instance_id) is not inst:
            return
        self._replay(inst, history, recovering=False)
        inst.loading = False
        backlog, inst.backlog = inst.backlog, []
        for event, ack, ids in backlog:
            self._deliver(inst, event, ack, ids)

    def _restore(self, record: InstanceRecord, history: list[tuple[int, Event]]) -> None:
        """Bring back an unfinished instance at start-up."""
        inst = _Instance(record)
        self._known[inst.instance_id] = inst
        if inst.parent_id is not None:
            self._children.setdefault(inst.parent_id, set()).add(inst.instance_id)
        self._replay(inst, history, recovering=True)

    def _replay(self, inst: _Instance, history: list[tuple[int, Event]], *, recovering: bool) -> None:
        execution = Execution(inst.instance_id, self.registry)
        inst.execution = execution
        inst.next_seq = history[-1][0] + 1 if history else 0
        self._live[inst.instance_id] = inst
        started = history[0][1] if history else None
        deferred = (
            started is not None
            and started.type is EventType.WORKFLOW_STARTED
            and started.timestamp > time.time()
        )
        execution.is_replaying = True
        try:
            if started is None or started.type is not EventType.WORKFLOW_STARTED:
                raise NonDeterminismError(
                    f"the history of {inst.instance_id!r} does not begin with its start"
                )
            for _, event in history[1:] if deferred else history:
                execution.apply(event)
        except NonDeterminismError as exc:
            execution.close()
            execution.outcome = Outcome(EventType.WORKFLOW_FAILED, failure=FailureDetails.of(exc))
        execution.is_replaying = False
        if deferred and started is not None:
            inst.deferred = started
            self._arm(inst, -1, started.timestamp)
        if execution.outcome is None:
            self._rearm(inst, execution, recovering)
        unit = WriteUnit()
        self._after_step(inst, unit)
        self._commit(inst, unit, None, status_changed=True)

    def _rearm(self, inst: _Instance, execution: Execution, recovering: bool) -> None:
        """Carry out the recorded commands that have no completion yet."""
        for task_id, task in execution.outstanding():
            if isinstance(task, TimerTask):
                self._arm(inst, task_id, task.fire_at)
            elif isinstance(task, DurableTask) and recovering:
                # After eviction nothing was in flight (only idle instances are evicted) and
                # any completion is held in the backlog; only a restart must re-run work.
                action = task.action
                if action.type is EventType.ACTIVITY_SCHEDULED:
                    self._start_activity(inst, task_id, action.name or "", action.data)
                else:
                    self._spawn(
                        self._recover_child(inst, task_id, action.name or "", action.data, action.extra or "")
                    )

    # -- activities, timers, children -----------------------------------------------------------

    def _start_activity(self, inst: _Instance, task_id: int, name: str, data: str | None) -> None:
        inst.inflight += 1
        self._spawn(self._run_activity(inst.instance_id, inst.execution_id, task_id, name, data))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as a task that ``stop()`` cancels and awaits."""
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_activity(
        self, instance_id: str, execution_id: str, task_id: int, name: str, data: str | None
    ) -> None:
        entry = self.registry.activities.get(name)
        assert self._slots is not None
        async with self._slots:
            try:
                if entry is None:
                    raise ActivityNotRegisteredError(f"no activity named {name!r} is registered")
                ctx = WorkflowActivityContext(instance_id, task_id)
                if entry.is_async:
                    result = await _call(entry, ctx, data)
                else:
                    result = await self.loop.run_in_executor(self._activity_pool, _call, entry, ctx, data)
                event = Event(EventType.ACTIVITY_COMPLETED, time.time(), task_id, None, to_json(result))
            except Exception as exc:
                failure = failure_json(FailureDetails.of(exc))
                event = Event(EventType.ACTIVITY_FAILED, time.time(), task_id, None, None, failure)
        inst = self._known.get(instance_id)
        if inst is None or inst.execution_id != execution_id:
            return  # the instance ended or moved on (terminate, continue-as-new): result dropped
        inst.inflight -= 1
        self._deliver(inst, event)

    def _arm(self, inst: _Instance, task_id: int, due: float) -> None:
        if inst.timers is None:
            inst.timers = {}
        if task_id in inst.timers:
            return
        delay = max(0.0, due - time.time())
        inst.timers[task_id] = self.loop.call_later(
            delay, self._fire, inst.instance_id, inst.execution_id, task_id, due
        )

    def _fire(self, instance_id: str, execution_id: str, task_id: int, due: float) -> None:
        inst = self._known.get(instance_id)
        if inst is None or inst.execution_id != execution_id:
            return
        if inst.timers is not None:
            inst.timers.pop(task_id, None)
        if task_id == -1:  # the delayed start is due
            started, inst.deferred = inst.deferred, None
            if started is not None and inst.execution is not None:
                unit = WriteUnit()
                self._apply(inst, started, unit)
                self._commit(inst, unit, None, status_changed=True)
            return
        # The loop's clock may run a hair ahead of the wall clock: never show a timer firing early.
        self._deliver(inst, Event(EventType.TIMER_FIRED, max(time.time(), due), task_id))

    def _cancel_timers(self, inst: _Instance) -> None:
        if inst.timers:
            for handle in inst.timers.values():
                handle.cancel()
        inst.timers = None

    def _create_child(
        self, parent_id: str, execution_id: str, task_id: int, name: str, data: str | None, child_id: str
    ) -> None:
        parent = self._known.get(parent_id)
        if parent is None or parent.execution_id != execution_id:
            return
        if child_id in self._known:
            self._child_failed(
                parent, task_id, DuplicateInstanceError(f"an instance with ID {child_id!r} is running")
            )
            return
        now = time.time()
        child_execution = uuid.uuid4().hex
        record = InstanceRecord(
            child_id,
            name,
            Status.RUNNING,
            now,
            now,
            data,
            None,
            None,
            None,
            parent_id,
            task_id,
            child_execution,
        )
        inst = _Instance(record)
        inst.next_seq = 1
        self._known[child_id] = inst
        self._children.setdefault(parent_id, set()).add(child_id)
        started = _started_event(name, data, now, child_execution)

        def created(error: BaseException | None) -> None:
            if error is None or self._known.get(child_id) is not inst:
                return
            inst.status = Status.FAILED  # the ID is taken by an instance another process started
            if inst.execution is not None:
                inst.execution.close()
            self._forget(inst)
            current = self._known.get(parent_id)
            if current is not None:
                self._child_failed(current, task_id, error)

        self._writer_or_fail().submit(
            WriteUnit(create=record, replace_terminal=True, events=[(child_id, 0, started)]), created
        )
        self._begin(inst, started)

    async def _recover_child(
        self, parent: _Instance, task_id: int, name: str, data: str | None, child_id: str
    ) -> None:
        if child_id in self._known:
            return  # restored and running: it reports back when it ends
        record = await self.get(child_id)
        if self._known.get(parent.instance_id) is not parent or child_id in self._known:
            return
        if record is None or record.parent_id != parent.instance_id:
            self._create_child(parent.instance_id, parent.execution_id, task_id, name, data, child_id)
        elif record.status.is_terminal:
            self._notify_parent(parent.instance_id, task_id, record)

    def _notify_parent(self, parent_id: str, task_id: int, child: InstanceRecord) -> None:
        parent = self._known.get(parent_id)
        if parent is None:
            return
        now = time.time()
        if child.status is Status.COMPLETED:
            self._deliver(parent, Event(EventType.CHILD_WORKFLOW_COMPLETED, now, task_id, None, child.output))
            return
        failure = child.failure or FailureDetails(
            f"child workflow {child.instance_id!r} was terminated", "WorkflowTerminatedError"
        )
        self._deliver(
            parent, Event(EventType.CHILD_WORKFLOW_FAILED, now, task_id, None, None, failure_json(failure))
        )

    def _child_failed(self, parent: _Instance, task_id: int, error: BaseException) -> None:
        failure = failure_json(FailureDetails(str(error), type(error).__name__))
        self._deliver(
            parent, Event(EventType.CHILD_WORKFLOW_FAILED, time.time(), task_id, None, None, failure)
        )


def _call(entry: Registered, ctx: WorkflowActivityContext, data: str | None) -> Any:
    """Call an activity (in a worker thread when it is sync); an async one returns its coroutine."""
    if entry.signature.takes_input:
        return entry.fn(ctx, from_json(data, entry.signature.input_type))
    return entry.fn(ctx)
