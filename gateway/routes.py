"""The workflow routes: Dapr's seven, plus list and history, under one prefix.

The same router is mounted under ``/v1.0``, ``/v1.0-beta1`` and ``/v1.0-alpha1`` (only the
first appears in the OpenAPI document). Handlers read the raw request, call one component
operation under the request timeout, and render the answer; errors travel as exceptions to
the handlers in ``gateway.problems``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

import contracts
from contracts import Capability, RuntimeStatus
from gateway import models
from gateway.problems import ApiError, Operation, OperationError
from gateway.registry import ComponentRegistry

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_INSTANCE_ID_LENGTH = 64
MAX_PAGE_SIZE = 1000
_INSTANCE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
#: start query parameters the gateway itself reads; every other one is a start option
_START_PARAMETERS = frozenset({"instanceID", "startTime"})

_JSON_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": {}}},
        "description": "Any JSON value; absent means no value.",
    }
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": models.ProblemModel, "content": {"application/problem+json": {}}}
        for status in statuses
    }


class WorkflowApi:
    """The handlers, bound to one registry and one request timeout."""

    def __init__(self, registry: ComponentRegistry, request_timeout: float) -> None:
        self._registry = registry
        self._timeout = request_timeout

    def router(self, prefix: str, *, in_schema: bool) -> APIRouter:
        suffix = "" if in_schema else "_" + prefix.strip("/").replace(".", "_").replace("-", "_")
        router = APIRouter(prefix=prefix, tags=["workflows"], include_in_schema=in_schema)
        base = "/workflows/{component}"
        common = _errors(400, 404, 500, 501, 503, 504)

        def add(path: str, endpoint: Any, method: str, op_id: str, status: int, **extra: Any) -> None:
            router.add_api_route(
                base + path,
                endpoint,
                methods=[method],
                operation_id=op_id + suffix,
                status_code=status,
                responses={**common, **extra.pop("responses", {})},
                **extra,
            )

        add(
            "/{workflowName}/start",
            self.start,
            "POST",
            "startWorkflow",
            202,
            response_model=models.StartResponse,
            openapi_extra=_JSON_BODY,
            responses=_errors(409),
        )
        add("", self.list_instances, "GET", "listWorkflows", 200, response_model=models.InstanceListModel)
        add("/{instanceID}", self.get, "GET", "getWorkflow", 200, response_model=models.WorkflowStateModel)
        add(
            "/{instanceID}/history",
            self.history,
            "GET",
            "getWorkflowHistory",
            200,
            response_model=models.HistoryModel,
        )
        add(
            "/{instanceID}/raiseEvent/{eventName}",
            self.raise_event,
            "POST",
            "raiseWorkflowEvent",
            202,
            openapi_extra=_JSON_BODY,
            responses=_errors(409),
        )
        add("/{instanceID}/pause", self.pause, "POST", "pauseWorkflow", 202, responses=_errors(409))
        add("/{instanceID}/resume", self.resume, "POST", "resumeWorkflow", 202, responses=_errors(409))
        add(
            "/{instanceID}/terminate",
            self.terminate,
            "POST",
            "terminateWorkflow",
            202,
            openapi_extra=_JSON_BODY,
        )
        add(
            "/{instanceID}/purge",
            self.purge,
            "POST",
            "purgeWorkflow",
            202,
            response_model=models.PurgeResponse,
            responses=_errors(409),
        )
        # After the instance routes: an instance named "definitions" keeps its history route.
        add(
            "/definitions/{workflowName}",
            self.definition,
            "GET",
            "getWorkflowDefinition",
            200,
            response_model=models.DefinitionModel,
        )
        return router

    # --- plumbing -------------------------------------------------------------------

    def _component(self, name: str, operation: Operation) -> contracts.WorkflowComponent:
        slot = self._registry.slot(name)
        if slot is None:
            raise ApiError("component-not-found", f"workflow component {name!r} is not configured")
        if slot.component is None:
            raise ApiError(
                "component-failed", f"component {name!r} is not available: {slot.error}", operation=operation
            )
        component = slot.component
        if isinstance(operation, Capability) and operation not in component.capabilities:
            error = contracts.NotSupportedError(
                f"component {name!r} ({component.spec.type}) does not support {operation.value}"
            )
            raise OperationError(error, operation)
        return component

    async def _call(self, operation: Operation, call: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await call
        except contracts.WorkflowError as exc:
            raise OperationError(exc, operation) from exc
        except TimeoutError:
            error = contracts.BackendTimeoutError(f"no answer from the component within {self._timeout:g}s")
            raise OperationError(error, operation) from None
        except Exception as exc:
            # A bug in the component: logged with its traceback here, never shown to the client.
            log.exception("component failed during %s", operation)
            raise ApiError(
                "internal", f"the component failed: {type(exc).__name__}: {exc}", operation=operation
            ) from exc

    # --- handlers -------------------------------------------------------------------

    async def start(
        self,
        request: Request,
        component: str,
        workflowName: str,
        instanceID: Annotated[
            str | None, Query(description="The new instance's ID; generated when absent.")
        ] = None,
        startTime: Annotated[datetime | None, Query(description="RFC 3339 time at which to start.")] = None,
    ) -> Response:
        """Start a workflow. Query parameters other than ``instanceID`` and ``startTime`` are
        start options of the component (for example ``taskQueue`` on Temporal)."""
        target = self._component(component, Capability.START)
        instance_id = instanceID or str(uuid.uuid4())
        _check_instance_id(instance_id)
        options = {k: v for k, v in request.query_params.items() if k not in _START_PARAMETERS}
        unknown = sorted(set(options) - target.start_options)
        if unknown:
            accepted = ", ".join(sorted(target.start_options)) or "none"
            raise ApiError(
                "malformed-request",
                f"unknown start option(s) {', '.join(unknown)} for {target.spec.type}; accepted: {accepted}",
                operation=Capability.START,
            )
        start = contracts.StartRequest(
            workflow_name=workflowName,
            instance_id=instance_id,
            serialized_input=await _json_body(request, Capability.START),
            start_at=startTime,
            options=options,
        )
        await self._call(Capability.START, target.start(start))
        location = f"{request.url.path.rsplit('/workflows/', 1)[0]}/workflows/{component}/{instance_id}"
        return Response(
            json.dumps({"instanceID": instance_id}),
            status_code=202,
            media_type="application/json",
            headers={"Location": location, "Retry-After": "1"},
        )

    async def get(self, component: str, instanceID: str) -> Response:
        """The instance's state, as Dapr shows it."""
        target = self._component(component, Capability.GET)
        state = await self._call(Capability.GET, target.get(contracts.GetRequest(instanceID)))
        return _json(models.state_body(state))

    async def list_instances(
        self,
        component: str,
        status: Annotated[
            list[str] | None, Query(description="Runtime statuses to keep (repeat or comma-separate).")
        ] = None,
        workflowName: str | None = None,
        pageSize: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
        continuationToken: str | None = None,
    ) -> Response:
        """One page of instances, newest first; follow ``continuationToken`` for the next."""
        target = self._component(component, Capability.LIST)
        statuses = frozenset(_status(name) for value in status or () for name in value.split(",") if name)
        page = await self._call(
            Capability.LIST,
            target.list_instances(
                contracts.ListRequest(
                    statuses=statuses,
                    workflow_name=workflowName,
                    page_size=pageSize,
                    continuation_token=continuationToken,
                )
            ),
        )
        return _json(
            {
                "instances": [models.state_body(state) for state in page.instances],
                "continuationToken": page.continuation_token,
            }
        )

    async def history(self, component: str, instanceID: str) -> Response:
        """The instance's events, oldest first, normalised across runtimes."""
        target = self._component(component, Capability.HISTORY)
        events = await self._call(Capability.HISTORY, target.history(contracts.HistoryRequest(instanceID)))
        return _json({"instanceID": instanceID, "events": [models.event_body(event) for event in events]})

    async def raise_event(
        self,
        request: Request,
        component: str,
        instanceID: str,
        eventName: str,
    ) -> Response:
        """Deliver an event; the body is its data."""
        target = self._component(component, Capability.RAISE_EVENT)
        data = await _json_body(request, Capability.RAISE_EVENT)
        raise_request = contracts.RaiseEventRequest(instanceID, eventName, data)
        await self._call(Capability.RAISE_EVENT, target.raise_event(raise_request))
        return Response(status_code=202)

    async def pause(self, component: str, instanceID: str, reason: str | None = None) -> Response:
        """Suspend the instance; it buffers events until resumed."""
        target = self._component(component, Capability.PAUSE)
        await self._call(Capability.PAUSE, target.pause(contracts.PauseRequest(instanceID, reason)))
        return Response(status_code=202)

    async def resume(self, component: str, instanceID: str, reason: str | None = None) -> Response:
        """Resume a suspended instance."""
        target = self._component(component, Capability.RESUME)
        await self._call(Capability.RESUME, target.resume(contracts.ResumeRequest(instanceID, reason)))
        return Response(status_code=202)

    async def terminate(
        self,
        request: Request,
        component: str,
        instanceID: str,
        reason: str | None = None,
        recursive: bool = True,
    ) -> Response:
        """Terminate the instance (and its children unless ``recursive=false``); the body, if
        any, becomes its output."""
        target = self._component(component, Capability.TERMINATE)
        output = await _json_body(request, Capability.TERMINATE)
        terminate = contracts.TerminateRequest(instanceID, reason, output, recursive)
        await self._call(Capability.TERMINATE, target.terminate(terminate))
        return Response(status_code=202)

    async def purge(self, component: str, instanceID: str, recursive: bool = True) -> Response:
        """Delete a terminal instance and its history (and its children's)."""
        target = self._component(component, Capability.PURGE)
        result = await self._call(
            Capability.PURGE, target.purge(contracts.PurgeRequest(instanceID, recursive))
        )
        return _json({"purgedInstances": result.purged_instances, "detail": result.detail}, status=202)

    async def definition(self, component: str, workflowName: str) -> Response:
        """A declarative workflow definition (ASL, Serverless Workflow) and its graph, for drawing."""
        target = self._component(component, "definition")
        request = contracts.DefinitionRequest(workflowName)
        definition = await self._call("definition", target.definition(request))
        return _json(models.definition_body(definition))


