"""``workflow.conductor``: the contract's operations as calls to Conductor's REST API."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from components.conductor._client import ConductorClient
from components.conductor._definitions import load_definitions
from components.conductor._instances import WITHDRAWN, InstanceIndex
from components.conductor._mapping import (
    CONDUCTOR_STATUSES,
    event_output,
    history_events,
    instance_state,
    pending_event_task,
    sub_workflow_ids,
    summary_state,
    workflow_input,
)
from components.conductor._metadata import ConductorSettings, read_settings
from contracts import (
    BackendTimeoutError,
    BackendUnavailableError,
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
    NotSupportedError,
    PauseRequest,
    PurgeRequest,
    PurgeResult,
    RaiseEventRequest,
    ResumeRequest,
    StartRequest,
    TerminateRequest,
    WorkflowComponent,
    WorkflowError,
    trace_context,
)

_TERMINAL = frozenset({"COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED"})
_DEFAULT_TERMINATE_REASON = "terminated through Flowport"
#: tries to claim an instance ID while other starts of the same ID keep colliding with it
_CLAIM_ATTEMPTS = 8


class ConductorComponent(WorkflowComponent):
    """Serves the Dapr workflow API from a Conductor server (OSS, or Orkes with a key).

    The caller's instance ID is the workflow's ``correlationId`` (see ``_instances``); every
    operation accepts it, or a workflow ID that Conductor generated.
    """

    start_options: ClassVar[frozenset[str]] = frozenset({"version"})

    def __init__(self, spec: ComponentSpec) -> None:
        super().__init__(spec)
        self.settings: ConductorSettings = read_settings(spec)
        self._client: ConductorClient | None = None
        self._index: InstanceIndex | None = None

    # --- lifecycle ------------------------------------------------------------------

    async def init(self) -> None:
        client = ConductorClient(
            self.settings.api_url,
            timeout=self.settings.request_timeout,
            auth=self.settings.auth,
            component=self.name,
        )
        self._client, self._index = client, InstanceIndex(client)
        await client.check_api()
        await self._probe()
        if self.settings.definitions is None:
            return
        definitions = await asyncio.to_thread(load_definitions, self.settings.definitions)
        try:
            # 404 here: a workflow names a task or sub-workflow Conductor does not know
            if definitions.task_defs:
                tasks = list(definitions.task_defs)
                await client.post_json("/metadata/taskdefs", tasks, missing=InvalidRequestError)
            if definitions.workflow_defs:
                workflows = list(definitions.workflow_defs)
                await client.put("/metadata/workflow", workflows, missing=InvalidRequestError)
        except InvalidRequestError as exc:
            raise ComponentConfigError(
                f"Conductor rejected the definitions: {exc.message}", field="spec.metadata.definitions"
            ) from None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def health(self) -> ComponentHealth:
        try:
            await self._probe()
        except WorkflowError as exc:
            return ComponentHealth(healthy=False, detail=exc.message)
        return ComponentHealth(healthy=True)

    async def workflow_names(self) -> Sequence[str] | None:
        try:
            names = await self._http.get_json("/metadata/workflow/names-and-versions")
        except WorkflowError:
            return None
        return sorted(names) if isinstance(names, dict) else None

    # --- operations -----------------------------------------------------------------

    async def start(self, request: StartRequest) -> None:
        if request.start_at is not None:
            raise NotSupportedError("Conductor cannot start a workflow at a later time (startTime)")
        body: dict[str, Any] = {
            "name": request.workflow_name,
            "correlationId": request.instance_id,
            "input": workflow_input(request.serialized_input, trace_context()),
        }
        version = request.options.get("version")
        if version is not None:
            if not version.strip().isdigit():
                raise InvalidRequestError(f"start option version={version!r} is not a whole number")
            body["version"] = int(version)
        instance_id = request.instance_id
        async with self._ids.exclusive(instance_id):
            # See _instances for why this claims the ID safely against other gateways.
            for attempt in range(_CLAIM_ATTEMPTS):
                await self._refuse_taken(instance_id)
                # Conductor answers 404 for an unknown workflow name or version.
                workflow_id = await self._http.post_text(
                    "/workflow", body, instance_id=instance_id, missing=InvalidRequestError
                )
                workflow_id = workflow_id.strip()
                rivals = [
                    hit
                    for hit in await self._ids.claimants(instance_id)
                    if hit.get("workflowId") != workflow_id
                ]
                if not rivals:
                    self._ids.remember(instance_id, workflow_id)
                    return
                await self._withdraw(workflow_id)
                await asyncio.sleep(random.uniform(0.01, 0.1) * (attempt + 1))
        raise BackendUnavailableError(
            f"could not claim instance ID {instance_id!r}: concurrent starts collided {_CLAIM_ATTEMPTS}x",
            instance_id=instance_id,
        )

    async def get(self, request: GetRequest) -> InstanceState:
        _, workflow = await self._workflow(request.instance_id, include_tasks=False)
        return instance_state(request.instance_id, workflow, fetch_payloads=request.fetch_payloads)

    async def terminate(self, request: TerminateRequest) -> None:
        workflow_id, workflow = await self._workflow(request.instance_id, include_tasks=False)
        if workflow.get("status") in _TERMINAL:
            # Conductor would turn a FAILED workflow into TERMINATED; the contract says no-op.
            return
        reason = request.reason or _DEFAULT_TERMINATE_REASON
        # InvalidStateError (409): it ended meanwhile, which is what the caller wanted
        with contextlib.suppress(InvalidStateError):
            await self._http.delete(
                f"/workflow/{_segment(workflow_id)}", {"reason": reason}, instance_id=request.instance_id
            )

    async def raise_event(self, request: RaiseEventRequest) -> None:
        instance_id = request.instance_id
        workflow_id, workflow = await self._workflow(instance_id, include_tasks=True)
        status = str(workflow.get("status"))
        if status in _TERMINAL:
            raise InvalidStateError(
                f"instance {instance_id!r} is {status}: it waits for no event", instance_id=instance_id
            )
        task = pending_event_task(workflow, request.event_name)
        if task is None:
            raise InvalidStateError(
                f"instance {instance_id!r} has no pending WAIT or HUMAN task with reference name "
                f"{request.event_name!r}; Conductor cannot keep an event for later, so raise it while the "
                "workflow waits for it",
                instance_id=instance_id,
            )
        result = {
            "workflowInstanceId": workflow_id,
            "taskId": task.get("taskId"),
            "status": "COMPLETED",
            "outputData": event_output(request.serialized_data),
        }
        # 404: the task is no longer pending (completed by another caller meanwhile)
        await self._http.post_text("/tasks", result, instance_id=instance_id, missing=InvalidStateError)

    async def pause(self, request: PauseRequest) -> None:
        workflow_id, workflow = await self._workflow(request.instance_id, include_tasks=False)
        status = str(workflow.get("status"))
        if status == "PAUSED":
            return
        if status in _TERMINAL:
            raise InvalidStateError(
                f"instance {request.instance_id!r} is {status}; only a running instance can be suspended",
                instance_id=request.instance_id,
            )
        await self._http.put(f"/workflow/{_segment(workflow_id)}/pause", instance_id=request.instance_id)

    async def resume(self, request: ResumeRequest) -> None:
        workflow_id, workflow = await self._workflow(request.instance_id, include_tasks=False)
        status = str(workflow.get("status"))
        if status != "PAUSED":
            # Checked here because Conductor answers this with a 500.
            raise InvalidStateError(
                f"instance {request.instance_id!r} is {status}, not suspended",
                instance_id=request.instance_id,
            )
        # resumed by someone else meanwhile: Conductor's 500 "not PAUSED" is an InvalidStateError
        await self._http.put(f"/workflow/{_segment(workflow_id)}/resume", instance_id=request.instance_id)

    async def purge(self, request: PurgeRequest) -> PurgeResult:
        workflow_id, workflow = await self._workflow(request.instance_id, include_tasks=True)
        status = str(workflow.get("status"))
        if status not in _TERMINAL:
            raise InvalidStateError(
                f"instance {request.instance_id!r} is {status}; only a completed, failed or terminated "
                "instance can be purged",
                instance_id=request.instance_id,
            )
        purged = 0
        if request.recursive:
            for child in sub_workflow_ids(workflow):
                purged += await self._purge_tree(child)
        await self._remove(workflow_id, request.instance_id)
        self._ids.forget(request.instance_id)
        return PurgeResult(purged_instances=purged + 1)

    async def list_instances(self, request: ListRequest) -> InstancePage:
        clauses: list[str] = []
        if request.statuses:
            wanted = sorted({name for status in request.statuses for name in CONDUCTOR_STATUSES[status]})
            if not wanted:  # PENDING, CANCELED, CONTINUED_AS_NEW: Conductor has none of these
                return InstancePage(instances=[])
            clauses.append(f"status IN ({','.join(wanted)})")
        if request.workflow_name is not None:
            if '"' in request.workflow_name or "\\" in request.workflow_name:
                raise InvalidRequestError(f"workflow name {request.workflow_name!r} cannot be searched for")
            clauses.append(f'workflowType="{request.workflow_name}"')
        offset = _offset(request.continuation_token)
        params: dict[str, Any] = {"start": offset, "size": request.page_size, "sort": "startTime:DESC"}
        if clauses:
            params["query"] = " AND ".join(clauses)
        page = await self._http.get_json("/workflow/search", params, missing=InvalidRequestError)
        hits = [hit for hit in page.get("results") or [] if isinstance(hit, dict)]
        total = int(page.get("totalHits") or 0)
        following = offset + len(hits)
        token = str(following) if hits and following < total else None
        return InstancePage(instances=[summary_state(hit) for hit in hits], continuation_token=token)

    async def history(self, request: HistoryRequest) -> Sequence[HistoryEvent]:
        _, workflow = await self._workflow(request.instance_id, include_tasks=True)
        return history_events(workflow)

    # --- plumbing -------------------------------------------------------------------

    @property
    def _http(self) -> ConductorClient:
        if self._client is None:
            raise BackendUnavailableError(f"component {self.name!r} is not initialised")
        return self._client

    @property
    def _ids(self) -> InstanceIndex:
        if self._index is None:
            raise BackendUnavailableError(f"component {self.name!r} is not initialised")
        return self._index

    async def _probe(self) -> None:
        answer = await self._http.probe(self.settings.health_path)
        if answer.status >= 500:
            raise BackendUnavailableError(f"Conductor reports itself unhealthy ({answer.status})")

    async def _workflow(self, instance_id: str, *, include_tasks: bool) -> tuple[str, Mapping[str, Any]]:
        """The Conductor workflow ID and document behind ``instance_id``."""
        workflow_id, cached = await self._ids.resolve(instance_id)
        workflow = await self._http.find_json(
            f"/workflow/{_segment(workflow_id)}",
            {"includeTasks": str(include_tasks).lower()},
            instance_id=instance_id,
        )
        if workflow is None and cached:  # purged by another gateway, maybe started again: look it up afresh
            self._ids.forget(instance_id)
            return await self._workflow(instance_id, include_tasks=include_tasks)
        if not isinstance(workflow, dict):
            raise InstanceNotFoundError(
                f"no workflow instance {instance_id!r} in Conductor", instance_id=instance_id
            )
        if not cached:
            self._ids.remember(instance_id, workflow_id)
        return workflow_id, workflow

    async def _refuse_taken(self, instance_id: str) -> None:
        owners = await self._ids.claimants(instance_id)
        if owners:
            raise InstanceExistsError(
                f"instance {instance_id!r} already exists (Conductor workflow {owners[0].get('workflowId')}, "
                f"{owners[0].get('status')}); purge it before reusing the ID",
                instance_id=instance_id,
            )
        if _is_uuid(instance_id):  # it could be the ID Conductor gave a workflow started elsewhere
            workflow = await self._http.find_json(
                f"/workflow/{_segment(instance_id)}", {"includeTasks": "false"}, instance_id=instance_id
            )
            if workflow is not None:
                raise InstanceExistsError(
                    f"{instance_id!r} is already the ID of a Conductor workflow", instance_id=instance_id
                )

    async def _withdraw(self, workflow_id: str) -> None:
        """Undo a start that met a rival for its instance ID (it may have ended already).

        Terminated with the ``WITHDRAWN`` reason first, so that other starts ignore it even
        if removing it fails or shows late.
        """
        path = f"/workflow/{_segment(workflow_id)}"
        steps = ((path, {"reason": WITHDRAWN}), (f"{path}/remove", {"archiveWorkflow": "false"}))
        for target, params in steps:
            try:
                await self._http.delete(target, params)
            except (BackendUnavailableError, BackendTimeoutError):
                raise  # the start answers 503/504: Conductor cannot be reached
            except WorkflowError:
                pass  # best effort: the workflow may have ended or gone meanwhile

    async def _purge_tree(self, workflow_id: str) -> int:
        workflow = await self._http.find_json(
            f"/workflow/{_segment(workflow_id)}", {"includeTasks": "true"}, instance_id=workflow_id
        )
        if workflow is None:
            return 0
        purged = 0
        for child in sub_workflow_ids(workflow):
            purged += await self._purge_tree(child)
        await self._remove(workflow_id, workflow_id)
        return purged + 1

    async def _remove(self, workflow_id: str, instance_id: str) -> None:
        # archiveWorkflow=false also drops the search-index entry; an archived workflow
        # would still be found by its correlation ID and look like a live instance.
        await self._http.delete(
            f"/workflow/{_segment(workflow_id)}/remove", {"archiveWorkflow": "false"}, instance_id=instance_id
        )


def _segment(value: str) -> str:
    return quote(value, safe="")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    if not token.isdigit():
        raise InvalidRequestError(f"continuation token {token!r} did not come from this component")
    return int(token)
