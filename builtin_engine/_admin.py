"""Client operations on a store, routed to wherever the engine runs.

If an engine runs on the store in this process, operations go to it directly (on its loop).
Otherwise they go to the store: reads as queries, writes as inbox messages that the engine
hosting the store (in another process) picks up within its poll interval. Payloads are JSON
text here; the SDK-shaped clients encode and decode around this.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from builtin_engine._context import to_timestamp
from builtin_engine._engine import Engine, running_engine
from builtin_engine._errors import InstanceStateError, UnknownInstanceError
from builtin_engine._sqlite import SQLiteStore, sqlite_path
from builtin_engine._state import (
    WorkflowHistoryEvent,
    WorkflowState,
    WorkflowStatePage,
    WorkflowStatus,
    history_events,
    stored_statuses,
)
from builtin_engine._steps import _started_event
from builtin_engine._store import InboxMessage, InstanceRecord, Status, Store

R = TypeVar("R")

#: where a runtime or client keeps its state when told nothing else
DEFAULT_STORE = Path(".flowport") / "workflows.db"
STORE_ENV = "FLOWPORT_STORE"


def resolve_store(store: Store | str | os.PathLike[str] | None) -> Store:
    """A store from a ``Store``, a SQLite URL or path, or the default.

    The default is the store of the engine running in this process if there is exactly one,
    else ``$FLOWPORT_STORE``, else ``./.flowport/workflows.db``.
    """
    if isinstance(store, Store):
        return store
    if store is None:
        from builtin_engine._engine import _RUNNING_ENGINES

        engines = list(_RUNNING_ENGINES.values())
        if len(engines) == 1:
            return engines[0].store
        store = os.environ.get(STORE_ENV) or DEFAULT_STORE
    return SQLiteStore(sqlite_path(store))


def new_instance_id() -> str:
    return uuid.uuid4().hex


def is_done(record: InstanceRecord | None) -> bool:
    return record is None or record.status.is_terminal


def has_started(record: InstanceRecord | None) -> bool:
    return record is None or record.status is not Status.PENDING


class DirectOps:
    """Blocking operations against the store itself, for processes without an engine."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._opened = False
        self._lock = threading.Lock()

    def ready(self) -> Store:
        if not self._opened:
            with self._lock:
                if not self._opened:
                    self.store.open()
                    self._opened = True
        return self.store

    def schedule(self, name: str, data: str | None, instance_id: str, start_at: float | None) -> str:
        now = time.time()
        execution_id = uuid.uuid4().hex
        record = InstanceRecord(instance_id, name, Status.PENDING, now, now, data, execution_id=execution_id)
        started = _started_event(name, data, max(now, start_at or now), execution_id)
        self.ready().post(InboxMessage(0, instance_id, "start"), record, started)
        return instance_id

    def _existing(self, instance_id: str) -> InstanceRecord:
        record = self.ready().get(instance_id)
        if record is None:
            raise UnknownInstanceError(f"no instance with ID {instance_id!r}", instance_id=instance_id)
        return record

    def raise_event(self, instance_id: str, name: str, data: str | None) -> None:
        if not self._existing(instance_id).status.is_terminal:
            self.store.post(InboxMessage(0, instance_id, "event", name, data))

    def terminate(self, instance_id: str, output: str | None, recursive: bool) -> None:
        if not self._existing(instance_id).status.is_terminal:
            self.store.post(
                InboxMessage(0, instance_id, "terminate", "recursive" if recursive else "", output)
            )

    def suspend(self, instance_id: str) -> None:
        record = self._existing(instance_id)
        if record.status.is_terminal:
            raise InstanceStateError(
                f"instance {instance_id!r} has finished; it cannot be suspended", instance_id=instance_id
            )
        self.store.post(InboxMessage(0, instance_id, "suspend"))

    def resume(self, instance_id: str) -> None:
        if self._existing(instance_id).status is not Status.SUSPENDED:
            raise InstanceStateError(f"instance {instance_id!r} is not suspended", instance_id=instance_id)
        self.store.post(InboxMessage(0, instance_id, "resume"))

    def purge(self, instance_id: str, recursive: bool) -> int:
        return self.ready().purge(instance_id, recursive)

    def get(self, instance_id: str) -> InstanceRecord | None:
        return self.ready().get(instance_id)

    def list_page(
        self,
        statuses: Sequence[WorkflowStatus],
        name: str | None,
        page_size: int,
        token: str | None,
        *,
        created_after: float | None = None,
        created_before: float | None = None,
        id_prefix: str | None = None,
    ) -> WorkflowStatePage:
        wanted = stored_statuses(statuses)
        if statuses and not wanted:
            return WorkflowStatePage([], None)
        page = self.ready().list_instances(
            wanted,
            name,
            page_size,
            token,
            created_after=created_after,
            created_before=created_before,
            id_prefix=id_prefix,
        )
        return WorkflowStatePage([WorkflowState.of(r) for r in page.records], page.token)

    def history(self, instance_id: str) -> list[WorkflowHistoryEvent]:
        store = self.ready()
        events = store.history(instance_id)
        if not events and store.get(instance_id) is None:
            raise UnknownInstanceError(f"no instance with ID {instance_id!r}", instance_id=instance_id)
        return history_events(events)

    def wait(
        self, instance_id: str, done: Callable[[InstanceRecord | None], bool], timeout_s: float | None
    ) -> InstanceRecord | None:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        pause = 0.005
        while True:
            record = self.get(instance_id)
            if done(record):
                return record
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"timed out waiting for instance {instance_id!r}")
            sleep = pause if deadline is None else min(pause, max(0.0, deadline - time.monotonic()))
            time.sleep(sleep)
            pause = min(pause * 2, 0.1)


