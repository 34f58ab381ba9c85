"""Test doubles for the gateway's own tests, named as fakes.

``FakeMemoryComponent`` keeps instances in a dict: no real runtime can show the gateway's
translation of every contract error on demand. The real components are tested against real
runtimes elsewhere. The other classes are deliberately broken plugins.
"""

from __future__ import annotations

import asyncio
import builtins
import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pydantic

import contracts
from contracts import (
    Capability,
    ComponentSpec,
    EventKind,
    HistoryEvent,
    InstanceState,
    RuntimeStatus,
    WorkflowComponent,
)


class FakeMetadata(pydantic.BaseModel):
    greeting: str = "hello"
    fail_with: str | None = pydantic.Field(default=None, alias="failWith")
    delay: float = 0.0


class FakeMemoryComponent(WorkflowComponent):
    """Instances in memory. ``failWith`` metadata makes every call raise that contract error."""

    start_options = frozenset({"taskQueue"})

    def __init__(self, spec: ComponentSpec) -> None:
        super().__init__(spec)
        self.settings = contracts.parse_metadata(FakeMetadata, spec)
        self.instances: dict[str, InstanceState] = {}
        self.events: dict[str, list[HistoryEvent]] = {}
        self.starts: list[contracts.StartRequest] = []
        self._clock = itertools.count()

    async def _enter(self) -> None:
        if self.settings.delay:
            await asyncio.sleep(self.settings.delay)
        if self.settings.fail_with:
            error_class = getattr(contracts, self.settings.fail_with, None) or getattr(
                builtins, self.settings.fail_with
            )
            raise error_class(f"fake failure {self.settings.fail_with}")

    def _state(self, instance_id: str) -> InstanceState:
        state = self.instances.get(instance_id)
        if state is None:
            raise contracts.InstanceNotFoundError(f"no instance {instance_id!r}", instance_id=instance_id)
        return state

    def _record(
        self, instance_id: str, kind: EventKind, name: str | None = None, data: str | None = None
    ) -> None:
        events = self.events.setdefault(instance_id, [])
        events.append(HistoryEvent(len(events), kind, datetime.now(UTC), name, data))

    def _set(self, instance_id: str, status: RuntimeStatus, **changes: object) -> None:
        state = self._state(instance_id)
        self.instances[instance_id] = replace(
            state,
            runtime_status=status,
            last_updated_at=datetime.now(UTC),
            **changes,  # type: ignore[arg-type]
        )

    async def start(self, request: contracts.StartRequest) -> None:
        await self._enter()
        if request.instance_id in self.instances:
            raise contracts.InstanceExistsError(f"instance {request.instance_id!r} exists")
        now = datetime.now(UTC)
        self.starts.append(request)
        self.instances[request.instance_id] = InstanceState(
            instance_id=request.instance_id,
            workflow_name=request.workflow_name,
            runtime_status=RuntimeStatus.RUNNING,
            created_at=now,
            last_updated_at=now,
            serialized_input=request.serialized_input,
            properties={"fake.sequence": str(next(self._clock))},
        )
        self._record(
            request.instance_id, EventKind.WORKFLOW_STARTED, request.workflow_name, request.serialized_input
        )
        if request.workflow_name == "FakeEcho":
            self._set(
                request.instance_id, RuntimeStatus.COMPLETED, serialized_output=request.serialized_input
            )
            self._record(request.instance_id, EventKind.WORKFLOW_COMPLETED, None, request.serialized_input)
        elif request.workflow_name == "FakeFail":
            failure = contracts.FailureDetails(message="asked to fail", error_type="ValueError")
            self._set(request.instance_id, RuntimeStatus.FAILED, failure=failure)

    async def get(self, request: contracts.GetRequest) -> InstanceState:
        await self._enter()
        return self._state(request.instance_id)

    async def raise_event(self, request: contracts.RaiseEventRequest) -> None:
        await self._enter()
        state = self._state(request.instance_id)
        if state.runtime_status.is_terminal:
            raise contracts.InvalidStateError("instance is not running")
        self._record(request.instance_id, EventKind.EVENT_RAISED, request.event_name, request.serialized_data)
        if request.event_name == "finish":
            self._set(request.instance_id, RuntimeStatus.COMPLETED, serialized_output=request.serialized_data)
            self._record(request.instance_id, EventKind.WORKFLOW_COMPLETED, None, request.serialized_data)
        if request.event_name == "fail":
            failure = contracts.FailureDetails(
                message="asked to fail", error_type="ValueError", stack_trace="Traceback: fake"
            )
            self._set(request.instance_id, RuntimeStatus.FAILED, failure=failure)

    async def pause(self, request: contracts.PauseRequest) -> None:
        await self._enter()
        if self._state(request.instance_id).runtime_status is not RuntimeStatus.RUNNING:
            raise contracts.InvalidStateError("only a running instance can be paused")
        self._set(request.instance_id, RuntimeStatus.SUSPENDED)

    async def resume(self, request: contracts.ResumeRequest) -> None:
        await self._enter()
        if self._state(request.instance_id).runtime_status is not RuntimeStatus.SUSPENDED:
            raise contracts.InvalidStateError("instance is not suspended")
        self._set(request.instance_id, RuntimeStatus.RUNNING)

    async def terminate(self, request: contracts.TerminateRequest) -> None:
        await self._enter()
        if not self._state(request.instance_id).runtime_status.is_terminal:
            self._set(
                request.instance_id, RuntimeStatus.TERMINATED, serialized_output=request.serialized_output
            )

    async def purge(self, request: contracts.PurgeRequest) -> contracts.PurgeResult:
        await self._enter()
        if request.instance_id.startswith("undeletable"):
            raise contracts.BackendUnavailableError("the fake store refuses to delete it")
        if not self._state(request.instance_id).runtime_status.is_terminal:
            raise contracts.InvalidStateError("only a terminal instance can be purged")
        del self.instances[request.instance_id]
        return contracts.PurgeResult(1)

    async def list_instances(self, request: contracts.ListRequest) -> contracts.InstancePage:
        await self._enter()
        matches = [
            state
            for state in reversed(self.instances.values())
            if (not request.statuses or state.runtime_status in request.statuses)
            and (request.workflow_name is None or state.workflow_name == request.workflow_name)
        ]
        offset = int(request.continuation_token or 0)
        page = matches[offset : offset + request.page_size]
        more = offset + request.page_size < len(matches)
        return contracts.InstancePage(page, str(offset + request.page_size) if more else None)

    async def history(self, request: contracts.HistoryRequest) -> Sequence[HistoryEvent]:
        await self._enter()
        self._state(request.instance_id)
        return self.events.get(request.instance_id, [])

    async def workflow_names(self) -> Sequence[str] | None:
        return ["FakeWorkflow"]


class FakeStartOnlyComponent(FakeMemoryComponent):
    """Declares only start and get: everything else must answer 501 without being called."""

    capabilities = frozenset({Capability.START, Capability.GET})


class FakeSlowInitComponent(FakeMemoryComponent):
    async def init(self) -> None:
        await asyncio.sleep(30)


class FakeFailingInitComponent(FakeMemoryComponent):
    async def init(self) -> None:
        raise contracts.ComponentConfigError("cannot reach the fake runtime", field="spec.metadata.greeting")


class FakeExplodingComponent(FakeMemoryComponent):
    def __init__(self, spec: ComponentSpec) -> None:
        raise RuntimeError("boom in constructor")


class NotAComponent:
    """An entry point that names something else entirely."""
