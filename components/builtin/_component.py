"""``workflow.builtin``: the gateway's component over Flowport's own durable engine.

With ``runtimes`` the gateway hosts those ``WorkflowRuntime`` registrations on its own event
loop, against the component's store. Without, the component is a client of a store that
another process hosts (that process runs ``WorkflowRuntime.start()`` on the same file).

The component the gateway's sidecar service drives (``serve_remote_workers``, before
``init``) always hosts its engine, with remote workers on: workflows and activities that no
runtime here registers run on the Dapr SDK workers connected over gRPC. ``get`` and the
health detail then say when no worker is connected, since such work waits for one.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pydantic

import builtin_engine as wf
from components.builtin._definitions import Definitions
from components.builtin._metrics import ENGINE_METRICS
from components.builtin._tracing import SpanTracer
from contracts import (
    ALL_CAPABILITIES,
    BackendUnavailableError,
    Capability,
    ComponentConfigError,
    ComponentHealth,
    ComponentSpec,
    DefinitionRequest,
    EventKind,
    FailureDetails,
    GetRequest,
    HistoryEvent,
    HistoryRequest,
    InstanceExistsError,
    InstanceNotFoundError,
    InstancePage,
    InstanceState,
    InvalidRequestError,
    InvalidStateError,
    ListFilter,
    ListRequest,
    PauseRequest,
    PurgeRequest,
    PurgeResult,
    RaiseEventRequest,
    ResumeRequest,
    RuntimeStatus,
    StartRequest,
    TerminateRequest,
    WorkflowComponent,
    WorkflowDefinition,
    WorkflowError,
    parse_duration,
    parse_metadata,
    trace_context,
)

_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")

_TO_CONTRACT = {
    wf.WorkflowStatus.PENDING: RuntimeStatus.PENDING,
    wf.WorkflowStatus.RUNNING: RuntimeStatus.RUNNING,
    wf.WorkflowStatus.SUSPENDED: RuntimeStatus.SUSPENDED,
    wf.WorkflowStatus.COMPLETED: RuntimeStatus.COMPLETED,
    wf.WorkflowStatus.FAILED: RuntimeStatus.FAILED,
    wf.WorkflowStatus.TERMINATED: RuntimeStatus.TERMINATED,
}
_FROM_CONTRACT = {value: key for key, value in _TO_CONTRACT.items()}
_KINDS = {kind.value: kind for kind in EventKind}


class BuiltinMetadata(pydantic.BaseModel):
    """The component's metadata (names match case-insensitively)."""

    model_config = pydantic.ConfigDict(populate_by_name=True, extra="forbid")

    runtimes: str = ""
    definitions: str = ""
    store: str | None = None
    max_concurrent_activities: int = pydantic.Field(256, alias="maxConcurrentActivities", ge=1)
    thread_pool_workers: int = pydantic.Field(16, alias="threadPoolWorkers", ge=1)
    max_cached_instances: int = pydantic.Field(20_000, alias="maxCachedInstances", ge=1)
    poll_interval: float = pydantic.Field(0.05, alias="pollInterval", gt=0)
    #: how long finished instances are kept (Dapr's stateRetentionPolicy), in seconds
    retention_any_terminal: float | None = pydantic.Field(None, alias="retentionAnyTerminal", ge=0)
    retention_completed: float | None = pydantic.Field(None, alias="retentionCompleted", ge=0)
    retention_failed: float | None = pydantic.Field(None, alias="retentionFailed", ge=0)
    retention_terminated: float | None = pydantic.Field(None, alias="retentionTerminated", ge=0)

    @pydantic.field_validator("runtimes")
    @classmethod
    def _references(cls, value: str) -> str:
        for ref in _split(value):
            if not _REFERENCE.match(ref):
                raise ValueError(f"{ref!r} is not a 'module:attribute' reference")
        return value

    @pydantic.field_validator(
        "poll_interval",
        "retention_any_terminal",
        "retention_completed",
        "retention_failed",
        "retention_terminated",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: Any) -> Any:
        """Accept Dapr-style durations: ``50ms``, ``0.5s``, ``1m``, ``24h``, or seconds as a number."""
        if not isinstance(value, str):
            return value
        return parse_duration(value).total_seconds()


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class BuiltinComponent(WorkflowComponent):
    """Flowport's built-in engine behind the Dapr-compatible API."""

    capabilities: ClassVar[frozenset[Capability]] = ALL_CAPABILITIES
    list_filters: ClassVar[frozenset[ListFilter]] = frozenset(ListFilter)

    def __init__(self, spec: ComponentSpec) -> None:
        super().__init__(spec)
        self.metadata = parse_metadata(BuiltinMetadata, spec)
        if self.metadata.store:
            self.store_path = wf.sqlite_path(self.metadata.store, spec.base_dir)
        else:
            self.store_path = wf.sqlite_path(Path(".flowport") / f"{spec.name}.db")
        self.registry: wf.Registry | None = None
        self.engine: wf.Engine | None = None
        self._admin: wf.WorkflowAdmin | None = None
        #: set by ``serve_remote_workers`` before ``init``
        self.remote_workers = False
        self.declarative: Definitions | None = None
        if self.metadata.definitions:
            refs = _split(self.metadata.runtimes)
            self.declarative = Definitions(
                self.metadata.definitions, spec, lambda: [self._load_runtime(ref).registry for ref in refs]
            )

    def _config_error(self, reason: str, field: str) -> ComponentConfigError:
        return ComponentConfigError(
            reason, field=f"spec.metadata.{field}", file=self.spec.source, component=self.name
        )

    def serve_remote_workers(self) -> None:
        """Run workflows no runtime here registers on remote SDK workers (the gateway's sidecar
        service). Called before ``init``: the engine must know it when it recovers instances."""
        self.remote_workers = True

    async def init(self) -> None:
        refs = _split(self.metadata.runtimes)
        store = wf.SQLiteStore(self.store_path)
        if refs or self.declarative is not None or self.remote_workers:
            registry = wf.Registry()
            for ref in refs:
                try:
                    registry.merge(self._load_runtime(ref).registry)
                except ValueError as exc:  # two runtimes register the same name
                    raise self._config_error(str(exc), "runtimes") from None
            if self.declarative is not None:
                self.declarative.install(registry)
            options = wf.EngineOptions(
                max_concurrent_activities=self.metadata.max_concurrent_activities,
                thread_pool_workers=self.metadata.thread_pool_workers,
                max_cached_instances=self.metadata.max_cached_instances,
                poll_interval=self.metadata.poll_interval,
                retention=self._retention(),
                remote_workers=self.remote_workers,
            )
            engine = wf.Engine(store, registry, options, tracer=SpanTracer(self.name))
            try:
                await engine.start()
            except (wf.StoreLockedError, wf.StoreVersionError) as exc:
                raise self._config_error(str(exc), "store") from None
            except (OSError, sqlite3.Error) as exc:
                raise self._config_error(f"cannot open the store {self.store_path}: {exc}", "store") from None
            self.registry = registry
            self.engine = engine
            ENGINE_METRICS.add(self.name, engine)
        else:
            if self._retention() is not None:
                raise self._config_error(
                    "retention is applied by the engine that hosts the store; this component only "
                    "reaches a store another process hosts (no runtimes): set retention there",
                    "retentionAnyTerminal",
                )
            try:
                await asyncio.to_thread(store.open)
            except wf.StoreVersionError as exc:
                raise self._config_error(str(exc), "store") from None
            except (OSError, sqlite3.Error) as exc:
                raise self._config_error(f"cannot open the store {self.store_path}: {exc}", "store") from None
        self._admin = wf.WorkflowAdmin(store)

    def _retention(self) -> wf.RetentionPolicy | None:
        m = self.metadata
        times = (m.retention_any_terminal, m.retention_completed, m.retention_failed, m.retention_terminated)
        if all(t is None for t in times):
            return None
        return wf.RetentionPolicy.of(
            any_terminal=m.retention_any_terminal,
            completed=m.retention_completed,
            failed=m.retention_failed,
            terminated=m.retention_terminated,
        )

    def _load_runtime(self, ref: str) -> wf.WorkflowRuntime:
        module_name, _, attribute = ref.partition(":")
        try:
            # The gateway makes the working directory and every resources directory importable.
            module = importlib.import_module(module_name)
            target: Any = module
            for part in attribute.split("."):
                target = getattr(target, part)
        except Exception as exc:
            raise self._config_error(
                f"cannot load {ref!r}: {type(exc).__name__}: {exc}", "runtimes"
            ) from None
        if not isinstance(target, wf.WorkflowRuntime):
            raise self._config_error(
                f"{ref!r} is a {type(target).__name__}, not a WorkflowRuntime", "runtimes"
            )
        return target

    async def close(self) -> None:
        engine, self.engine = self.engine, None
        if engine is not None:
            ENGINE_METRICS.remove(self.name)
            await engine.stop()

    @property
    def admin(self) -> wf.WorkflowAdmin:
        if self._admin is None:
            raise BackendUnavailableError(f"component {self.name!r} is not initialised")
        return self._admin

    async def health(self) -> ComponentHealth:
        if self._admin is None:
            return ComponentHealth(healthy=False, detail="not initialised")
        if self.registry is not None and (self.engine is None or not self.engine.running):
            return ComponentHealth(healthy=False, detail="the workflow engine is stopped")
        if self.remote_workers and self.engine is not None:
            return ComponentHealth(healthy=True, detail=_remote_workers_detail(self.engine))
        return ComponentHealth(healthy=True)

    async def workflow_names(self) -> Sequence[str] | None:
        return sorted(self.registry.workflows) if self.registry is not None else None

    def definitions(self) -> Sequence[WorkflowDefinition]:
        return self.declarative.listed() if self.declarative is not None else ()

    async def definition(self, request: DefinitionRequest) -> WorkflowDefinition:
        if self.declarative is None:
            return await super().definition(request)
        return self.declarative.get(request.workflow_name)

    # -- operations -------------------------------------------------------------------------------

    async def start(self, request: StartRequest) -> None:
        if (
            self.registry is not None
            and not self.remote_workers
            and request.workflow_name not in self.registry.workflows
        ):
            known = ", ".join(sorted(self.registry.workflows)) or "none"
            raise InvalidRequestError(
                f"component {self.name!r} has no workflow named {request.workflow_name!r} (known: {known})"
            )
        with _mapped(request.instance_id):
            await self.admin.schedule(
                request.workflow_name,
                request.serialized_input,
                request.instance_id,
                request.start_at,
                trace_context=trace_context(),
            )

    async def get(self, request: GetRequest) -> InstanceState:
        with _mapped(request.instance_id):
            state = await self.admin.state(request.instance_id, fetch_payloads=request.fetch_payloads)
        if state is None:
            raise InstanceNotFoundError(
                f"no instance with ID {request.instance_id!r}", instance_id=request.instance_id
            )
        instance = _instance_state(state)
        waiting = self._waiting_for_worker(state)
        return replace(instance, properties={"flowport.warning": waiting}) if waiting else instance

    def _waiting_for_worker(self, state: wf.WorkflowState) -> str | None:
        """Why a remote instance makes no progress, when no worker is connected."""
        engine = self.engine
        if (
            engine is None
            or not self.remote_workers
            or not engine.running
            or state.runtime_status not in (wf.WorkflowStatus.RUNNING, wf.WorkflowStatus.PENDING)
            or state.name in engine.registry.workflows
            or engine.remote.connected
        ):
            return None
        return (
            "no remote worker is connected: this instance's work waits for a Dapr SDK worker to "
            "connect to the gateway's gRPC port"
        )

    async def terminate(self, request: TerminateRequest) -> None:
        with _mapped(request.instance_id):
            await self.admin.terminate(request.instance_id, request.serialized_output, request.recursive)

    async def raise_event(self, request: RaiseEventRequest) -> None:
        with _mapped(request.instance_id):
            await self.admin.raise_event(request.instance_id, request.event_name, request.serialized_data)

    async def pause(self, request: PauseRequest) -> None:
        with _mapped(request.instance_id):
            await self.admin.suspend(request.instance_id, request.reason)

    async def resume(self, request: ResumeRequest) -> None:
        with _mapped(request.instance_id):
            await self.admin.resume(request.instance_id, request.reason)

    async def purge(self, request: PurgeRequest) -> PurgeResult:
        with _mapped(request.instance_id):
            count = await self.admin.purge(request.instance_id, request.recursive)
        return PurgeResult(purged_instances=count)

    async def list_instances(self, request: ListRequest) -> InstancePage:
        statuses = [_FROM_CONTRACT[s] for s in request.statuses if s in _FROM_CONTRACT]
        if request.statuses and not statuses:  # only statuses this engine never shows
            return InstancePage([], None)
        with _mapped(None):
            page = await self.admin.list_instances(
                statuses,
                request.workflow_name,
                request.page_size,
                request.continuation_token,
                created_after=request.created_after,
                created_before=request.created_before,
                id_prefix=request.instance_id_prefix,
            )
        return InstancePage([_instance_state(s) for s in page.states], page.continuation_token)

    async def history(self, request: HistoryRequest) -> Sequence[HistoryEvent]:
        with _mapped(request.instance_id):
            events = await self.admin.history(request.instance_id)
        mapped = [
            HistoryEvent(
                sequence=e.sequence,
                kind=_KINDS.get(e.event_type, EventKind.OTHER),
                timestamp=e.timestamp.replace(tzinfo=UTC),
                name=e.name,
                serialized_data=e.data,
                details={**e.details, **({"taskId": str(e.task_id)} if e.task_id is not None else {})},
            )
            for e in events
        ]
        return self.declarative.annotate(mapped) if self.declarative is not None else mapped