def _check_instance_id(instance_id: str) -> None:
    if len(instance_id) > MAX_INSTANCE_ID_LENGTH:
        raise ApiError(
            "instance-id-too-long",
            f"instance ID has {len(instance_id)} characters; at most {MAX_INSTANCE_ID_LENGTH} are allowed",
            operation=Capability.START,
        )
    if not _INSTANCE_ID.match(instance_id):
        raise ApiError(
            "instance-id-invalid",
            f"instance ID {instance_id!r} may hold only letters, digits, '-' and '_'",
            operation=Capability.START,
        )


def _status(name: str) -> RuntimeStatus:
    try:
        return RuntimeStatus[name.strip().upper()]
    except KeyError:
        known = ", ".join(status.value for status in RuntimeStatus)
        raise ApiError("malformed-request", f"unknown status {name!r}; known: {known}") from None


async def _json_body(request: Request, operation: Operation) -> str | None:
    """The body as JSON text, ``None`` when empty; anything that is not JSON is a 400."""
    body = await request.body()
    if not body.strip():
        return None
    try:
        text = body.decode("utf-8")
        json.loads(text)
    except ValueError as exc:
        raise ApiError(
            "malformed-request", f"the request body is not valid JSON: {exc}", operation=operation
        ) from None
    return text


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")
