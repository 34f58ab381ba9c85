"""``workflow.temporal``: the Dapr workflow API over a Temporal server.

Every operation is one or a few raw ``WorkflowService`` RPCs rather than the SDK's high-level
client: the high-level ``describe()`` and ``list_workflows()`` decode the status with an
enum that has no PAUSED and raise on a paused workflow, and the raw calls let payloads pass
as the JSON text they already are.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from temporalio.api.common.v1 import Header, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import WorkflowIdReusePolicy
from temporalio.api.history.v1 import HistoryEvent as TemporalEvent
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import (
    DeleteWorkflowExecutionRequest,
    DescribeWorkflowExecutionRequest,
    DescribeWorkflowExecutionResponse,
    GetWorkflowExecutionHistoryRequest,
    GetWorkflowExecutionHistoryReverseRequest,
    ListWorkflowExecutionsRequest,
    PauseWorkflowExecutionRequest,
    SignalWorkflowExecutionRequest,
    StartWorkflowExecutionRequest,
    TerminateWorkflowExecutionRequest,
    UnpauseWorkflowExecutionRequest,
)
from temporalio.service import WorkflowService

from components.temporal._connection import Connection
from components.temporal._history import normalise_history
from components.temporal._mapping import (
    CUSTOM_STATUS_MEMO,
    decode_token,
    encode_token,
    execution_properties,
    instance_failure,
    is_open,
    listed_instance,
    proto_duration,
    quote,
    run_of,
    runtime_status,
    start_delay,
    start_timeout,
    stuck_warning,
    temporal_status_name,
    timestamp,
    visibility_query,
    workflow_input,
    workflow_output,
)
from components.temporal._metadata import connection_settings
from components.temporal._payloads import json_payloads, payload_json
from contracts import (
    ALL_CAPABILITIES,
    ComponentHealth,
    ComponentSpec,
    GetRequest,
    HistoryEvent,
    HistoryRequest,
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
)

#: Shown with every purge: Temporal deletes asynchronously (see docs/temporal.md).
PURGE_DETAIL = (
    "Temporal deletes the execution asynchronously: get and list may still show the instance "
    "for up to about a minute (typically 10 to 35 s) before it answers 404"
)

_HISTORY_PAGE = 1000


class TemporalComponent(WorkflowComponent):
    """All nine operations against one Temporal namespace, through one lazily connected client."""

    capabilities = ALL_CAPABILITIES
    start_options = frozenset({"taskQueue", "executionTimeout"})
    list_filters = frozenset(ListFilter)

    def __init__(self, spec: ComponentSpec) -> None:
        super().__init__(spec)
        self._connection = Connection(connection_settings(spec), spec.name, spec.source)

    async def init(self) -> None:
        # A server that is down now must not stop the gateway: requests answer 503 and the
        # client connects when the server comes back.
        await self._connection.open()
        await self._connection.probe()

    async def close(self) -> None:
        self._connection.close()

    async def health(self) -> ComponentHealth:
        return await self._connection.health()

    # -- start and get --------------------------------------------------------------------

    async def start(self, request: StartRequest) -> None:
        conn = self._connection
        task_queue = request.options.get("taskQueue") or conn.settings.default_task_queue
        if not task_queue:
            raise InvalidRequestError(
                f"no task queue for {request.workflow_name!r}: pass the start option taskQueue "
                f"(?taskQueue=NAME) or set the metadata taskQueue of component {self.name!r}",
                instance_id=request.instance_id,
            )
        start = StartWorkflowExecutionRequest(
            namespace=conn.namespace,
            workflow_id=request.instance_id,
            workflow_type=WorkflowType(name=request.workflow_name),
            task_queue=TaskQueue(name=task_queue),
            input=json_payloads(request.serialized_input),
            identity=conn.identity,
            request_id=str(uuid.uuid4()),
            # An ID names one instance until it is purged: a closed one is never silently replaced.
            workflow_id_reuse_policy=WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
        )
        timeout = request.options.get("executionTimeout")
        if timeout is not None:
            start.workflow_execution_timeout.CopyFrom(
                proto_duration(start_timeout(timeout, request.instance_id))
            )
        delay = start_delay(request.start_at, datetime.now(UTC))
        if delay is not None:
            start.workflow_start_delay.CopyFrom(proto_duration(delay))
        await conn.call(
            "start",
            request.instance_id,
            lambda svc, t: svc.start_workflow_execution(start, timeout=t),
            name="StartWorkflowExecution",
            header=start.header,
        )

    async def get(self, request: GetRequest) -> InstanceState:
        # Three reads in one round trip: the describe RPC (status, times, memo) and the first
        # and last history events (input; output or failure and the last-updated time).
        current = WorkflowExecution(workflow_id=request.instance_id)
        described, first, last = await asyncio.gather(
            self._describe(request.instance_id, "get"),
            self._first_event(current) if request.fetch_payloads else _none(),
            self._last_event(current),
            return_exceptions=True,
        )
        if isinstance(described, BaseException):
            raise described
        info = described.workflow_execution_info
        run_id = info.execution.run_id
        if isinstance(first, BaseException) or (first is not None and run_of(first) not in ("", run_id)):
            # the instance continued as new between the reads: read this run's input again
            first = await self._first_event(WorkflowExecution(workflow_id=request.instance_id, run_id=run_id))
        # The reads race the workflow: a run that closed after the history read but before the
        # describe would show COMPLETED without its output. Read the closing event again then.
        stale = (
            last is not None
            and not isinstance(last, BaseException)
            and info.HasField("close_time")
            and last.event_id < info.history_length
        )
        if isinstance(last, BaseException) or stale:
            last = await self._last_event(WorkflowExecution(workflow_id=request.instance_id, run_id=run_id))
        now = datetime.now(UTC)
        created = timestamp(info.start_time) or now
        status = runtime_status(info.status, timestamp(info.execution_time), now)
        state_properties = execution_properties(info)
        state_properties.update(stuck_warning(described, last, now))
        custom = info.memo.fields.get(CUSTOM_STATUS_MEMO) if request.fetch_payloads else None
        return InstanceState(
            instance_id=request.instance_id,
            workflow_name=info.type.name,
            runtime_status=status,
            created_at=created,
            last_updated_at=timestamp(info.close_time)
            or (timestamp(last.event_time) if last is not None else None)
            or created,
            serialized_input=workflow_input(first),
            serialized_output=(
                workflow_output(last)
                if request.fetch_payloads and status is RuntimeStatus.COMPLETED
                else None
            ),
            serialized_custom_status=payload_json(custom) if custom is not None else None,
            failure=instance_failure(info.status, last),
            properties=state_properties,
        )

    # -- operations on a running instance -------------------------------------------------

    async def raise_event(self, request: RaiseEventRequest) -> None:
        conn = self._connection
        signal = SignalWorkflowExecutionRequest(
            namespace=conn.namespace,
            workflow_execution=WorkflowExecution(workflow_id=request.instance_id),
            signal_name=request.event_name,
            input=json_payloads(request.serialized_data),
            identity=conn.identity,
            request_id=str(uuid.uuid4()),
        )
        await self._on_open_instance(
            "raise event",
            request.instance_id,
            lambda svc, t: svc.signal_workflow_execution(signal, timeout=t),
            name="SignalWorkflowExecution",
            header=signal.header,
        )

    async def pause(self, request: PauseRequest) -> None:
        conn = self._connection
        pause = PauseWorkflowExecutionRequest(
            namespace=conn.namespace,
            workflow_id=request.instance_id,
            identity=conn.identity,
            reason=request.reason or "paused through Flowport",
            request_id=str(uuid.uuid4()),
        )
        try:
            await self._on_open_instance(
                "pause",
                request.instance_id,
                lambda svc, t: svc.pause_workflow_execution(pause, timeout=t),
                name="PauseWorkflowExecution",
            )
        except InvalidStateError:
            # Pausing a paused instance changes nothing; say yes, as for a repeated pause in Dapr.
            described = await self._describe(request.instance_id, "pause")
            if temporal_status_name(described.workflow_execution_info.status) != "PAUSED":
                raise

    async def resume(self, request: ResumeRequest) -> None:
        conn = self._connection
        unpause = UnpauseWorkflowExecutionRequest(
            namespace=conn.namespace,
            workflow_id=request.instance_id,
            identity=conn.identity,
            reason=request.reason or "resumed through Flowport",
            request_id=str(uuid.uuid4()),
        )
        await self._on_open_instance(
            "resume",
            request.instance_id,
            lambda svc, t: svc.unpause_workflow_execution(unpause, timeout=t),
            name="UnpauseWorkflowExecution",
        )

    async def terminate(self, request: TerminateRequest) -> None:
        conn = self._connection
        terminate = TerminateWorkflowExecutionRequest(
            namespace=conn.namespace,
            workflow_execution=WorkflowExecution(workflow_id=request.instance_id),
            reason=request.reason or "terminated through Flowport",
            details=json_payloads(request.serialized_output),
            identity=conn.identity,
        )
        try:
            await self._on_open_instance(
                "terminate",
                request.instance_id,
                lambda svc, t: svc.terminate_workflow_execution(terminate, timeout=t),
                name="TerminateWorkflowExecution",
            )
        except InvalidStateError:
            return  # already closed: terminate is a no-op on a terminal instance

    async def _on_open_instance(
        self, operation: str, instance_id: str, rpc: _Rpc, *, name: str, header: Header | None = None
    ) -> None:
        """Run an RPC that Temporal answers NOT_FOUND both for an unknown and a closed instance.

        The two deserve different answers (404 and 409), so a NOT_FOUND is told apart by
        describing the instance.
        """
        try:
            await self._connection.call(operation, instance_id, rpc, name=name, header=header)
        except InstanceNotFoundError:
            described = await self._describe(instance_id, operation)
            status = described.workflow_execution_info.status
            raise InvalidStateError(
                f"cannot {operation} {instance_id!r}: it is {temporal_status_name(status)} in Temporal",
                instance_id=instance_id,
            ) from None

    # -- purge, list, history -------------------------------------------------------------

    async def purge(self, request: PurgeRequest) -> PurgeResult:
        described = await self._describe(request.instance_id, "purge")
        info = described.workflow_execution_info
        if is_open(info.status):
            raise InvalidStateError(
                f"cannot purge {request.instance_id!r} while it is {temporal_status_name(info.status)}: "
                "terminate it first",
                instance_id=request.instance_id,
            )
        await self._delete_runs(request.instance_id, info.execution.run_id)
        if not request.recursive:
            return PurgeResult(purged_instances=1, detail=PURGE_DETAIL)
        purged, running = await self._purge_descendants(request.instance_id)
        detail = PURGE_DETAIL
        if running:
            detail += (
                f"; kept {len(running)} descendant(s) still running (a child that outlives its parent "
                f"is its own): {', '.join(sorted(running))}"
            )
        return PurgeResult(purged_instances=1 + purged, detail=detail)

    async def _delete_runs(self, instance_id: str, current_run_id: str) -> None:
        """Delete the current run and any earlier runs it continued as new from."""
        run_ids = [current_run_id]
        older = await self._visible(f"WorkflowId = {quote(instance_id)}")
        run_ids += [info.execution.run_id for info in older if info.execution.run_id != current_run_id]
        for run_id in run_ids:
            await self._delete(WorkflowExecution(workflow_id=instance_id, run_id=run_id))

    async def _purge_descendants(self, root: str) -> tuple[int, set[str]]:
        """Delete every closed descendant of ``root``, a generation at a time, however deep.

        Answers how many instances went and the IDs of the running ones that were kept (with
        their own descendants): a child that outlives its parent (ParentClosePolicy ABANDON)
        is not the parent's to delete.
        """
        purged = 0
        running: set[str] = set()
        seen = {root}
        generation = [root]
        while generation:
            children: dict[str, list[_Info]] = {}
            for parent in generation:
                for run in await self._visible(f"ParentWorkflowId = {quote(parent)}"):
                    children.setdefault(run.execution.workflow_id, []).append(run)
            generation = []
            for child, runs in children.items():
                if child in seen:
                    continue
                seen.add(child)
                if any(is_open(run.status) for run in runs):
                    running.add(child)
                    continue
                for run in runs:  # every run: a child may have continued as new
                    await self._delete(run.execution)
                purged += 1
                generation.append(child)
        return purged, running

    async def _delete(self, execution: WorkflowExecution) -> None:
        conn = self._connection
        delete = DeleteWorkflowExecutionRequest(namespace=conn.namespace, workflow_execution=execution)
        # Not found: deleted meanwhile (a repeated purge), so the goal is met.
        with contextlib.suppress(InstanceNotFoundError):
            await conn.call(
                "purge",
                execution.workflow_id,
                lambda svc, t: svc.delete_workflow_execution(delete, timeout=t),
                name="DeleteWorkflowExecution",
            )

    async def _visible(self, query: str) -> list[_Info]:
        found: list[_Info] = []
        token = b""
        while True:
            executions, token = await self._list_page("purge", query, _HISTORY_PAGE, token)
            found.extend(executions)
            if not token:
                return found

    async def _list_page(
        self, operation: str, query: str, page_size: int, token: bytes
    ) -> tuple[Sequence[_Info], bytes]:
        conn = self._connection
        listing = ListWorkflowExecutionsRequest(
            namespace=conn.namespace, page_size=page_size, next_page_token=token, query=query
        )
        page = await conn.call(
            operation,
            None,
            lambda svc, t: svc.list_workflow_executions(listing, timeout=t),
            name="ListWorkflowExecutions",
        )
        return page.executions, page.next_page_token

    async def list_instances(self, request: ListRequest) -> InstancePage:
        now = datetime.now(UTC)
        query = visibility_query(request, now)
        token = decode_token(request.continuation_token)
        executions, token = await self._list_page("list", query, request.page_size, token)
        return InstancePage(
            instances=[listed_instance(info, now) for info in executions],
            continuation_token=encode_token(token),
        )

    async def history(self, request: HistoryRequest) -> Sequence[HistoryEvent]:
        events: list[TemporalEvent] = []
        token = b""
        while True:
            page, token = await self._history_page(request.instance_id, token)
            events.extend(page)
            if not token:
                return normalise_history(events)

    async def _history_page(self, instance_id: str, token: bytes) -> tuple[Sequence[TemporalEvent], bytes]:
        conn = self._connection
        fetch = GetWorkflowExecutionHistoryRequest(
            namespace=conn.namespace,
            execution=WorkflowExecution(workflow_id=instance_id),
            maximum_page_size=_HISTORY_PAGE,
            next_page_token=token,
        )
        page = await conn.call(
            "history",
            instance_id,
            lambda svc, t: svc.get_workflow_execution_history(fetch, timeout=t),
            name="GetWorkflowExecutionHistory",
        )
        return page.history.events, page.next_page_token

    # -- reads shared by several operations -----------------------------------------------

    async def _describe(self, instance_id: str, operation: str) -> DescribeWorkflowExecutionResponse:
        conn = self._connection
        describe = DescribeWorkflowExecutionRequest(
            namespace=conn.namespace, execution=WorkflowExecution(workflow_id=instance_id)
        )
        return await conn.call(
            operation,
            instance_id,
            lambda svc, t: svc.describe_workflow_execution(describe, timeout=t),
            name="DescribeWorkflowExecution",
        )

    async def _first_event(self, run: WorkflowExecution) -> TemporalEvent | None:
        conn = self._connection
        fetch = GetWorkflowExecutionHistoryRequest(
            namespace=conn.namespace, execution=run, maximum_page_size=1
        )
        page = await conn.call(
            "get",
            run.workflow_id,
            lambda svc, t: svc.get_workflow_execution_history(fetch, timeout=t),
            name="GetWorkflowExecutionHistory",
        )
        return page.history.events[0] if page.history.events else None

    async def _last_event(self, run: WorkflowExecution) -> TemporalEvent | None:
        # The reverse read returns the newest event first and never waits for new ones.
        conn = self._connection
        fetch = GetWorkflowExecutionHistoryReverseRequest(
            namespace=conn.namespace, execution=run, maximum_page_size=1
        )
        page = await conn.call(
            "get",
            run.workflow_id,
            lambda svc, t: svc.get_workflow_execution_history_reverse(fetch, timeout=t),
            name="GetWorkflowExecutionHistoryReverse",
        )
        return page.history.events[0] if page.history.events else None


# -- helpers ----------------------------------------------------------------------------------

_Info = WorkflowExecutionInfo
_Rpc = Callable[[WorkflowService, timedelta], Awaitable[object]]


async def _none() -> None:
    return None
