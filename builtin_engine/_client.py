"""The one client path: every client operation, routed to the engine or to the store.

A ``Backend`` is what client operations run against; there are two:

- the ``Engine`` itself, when one runs on the store in this process: operations run on its
  loop (directly from that loop, through ``run_coroutine_threadsafe`` from any other thread);
- ``StoreBackend``, for a process without an engine: reads are queries, and commands go to the
  store's inbox, which the engine hosting the store (in another process) reads within its poll
  interval.

``WorkflowAdmin`` chooses the backend for each call, in one place (``_call``), and is the async
client with JSON-text payloads that everything else wraps: the gateway component uses it as
is, ``aio.DaprWorkflowClient`` encodes Python values around it, and the synchronous
``DaprWorkflowClient`` runs the async one. Adding an operation: a ``Command`` kind (or a
``Backend`` method) and one method here.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar

from builtin_engine._commands import Command, CommandKind, admit
from builtin_engine._context import to_timestamp
from builtin_engine._engine import Engine, running_engine, running_engines
from builtin_engine._errors import UnknownInstanceError
from builtin_engine._history import Event
from builtin_engine._sqlite import SQLiteStore, sqlite_path
from builtin_engine._state import (
    WorkflowHistoryEvent,
    WorkflowState,
    WorkflowStatePage,
    WorkflowStatus,
    history_events,
    stored_statuses,
)
from builtin_engine._store import InstanceQuery, InstanceRecord, Page, Status, Store, client_start

R = TypeVar("R")

#: where a runtime or client keeps its state when told nothing else
DEFAULT_STORE = Path(".flowport") / "workflows.db"
STORE_ENV = "FLOWPORT_STORE"

#: decides, from an instance's durable record (``None``: there is none), whether a wait is over
Done = Callable[[InstanceRecord | None], bool]


def resolve_store(store: Store | str | os.PathLike[str] | None) -> Store:
    """A store from a ``Store``, a SQLite URL or path, or the default.

    The default is the store of the engine running in this process if there is exactly one,
    else ``$FLOWPORT_STORE``, else ``./.flowport/workflows.db``.
    """
    if isinstance(store, Store):
        return store
    if store is None:
        engines = running_engines()
        if len(engines) == 1:
            return engines[0].store
        store = os.environ.get(STORE_ENV) or DEFAULT_STORE
    return SQLiteStore(sqlite_path(store))


def is_done(record: InstanceRecord | None) -> bool:
    return record is None or record.status.is_terminal


def has_started(record: InstanceRecord | None) -> bool:
    return record is None or record.status is not Status.PENDING


def _bound(moment: datetime | None) -> float | None:
    """A time filter's bound in epoch seconds, half a microsecond early: stored times are
    shown rounded to the microsecond, so a bound copied from a shown time must include it."""
    return None if moment is None else moment.timestamp() - 0.5e-6


def timeout_of(seconds: float) -> float | None:
    """Dapr's convention: 0 means wait forever."""
    return None if not seconds or seconds <= 0 else float(seconds)


class Backend(Protocol):
    """What client operations run against: the in-process ``Engine``, or ``StoreBackend``."""

    async def schedule(
        self,
        name: str,
        serialized_input: str | None,
        instance_id: str,
        start_at: float | None = None,
        *,
        trace_context: Mapping[str, str] | None = None,
    ) -> str: ...

    async def send(self, command: Command) -> None: ...

    async def purge(self, instance_id: str, recursive: bool = True) -> int: ...

    async def get(self, instance_id: str) -> InstanceRecord | None: ...

    async def wait(self, instance_id: str, done: Done, timeout_s: float | None) -> InstanceRecord | None: ...

    async def list_instances(self, query: InstanceQuery) -> Page: ...

    async def history(self, instance_id: str) -> list[tuple[int, Event]]: ...


