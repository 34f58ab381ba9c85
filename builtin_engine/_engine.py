"""The engine: its lifecycle, and the operations clients call.

``Engine`` is the composition root of a running engine. ``start`` opens the store, builds the
parts (``Services``, the ``InstanceCache``, the ``Stepper``, the ``Dispatcher``, the ``Inbox``,
and ``Retention`` when finished instances are kept for a limited time),
recovers every unfinished instance, and starts reading the inbox; ``stop`` undoes it. The
client operations (``schedule``, ``send`` a ``Command``, ``purge``, ``get``, ``wait``,
``list_instances``, ``history``) return once their effect is durable; clients reach them
through ``_client.WorkflowAdmin``, which chooses this engine when it runs in their process and
the store's inbox otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from builtin_engine._cache import Instance, InstanceCache
from builtin_engine._codec import to_json
from builtin_engine._commands import Command, CommandKind, InboxMessage, admit
from builtin_engine._dispatch import Dispatcher
from builtin_engine._errors import (
    DuplicateInstanceError,
    InstanceStateError,
    InvalidRerunError,
    UnknownInstanceError,
    WorkflowEngineError,
)
from builtin_engine._history import Event, EventType, new_execution_id
from builtin_engine._inbox import Inbox
from builtin_engine._locking import StoreLock
from builtin_engine._registry import Registry
from builtin_engine._remote import RemoteWorkers
from builtin_engine._rerun import forked_history
from builtin_engine._retention import Retention, RetentionPolicy
from builtin_engine._services import Services
from builtin_engine._stats import EngineStats
from builtin_engine._step import Stepper
from builtin_engine._store import (
    InstanceQuery,
    InstanceRecord,
    Page,
    Status,
    Store,
    Stored,
    WriteUnit,
    client_start,
)
from builtin_engine._tracing import WorkTracer
from builtin_engine._writer import Callback, future_callback

__all__ = ["Engine", "EngineOptions", "running_engine"]

_RUNNING_ENGINES: dict[str, Engine] = {}


def running_engine(store_identity: str) -> Engine | None:
    """The engine running in this process on that store, if any (clients call it directly)."""
    return _RUNNING_ENGINES.get(store_identity)


def running_engines() -> list[Engine]:
    return list(_RUNNING_ENGINES.values())


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
    #: how long finished instances are kept (``None``: forever)
    retention: RetentionPolicy | None = None
    #: run workflows (and activities) no runtime here registers on remote SDK workers
    #: (``_remote``), instead of failing them as unknown
    remote_workers: bool = False


class Engine:
    """Runs the workflows of ``registry`` against ``store`` on the running asyncio loop."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        options: EngineOptions | None = None,
        *,
        tracer: WorkTracer | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.options = options or EngineOptions()
        self.tracer = tracer
        self.cache = InstanceCache(self.options.max_cached_instances)
        self._services: Services | None = None
        self._step: Stepper | None = None
        self._dispatch: Dispatcher | None = None
        self._inbox: Inbox | None = None
        self._retention: Retention | None = None
        self._remote: RemoteWorkers | None = None
        self._poller: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._lock: StoreLock | None = None
        self._running = False

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self.services.loop

    @property
    def services(self) -> Services:
        if self._services is None:
            raise WorkflowEngineError("the workflow engine is not running")
        return self._services

    @property
    def step(self) -> Stepper:
        if self._step is None:
            raise WorkflowEngineError("the workflow engine is not running")
        return self._step

    @property
    def dispatch(self) -> Dispatcher:
        if self._dispatch is None:
            raise WorkflowEngineError("the workflow engine is not running")
        return self._dispatch

    @property
    def remote(self) -> RemoteWorkers:
        """Remote SDK workers: how they connect, take work and answer (``_remote``)."""
        if self._remote is None:
            raise WorkflowEngineError("the workflow engine is not running")
        return self._remote

    @property
    def retention(self) -> Retention | None:
        """The retention sweeper, when the options keep finished instances for a time."""
        return self._retention

    @property
    def inbox(self) -> Inbox:
        if self._inbox is None:
            raise WorkflowEngineError("the workflow engine is not running")
        return self._inbox

    async def start(self) -> None:
        """Open the store, recover every unfinished instance, and start serving."""
        loop = asyncio.get_running_loop()
        self._lock = StoreLock.acquire(self.store.identity)
        try:
            services = self._services = Services(self.store, loop, self.cache, self.tracer)
            await services.read(self.store.open)
            active = await services.read(self.store.load_active)
            dispatch = self._dispatch = Dispatcher(
                self.registry,
                self.cache,
                services,
                max_concurrent_activities=self.options.max_concurrent_activities,
                thread_pool_workers=self.options.thread_pool_workers,
            )
            remote = self._remote = RemoteWorkers(
                self.cache, services, dispatch, enabled=self.options.remote_workers
            )
            step = self._step = Stepper(self.registry, self.cache, services, dispatch, remote)
            dispatch.bind(step, remote)
            remote.bind(step)
            self.cache.bind(
                self._durable_state,
                lambda inst, stored: step.rebuild(inst, stored, recovering=False),
                step.deliver,
            )
            self._inbox = Inbox(services, self.options.poll_interval, self._take)
            services.writer.start()
            self._running = True
            for stored in active:
                step.restore(stored)
            await self._inbox.poll()
            self._poller = loop.create_task(self._inbox.run(lambda: self._running), name="flowport-inbox")
            retention = self.options.retention
            if retention is not None and retention.keep():
                self._retention = Retention(retention, services)
                self._sweeper = loop.create_task(
                    self._retention.run(lambda: self._running), name="flowport-retention"
                )
        except BaseException:
            await self.stop()
            raise
        _RUNNING_ENGINES[self.store.identity] = self

    async def stop(self) -> None:
        """Stop serving: in-flight activities are abandoned (they re-run after a restart)."""
        self._running = False
        if _RUNNING_ENGINES.get(self.store.identity) is self:
            del _RUNNING_ENGINES[self.store.identity]
        for task in (self._poller, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._poller = self._sweeper = None
        if self._dispatch is not None:
            self._dispatch.close()
            for inst in self.cache.clear():
                self._dispatch.cancel_timers(inst)
                if inst.execution is not None:
                    inst.execution.close()
        if self._services is not None:
            await self._services.close()
        if self._remote is not None:
            for worker in list(self._remote.workers):
                worker.close()
        self._services = self._step = self._dispatch = self._inbox = self._retention = self._remote = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    async def stats(self) -> EngineStats:
        """A snapshot of the engine's counters and gauges (two small store reads)."""
        services, dispatch, inbox = self.services, self.dispatch, self.inbox
        counts = await services.read(self.store.count_by_status)
        waiting, oldest = await services.read(self.store.inbox_backlog, inbox.cursor)
        cache, writer, remote = self.cache, services.writer, self.remote
        turns_queued, activities_queued = remote.queued
        turns_running, activities_running = remote.running
        return EngineStats(
            instances={status.value: counts.get(status, 0) for status in Status},
            steps_applied=self.step.steps,
            activities_running=dispatch.running,
            activities_queued=len(dispatch.queued),
            activities_started=dispatch.started,
            activity_wait_seconds=dispatch.wait_seconds,
            timers_pending=sum(len(inst.timers) for inst in cache.known.values() if inst.timers),
            commits=writer.batches,
            committed_writes=writer.units,
            commit_seconds=writer.commit_seconds,
            cached_instances=len(cache.live),
            cache_capacity=cache.capacity,
            cache_hits=cache.hits,
            cache_misses=cache.misses,
            cache_evictions=cache.evictions,
            inbox_waiting=waiting,
            inbox_lag_seconds=max(0.0, time.time() - oldest) if oldest is not None else 0.0,
            remote_workers=remote.connected,
            remote_turns_queued=turns_queued,
            remote_activities_queued=activities_queued,
            remote_turns_running=turns_running,
            remote_activities_running=activities_running,
            remote_turns_done=remote.turns_done,
            remote_activities_done=remote.activities_done,
        )

    # -- operations for clients -------------------------------------------------------------------

    async def schedule(
        self,
        name: str,
        serialized_input: str | None,
        instance_id: str,
        start_at: float | None = None,
        *,
        replace_terminal: bool = False,
        trace_context: Mapping[str, str] | None = None,
    ) -> str:
        """Create and start an instance; returns once the start is durable.

        ``DuplicateInstanceError`` when the ID is in use; with ``replace_terminal`` a finished
        instance under that ID is replaced (Durable Task's rule), a running one never is. With a
        ``trace_context`` its work is reported to the engine's tracer (see ``_tracing``).
        """
        self._check_running()
        if instance_id in self.cache.known:
            raise DuplicateInstanceError(
                f"an instance with ID {instance_id!r} already exists", instance_id=instance_id
            )
        trace = dict(trace_context) if trace_context else None
        record, started = client_start(name, serialized_input, instance_id, start_at, trace)
        step = self.step
        inst = step.new_instance(record)
        inst.trace = trace
        created = inst.created = self.loop.create_future()
        self.cache.add(inst)
        try:
            await self.services.writer.submit_and_wait(
                step.creation(record, started, replace_terminal=replace_terminal)
            )
        except BaseException as exc:
            if self.cache.is_current(inst):
                self.cache.forget(inst)
            created.set_exception(exc)
            created.exception()  # retrieved: waiters re-check the instance themselves
            raise
        created.set_result(None)
        inst.created = None
        step.begin(inst, started)
        return instance_id

    async def send(self, command: Command) -> None:
        """Carry out a command on an existing instance; returns once its effect is durable.

        ``UnknownInstanceError`` / ``InstanceStateError`` as ``admit`` rules; a moot command (an
        event for a finished instance) is accepted and does nothing, as in Dapr.
        """
        inst = await self._active(command.instance_id)
        record = inst.record if inst is not None else await self.get(command.instance_id)
        if not admit(command, record):
            return
        if inst is None:
            # Created by another process and not taken over yet: leave it in the inbox, where
            # the engine reads it after the start.
            await self.services.read(self.store.post, command)
            return
        future: asyncio.Future[None] = self.loop.create_future()
        self._carry_out(inst, command, future_callback(future))
        await future

    async def purge(self, instance_id: str, recursive: bool = True) -> int:
        """Delete a finished instance (and its finished children); how many instances went."""
        self._check_running()
        live = self.cache.known.get(instance_id)
        if live is not None:
            raise InstanceStateError(
                f"instance {instance_id!r} is {live.record.status.value}; only completed, failed or "
                "terminated instances can be purged",
                instance_id=instance_id,
            )
        await self.services.writer.flush()
        return await self.services.read(self.store.purge, instance_id, recursive, frozenset(self.cache.known))

    async def get(self, instance_id: str) -> InstanceRecord | None:
        """An instance's last durable row: from memory while it runs, else from the store."""
        inst = self.cache.known.get(instance_id)
        if inst is not None and inst.committed is not None:
            return inst.committed
        return await self.services.read(self.store.get, instance_id)

    async def wait(
        self, instance_id: str, done: Callable[[InstanceRecord | None], bool], timeout_s: float | None
    ) -> InstanceRecord | None:
        """Wait until ``done(record)`` holds for a durable record; ``TimeoutError`` after
        ``timeout_s`` seconds (``None``: no limit)."""
        loop = self.loop
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        reached: list[asyncio.Future[InstanceRecord]] = []

        def watcher(record: InstanceRecord) -> None:
            if reached and not reached[-1].done() and done(record):
                reached[-1].set_result(record)

        stop_watching = self.services.watch(instance_id, watcher)  # before the read: miss nothing
        try:
            while True:
                # The future exists before the read: a commit that lands while the read is at
                # the store (an instance not in memory) resolves it, rather than being missed.
                reached.append(loop.create_future())
                record = await self.get(instance_id)
                if done(record):
                    return record
                # Woken by the first commit that satisfies ``done``. A purge (by a client in
                # another process) commits no record, hence a look at the store every second.
                remaining = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
                if remaining <= 0:
                    raise TimeoutError(f"timed out waiting for instance {instance_id!r}")
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(reached[-1], remaining)
        finally:
            stop_watching()

    async def list_instances(self, query: InstanceQuery) -> Page:
        return await self.services.read(self.store.list_instances, query)

    async def history(self, instance_id: str, *, flush: bool = False) -> list[tuple[int, Event]]:
        """An instance's stored events with their sequence numbers; with ``flush``, once every
        write queued so far is committed (the history as the engine holds it now)."""
        if flush:
            await self.services.writer.flush()
        return await self.services.read(self.store.history, instance_id)

    async def rerun(
        self,
        source_id: str,
        event_id: int,
        new_instance_id: str,
        *,
        overwrite_input: bool = False,
        new_input: str | None = None,
        new_child_id: str | None = None,
    ) -> str:
        """Start ``new_instance_id`` from the history of the finished ``source_id`` cut at its
        task ``event_id`` (``_rerun``); returns once the new instance is durable.

        ``UnknownInstanceError`` for an unknown source, ``InstanceStateError`` for one still
        running, ``DuplicateInstanceError`` when the new ID exists, ``InvalidRerunError`` for an
        event a rerun cannot start from.
        """
        self._check_running()
        if new_instance_id == source_id:
            raise InvalidRerunError("a rerun needs a new instance ID, not the source's")
        source = await self.get(source_id)
        if source is None:
            raise UnknownInstanceError(f"no instance with ID {source_id!r}", instance_id=source_id)
        if not source.status.is_terminal:
            raise InstanceStateError(
                f"instance {source_id!r} is {source.status.value}; only a finished instance can be rerun",
                instance_id=source_id,
            )
        if new_instance_id in self.cache.known:
            raise DuplicateInstanceError(
                f"an instance with ID {new_instance_id!r} already exists", instance_id=new_instance_id
            )
        now = time.time()
        record = InstanceRecord(
            instance_id=new_instance_id,
            name=source.name,
            status=Status.RUNNING,
            created_at=now,
            updated_at=now,
            input=source.input,
            execution_id=new_execution_id(),
        )
        events = forked_history(
            [event for _, event in await self.history(source_id, flush=True)],
            event_id,
            new_instance_id,
            record.execution_id,
            overwrite_input=overwrite_input,
            new_input=new_input,
            new_child_id=new_child_id,
        )
        history = list(enumerate(events))
        unit = WriteUnit(create=record, events=[(new_instance_id, seq, event) for seq, event in history])
        await self.services.writer.submit_and_wait(unit)
        if new_instance_id not in self.cache.known:
            self.step.restore(Stored(record, history, []))
        return new_instance_id

    # -- carrying out commands --------------------------------------------------------------------

    def _carry_out(
        self, inst: Instance, command: Command, ack: Callback | None, inbox_ids: Sequence[int] = ()
    ) -> None:
        kind = command.kind
        step = self.step
        if kind is CommandKind.TERMINATE:
            step.terminate(inst, command.data, command.recursive, ack, inbox_ids)
            return
        now = time.time()
        if kind is CommandKind.RAISE_EVENT:
            event = Event(EventType.EVENT_RAISED, now, name=command.name, data=command.data)
        elif kind is CommandKind.SUSPEND:
            event = Event(EventType.WORKFLOW_SUSPENDED, now, data=to_json(command.reason))
        elif kind is CommandKind.RESUME:
            event = Event(EventType.WORKFLOW_RESUMED, now, data=to_json(command.reason))
        else:
            raise AssertionError(f"{kind} is not carried out on a running instance")
        step.deliver(inst, event, ack, inbox_ids)

    async def _take(self, message: InboxMessage) -> None:
        """Carry out a command from the inbox (a client in another process)."""
        command = message.command
        done = [message.id]
        inst = self.cache.known.get(command.instance_id)
        if command.kind is CommandKind.START:
            if inst is None:
                record = await self.services.read(self.store.get, command.instance_id)
                history = await self.history(command.instance_id)
                if (
                    record is not None
                    and not record.status.is_terminal
                    and command.instance_id not in self.cache.known
                ):
                    self.step.adopt(record, history)
            self.services.writer.submit(WriteUnit(inbox_done=done))
            return
        try:
            effective = inst is not None and inst.created is None and admit(command, inst.record)
        except WorkflowEngineError:  # checked by the client against an older state: moot now
            effective = False
        if inst is None or not effective:
            self.services.writer.submit(WriteUnit(inbox_done=done))
            return
        self._carry_out(inst, command, None, done)

    # -- helpers ----------------------------------------------------------------------------------

    def _check_running(self) -> None:
        if not self._running:
            raise WorkflowEngineError("the workflow engine is not running")

    async def _active(self, instance_id: str) -> Instance | None:
        """The running instance; ``None`` if it is not running here (finished, or not adopted yet)."""
        self._check_running()
        inst = self.cache.known.get(instance_id)
        if inst is None:
            record = await self.get(instance_id)
            if record is None or record.status.is_terminal:
                return None
            await self.inbox.poll()  # started by another process and not adopted yet
            inst = self.cache.known.get(instance_id)
            if inst is None:
                return None
        if inst.created is not None:
            await asyncio.shield(inst.created)
        return inst

    async def _durable_state(self, instance_id: str) -> Stored:
        """An instance as the store holds it once everything queued for it is written (cold
        replay)."""
        await self.services.writer.flush()
        history = await self.history(instance_id)
        pending = await self.services.read(self.store.pending, instance_id)
        return Stored(self.cache.known[instance_id].record, history, pending)
