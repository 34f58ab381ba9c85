"""``DaprWorkflowClient``: Dapr's synchronous workflow client, against a store instead of a sidecar."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from builtin_engine._admin import (
    WorkflowAdmin,
    has_started,
    is_done,
    new_instance_id,
    start_time,
    timeout_of,
)
from builtin_engine._codec import to_json
from builtin_engine._engine import Engine
from builtin_engine._registry import name_of
from builtin_engine._state import WorkflowHistoryEvent, WorkflowState, WorkflowStatePage, WorkflowStatus
from builtin_engine._store import InstanceRecord, Store

R = TypeVar("R")


class DaprWorkflowClient:
    """Start and manage workflow instances.

    ``host``, ``port`` and ``logger_options`` are accepted for compatibility with Dapr's SDK and
    ignored. ``store`` names the store (a ``Store``, SQLite URL or path); by default the store
    of the engine running in this process, else ``$FLOWPORT_STORE``, else
    ``./.flowport/workflows.db``. Works in the process that runs the ``WorkflowRuntime`` (calls
    go straight to its engine) and in any other process on the same machine (requests go
    through the store and are picked up by the engine within its poll interval).
    """

    def __init__(
        self,
        host: str | None = None,
        port: str | None = None,
        logger_options: Any = None,
        *,
        store: Store | str | os.PathLike[str] | None = None,
    ) -> None:
        self._admin = WorkflowAdmin(store)
        self._direct = self._admin.direct

    def _route(self, on_engine: Callable[[Engine], Awaitable[R]], direct: Callable[[], R]) -> R:
        engine = self._admin.engine()
        if engine is None or _on_loop(engine.loop):
            # Blocking the engine's own loop would deadlock: go through the store instead.
            return direct()

        async def call() -> R:
            return await on_engine(engine)

        return asyncio.run_coroutine_threadsafe(call(), engine.loop).result()

    def schedule_new_workflow(
        self,
        workflow: Callable[..., Any] | str,
        *,
        input: Any = None,
        instance_id: str | None = None,
        start_at: datetime | None = None,
        reuse_id_policy: Any = None,
    ) -> str:
        """Start ``workflow`` (function or name); returns the instance ID once the start is durable.

        ``DuplicateInstanceError`` if an instance with ``instance_id`` exists (purge it first).
        ``start_at`` delays the start (the instance is PENDING until then).
        """
        name = name_of(workflow)
        data = to_json(input)
        iid = instance_id or new_instance_id()
        at = start_time(start_at)
        return self._route(
            lambda e: e.schedule(name, data, iid, at), lambda: self._direct.schedule(name, data, iid, at)
        )

    def get_workflow_state(self, instance_id: str, *, fetch_payloads: bool = True) -> WorkflowState | None:
        """The instance's state, or ``None`` if there is no such instance."""
        record = self._direct.get(instance_id)
        return None if record is None else WorkflowState.of(record, fetch_payloads=fetch_payloads)

    def _wait(
        self,
        instance_id: str,
        done: Callable[[InstanceRecord | None], bool],
        timeout_s: float | None,
        fetch_payloads: bool,
    ) -> WorkflowState | None:
        record = self._route(
            lambda e: e.wait(instance_id, done, timeout_s),
            lambda: self._direct.wait(instance_id, done, timeout_s),
        )
        return None if record is None else WorkflowState.of(record, fetch_payloads=fetch_payloads)

    def wait_for_workflow_start(
        self, instance_id: str, *, fetch_payloads: bool = False, timeout_in_seconds: int = 0
    ) -> WorkflowState | None:
        """Wait until the instance is no longer PENDING; ``TimeoutError`` past the timeout (0 = none)."""
        return self._wait(instance_id, has_started, timeout_of(timeout_in_seconds), fetch_payloads)

    def wait_for_workflow_completion(
        self, instance_id: str, *, fetch_payloads: bool = True, timeout_in_seconds: int = 0
    ) -> WorkflowState | None:
        """Wait until the instance has finished; ``TimeoutError`` past the timeout (0 = none)."""
        return self._wait(instance_id, is_done, timeout_of(timeout_in_seconds), fetch_payloads)

    def raise_workflow_event(self, instance_id: str, event_name: str, *, data: Any = None) -> None:
        """Send an event; kept until the workflow waits for it. ``UnknownInstanceError`` for an unknown ID."""
        payload = to_json(data)
        self._route(
            lambda e: e.raise_event(instance_id, event_name, payload),
            lambda: self._direct.raise_event(instance_id, event_name, payload),
        )

    def terminate_workflow(self, instance_id: str, *, output: Any = None, recursive: bool = True) -> None:
        """Terminate the instance (and, with ``recursive``, its child workflows)."""
        payload = to_json(output)
        self._route(
            lambda e: e.terminate(instance_id, payload, recursive),
            lambda: self._direct.terminate(instance_id, payload, recursive),
        )

    def pause_workflow(self, instance_id: str) -> None:
        """Suspend the instance: no progress, events are buffered until resumed."""
        self._route(lambda e: e.suspend(instance_id), lambda: self._direct.suspend(instance_id))

    def resume_workflow(self, instance_id: str) -> None:
        """Resume a suspended instance; ``InstanceStateError`` if it is not suspended."""
        self._route(lambda e: e.resume(instance_id), lambda: self._direct.resume(instance_id))

    def purge_workflow(self, instance_id: str, recursive: bool = True) -> None:
        """Delete a finished instance and its history (and its children's, with ``recursive``)."""
        self._route(
            lambda e: e.purge(instance_id, recursive), lambda: self._direct.purge(instance_id, recursive)
        )

    # -- beyond Dapr's client -------------------------------------------------------------------

    def list_workflow_states(
        self,
        *,
        statuses: list[WorkflowStatus] | None = None,
        workflow_name: str | None = None,
        page_size: int = 100,
        continuation_token: str | None = None,
    ) -> WorkflowStatePage:
        """One page of instances, newest first, filtered by status and workflow name."""
        return self._direct.list_page(statuses or (), workflow_name, page_size, continuation_token)

    def get_workflow_history(self, instance_id: str) -> list[WorkflowHistoryEvent]:
        """The instance's history events, oldest first; ``UnknownInstanceError`` for an unknown ID."""
        return self._direct.history(instance_id)

    def close(self) -> None:
        """Nothing to release (kept for Dapr compatibility)."""


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
