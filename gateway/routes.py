"""The workflow routes: Dapr's seven, plus list, history and bulk, under one prefix.

The same router is mounted under ``/v1.0``, ``/v1.0-beta1`` and ``/v1.0-alpha1`` (only the
first appears in the OpenAPI document). Handlers read the raw request, call one component
operation under the request timeout, and render the answer; errors travel as exceptions to
the handlers in ``gateway.problems``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Iterator, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, params
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from starlette.responses import Response

import contracts
from contracts import Capability
from flowport_client import models as wire
from gateway import listing, models, problems, queries
from gateway.deadlines import Deadlines
from gateway.fastpath import LeanRoute
from gateway.health import HealthWatch
from gateway.problems import ApiError, Operation, OperationError
from gateway.registry import ComponentRegistry
from gateway.telemetry.context import OPERATION_NAMES, current_request, note_instance

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
        status: {"model": wire.Problem, "content": {"application/problem+json": {}}} for status in statuses
    }


Filter = Annotated[contracts.InstanceFilter, Depends(queries.instance_filter)]


class WorkflowApi:
    """The handlers, bound to one registry and one request timeout."""

    def __init__(
        self,
        registry: ComponentRegistry,
        request_timeout: float,
        *,
        health: HealthWatch | None = None,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self._registry = registry
        self._deadlines = Deadlines(request_timeout)
        self._health = health
        self._tracer = tracer

    def add_routes(
        self, router: APIRouter, prefix: str, *, in_schema: bool, dependencies: Sequence[params.Depends]
    ) -> None:
        """Add the workflow routes under ``prefix`` to ``router``.

        Added one by one rather than through ``include_router``: FastAPI matches the routes of
        an included router twice per request, walking every included router before a route of
        the app itself, which cost more than the rest of the gateway's work on a request. Each
        is a ``LeanRoute`` (see ``gateway.fastpath``).
        """
        suffix = "" if in_schema else "_" + prefix.strip("/").replace(".", "_").replace("-", "_")
        base = prefix + "/workflows/{component}"
        common = _errors(400, 404, 500, 501, 503, 504)
        shared: dict[str, Any] = {
            "tags": ["workflows"],
            "include_in_schema": in_schema,
            "dependencies": dependencies,
            "route_class_override": LeanRoute,
        }

        def add(path: str, endpoint: Any, method: str, op_id: str, status: int, **extra: Any) -> None:
            router.add_api_route(
                base + path,
                endpoint,
                methods=[method],
                operation_id=op_id + suffix,
                status_code=status,
                # Named after its operation: the telemetry middleware reads the name.
                name=OPERATION_NAMES[op_id],
                responses={**common, **extra.pop("responses", {})},
                **shared,
                **extra,
            )

        add(
            "/{workflowName}/start",
            self.start,
            "POST",
            "startWorkflow",
            202,
            response_model=wire.StartResponse,
            openapi_extra=_JSON_BODY,
            responses=_errors(409),
        )
        add("", self.list_instances, "GET", "listWorkflows", 200, response_model=wire.InstanceList)
        add(
            "/purge",
            self.purge_matching,
            "POST",
            "purgeWorkflows",
            200,
            response_model=wire.BulkPurgeResult,
        )
        add(
            "/terminate",
            self.terminate_matching,
            "POST",
            "terminateWorkflows",
            200,
            response_model=wire.BulkTerminateResult,
        )
        # {instanceID:instance}: any ID but the bulk routes' names, so that each URL names one
        # resource (and a 405's Allow header lists what that resource takes).
        add("/{instanceID:instance}", self.get, "GET", "getWorkflow", 200, response_model=wire.WorkflowState)
        add(
            "/{instanceID}/history",
            self.history,
            "GET",
            "getWorkflowHistory",
            200,
            response_model=wire.History,
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
            response_model=wire.PurgeResult,
            responses=_errors(409),
        )
        # After the instance routes: an instance named "definitions" keeps its history route.
        add(
            "/definitions/{workflowName}",
            self.definition,
            "GET",
            "getWorkflowDefinition",
            200,
            response_model=wire.Definition,
        )
        for path, in_doc in (("/workflows", in_schema), ("/workflows/", False)):
            router.add_api_route(
                prefix + path,
                self.list_across,
                methods=["GET"],
                operation_id="listAllWorkflows" + suffix + ("" if in_doc else "_slash"),
                name=OPERATION_NAMES["listAllWorkflows"],
                response_model=wire.MergedInstanceList,
                responses=_errors(400, 500),
                **{**shared, "include_in_schema": in_doc},
            )

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

    def _filtering(
        self, name: str, selection: contracts.InstanceFilter, operation: Operation, *also: Capability
    ) -> contracts.WorkflowComponent:
        """The component, if it can list with every filter ``selection`` uses (and do ``also``);
        a failure is reported as one of ``operation``."""
        component = self._component(name, operation)
        for capability in (Capability.LIST, *also):
            if capability not in component.capabilities:
                error = contracts.NotSupportedError(
                    f"component {name!r} ({component.spec.type}) does not support {capability.value}"
                )
                raise OperationError(error, operation)
        missing = selection.filters - component.list_filters
        if missing:
            names = ", ".join(sorted(item.value for item in missing))
            error = contracts.NotSupportedError(
                f"component {name!r} ({component.spec.type}) cannot filter instances by {names}"
            )
            raise OperationError(error, operation)
        return component

    async def _call(
        self,
        operation: Operation,
        target: contracts.WorkflowComponent,
        call: Awaitable[T],
        instance_id: str | None = None,
    ) -> T:
        """Await one component operation under the request timeout (in its span, if tracing)."""
        if self._tracer is None:
            return await self._answer(operation, target, call)
        with self._span(target, instance_id):
            return await self._answer(operation, target, call)

    async def _answer(
        self, operation: Operation, target: contracts.WorkflowComponent, call: Awaitable[T]
    ) -> T:
        try:
            result = await self._deadlines.run(call)
        except contracts.BackendUnavailableError as exc:
            if self._health is not None:
                self._health.observe(target.name, False, exc.message)
            raise OperationError(exc, operation) from exc
        except contracts.WorkflowError as exc:
            raise OperationError(exc, operation) from exc
        except TimeoutError:
            timeout = self._deadlines.timeout
            error = contracts.BackendTimeoutError(f"no answer from the component within {timeout:g}s")
            raise OperationError(error, operation) from None
        except Exception as exc:
            # A bug in the component: logged with its traceback here, never shown to the client.
            log.exception("component failed during %s", operation)
            raise ApiError(
                "internal", f"the component failed: {type(exc).__name__}: {exc}", operation=operation
            ) from exc
        if self._health is not None:
            self._health.observe(target.name, True)
        return result

    @contextlib.contextmanager
    def _span(self, target: contracts.WorkflowComponent, instance_id: str | None) -> Iterator[None]:
        """The component operation's span, named like its metrics: ``create_workflow orders``."""
        assert self._tracer is not None
        request = current_request.get()
        operation = (request.operation if request else None) or "operation"
        attributes = {"flowport.component": target.name, "flowport.operation": operation}
        if instance_id is not None:
            attributes["flowport.instance_id"] = instance_id
        with self._tracer.start_as_current_span(
            f"{operation} {target.name}",
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield
            except (OperationError, ApiError) as exc:
                error = exc.error if isinstance(exc, OperationError) else exc
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, str(error)))
                raise

    # --- handlers -------------------------------------------------------------------

    async def start(
        self,
        request: Request,
        component: str,
        workflowName: str,
        instanceID: Annotated[
            str | None, Query(description="The new instance's ID; generated when absent.")
        ] = None,
        startTime: Annotated[str | None, Query(description="RFC 3339 time at which to start.")] = None,
    ) -> Response:
        """Start a workflow. Query parameters other than ``instanceID`` and ``startTime`` are
        start options of the component (for example ``taskQueue`` on Temporal)."""
        target = self._component(component, Capability.START)
        instance_id = instanceID or str(uuid.uuid4())
        note_instance(instance_id)
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
            start_at=queries.moment(startTime, "startTime"),
            options=options,
        )
        await self._call(Capability.START, target, target.start(start), instance_id)
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
        get = contracts.GetRequest(instanceID)
        state = await self._call(Capability.GET, target, target.get(get), instanceID)
        return _json(models.state_body(state))

    async def list_instances(
        self,
        component: str,
        selection: Filter,
        pageSize: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
        continuationToken: str | None = None,
    ) -> Response:
        """One page of instances, newest first; follow ``continuationToken`` for the next."""
        target = self._filtering(component, selection, Capability.LIST)
        listing_request = queries.list_request(selection, pageSize, continuationToken)
        page = await self._call(Capability.LIST, target, target.list_instances(listing_request))
        return _json(
            {
                "instances": [models.state_body(state) for state in page.instances],
                "continuationToken": page.continuation_token,
            }
        )

    async def list_across(
        self,
        request: Request,
        selection: Filter,
        component: Annotated[
            list[str] | None, Query(description="Components to list (repeat); all when absent.")
        ] = None,
        pageSize: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
        continuationToken: str | None = None,
    ) -> Response:
        """One page of instances across components, newest first. A component that cannot
        answer (down, or unable to apply a filter) is listed under ``failures`` with its
        problem; the others still answer."""
        names = list(dict.fromkeys(component or (slot.name for slot in self._registry.slots)))
        for name in names:
            if self._registry.slot(name) is None:
                raise ApiError("component-not-found", f"workflow component {name!r} is not configured")

        async def fetch(name: str, token: str | None, size: int) -> contracts.InstancePage:
            target = self._filtering(name, selection, Capability.LIST)
            return await self._call(
                Capability.LIST, target, target.list_instances(queries.list_request(selection, size, token))
            )

        try:
            page = await listing.merged_page(names, pageSize, continuationToken, fetch)
        except listing.BadToken as exc:
            raise ApiError("malformed-request", str(exc), operation=Capability.LIST) from None
        return _json(
            {
                "instances": [
                    {**models.state_body(state), "component": name} for name, state in page.instances
                ],
                "continuationToken": page.continuation_token,
                "failures": [
                    {"component": name, **problems.problem_of(error, request.url.path)}
                    for name, error in page.failures
                ],
            }
        )

    async def purge_matching(
        self,
        component: str,
        selection: Filter,
        recursive: Annotated[bool, Query(description="Also purge each instance's children.")] = True,
        dryRun: Annotated[bool, Query(description="Only count the matches.")] = False,
    ) -> Response:
        """Purge every terminal instance matching the filters (all terminal statuses when
        ``status`` is absent). The answer counts what was done and lists what failed."""
        statuses = queries.within(selection.statuses, queries.TERMINAL, "purge", Capability.PURGE)
        target = self._filtering(component, selection, Capability.PURGE, Capability.PURGE)
        bulk = contracts.BulkPurgeRequest(
            **queries.criteria(selection, statuses), recursive=recursive, dry_run=dryRun
        )
        result = await self._call_bulk(Capability.PURGE, target, target.purge_instances(bulk))
        body = {**_bulk_body(result, component, Capability.PURGE, dryRun)}
        body["purgedInstances"] = result.purged_instances
        body["detail"] = result.detail
        return _json(body)

    async def terminate_matching(
        self,
        component: str,
        selection: Filter,
        reason: str | None = None,
        recursive: Annotated[bool, Query(description="Also terminate each instance's children.")] = True,
        dryRun: Annotated[bool, Query(description="Only count the matches.")] = False,
    ) -> Response:
        """Terminate every running, pending or suspended instance matching the filters. The
        answer counts what was done and lists what failed."""
        statuses = queries.within(selection.statuses, queries.TERMINABLE, "terminate", Capability.TERMINATE)
        target = self._filtering(component, selection, Capability.TERMINATE, Capability.TERMINATE)
        bulk = contracts.BulkTerminateRequest(
            **queries.criteria(selection, statuses), reason=reason, recursive=recursive, dry_run=dryRun
        )
        result = await self._call_bulk(Capability.TERMINATE, target, target.terminate_instances(bulk))
        return _json(_bulk_body(result, component, Capability.TERMINATE, dryRun))

    async def _call_bulk(
        self, operation: Operation, target: contracts.WorkflowComponent, call: Awaitable[T]
    ) -> T:
        # No overall request timeout: a bulk operation takes as long as its instances need;
        # each runtime call inside it keeps the component's own timeout.
        with self._span(target, None) if self._tracer is not None else contextlib.nullcontext():
            try:
                return await call
            except contracts.WorkflowError as exc:
                raise OperationError(exc, operation) from exc
            except Exception as exc:
                log.exception("component failed during a bulk %s", operation)
                raise ApiError(
                    "internal", f"the component failed: {type(exc).__name__}: {exc}", operation=operation
                ) from exc

    async def history(self, component: str, instanceID: str) -> Response:
        """The instance's events, oldest first, normalised across runtimes."""
        target = self._component(component, Capability.HISTORY)
        history = contracts.HistoryRequest(instanceID)
        events = await self._call(Capability.HISTORY, target, target.history(history), instanceID)
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
        await self._call(Capability.RAISE_EVENT, target, target.raise_event(raise_request), instanceID)
        return Response(status_code=202)

    async def pause(self, component: str, instanceID: str, reason: str | None = None) -> Response:
        """Suspend the instance; it buffers events until resumed."""
        target = self._component(component, Capability.PAUSE)
        pause = contracts.PauseRequest(instanceID, reason)
        await self._call(Capability.PAUSE, target, target.pause(pause), instanceID)
        return Response(status_code=202)

    async def resume(self, component: str, instanceID: str, reason: str | None = None) -> Response:
        """Resume a suspended instance."""
        target = self._component(component, Capability.RESUME)
        resume = contracts.ResumeRequest(instanceID, reason)
        await self._call(Capability.RESUME, target, target.resume(resume), instanceID)
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
        await self._call(Capability.TERMINATE, target, target.terminate(terminate), instanceID)
        return Response(status_code=202)

    async def purge(self, component: str, instanceID: str, recursive: bool = True) -> Response:
        """Delete a terminal instance and its history (and its children's)."""
        target = self._component(component, Capability.PURGE)
        purge = contracts.PurgeRequest(instanceID, recursive)
        result = await self._call(Capability.PURGE, target, target.purge(purge), instanceID)
        return _json({"purgedInstances": result.purged_instances, "detail": result.detail}, status=202)

    async def definition(self, component: str, workflowName: str) -> Response:
        """A declarative workflow definition (ASL, Serverless Workflow) and its graph, for drawing."""
        target = self._component(component, "definition")
        request = contracts.DefinitionRequest(workflowName)
        definition = await self._call("definition", target, target.definition(request))
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
    if instance_id in queries.BULK_ROUTES:
        raise ApiError(
            "instance-id-invalid",
            f"instance ID {instance_id!r} is reserved: /workflows/{{component}}/{instance_id} is the bulk "
            f"{instance_id} route",
            operation=Capability.START,
        )


def _bulk_body(
    result: contracts.BulkResult, component: str, operation: Operation, dry_run: bool
) -> dict[str, Any]:
    path = f"/v1.0/workflows/{component}"
    return {
        "dryRun": dry_run,
        "matched": result.matched,
        "succeeded": result.succeeded,
        "failed": [
            {
                "instanceID": failure.instance_id,
                **problems.problem_of(failure.error, f"{path}/{failure.instance_id}", operation),
            }
            for failure in result.failures
        ],
    }


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