def _remote_workers_detail(engine: wf.Engine) -> str:
    """What ``/v1.0/metadata`` says of the remote workers (healthy either way: work waits)."""
    remote = engine.remote
    turns, activities = remote.queued
    waiting = f"{turns} workflow turn(s) and {activities} activity(ies) wait for a worker"
    if not remote.connected:
        return f"no remote worker is connected; {waiting}"
    return f"{remote.connected} remote worker stream(s) connected; {waiting}"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def _instance_state(state: wf.WorkflowState) -> InstanceState:
    status = _TO_CONTRACT[state.runtime_status]
    failure = state.failure_details
    return InstanceState(
        instance_id=state.instance_id,
        workflow_name=state.name,
        runtime_status=status,
        created_at=_utc(state.created_at),
        last_updated_at=_utc(state.last_updated_at),
        serialized_input=state.serialized_input,
        serialized_output=state.serialized_output if status is RuntimeStatus.COMPLETED else None,
        serialized_custom_status=state.serialized_custom_status,
        failure=(
            FailureDetails(
                message=failure.message, error_type=failure.error_type, stack_trace=failure.stack_trace
            )
            if failure
            else None
        ),
    )


@contextmanager
def _mapped(instance_id: str | None) -> Iterator[None]:
    """Turn the engine's errors into the contract's."""
    try:
        yield
    except WorkflowError:
        raise
    except wf.UnknownInstanceError as exc:
        raise InstanceNotFoundError(str(exc), instance_id=instance_id) from None
    except wf.DuplicateInstanceError as exc:
        raise InstanceExistsError(str(exc), instance_id=instance_id) from None
    except wf.InstanceStateError as exc:
        raise InvalidStateError(str(exc), instance_id=instance_id) from None
    except wf.InvalidContinuationTokenError as exc:
        raise InvalidRequestError(str(exc), instance_id=instance_id) from None
    except wf.WorkflowEngineError as exc:  # the engine is not running
        raise BackendUnavailableError(str(exc), instance_id=instance_id) from None
