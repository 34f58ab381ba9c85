"""Dapr's runtime gRPC workflow API, over every component.

``dapr.proto.runtime.v1.Dapr`` has seven workflow methods, each under ``Beta1`` and the
deprecated ``Alpha1`` (``StartWorkflowBeta1``, ``GetWorkflowAlpha1``...). They name the
component in every request, so they serve every component the gateway has (built-in,
Temporal, Conductor, plugins), exactly as the REST routes do: each method decodes its
message into plain values and calls ``gateway.service.WorkflowService``.

What the messages carry and how it maps:

- start: ``instance_id`` (generated when empty), ``workflow_name``, ``input`` (JSON bytes;
  empty = no input), ``options`` = the component's start options plus ``startTime`` (RFC
  3339), exactly the REST start's query parameters;
- get: Dapr's fields, ``runtime_status`` as a string and ``properties`` as REST shows them;
- raise event: ``event_name`` and ``event_data`` (JSON bytes; empty = no data);
- terminate and purge are recursive, as Dapr's are.

``app_id`` (added in Dapr 1.16 for multi-app workflows) must be empty: Flowport serves no
other apps, and silently ignoring a target would run the call in the wrong place.

With ``metrics``, every call is counted and timed in the same families, under the same Dapr
operation names and outcomes, as the REST requests (``gateway.telemetry.metrics``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

import grpc
from google.protobuf.empty_pb2 import Empty
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from contracts import Capability
from gateway.grpc_api.handlers import unary
from gateway.grpc_api.stubs import RUNTIME_SERVICE
from gateway.grpc_api.stubs import runtime_workflow as pb
from gateway.models import state_properties
from gateway.problems import PROBLEMS, ApiError, Operation, OperationError, classify
from gateway.service import WorkflowService
from gateway.telemetry.context import OPERATION_NAMES
from gateway.telemetry.metrics import OperationMetrics

#: the API versions each workflow method is served under
VERSIONS = ("Beta1", "Alpha1")


class _Targeted(Protocol):
    """What every workflow request has."""

    @property
    def workflow_component(self) -> str: ...
    @property
    def instance_id(self) -> str: ...
    @property
    def app_id(self) -> str: ...


class RuntimeWorkflowApi:
    """The workflow methods of ``dapr.proto.runtime.v1.Dapr`` over one ``WorkflowService``."""

    def __init__(self, service: WorkflowService, metrics: OperationMetrics | None = None) -> None:
        self._service = service
        self._metrics = metrics

    def handler(self) -> grpc.GenericRpcHandler:
        """The method handlers, every method under each of ``VERSIONS``."""
        # method: (call, request message, the REST route's name, whose Dapr operation it is)
        operations: dict[str, tuple[Callable[[Any], Awaitable[Message]], Any, str]] = {
            "StartWorkflow": (self.start, pb.StartWorkflowRequest, "startWorkflow"),
            "GetWorkflow": (self.get, pb.GetWorkflowRequest, "getWorkflow"),
            "PurgeWorkflow": (self.purge, pb.PurgeWorkflowRequest, "purgeWorkflow"),
            "TerminateWorkflow": (self.terminate, pb.TerminateWorkflowRequest, "terminateWorkflow"),
            "PauseWorkflow": (self.pause, pb.PauseWorkflowRequest, "pauseWorkflow"),
            "ResumeWorkflow": (self.resume, pb.ResumeWorkflowRequest, "resumeWorkflow"),
            "RaiseEventWorkflow": (self.raise_event, pb.RaiseEventWorkflowRequest, "raiseWorkflowEvent"),
        }
        methods = {}
        for name, (call, request_type, route) in operations.items():
            observed = self._observed(call, OPERATION_NAMES[route])
            for version in VERSIONS:
                methods[name + version] = unary(observed, request_type, f"{RUNTIME_SERVICE}/{name}{version}")
        return grpc.method_handlers_generic_handler(RUNTIME_SERVICE, methods)

    def _observed(
        self, call: Callable[[Any], Awaitable[Message]], operation: str
    ) -> Callable[[Any], Awaitable[Message]]:
        """``call``, counted and timed under Dapr's ``operation`` name (as is when no metrics)."""
        metrics = self._metrics
        if metrics is None:
            return call
        is_component = self._service.has_component

        async def observed(request: Any) -> Message:
            began = time.perf_counter()
            outcome = "success"
            try:
                return await call(request)
            except (ApiError, OperationError) as exc:
                outcome = classify(exc)[0].slug
                raise
            except Exception:
                outcome = PROBLEMS["internal"].slug
                raise
            finally:
                component = request.workflow_component
                # never a label per made-up name, as for REST requests
                label = component if is_component(component) else ""
                metrics.observe(label, operation, outcome, time.perf_counter() - began)

        return observed

    async def start(self, request: pb.StartWorkflowRequest) -> pb.StartWorkflowResponse:
        _check_app_id(request, Capability.START)
        instance_id = await self._service.start(
            request.workflow_component,
            request.workflow_name,
            request.instance_id or None,
            request.input,
            dict(request.options),
        )
        return pb.StartWorkflowResponse(instance_id=instance_id)

    async def get(self, request: pb.GetWorkflowRequest) -> pb.GetWorkflowResponse:
        _check_app_id(request, Capability.GET)
        state = await self._service.get(request.workflow_component, request.instance_id)
        return pb.GetWorkflowResponse(
            instance_id=state.instance_id,
            workflow_name=state.workflow_name,
            created_at=_timestamp(state.created_at),
            last_updated_at=_timestamp(state.last_updated_at),
            runtime_status=state.runtime_status.value,
            properties=state_properties(state),
        )

    async def purge(self, request: pb.PurgeWorkflowRequest) -> Empty:
        return await self._on_instance(request, Capability.PURGE, self._service.purge)

    async def terminate(self, request: pb.TerminateWorkflowRequest) -> Empty:
        return await self._on_instance(request, Capability.TERMINATE, self._service.terminate)

    async def pause(self, request: pb.PauseWorkflowRequest) -> Empty:
        return await self._on_instance(request, Capability.PAUSE, self._service.pause)

    async def resume(self, request: pb.ResumeWorkflowRequest) -> Empty:
        return await self._on_instance(request, Capability.RESUME, self._service.resume)

    async def raise_event(self, request: pb.RaiseEventWorkflowRequest) -> Empty:
        _check_app_id(request, Capability.RAISE_EVENT)
        await self._service.raise_event(
            request.workflow_component, request.instance_id, request.event_name, request.event_data
        )
        return Empty()

    async def _on_instance(
        self, request: _Targeted, operation: Operation, call: Callable[[str, str], Awaitable[object]]
    ) -> Empty:
        """An operation that names only the instance and answers nothing."""
        _check_app_id(request, operation)
        await call(request.workflow_component, request.instance_id)
        return Empty()


def _check_app_id(request: _Targeted, operation: Operation) -> None:
    if request.app_id:
        raise ApiError(
            "malformed-request",
            f"app_id {request.app_id!r}: Flowport serves its own components only; leave app_id empty",
            operation=operation,
        )


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
