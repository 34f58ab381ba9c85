"""Dapr's Durable Task sidecar service (``TaskHubSidecarService``) over the built-in engine.

An unmodified Dapr workflow app (any SDK language) connects here as it would to daprd: its
workers take work items from ``GetWorkItems`` and answer them (``gateway.grpc_api.workers``),
its client starts and manages instances with the methods below. Everything runs on the
engine of one built-in component (``gateway.grpc_api.hosting``), so REST, the console, list
and history see the same instances; workflows that component's runtimes register run
in-process, all others on the connected workers.

Client methods, as daprd answers them (differences in docs/sidecar.md):

- ``StartInstance`` answers once the instance runs: a non-terminal ID in use is
  ALREADY_EXISTS, a terminal one is replaced (unless ``enforceUniqueInstanceId``);
  ``scheduledStartTimestamp`` delays the start (and the answer does not wait for it);
  ``parentTraceContext`` traces the instance's work.
- ``GetInstance`` answers ``exists=false`` for an unknown instance (the SDKs return None);
  ``WaitForInstanceStart`` / ``WaitForInstanceCompletion`` wait until the state is reached or
  the call's deadline passes.
- ``RaiseEvent`` (an event for a finished instance is FAILED_PRECONDITION: it would be lost),
  ``TerminateInstance`` (recursive unless told not), ``SuspendInstance``, ``ResumeInstance``
  return once the engine has made their effect durable.
- ``PurgeInstances`` purges one finished instance (recursive unless told not); the filter
  form is rejected, as daprd does.
- ``ListInstanceIDs`` pages with the engine's continuation tokens; ``GetInstanceHistory``
  gives the committed history of the current execution (what a turn's ``pastEvents`` hold);
  ``RerunWorkflowFromEvent`` starts a new instance from a finished one's history cut at an
  activity, timer or child workflow (``builtin_engine._rerun``).

Multi-app routing (``router`` with a target app) is refused: Flowport serves one app's workflows.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import grpc
from google.protobuf.empty_pb2 import Empty
from google.protobuf.message import Message

import builtin_engine as wf
import contracts
from builtin_engine._store import InstanceQuery, InstanceRecord, Status
from contracts import Capability
from gateway.grpc_api import mapping
from gateway.grpc_api.handlers import refusing, unary
from gateway.grpc_api.hosting import RemoteWorkerHost
from gateway.grpc_api.settings import GrpcSettings
from gateway.grpc_api.status import error_status
from gateway.grpc_api.stubs import SIDECAR_SERVICE
from gateway.grpc_api.stubs import orchestration as po
from gateway.grpc_api.stubs import sidecar as ps
from gateway.grpc_api.workers import WorkerStreams, stream_handler
from gateway.problems import PROBLEMS, ApiError, Operation, OperationError
from gateway.service import check_instance_id

#: page size of ``ListInstanceIDs`` when the request gives none
DEFAULT_PAGE_SIZE = 100


class SidecarService:
    """``TaskHubSidecarService`` over the engine of ``host`` (``None``: no built-in component to
    drive, so every method says so)."""

    def __init__(self, host: RemoteWorkerHost | None, settings: GrpcSettings) -> None:
        self._host = host
        self.workers = WorkerStreams(self._engine, settings.max_message_bytes, settings.health_ping_interval)

    def handler(self) -> grpc.GenericRpcHandler:
        if self._host is None:
            message = (
                "no built-in workflow component is configured: the Durable Task sidecar service "
                "(Dapr SDK workers) needs one (type workflow.builtin)"
            )
            refusal = refusing(error_status(PROBLEMS["not-found"], message, None))
            return grpc.method_handlers_generic_handler(SIDECAR_SERVICE, dict.fromkeys(_METHODS, refusal))
        workers = self.workers
        calls: dict[str, tuple[Callable[[Any], Awaitable[Message]], Any]] = {
            "Hello": (self.hello, Empty),
            "StartInstance": (self.start, ps.CreateInstanceRequest),
            "GetInstance": (self.get, ps.GetInstanceRequest),
            "WaitForInstanceStart": (self.wait_for_start, ps.GetInstanceRequest),
            "WaitForInstanceCompletion": (self.wait_for_completion, ps.GetInstanceRequest),
            "RaiseEvent": (self.raise_event, ps.RaiseEventRequest),
            "TerminateInstance": (self.terminate, ps.TerminateRequest),
            "SuspendInstance": (self.suspend, ps.SuspendRequest),
            "ResumeInstance": (self.resume, ps.ResumeRequest),
            "PurgeInstances": (self.purge, ps.PurgeInstancesRequest),
            "ListInstanceIDs": (self.list_ids, ps.ListInstanceIDsRequest),
            "GetInstanceHistory": (self.history, ps.GetInstanceHistoryRequest),
            "RerunWorkflowFromEvent": (self.rerun, ps.RerunWorkflowFromEventRequest),
            "CompleteOrchestratorTask": (workers.complete_workflow, ps.WorkflowResponse),
            "CompleteWorkflowTask": (workers.complete_workflow, ps.WorkflowResponse),
            "CompleteActivityTask": (workers.complete_activity, ps.ActivityResponse),
        }
        methods = {
            name: unary(call, request_type, f"/{SIDECAR_SERVICE}/{name}")
            for name, (call, request_type) in calls.items()
        }
        methods["GetWorkItems"] = stream_handler(workers.get_work_items)
        assert sorted(methods) == sorted(_METHODS), "every method of the service has its handler"
        return grpc.method_handlers_generic_handler(SIDECAR_SERVICE, methods)

    def _engine(self) -> wf.Engine:
        assert self._host is not None
        engine = self._host.engine
        if engine is None or not engine.running:
            raise ApiError(
                "component-failed",
                f"component {self._host.name!r} has no running workflow engine (see the gateway log)",
            )
        return engine

    # -- client methods ---------------------------------------------------------------------------

    async def hello(self, _: Empty) -> Empty:
        self._engine()
        return Empty()

    async def start(self, request: ps.CreateInstanceRequest) -> ps.CreateInstanceResponse:
        _local_only(request, Capability.START)
        if not request.name:
            raise ApiError("workflow-name-missing", "no workflow name given", operation=Capability.START)
        instance_id = request.instanceId or uuid.uuid4().hex
        check_instance_id(instance_id)
        if request.HasField("version") and request.version.value:
            raise ApiError(
                "malformed-request",
                f"version {request.version.value!r}: starting a given workflow version is not supported; "
                "the worker picks the version",
                operation=Capability.START,
            )
        if request.tags:
            raise ApiError("malformed-request", "instance tags are not supported", operation=Capability.START)
        start_at = (
            mapping.epoch_seconds(request.scheduledStartTimestamp)
            if request.HasField("scheduledStartTimestamp")
            else None
        )
        engine = self._engine()
        with _engine_errors(Capability.START, instance_id):
            await engine.schedule(
                request.name,
                mapping.text_of(request.input, request.HasField("input")),
                instance_id,
                start_at,
                replace_terminal=not request.enforceUniqueInstanceId,
                trace_context=mapping.trace_carrier(request.parentTraceContext),
            )
            if start_at is None:  # as daprd: the answer comes once the instance runs
                await engine.wait(instance_id, _started, None)
        return ps.CreateInstanceResponse(instanceId=instance_id)

    async def get(self, request: ps.GetInstanceRequest) -> ps.GetInstanceResponse:
        _local_only(request, Capability.GET)
        record = await self._engine().get(_instance_id(request.instanceId, Capability.GET))
        return _instance_response(record, request.getInputsAndOutputs)

    async def wait_for_start(self, request: ps.GetInstanceRequest) -> ps.GetInstanceResponse:
        return await self._wait(request, _started)

    async def wait_for_completion(self, request: ps.GetInstanceRequest) -> ps.GetInstanceResponse:
        return await self._wait(request, lambda r: r is None or r.status.is_terminal)

    async def _wait(
        self, request: ps.GetInstanceRequest, done: Callable[[InstanceRecord | None], bool]
    ) -> ps.GetInstanceResponse:
        """Until ``done`` holds; the call's deadline (the client's) bounds the wait."""
        _local_only(request, Capability.GET)
        instance_id = _instance_id(request.instanceId, Capability.GET)
        record = await self._engine().wait(instance_id, done, None)
        return _instance_response(record, request.getInputsAndOutputs)

    async def raise_event(self, request: ps.RaiseEventRequest) -> ps.RaiseEventResponse:
        _local_only(request, Capability.RAISE_EVENT)
        instance_id = _instance_id(request.instanceId, Capability.RAISE_EVENT)
        if not request.name:
            raise ApiError("event-name-missing", "no event name given", operation=Capability.RAISE_EVENT)
        engine = self._engine()
        record = await engine.get(instance_id)
        if record is not None and record.status.is_terminal:
            error = contracts.InvalidStateError(
                f"instance {instance_id!r} has finished ({record.status.value}); the event "
                f"{request.name!r} would never be delivered",
                instance_id=instance_id,
            )
            raise OperationError(error, Capability.RAISE_EVENT)
        data = mapping.text_of(request.input, request.HasField("input"))
        await self._admin(engine, Capability.RAISE_EVENT, instance_id, "raise_event", request.name, data)
        return ps.RaiseEventResponse()

    async def terminate(self, request: ps.TerminateRequest) -> ps.TerminateResponse:
        _local_only(request, Capability.TERMINATE)
        instance_id = _instance_id(request.instanceId, Capability.TERMINATE)
        output = mapping.text_of(request.output, request.HasField("output"))
        await self._admin(
            self._engine(), Capability.TERMINATE, instance_id, "terminate", output, request.recursive
        )
        return ps.TerminateResponse()

    async def suspend(self, request: ps.SuspendRequest) -> ps.SuspendResponse:
        await self._with_reason(request, Capability.PAUSE, "suspend")
        return ps.SuspendResponse()

    async def resume(self, request: ps.ResumeRequest) -> ps.ResumeResponse:
        await self._with_reason(request, Capability.RESUME, "resume")
        return ps.ResumeResponse()

    async def _with_reason(
        self, request: ps.SuspendRequest | ps.ResumeRequest, operation: Operation, method: str
    ) -> None:
        """Suspend or resume: an instance and an optional reason."""
        _local_only(request, operation)
        instance_id = _instance_id(request.instanceId, operation)
        reason = mapping.text_of(request.reason, request.HasField("reason"))
        await self._admin(self._engine(), operation, instance_id, method, reason)

    async def purge(self, request: ps.PurgeInstancesRequest) -> ps.PurgeInstancesResponse:
        _local_only(request, Capability.PURGE)
        if request.WhichOneof("request") == "purgeInstanceFilter":
            raise ApiError(
                "malformed-request",
                "purging by filter is not supported here (daprd rejects it too): purge one instance "
                "by ID, or use the REST bulk purge (POST /v1.0/workflows/{component}/purge)",
                operation=Capability.PURGE,
            )
        if request.force:
            raise ApiError(
                "malformed-request",
                "force purge is not supported: terminate the instance, then purge it",
                operation=Capability.PURGE,
            )
        instance_id = _instance_id(request.instanceId, Capability.PURGE)
        with _engine_errors(Capability.PURGE, instance_id):
            count = await self._engine().purge(instance_id, request.recursive)
        return ps.PurgeInstancesResponse(deletedInstanceCount=count)

    async def list_ids(self, request: ps.ListInstanceIDsRequest) -> ps.ListInstanceIDsResponse:
        query = InstanceQuery(
            page_size=request.pageSize or DEFAULT_PAGE_SIZE, token=request.continuationToken or None
        )
        with _engine_errors(Capability.LIST, None):
            page = await self._engine().list_instances(query)
        return ps.ListInstanceIDsResponse(
            instanceIds=[record.instance_id for record in page.records], continuationToken=page.token or ""
        )

    async def history(self, request: ps.GetInstanceHistoryRequest) -> ps.GetInstanceHistoryResponse:
        instance_id = _instance_id(request.instanceId, Capability.HISTORY)
        engine = self._engine()
        record = await engine.get(instance_id)
        if record is None:
            raise _not_found(instance_id, Capability.HISTORY)
        events = [event for _, event in await engine.history(instance_id, flush=True)]
        origin = mapping.Origin(instance_id, record.parent_id, record.parent_task_id)
        return ps.GetInstanceHistoryResponse(events=mapping.history_events(events, origin))

    async def rerun(self, request: ps.RerunWorkflowFromEventRequest) -> ps.RerunWorkflowFromEventResponse:
        _local_only(request, Capability.START)
        source_id = _instance_id(request.sourceInstanceID, Capability.START)
        new_id = request.newInstanceID or uuid.uuid4().hex
        check_instance_id(new_id)
        with _engine_errors(Capability.START, source_id):
            await self._engine().rerun(
                source_id,
                request.eventID,
                new_id,
                overwrite_input=request.overwriteInput,
                new_input=mapping.text_of(request.input, request.HasField("input")),
                new_child_id=request.newChildWorkflowInstanceID or None,
            )
        return ps.RerunWorkflowFromEventResponse(newInstanceID=new_id)

    async def _admin(
        self, engine: wf.Engine, operation: Operation, instance_id: str, method: str, *args: Any
    ) -> None:
        """A ``WorkflowAdmin`` operation on the engine, its errors translated."""
        admin = wf.WorkflowAdmin(engine.store)
        with _engine_errors(operation, instance_id):
            await getattr(admin, method)(instance_id, *args)


#: every method of Dapr's service (the 0.17-only ones of Microsoft's are not in it)
_METHODS = [method.name for method in ps.DESCRIPTOR.services_by_name[SIDECAR_SERVICE].methods]


def _started(record: InstanceRecord | None) -> bool:
    return record is None or record.status is not Status.PENDING


def _instance_response(record: InstanceRecord | None, payloads: bool) -> ps.GetInstanceResponse:
    if record is None:
        return ps.GetInstanceResponse(exists=False)
    return ps.GetInstanceResponse(
        exists=True, workflowState=mapping.workflow_state(record, payloads=payloads)
    )


def _instance_id(instance_id: str, operation: Operation) -> str:
    if not instance_id:
        raise ApiError("instance-id-missing", "no instance ID given", operation=operation)
    return instance_id


def _local_only(request: Any, operation: Operation) -> None:
    """Refuse a request routed to another app (multi-app workflows, Dapr 1.16)."""
    router: po.TaskRouter | None = request.router if request.HasField("router") else None
    if router is not None and router.targetAppID:
        raise ApiError(
            "malformed-request",
            f"router.targetAppID {router.targetAppID!r}: Flowport serves one app's workflows; "
            "leave the target app empty",
            operation=operation,
        )


def _not_found(instance_id: str, operation: Operation) -> OperationError:
    error = contracts.InstanceNotFoundError(f"no instance with ID {instance_id!r}", instance_id=instance_id)
    return OperationError(error, operation)


@contextlib.contextmanager
def _engine_errors(operation: Operation, instance_id: str | None) -> Iterator[None]:
    """The engine's refusals as the gateway's errors (and so as gRPC statuses)."""
    error: contracts.WorkflowError
    try:
        yield
    except wf.UnknownInstanceError as exc:
        error = contracts.InstanceNotFoundError(str(exc), instance_id=instance_id)
    except wf.DuplicateInstanceError as exc:
        error = contracts.InstanceExistsError(str(exc), instance_id=instance_id)
    except wf.InstanceStateError as exc:
        error = contracts.InvalidStateError(str(exc), instance_id=instance_id)
    except (wf.InvalidContinuationTokenError, wf.InvalidRerunError) as exc:
        error = contracts.InvalidRequestError(str(exc), instance_id=instance_id)
    except wf.WorkflowEngineError as exc:  # the engine stopped
        error = contracts.BackendUnavailableError(str(exc), instance_id=instance_id)
    else:
        return
    raise OperationError(error, operation) from None
