"""The asynchronous ``DaprWorkflowClient`` (Dapr's ``dapr.ext.workflow.aio`` counterpart)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from builtin_engine._admin import WorkflowAdmin, has_started, is_done, timeout_of
from builtin_engine._codec import to_json
from builtin_engine._registry import name_of
from builtin_engine._state import WorkflowHistoryEvent, WorkflowState, WorkflowStatePage, WorkflowStatus
from builtin_engine._store import Store


class DaprWorkflowClient:
    """The async twin of ``builtin_engine.DaprWorkflowClient``: same methods, awaitable."""

    def __init__(
        self,
        host: str | None = None,
        port: str | None = None,
        logger_options: Any = None,
        *,
        store: Store | str | os.PathLike[str] | None = None,
    ) -> None:
        self._admin = WorkflowAdmin(store)

    async def schedule_new_workflow(
        self,
        workflow: Callable[..., Any] | str,
        *,
        input: Any = None,
        instance_id: str | None = None,
        start_at: datetime | None = None,
        reuse_id_policy: Any = None,
    ) -> str:
        return await self._admin.schedule(name_of(workflow), to_json(input), instance_id, start_at)

    async def get_workflow_state(
        self, instance_id: str, *, fetch_payloads: bool = True
    ) -> WorkflowState | None:
        return await self._admin.state(instance_id, fetch_payloads=fetch_payloads)

    async def wait_for_workflow_start(
        self, instance_id: str, *, fetch_payloads: bool = False, timeout_in_seconds: int = 0
    ) -> WorkflowState | None:
        return await self._admin.wait(
            instance_id, has_started, timeout_of(timeout_in_seconds), fetch_payloads=fetch_payloads
        )

    async def wait_for_workflow_completion(
        self, instance_id: str, *, fetch_payloads: bool = True, timeout_in_seconds: int = 0
    ) -> WorkflowState | None:
        return await self._admin.wait(
            instance_id, is_done, timeout_of(timeout_in_seconds), fetch_payloads=fetch_payloads
        )

    async def raise_workflow_event(self, instance_id: str, event_name: str, *, data: Any = None) -> None:
        await self._admin.raise_event(instance_id, event_name, to_json(data))

    async def terminate_workflow(
        self, instance_id: str, *, output: Any = None, recursive: bool = True
    ) -> None:
        await self._admin.terminate(instance_id, to_json(output), recursive)

    async def pause_workflow(self, instance_id: str) -> None:
        await self._admin.suspend(instance_id)

    async def resume_workflow(self, instance_id: str) -> None:
        await self._admin.resume(instance_id)

    async def purge_workflow(self, instance_id: str, recursive: bool = True) -> None:
        await self._admin.purge(instance_id, recursive)

    async def list_workflow_states(
        self,
        *,
        statuses: list[WorkflowStatus] | None = None,
        workflow_name: str | None = None,
        page_size: int = 100,
        continuation_token: str | None = None,
    ) -> WorkflowStatePage:
        return await self._admin.list_instances(statuses or (), workflow_name, page_size, continuation_token)

    async def get_workflow_history(self, instance_id: str) -> list[WorkflowHistoryEvent]:
        return await self._admin.history(instance_id)

    async def close(self) -> None:
        """Nothing to release (kept for Dapr compatibility)."""