class StoreBackend:
    """Operations on the store itself, for a process without an engine (blocking calls run on a
    worker thread)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._opened = False
        self._lock = threading.Lock()

    def _ready(self) -> Store:
        if not self._opened:
            with self._lock:
                if not self._opened:
                    self.store.open()
                    self._opened = True
        return self.store

    async def schedule(
        self,
        name: str,
        serialized_input: str | None,
        instance_id: str,
        start_at: float | None = None,
        *,
        trace_context: Mapping[str, str] | None = None,
    ) -> str:
        trace = dict(trace_context) if trace_context else None
        record, started = client_start(name, serialized_input, instance_id, start_at, trace)
        command = Command(CommandKind.START, instance_id)
        await asyncio.to_thread(lambda: self._ready().post(command, record, started))
        return instance_id

    async def send(self, command: Command) -> None:
        def post() -> None:
            store = self._ready()
            if admit(command, store.get(command.instance_id)):
                store.post(command)

        await asyncio.to_thread(post)

    async def purge(self, instance_id: str, recursive: bool = True) -> int:
        return await asyncio.to_thread(lambda: self._ready().purge(instance_id, recursive))

    async def get(self, instance_id: str) -> InstanceRecord | None:
        return await asyncio.to_thread(lambda: self._ready().get(instance_id))

    async def wait(self, instance_id: str, done: Done, timeout_s: float | None) -> InstanceRecord | None:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        pause = 0.005
        while True:
            record = await self.get(instance_id)
            if done(record):
                return record
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"timed out waiting for instance {instance_id!r}")
            await asyncio.sleep(
                pause if deadline is None else min(pause, max(0.0, deadline - time.monotonic()))
            )
            pause = min(pause * 2, 0.1)

    async def list_instances(self, query: InstanceQuery) -> Page:
        return await asyncio.to_thread(lambda: self._ready().list_instances(query))

    async def history(self, instance_id: str) -> list[tuple[int, Event]]:
        return await asyncio.to_thread(lambda: self._ready().history(instance_id))


class WorkflowAdmin:
    """Async operations on one store with JSON-text payloads (what the gateway component uses).

    Beyond Dapr's client it lists instances and reads histories. ``via_store`` never uses an
    in-process engine (for callers on that engine's own loop that must not wait for it).
    """

    def __init__(
        self, store: Store | str | os.PathLike[str] | None = None, *, via_store: bool = False
    ) -> None:
        self.store = resolve_store(store)
        self._store_backend = StoreBackend(self.store)
        self._via_store = via_store

    def engine(self) -> Engine | None:
        """The running engine in this process on this store, if any."""
        if self._via_store:
            return None
        engine = running_engine(self.store.identity)
        return engine if engine is not None and engine.running else None

    async def _call(self, op: Callable[[Backend], Awaitable[R]]) -> R:
        """Run ``op`` on the backend of this moment (the one routing decision)."""
        engine = self.engine()
        if engine is None:
            return await op(self._store_backend)
        if engine.loop is asyncio.get_running_loop():
            return await op(engine)

        async def on_engine_loop() -> R:
            return await op(engine)

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(on_engine_loop(), engine.loop))

    async def schedule(
        self,
        name: str,
        serialized_input: str | None,
        instance_id: str | None = None,
        start_at: datetime | None = None,
        trace_context: Mapping[str, str] | None = None,
    ) -> str:
        """Create an instance and return its ID once the start is durable; with the W3C
        ``trace_context`` of the caller, an engine in this process traces its work."""
        iid = instance_id or uuid.uuid4().hex
        at = None if start_at is None else to_timestamp(start_at)
        return await self._call(
            lambda b: b.schedule(name, serialized_input, iid, at, trace_context=trace_context)
        )

    async def raise_event(self, instance_id: str, event_name: str, serialized_data: str | None) -> None:
        """Deliver an event (kept until the workflow waits for it); ignored by a finished instance."""
        command = Command(CommandKind.RAISE_EVENT, instance_id, name=event_name, data=serialized_data)
        await self._call(lambda b: b.send(command))

    async def terminate(
        self, instance_id: str, serialized_output: str | None = None, recursive: bool = True
    ) -> None:
        """Terminate a running instance (and its children); a finished one is left as it is."""
        command = Command(CommandKind.TERMINATE, instance_id, data=serialized_output, recursive=recursive)
        await self._call(lambda b: b.send(command))

    async def suspend(self, instance_id: str, reason: str | None = None) -> None:
        """Suspend: the instance makes no progress and keeps its events until resumed."""
        await self._call(lambda b: b.send(Command(CommandKind.SUSPEND, instance_id, reason=reason)))

    async def resume(self, instance_id: str, reason: str | None = None) -> None:
        """Resume a suspended instance and deliver the events it kept."""
        await self._call(lambda b: b.send(Command(CommandKind.RESUME, instance_id, reason=reason)))

    async def purge(self, instance_id: str, recursive: bool = True) -> int:
        """Delete a finished instance (and its finished children); how many went."""
        return await self._call(lambda b: b.purge(instance_id, recursive))

    async def state(self, instance_id: str, *, fetch_payloads: bool = True) -> WorkflowState | None:
        record = await self._call(lambda b: b.get(instance_id))
        return None if record is None else WorkflowState.of(record, fetch_payloads=fetch_payloads)

    async def wait(
        self, instance_id: str, done: Done, timeout_s: float | None, *, fetch_payloads: bool = True
    ) -> WorkflowState | None:
        """Wait until ``done(record)``; ``TimeoutError`` after ``timeout_s`` seconds (None = forever)."""
        record = await self._call(lambda b: b.wait(instance_id, done, timeout_s))
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
        wanted = stored_statuses(statuses)
        if statuses and not wanted:  # only statuses this engine never shows
            return WorkflowStatePage([], None)
        query = InstanceQuery(
            statuses=wanted,
            name=workflow_name,
            created_after=_bound(created_after),
            created_before=_bound(created_before),
            id_prefix=id_prefix,
            page_size=page_size,
            token=continuation_token,
        )
        page = await self._call(lambda b: b.list_instances(query))
        return WorkflowStatePage([WorkflowState.of(r) for r in page.records], page.token)

    async def history(self, instance_id: str) -> list[WorkflowHistoryEvent]:
        """The instance's events, oldest first; ``UnknownInstanceError`` for an unknown ID."""
        events = await self._call(lambda b: b.history(instance_id))
        if not events and await self._call(lambda b: b.get(instance_id)) is None:
            raise UnknownInstanceError(f"no instance with ID {instance_id!r}", instance_id=instance_id)
        return history_events(events)
