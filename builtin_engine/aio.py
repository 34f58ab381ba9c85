"""The asynchronous ``DaprWorkflowClient`` (Dapr's ``dapr.ext.workflow.aio`` counterpart)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from builtin_engine._client import WorkflowAdmin, has_started, is_done, timeout_of
from builtin_engine._codec import to_json
from builtin_engine._registry import name_of
from builtin_engine._state import WorkflowHistoryEvent, WorkflowState, WorkflowStatePage, WorkflowStatus
from builtin_engine._store import Store


class DaprWorkflowClient:
    """Start and manage workflow instances, awaitably.

    ``host``, ``port`` and ``logger_options`` are accepted for compatibility with Dapr's SDK and
    ignored. ``store`` names the store (a ``Store``, SQLite URL or path); by default the store
    of the engine running in this process, else ``$FLOWPORT_STORE``, else
    ``./.flowport/workflows.db``. In the process that runs the ``WorkflowRuntime`` calls go
    straight to its engine; in any other process on the same machine requests go through the
    store and are picked up by the engine within its poll interval.
    """

    def __init__(
        self,
        host: str | None = None,
        port: str | None = None,
        logger_options: Any = None,
        *,
        store: Store | str | os.PathLike[str] | None = None,
        _via_store: bool = False,
    ) -> None:
        self._admin = WorkflowAdmin(store, via_store=_via_store)

    @property
    def admin(self) -> WorkflowAdmin:
        """The JSON-text client underneath."""
        return self._admin

    async def schedule_new_workflow(
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
        return await self._admin.schedule(name_of(workflow), to_json(input), instance_id, start_at)

    async def get_workflow_state(
        self, instance_id: str, *, fetch_payloads: bool = True
    ) -> WorkflowState | None:
        """The instance's state, or ``None`` if there is no such instance."""
        return await self._admin.state(instance_id, fetch_payloads=fetch_payloads)

    async def wait_for_workflow_start(
        self, instance_id: str, *, fetch_payloads: bool = False, timeout_in_seconds: int = 0
    ) -> WorkflowState | None:
        """Wait until the instance is no longer PENDING; ``TimeoutError`` past the timeout (0 = none)."""
        return await self._admin.wait(
            instance_id, has_started, timeout_of(timeout_in_seconds), fetch_payloads=fetch_payloads
        )

    async def wait_for_workflow_completion(
        self, instance_id: str, *, fetch_payloads: bool = True, timeout_in_seconds: int = 0
    ) -> WorkflowState | None:
        """Wait until the instance has finished; ``TimeoutError`` past the timeout (0 = none)."""
        return await self._admin.wait(
            instance_id, is_done, timeout_of(timeout_in_seconds), fetch_payloads=fetch_payloads
        )

    async def raise_workflow_event(self, instance_id: str, event_name: str, *, data: Any = None) -> None:
        """Send an event; kept until the workflow waits for it. ``UnknownInstanceError`` for an unknown ID."""
        await self._admin.raise_event(instance_id, event_name, to_json(data))

    async def terminate_workflow(
        self, instance_id: str, *, output: Any = None, recursive: bool = True
    ) -> None:
        """Terminate the instance (and, with ``recursive``, its child workflows)."""
        await self._admin.terminate(instance_id, to_json(output), recursive)

    async def pause_workflow(self, instance_id: str, reason: str | None = None) -> None:
        """Suspend the instance: no progress, events are kept until resumed."""
        await self._admin.suspend(instance_id, reason)

    async def resume_workflow(self, instance_id: str, reason: str | None = None) -> None:
        """Resume a suspended instance; ``InstanceStateError`` if it is not suspended."""
        await self._admin.resume(instance_id, reason)

    async def purge_workflow(self, instance_id: str, recursive: bool = True) -> None:
        """Delete a finished instance and its history (and its children's, with ``recursive``)."""
        await self._admin.purge(instance_id, recursive)

    # -- beyond Dapr's client -------------------------------------------------------------------

    async def list_workflow_states(
        self,
        *,
        statuses: list[WorkflowStatus] | None = None,
        workflow_name: str | None = None,
        page_size: int = 100,
        continuation_token: str | None = None,
    ) -> WorkflowStatePage:
        """One page of instances, newest first, filtered by status and workflow name."""
        return await self._admin.list_instances(statuses or (), workflow_name, page_size, continuation_token)

    async def get_workflow_history(self, instance_id: str) -> list[WorkflowHistoryEvent]:
        """The instance's history events, oldest first; ``UnknownInstanceError`` for an unknown ID."""
        return await self._admin.history(instance_id)

    async def close(self) -> None:
        """Nothing to release (kept for Dapr compatibility)."""
