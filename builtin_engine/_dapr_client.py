"""``DaprWorkflowClient``: Dapr's synchronous workflow client, running the async one.

Each method runs the same method of ``aio.DaprWorkflowClient`` to completion: on the loop of
the engine running in this process when there is one (its operations then cost no thread
hop on that loop), else on one background loop shared by the process.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, TypeVar

from builtin_engine import aio
from builtin_engine._state import WorkflowHistoryEvent, WorkflowState, WorkflowStatePage, WorkflowStatus
from builtin_engine._store import Store

R = TypeVar("R")


class DaprWorkflowClient:
    """Start and manage workflow instances (``aio.DaprWorkflowClient`` has the details).

    ``host``, ``port`` and ``logger_options`` are accepted for compatibility with Dapr's SDK and
    ignored; ``store`` names the store as in ``aio.DaprWorkflowClient``. Works in the process
    that runs the ``WorkflowRuntime`` and in any other process on the same machine. Called on
    the engine's own event loop (from an async activity, say), it goes through the store,
    since blocking that loop while waiting for the engine could never end.
    """

    def __init__(
        self,
        host: str | None = None,
        port: str | None = None,
        logger_options: Any = None,
        *,
        store: Store | str | os.PathLike[str] | None = None,
    ) -> None:
        self._aio = aio.DaprWorkflowClient(store=store)
        self._aio_via_store: aio.DaprWorkflowClient | None = None

    def _run(self, call: Callable[[aio.DaprWorkflowClient], Coroutine[Any, Any, R]]) -> R:
        engine = self._aio.admin.engine()
        if engine is not None:
            if not _on_loop(engine.loop):
                return asyncio.run_coroutine_threadsafe(call(self._aio), engine.loop).result()
            if self._aio_via_store is None:
                self._aio_via_store = aio.DaprWorkflowClient(store=self._aio.admin.store, _via_store=True)
            return _background_loop().run(call(self._aio_via_store))
        return _background_loop().run(call(self._aio))

    def schedule_new_workflow(
        self,
        workflow: Callable[..., Any] | str,
        *,
        input: Any = None,
        instance_id: str | None = None,
        start_at: datetime | None = None,
        reuse_id_policy: Any = None,
    ) -> str:
        """Start ``workflow`` (function or name); returns the instance ID once the start is durable."""
        return self._run(
            lambda c: c.schedule_new_workflow(
                workflow, input=input, instance_id=instance_id, start_at=start_at
            )
        )

    def get_workflow_state(self, instance_id: str, *, fetch_payloads: bool = True) -> WorkflowState | None:
        """The instance's state, or ``None`` if there is no such instance."""
        return self._run(lambda c: c.get_workflow_state(instance_id, fetch_payloads=fetch_payloads))

    def wait_for_workflow_start(
        self, instance_id: str, *, fetch_payloads: bool = False, timeout_in_seconds: int = 0
    ) -> WorkflowState | None:
        """Wait until the instance is no longer PENDING; ``TimeoutError`` past the timeout (0 = none)."""
        return self._run(
            lambda c: c.wait_for_workflow_start(
                instance_id, fetch_payloads=fetch_payloads, timeout_in_seconds=timeout_in_seconds
            )
        )

    def wait_for_workflow_completion(
        self, instance_id: str, *, fetch_payloads: bool = True, timeout_in_seconds: int = 0
    ) -> WorkflowState | None:
        """Wait until the instance has finished; ``TimeoutError`` past the timeout (0 = none)."""
        return self._run(
            lambda c: c.wait_for_workflow_completion(
                instance_id, fetch_payloads=fetch_payloads, timeout_in_seconds=timeout_in_seconds
            )
        )

    def raise_workflow_event(self, instance_id: str, event_name: str, *, data: Any = None) -> None:
        """Send an event; kept until the workflow waits for it. ``UnknownInstanceError`` for an unknown ID."""
        self._run(lambda c: c.raise_workflow_event(instance_id, event_name, data=data))

    def terminate_workflow(self, instance_id: str, *, output: Any = None, recursive: bool = True) -> None:
        """Terminate the instance (and, with ``recursive``, its child workflows)."""
        self._run(lambda c: c.terminate_workflow(instance_id, output=output, recursive=recursive))

    def pause_workflow(self, instance_id: str, reason: str | None = None) -> None:
        """Suspend the instance: no progress, events are kept until resumed."""
        self._run(lambda c: c.pause_workflow(instance_id, reason))

    def resume_workflow(self, instance_id: str, reason: str | None = None) -> None:
        """Resume a suspended instance; ``InstanceStateError`` if it is not suspended."""
        self._run(lambda c: c.resume_workflow(instance_id, reason))

    def purge_workflow(self, instance_id: str, recursive: bool = True) -> None:
        """Delete a finished instance and its history (and its children's, with ``recursive``)."""
        self._run(lambda c: c.purge_workflow(instance_id, recursive))

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
        return self._run(
            lambda c: c.list_workflow_states(
                statuses=statuses,
                workflow_name=workflow_name,
                page_size=page_size,
                continuation_token=continuation_token,
            )
        )

    def get_workflow_history(self, instance_id: str) -> list[WorkflowHistoryEvent]:
        """The instance's history events, oldest first; ``UnknownInstanceError`` for an unknown ID."""
        return self._run(lambda c: c.get_workflow_history(instance_id))

    def close(self) -> None:
        """Nothing to release (kept for Dapr compatibility)."""


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class _BackgroundLoop:
    """One event loop on a daemon thread, for sync clients in a process without an engine."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="flowport-client", daemon=True).start()

    def run(self, coro: Coroutine[Any, Any, R]) -> R:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()


_background: _BackgroundLoop | None = None
_background_lock = threading.Lock()


def _background_loop() -> _BackgroundLoop:
    global _background
    with _background_lock:
        if _background is None:
            _background = _BackgroundLoop()
        return _background