def timeout_of(seconds: float) -> float | None:
    """Dapr's convention: 0 means wait forever."""
    return None if not seconds or seconds <= 0 else float(seconds)


def _bound(moment: datetime | None) -> float | None:
    """A time filter's bound in epoch seconds, half a microsecond early: stored times are
    shown rounded to the microsecond, so a bound copied from a shown time must include it."""
    return None if moment is None else moment.timestamp() - 0.5e-6


def start_time(start_at: datetime | None) -> float | None:
    return None if start_at is None else to_timestamp(start_at)


class WorkflowAdmin:
    """Async operations on one store with JSON-text payloads (what the gateway component uses).

    Beyond Dapr's client it lists instances and reads histories.
    """

    def __init__(self, store: Store | str | os.PathLike[str] | None = None) -> None:
        self.store = resolve_store(store)
        self.direct = DirectOps(self.store)

    def engine(self) -> Engine | None:
        engine = running_engine(self.store.identity)
        return engine if engine is not None and engine.running else None

    async def _route(self, on_engine: Callable[[Engine], Awaitable[R]], direct: Callable[[], R]) -> R:
        engine = self.engine()
        if engine is None:
            return await asyncio.to_thread(direct)
        if engine.loop is asyncio.get_running_loop():
            return await on_engine(engine)

        async def call() -> R:
            return await on_engine(engine)

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), engine.loop))

    async def schedule(
        self,
        name: str,
        serialized_input: str | None,
        instance_id: str | None = None,
        start_at: datetime | None = None,
    ) -> str:
        """Create an instance and return its ID once the start is durable."""
        iid = instance_id or new_instance_id()
        at = start_time(start_at)
        return await self._route(
            lambda e: e.schedule(name, serialized_input, iid, at),
            lambda: self.direct.schedule(name, serialized_input, iid, at),
        )

    async def raise_event(self, instance_id: str, event_name: str, serialized_data: str | None) -> None:
        await self._route(
            lambda e: e.raise_event(instance_id, event_name, serialized_data),
            lambda: self.direct.raise_event(instance_id, event_name, serialized_data),
        )

    async def terminate(
        self, instance_id: str, serialized_output: str | None = None, recursive: bool = True
    ) -> None:
        await self._route(
            lambda e: e.terminate(instance_id, serialized_output, recursive),
            lambda: self.direct.terminate(instance_id, serialized_output, recursive),
        )

    async def suspend(self, instance_id: str, reason: str | None = None) -> None:
        await self._route(lambda e: e.suspend(instance_id, reason), lambda: self.direct.suspend(instance_id))

    async def resume(self, instance_id: str, reason: str | None = None) -> None:
        await self._route(lambda e: e.resume(instance_id, reason), lambda: self.direct.resume(instance_id))

    async def purge(self, instance_id: str, recursive: bool = True) -> int:
        """Delete a finished instance (and its finished children); how many went."""
        return await self._route(
            lambda e: e.purge(instance_id, recursive), lambda: self.direct.purge(instance_id, recursive)
        )

    async def state(self, instance_id: str, *, fetch_payloads: bool = True) -> WorkflowState | None:
        record = await asyncio.to_thread(self.direct.get, instance_id)
        return None if record is None else WorkflowState.of(record, fetch_payloads=fetch_payloads)

    async def wait(
        self,
        instance_id: str,
        done: Callable[[InstanceRecord | None], bool],
        timeout_s: float | None,
        *,
        fetch_payloads: bool = True,
    ) -> WorkflowState | None:
        """Wait until ``done(record)``; ``TimeoutError`` after ``timeout_s`` seconds (None = forever)."""
        record = await self._route(
            lambda e: e.wait(instance_id, done, timeout_s),
            lambda: self.direct.wait(instance_id, done, timeout_s),
        )
        return None if record is None else WorkflowState.of(record, fetch_payloads=fetch_payloads)

    async def list_instances(
        self,
        statuses: Sequence[WorkflowStatus] = (),
        workflow_name: str | None = None,
        page_size: int = 100,
        continuation_token: str | None = None,
        *,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        id_prefix: str | None = None,
    ) -> WorkflowStatePage:
        """One page of instances, newest first; ``created_after`` (inclusive) and
        ``created_before`` (exclusive) are aware datetimes, ``id_prefix`` a case-sensitive
        start of the instance ID."""
        return await asyncio.to_thread(
            self.direct.list_page,
            statuses,
            workflow_name,
            page_size,
            continuation_token,
            created_after=_bound(created_after),
            created_before=_bound(created_before),
            id_prefix=id_prefix,
        )

    async def history(self, instance_id: str) -> list[WorkflowHistoryEvent]:
        """The instance's events, oldest first; ``UnknownInstanceError`` for an unknown ID."""
        return await asyncio.to_thread(self.direct.history, instance_id)
