"""The engine as a service: start-up recovery, client operations, and the inbox.

``Engine`` adds to the step logic of ``Stepper`` what the outside sees: ``start``/``stop``
(recovering every unfinished instance from the store), the operations clients call (each
returns once its effect is durable), and the poll of the inbox where clients in other
processes leave their requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from builtin_engine._codec import to_json
from builtin_engine._errors import (
    DuplicateInstanceError,
    InstanceStateError,
    UnknownInstanceError,
    WorkflowEngineError,
)
from builtin_engine._history import Event, EventType
from builtin_engine._locking import StoreLock
from builtin_engine._registry import Registry
from builtin_engine._steps import EngineOptions, Stepper, _Instance, _started_event
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
__all__ = ["Engine", "EngineOptions", "running_engine"]

_RUNNING_ENGINES: dict[str, Engine] = {}


def running_engine(store_identity: str) -> Engine | None:
    """The engine running in this process on that store, if any (clients call it directly)."""
    return _RUNNING_ENGINES.get(store_identity)


class Engine(Stepper):
    """Runs the workflows of ``registry`` against ``store`` on the running asyncio loop."""

    def __init__(self, store: Store, registry: Registry, options: EngineOptions | None = None) -> None:
        super().__init__(store, registry, options)
        self._poller: asyncio.Task[None] | None = None
        self._poll_lock: asyncio.Lock | None = None
        self._inbox_cursor = 0
        self._lock: StoreLock | None = None
        self._running = False

    # -- lifecycle ------------------------------------------------------------------------------

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
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
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
