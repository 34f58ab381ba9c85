"""The engine: instances, their steps, and the activities, timers and children they drive.

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
import contextlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from builtin_engine._codec import from_json, to_json
from builtin_engine._context import WorkflowActivityContext
from builtin_engine._errors import (
    DuplicateInstanceError,
    FailureDetails,
    InstanceStateError,
    NonDeterminismError,
    UnknownInstanceError,
    WorkflowEngineError,
)
from builtin_engine._history import Event, EventType
from builtin_engine._locking import StoreLock
from builtin_engine._registry import Registered, Registry
from builtin_engine._replay import DurableTask, Execution, Outcome, TimerTask, failure_json
from builtin_engine._store import (
    InboxMessage,
    InstanceRecord,
    Page,
    Status,
    Store,
    WriteUnit,
)
from builtin_engine._writer import Callback, GroupCommitter

log = logging.getLogger("builtin_engine")
R = TypeVar("R")

_RUNNING_ENGINES: dict[str, Engine] = {}


def running_engine(store_identity: str) -> Engine | None:
    """The engine running in this process on that store, if any (clients call it directly)."""
    return _RUNNING_ENGINES.get(store_identity)


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


class Engine:
    """Runs the workflows of ``registry`` against ``store`` on the running asyncio loop."""

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
        self._activities: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._poll_lock: asyncio.Lock | None = None
        self._inbox_cursor = 0
        self._lock: StoreLock | None = None
        self._running = False

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the engine is not started")
        return self._loop

    @property
    def running(self) -> bool:
        return self._running

    async def start(self) -> None:
        """Open the store, recover every unfinished instance, and start serving."""
        self._loop = asyncio.get_running_loop()
        self._lock = StoreLock.acquire(self.store.identity)
        try:
            self._read_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="flowport-read")
            self._activity_pool = ThreadPoolExecutor(
                max_workers=self.options.thread_pool_workers, thread_name_prefix="flowport-activity"
            )
            self._slots = asyncio.Semaphore(self.options.max_concurrent_activities)
            self._poll_lock = asyncio.Lock()
            await self._read(self.store.open)
            active = await self._read(self.store.load_active)
            self._writer = GroupCommitter(self.store, self._loop)
            self._writer.start()
            self._running = True
            for record, events in active:
                self._restore(record, events)
            await self._poll_once()
            self._poller = self._loop.create_task(self._poll_forever(), name="flowport-inbox")
        except BaseException:
            await self.stop()
            raise
        _RUNNING_ENGINES[self.store.identity] = self

    async def stop(self) -> None:
        """Stop serving: in-flight activities are abandoned (they re-run after a restart)."""
        self._running = False
        if _RUNNING_ENGINES.get(self.store.identity) is self:
            del _RUNNING_ENGINES[self.store.identity]
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        for task in list(self._activities):
            task.cancel()
        for inst in list(self._known.values()):
            self._cancel_timers(inst)
            if inst.execution is not None:
                inst.execution.close()
        self._known.clear()
        self._live.clear()
        if self._writer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._writer.stop)
        if self._activity_pool is not None:
            self._activity_pool.shutdown(wait=False, cancel_futures=True)
        if self._read_pool is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.store.close)
            self._read_pool.shutdown(wait=True)
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    async def _read(self, fn: Callable[..., R], *args: Any) -> R:
        return await self.loop.run_in_executor(self._read_pool, fn, *args)

    # -- operations for clients ----------------------------------------------------------------

    async def schedule(
        self, name: str, serialized_input: str | None, instance_id: str, start_at: float | None = None
    ) -> str:
        """Create and start an instance; returns once the start is durable."""
        self._check_running()
        if instance_id in self._known:
            raise DuplicateInstanceError(
                f"an instance with ID {instance_id!r} already exists", instance_id=instance_id
            )
        now = time.time()
        execution_id = uuid.uuid4().hex
        record = InstanceRecord(
            instance_id, name, Status.PENDING, now, now, serialized_input, execution_id=execution_id
        )
        inst = _Instance(record)
        started = _started_event(name, serialized_input, max(now, start_at or now), execution_id)
        inst.next_seq = 1
        inst.created = self.loop.create_future()
        self._known[instance_id] = inst
        try:
            await self._writer_or_fail().submit_and_wait(
                WriteUnit(create=record, events=[(instance_id, 0, started)])
            )
        except BaseException as exc:
            if self._known.get(instance_id) is inst:
                del self._known[instance_id]
            inst.created.set_exception(exc)
            inst.created.exception()  # retrieved: waiters re-check the instance themselves
            raise
        inst.created.set_result(None)
        inst.created = None
        self._begin(inst, started)
        return instance_id

    async def raise_event(self, instance_id: str, event_name: str, serialized_data: str | None) -> None:
        """Deliver an event (kept until the workflow waits for it); returns once durable."""
        inst = await self._active(instance_id)
        if inst is None:
            return  # a finished instance ignores events, as in Dapr
        event = Event(EventType.EVENT_RAISED, time.time(), -1, event_name, serialized_data)
        await self._acked(lambda ack: self._deliver(inst, event, ack))

    async def terminate(
        self, instance_id: str, serialized_output: str | None = None, recursive: bool = True
    ) -> None:
        """Terminate a non-terminal instance (and its children); a no-op on a finished one."""
        inst = await self._active(instance_id)
        if inst is not None:
            await self._acked(lambda ack: self._terminate(inst, serialized_output, recursive, ack))

    async def suspend(self, instance_id: str, reason: str | None = None) -> None:
        """Suspend: the instance makes no progress and buffers events until resumed."""
        inst = await self._active(instance_id)
        if inst is None:
            raise InstanceStateError(
                f"instance {instance_id!r} has finished; it cannot be suspended", instance_id=instance_id
            )
        if inst.status is Status.SUSPENDED:
            return
        event = Event(EventType.WORKFLOW_SUSPENDED, time.time(), -1, None, to_json(reason))
        await self._acked(lambda ack: self._deliver(inst, event, ack))

    async def resume(self, instance_id: str, reason: str | None = None) -> None:
        """Resume a suspended instance and deliver the events it buffered."""
        inst = await self._active(instance_id)
        if inst is None or inst.status is not Status.SUSPENDED:
            raise InstanceStateError(f"instance {instance_id!r} is not suspended", instance_id=instance_id)
        event = Event(EventType.WORKFLOW_RESUMED, time.time(), -1, None, to_json(reason))
        await self._acked(lambda ack: self._deliver(inst, event, ack))

    async def purge(self, instance_id: str, recursive: bool = True) -> int:
        """Delete a finished instance (and its finished children); how many instances went."""
        self._check_running()
        if instance_id in self._known:
            raise InstanceStateError(
                f"instance {instance_id!r} is {self._known[instance_id].status.value}; only completed, "
                "failed or terminated instances can be purged",
                instance_id=instance_id,
            )
        await self._writer_or_fail().flush()
        return await self._read(self.store.purge, instance_id, recursive, frozenset(self._known))

    async def get(self, instance_id: str) -> InstanceRecord | None:
        return await self._read(self.store.get, instance_id)

    async def history(self, instance_id: str) -> list[tuple[int, Event]]:
        return await self._read(self.store.history, instance_id)

    async def list_instances(
        self, statuses: Sequence[Status], name: str | None, page_size: int, token: str | None
    ) -> Page:
        return await self._read(self.store.list_instances, statuses, name, page_size, token)

    async def wait(
        self, instance_id: str, done: Callable[[InstanceRecord | None], bool], timeout_s: float | None
    ) -> InstanceRecord | None:
        """Wait until ``done(record)``; ``TimeoutError`` after ``timeout_s`` seconds."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            wake = asyncio.Event()
            self._watchers.setdefault(instance_id, []).append(wake.set)
            try:
                record = await self.get(instance_id)
                if done(record):
                    return record
                remaining = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
                if remaining <= 0:
                    raise TimeoutError(f"timed out waiting for instance {instance_id!r}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), remaining)
            finally:
                watchers = self._watchers.get(instance_id)
                if watchers is not None:
                    watchers.remove(wake.set)
                    if not watchers:
                        del self._watchers[instance_id]

    def _check_running(self) -> None:
        if not self._running:
            raise WorkflowEngineError("the workflow engine is not running")

    def _writer_or_fail(self) -> GroupCommitter:
        if self._writer is None:
            raise WorkflowEngineError("the workflow engine is not running")
        return self._writer

    async def _active(self, instance_id: str) -> _Instance | None:
        """The live instance, ``None`` if it finished; ``UnknownInstanceError`` if there is none."""
        self._check_running()
        inst = self._known.get(instance_id)
        if inst is None:
            record = await self.get(instance_id)
            if record is None:
                raise UnknownInstanceError(f"no instance with ID {instance_id!r}", instance_id=instance_id)
            if record.status.is_terminal:
                return None
            await self._poll_once()  # started by another process and not adopted yet
            inst = self._known.get(instance_id)
            if inst is None:
                return None
        if inst.created is not None:
            await asyncio.shield(inst.created)
        return inst

    async def _acked(self, act: Callable[[Callback], None]) -> None:
        future: asyncio.Future[None] = self.loop.create_future()

        def ack(error: BaseException | None) -> None:
            if future.done():
                return
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

        act(ack)
        await future

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
        if inst.execution is None:
            inst.backlog.append((event, ack, list(inbox_ids)))
            if not inst.loading:
                inst.loading = True
                self.loop.create_task(self._load(inst))
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
            if ids:
                self._writer_or_fail().submit(WriteUnit(inbox_done=ids))
            if held_ack is not None:
                held_ack(None)
        inst.backlog = []
        if recursive:
            for child_id in sorted(self._children.pop(inst.instance_id, ())):
                child = self._known.get(child_id)
                if child is not None:
                    self._terminate(child, None, True, None)
        if inst.parent_id is not None:
            self.loop.call_soon(self._notify_parent, inst.parent_id, inst.parent_task_id, inst.record())

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
            if self._known.get(inst.instance_id) is not inst:
                if ack is not None:
                    ack(None)
                continue
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
                    self.loop.create_task(
                        self._recover_child(inst, task_id, action.name or "", action.data, action.extra or "")
                    )

    # -- activities, timers, children -----------------------------------------------------------

    def _start_activity(self, inst: _Instance, task_id: int, name: str, data: str | None) -> None:
        inst.inflight += 1
        task = self.loop.create_task(
            self._run_activity(inst.instance_id, inst.execution_id, task_id, name, data)
        )
        self._activities.add(task)
        task.add_done_callback(self._activities.discard)

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
            delay, self._fire, inst.instance_id, inst.execution_id, task_id
        )

    def _fire(self, instance_id: str, execution_id: str, task_id: int) -> None:
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
        self._deliver(inst, Event(EventType.TIMER_FIRED, time.time(), task_id))

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

    # -- the inbox --------------------------------------------------------------------------------

    async def _poll_forever(self) -> None:
        while self._running:
            await asyncio.sleep(self.options.poll_interval)
            try:
                await self._poll_once()
            except Exception:
                log.exception("reading the inbox failed")

    async def _poll_once(self) -> None:
        assert self._poll_lock is not None
        async with self._poll_lock:
            messages = await self._read(self.store.read_inbox, self._inbox_cursor, 1000)
            for message in messages:
                self._inbox_cursor = max(self._inbox_cursor, message.id)
                await self._handle(message)

    async def _handle(self, message: InboxMessage) -> None:
        inst = self._known.get(message.instance_id)
        done = [message.id]
        if message.kind == "start":
            if inst is None:
                record = await self.get(message.instance_id)
                history = await self.history(message.instance_id)
                if (
                    record is not None
                    and not record.status.is_terminal
                    and message.instance_id not in self._known
                ):
                    self._adopt(record, history)
            self._writer_or_fail().submit(WriteUnit(inbox_done=done))
        elif inst is None or inst.created is not None:
            self._writer_or_fail().submit(WriteUnit(inbox_done=done))
        elif message.kind == "event":
            self._deliver(
                inst, Event(EventType.EVENT_RAISED, time.time(), -1, message.name, message.data), None, done
            )
        elif message.kind == "terminate":
            self._terminate(inst, message.data, message.name == "recursive", None, done)
        elif message.kind == "suspend" and inst.status is not Status.SUSPENDED:
            self._deliver(inst, Event(EventType.WORKFLOW_SUSPENDED, time.time()), None, done)
        elif message.kind == "resume" and inst.status is Status.SUSPENDED:
            self._deliver(inst, Event(EventType.WORKFLOW_RESUMED, time.time()), None, done)
        else:
            self._writer_or_fail().submit(WriteUnit(inbox_done=done))

    def _adopt(self, record: InstanceRecord, history: list[tuple[int, Event]]) -> None:
        """Take over an instance another process created."""
        if len(history) == 1 and history[0][1].type is EventType.WORKFLOW_STARTED:
            inst = _Instance(record)
            inst.next_seq = 1
            self._known[inst.instance_id] = inst
            self._begin(inst, history[0][1])
        else:
            self._restore(record, history)


def _call(entry: Registered, ctx: WorkflowActivityContext, data: str | None) -> Any:
    """Call an activity (in a worker thread when it is sync); an async one returns its coroutine."""
    if entry.signature.takes_input:
        return entry.fn(ctx, from_json(data, entry.signature.input_type))
    return entry.fn(ctx)
