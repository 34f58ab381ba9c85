"""``workflow.dbos``: DBOS Transact behind Flowport's Dapr-compatible API.

DBOS is a library, not a server: its workflows run inside the process that launches it, and
its state lives in a "system database" (SQLite or Postgres). So this component *hosts* DBOS in
the gateway process: ``init`` imports the workflow modules named in the metadata and launches
DBOS; every operation is a call to DBOS's own management API (``enqueue``, ``send``,
``cancel_workflow``, ``resume_workflow``, ``delete_workflow``, ``list_workflows``...). Unfinished
workflows are recovered by DBOS when the gateway starts again on the same database.

DBOS keeps one instance per process, so one gateway serves at most one ``workflow.dbos``
component. DBOS's management API blocks on the database, so each call runs in a worker thread
and never on the gateway's event loop.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import sqlalchemy
from dbos import DBOS, DBOSConfig, EnqueueOptions, WorkflowStatus
from dbos import error as dbos_errors

from contracts import (
    ALL_CAPABILITIES,
    BackendUnavailableError,
    Capability,
    ComponentConfigError,
    ComponentHealth,
    ComponentSpec,
    GetRequest,
    HistoryEvent,
    HistoryRequest,
    InstanceExistsError,
    InstanceNotFoundError,
    InstancePage,
    InstanceState,
    InvalidRequestError,
    InvalidStateError,
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
    WorkflowError,
    parse_metadata,
)
from flowport_dbos import _mapping as mapping
from flowport_dbos._metadata import DbosMetadata, split, sqlite_file

T = TypeVar("T")

# DBOS is a process-wide singleton: remember which component launched it.
_owner_lock = threading.Lock()
_owner: DbosComponent | None = None


class DbosComponent(WorkflowComponent):
    """DBOS Transact workflows, hosted in the gateway process."""

    # DBOS can do all nine: pause is a cancel that ``resume_workflow`` undoes (DBOS resumes a
    # cancelled workflow from its last completed step), told apart from terminate by a marker.
    capabilities: ClassVar[frozenset[Capability]] = ALL_CAPABILITIES
    #: ``?timeout=SECONDS`` on start: DBOS cancels the workflow at that deadline (CANCELED).
    start_options: ClassVar[frozenset[str]] = frozenset({"timeout"})

    def __init__(self, spec: ComponentSpec) -> None:
        super().__init__(spec)
        # Validation only, no I/O: the gateway reports every broken YAML file at once.
        self.metadata = parse_metadata(DbosMetadata, spec)
        self.database_url = self.metadata.database_url(spec.name, spec.base_dir)
        self.workflows: dict[str, Callable[..., Any]] = {}
        self._launched = False
        # Held while DBOS launches or shuts down: if the gateway gives up on a slow init
        # (initTimeout), its close waits for the launch thread and then undoes it.
        self._lifecycle = threading.Lock()

    # --- lifecycle ---------------------------------------------------------------------------

    async def init(self) -> None:
        await asyncio.to_thread(self._launch)

    def _launch(self) -> None:
        with self._lifecycle:
            self._launch_locked()

    def _launch_locked(self) -> None:
        global _owner
        with _owner_lock:
            if _owner is not None:
                raise self._config_error(
                    f"DBOS runs once per process and component {_owner.name!r} already runs it; "
                    "serve each workflow.dbos component from its own gateway",
                    "type",
                )
            _owner = self
        try:
            self.workflows = self._load_workflows()
            database = sqlite_file(self.database_url)
            if database is not None:
                database.parent.mkdir(parents=True, exist_ok=True)
            config: DBOSConfig = {
                "name": self.metadata.app_name,
                "system_database_url": self.database_url,
                "log_level": self.metadata.log_level,
            }
            if self.metadata.application_version:
                config["application_version"] = self.metadata.application_version
            DBOS(config=config)
            try:
                # Launched from a worker thread on purpose: DBOS adopts a running event loop
                # it finds for its async workflows, and the gateway's loop must stay ours.
                DBOS.launch()
                DBOS.register_queue(
                    self.metadata.queue_name, polling_interval_sec=self.metadata.queue_polling_interval
                )
            except Exception:
                DBOS.destroy()
                raise
        except ComponentConfigError:
            self._release()
            raise
        except (sqlalchemy.exc.SQLAlchemyError, OSError) as exc:
            self._release()
            raise BackendUnavailableError(
                f"cannot open the DBOS system database {self._safe_url()}: {exc}"
            ) from None
        except BaseException:
            self._release()
            raise
        self._launched = True

    def _load_workflows(self) -> dict[str, Callable[..., Any]]:
        for path in reversed(self.metadata.import_paths(self.spec.base_dir)):
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))
        workflows: dict[str, Callable[..., Any]] = {}
        for ref in split(self.metadata.workflows):
            module_name, _, attribute = ref.partition(":")
            try:
                target: Any = importlib.import_module(module_name)
                for part in attribute.split("."):
                    target = getattr(target, part)
            except Exception as exc:
                raise self._config_error(
                    f"cannot load {ref!r}: {type(exc).__name__}: {exc}", "workflows"
                ) from None
            # DBOS marks the functions it registered with the name it registered them under.
            name = getattr(target, "dbos_function_name", None)
            if not callable(target) or not isinstance(name, str) or not _registered_workflow(name):
                raise self._config_error(f"{ref!r} is not a @DBOS.workflow() function", "workflows")
            workflows[name] = target
        return workflows

    async def close(self) -> None:
        await asyncio.to_thread(self._shut_down)

    def _shut_down(self) -> None:
        with self._lifecycle:
            if self._launched:
                self._launched = False
                DBOS.destroy()
                self._release()

    def _release(self) -> None:
        global _owner
        with _owner_lock:
            if _owner is self:
                _owner = None

    async def health(self) -> ComponentHealth:
        if not self._launched:
            return ComponentHealth(healthy=False, detail="DBOS is not launched")
        return ComponentHealth(healthy=True)

    async def workflow_names(self) -> Sequence[str] | None:
        return sorted(self.workflows)

    # --- operations --------------------------------------------------------------------------

    async def start(self, request: StartRequest) -> None:
        if request.workflow_name not in self.workflows:
            known = ", ".join(sorted(self.workflows)) or "none"
            raise InvalidRequestError(
                f"component {self.name!r} has no workflow named {request.workflow_name!r} (known: {known})"
            )
        options: EnqueueOptions = {
            "workflow_name": request.workflow_name,
            "queue_name": self.metadata.queue_name,
            "workflow_id": request.instance_id,
            # DBOS's default answers a reused ID with the existing workflow; Dapr wants a 409.
            "workflow_id_reuse_policy": "reject",
            "app_version": DBOS.application_version,
        }
        if request.start_at is not None:
            delay = (request.start_at - datetime.now(UTC)).total_seconds()
            if delay > 0:
                options["delay_seconds"] = delay
        if "timeout" in request.options:
            options["workflow_timeout"] = _seconds(request.options["timeout"])
        arguments = mapping.start_arguments(request.serialized_input)
        await self._call(request.instance_id, DBOS.enqueue_workflow_with_options, options, *arguments)

    async def get(self, request: GetRequest) -> InstanceState:
        def read() -> InstanceState:
            # DBOS loads a failure with the output: always load, then drop what was not asked for.
            status = self._existing(request.instance_id, payloads=True)
            custom = None
            if request.fetch_payloads:
                custom = DBOS.get_all_events(request.instance_id).get(mapping.CUSTOM_STATUS_EVENT)
            return mapping.instance_state(status, custom, payloads=request.fetch_payloads)

        return await self._call(request.instance_id, read)

    async def terminate(self, request: TerminateRequest) -> None:
        # DBOS keeps no output for a cancelled workflow: ``serialized_output`` is dropped.
        def stop() -> None:
            status = self._existing(request.instance_id)
            if mapping.runtime_status(status).is_terminal:
                return
            ids = [request.instance_id]
            if request.recursive:
                ids += self._descendants(request.instance_id)
            for instance_id in ids:
                # Marked first: a cancel without the marker would read as CANCELED.
                DBOS.update_workflow_attributes(
                    instance_id, {mapping.STOP_ATTRIBUTE: mapping.TERMINATE}, merge=True
                )
            DBOS.cancel_workflows(ids)

        await self._call(request.instance_id, stop)

    async def raise_event(self, request: RaiseEventRequest) -> None:
        message = None if request.serialized_data is None else json.loads(request.serialized_data)
        await self._call(request.instance_id, DBOS.send, request.instance_id, message, request.event_name)

    async def pause(self, request: PauseRequest) -> None:
        def pause() -> None:
            status = self._existing(request.instance_id)
            runtime = mapping.runtime_status(status)
            if runtime is RuntimeStatus.SUSPENDED:
                return
            if runtime.is_terminal:
                raise InvalidStateError(
                    f"instance {request.instance_id!r} is {runtime.value}; only a running one can pause",
                    instance_id=request.instance_id,
                )
            DBOS.update_workflow_attributes(
                request.instance_id, {mapping.STOP_ATTRIBUTE: mapping.PAUSE}, merge=True
            )
            # The workflow stops at its next step; a step already running finishes first.
            DBOS.cancel_workflow(request.instance_id)

        await self._call(request.instance_id, pause)

    async def resume(self, request: ResumeRequest) -> None:
        def resume() -> None:
            status = self._existing(request.instance_id)
            runtime = mapping.runtime_status(status)
            if runtime is not RuntimeStatus.SUSPENDED:
                raise InvalidStateError(
                    f"instance {request.instance_id!r} is {runtime.value}, not SUSPENDED",
                    instance_id=request.instance_id,
                )
            # Messages sent while paused wait in DBOS's mailbox; the resumed workflow reads them.
            DBOS.resume_workflow(request.instance_id, queue_name=self.metadata.queue_name)
            # Cleared after the resume: a crash in between leaves a marker on a live workflow,
            # which is read only once the workflow is cancelled again, and then overwritten.
            DBOS.update_workflow_attributes(request.instance_id, {mapping.STOP_ATTRIBUTE: None}, merge=True)

        await self._call(request.instance_id, resume)

    async def purge(self, request: PurgeRequest) -> PurgeResult:
        def purge() -> PurgeResult:
            status = self._existing(request.instance_id)
            runtime = mapping.runtime_status(status)
            if not runtime.is_terminal:
                raise InvalidStateError(
                    f"instance {request.instance_id!r} is {runtime.value}; only a finished one can be purged",
                    instance_id=request.instance_id,
                )
            children = self._descendants(request.instance_id) if request.recursive else []
            DBOS.delete_workflow(request.instance_id, delete_children=request.recursive)
            return PurgeResult(purged_instances=1 + len(children))

        return await self._call(request.instance_id, purge)

    async def list_instances(self, request: ListRequest) -> InstancePage:
        return await self._call(None, self._page, request)

    def _page(self, request: ListRequest) -> InstancePage:
        dbos_statuses = sorted({s for status in request.statuses for s in mapping.DBOS_STATUSES[status]})
        if request.statuses and not dbos_statuses:  # CONTINUED_AS_NEW: DBOS has no such thing
            return InstancePage([], None)
        cursor = mapping.Cursor.from_token(request.continuation_token) if request.continuation_token else None
        found: list[InstanceState] = []
        # Three Dapr statuses share DBOS's CANCELLED, so rows may be filtered out after the
        # query: keep reading until the page is full or DBOS has no more rows.
        while True:
            wanted = request.page_size - len(found)
            limit = wanted + (len(cursor.seen) if cursor else 0) + 1
            rows = DBOS.list_workflows(
                status=dbos_statuses or None,
                name=request.workflow_name,
                end_time=cursor.end_time() if cursor else None,
                limit=limit,
                sort_desc=True,
            )
            fresh = [row for row in rows if cursor is None or not cursor.shown(row)]
            for row in fresh:
                if len(found) == request.page_size and cursor is not None:
                    return InstancePage(found, cursor.token())
                cursor = mapping.Cursor.advance(cursor, row)
                state = mapping.instance_state(row)
                if not request.statuses or state.runtime_status in request.statuses:
                    found.append(state)
            if len(rows) < limit:  # DBOS has no more rows
                return InstancePage(found, None)

    async def history(self, request: HistoryRequest) -> Sequence[HistoryEvent]:
        def read() -> Sequence[HistoryEvent]:
            status = self._existing(request.instance_id, payloads=True)
            return mapping.history(status, DBOS.list_workflow_steps(request.instance_id))

        return await self._call(request.instance_id, read)

    # --- helpers -----------------------------------------------------------------------------

    def _existing(self, instance_id: str, *, payloads: bool = False) -> WorkflowStatus:
        # DBOS's cancel and delete quietly accept unknown IDs: look first, to answer 404.
        rows = DBOS.list_workflows(workflow_ids=[instance_id], load_input=payloads, load_output=payloads)
        if not rows:
            raise InstanceNotFoundError(f"no instance with ID {instance_id!r}", instance_id=instance_id)
        return rows[0]

    def _descendants(self, instance_id: str) -> list[str]:
        found: list[str] = []
        frontier = [instance_id]
        while frontier:
            children = DBOS.list_workflows(parent_workflow_id=frontier, load_input=False, load_output=False)
            frontier = [child.workflow_id for child in children if child.workflow_id not in found]
            found += frontier
        return found

    async def _call(self, instance_id: str | None, function: Callable[..., T], *args: Any) -> T:
        if not self._launched:
            raise BackendUnavailableError(f"component {self.name!r} is not initialised")
        with _mapped(instance_id, self._safe_url()):
            return await asyncio.to_thread(function, *args)

    def _config_error(self, reason: str, field: str) -> ComponentConfigError:
        where = "spec.type" if field == "type" else f"spec.metadata.{field}"
        return ComponentConfigError(reason, field=where, file=self.spec.source, component=self.name)

    def _safe_url(self) -> str:
        return sqlalchemy.make_url(self.database_url).render_as_string(hide_password=True)


@contextmanager
def _mapped(instance_id: str | None, database: str) -> Iterator[None]:
    """DBOS's exceptions as the contract's; anything else is a bug and escapes as a 500."""
    try:
        yield
    except WorkflowError:
        raise
    except dbos_errors.DBOSNonExistentWorkflowError:
        raise InstanceNotFoundError(f"no instance with ID {instance_id!r}", instance_id=instance_id) from None
    except dbos_errors.DBOSWorkflowIDInUseError as exc:
        raise InstanceExistsError(exc.message, instance_id=instance_id) from None
    except sqlalchemy.exc.OperationalError as exc:
        raise BackendUnavailableError(
            f"the DBOS system database {database} failed: {exc.orig}", instance_id=instance_id
        ) from None


def _registered_workflow(name: str) -> bool:
    # Steps carry a DBOS name too, and DBOS 3 offers no public way to ask whether a name is a
    # workflow: its registry is the only place that knows. Without it, trust the name.
    try:
        from dbos._dbos import _get_or_create_dbos_registry
    except ImportError:
        return True
    return name in _get_or_create_dbos_registry().workflow_info_map


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise InvalidRequestError(f"timeout must be a positive number of seconds, not {value!r}")
    return seconds
