"""The workflow routes: Dapr's seven, plus list, history and bulk, under one prefix.

The same router is mounted under ``/v1.0``, ``/v1.0-beta1`` and ``/v1.0-alpha1`` (only the
first appears in the OpenAPI document). Handlers read the raw request, call one operation of
``gateway.service.WorkflowService`` (which the gRPC front end shares), and render the answer;
errors travel as exceptions to the handlers in ``gateway.problems``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, params
from starlette.responses import Response

import contracts
from contracts import Capability
from flowport_client import models as wire
from gateway import models, problems, queries
from gateway.fastpath import LeanRoute
from gateway.problems import Operation
from gateway.service import START_TIME_OPTION, WorkflowService
from gateway.telemetry.context import OPERATION_NAMES

MAX_PAGE_SIZE = 1000
#: start query parameters the handler itself reads; every other one is a start option
_START_PARAMETERS = frozenset({"instanceID", START_TIME_OPTION})

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
    """The REST handlers over one ``WorkflowService``."""

    def __init__(self, service: WorkflowService) -> None:
        self._service = service

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
        options = {k: v for k, v in request.query_params.items() if k not in _START_PARAMETERS}
        instance_id = await self._service.start(
            component,
            workflowName,
            instanceID,
            await request.body(),
            options,
            start_at=queries.moment(startTime, START_TIME_OPTION),
        )
        location = f"{request.url.path.rsplit('/workflows/', 1)[0]}/workflows/{component}/{instance_id}"
        return Response(
            json.dumps({"instanceID": instance_id}),
            status_code=202,
            media_type="application/json",
            headers={"Location": location, "Retry-After": "1"},
        )

    async def get(self, component: str, instanceID: str) -> Response:
        """The instance's state, as Dapr shows it."""
        return _json(models.state_body(await self._service.get(component, instanceID)))

    async def list_instances(
        self,
        component: str,
        selection: Filter,
        pageSize: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
        continuationToken: str | None = None,
    ) -> Response:
        """One page of instances, newest first; follow ``continuationToken`` for the next."""
        page = await self._service.list_instances(component, selection, pageSize, continuationToken)
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
        page = await self._service.list_across(component, selection, pageSize, continuationToken)
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
        result = await self._service.purge_matching(component, selection, recursive=recursive, dry_run=dryRun)
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
        result = await self._service.terminate_matching(
            component, selection, reason=reason, recursive=recursive, dry_run=dryRun
        )
        return _json(_bulk_body(result, component, Capability.TERMINATE, dryRun))

    async def history(self, component: str, instanceID: str) -> Response:
        """The instance's events, oldest first, normalised across runtimes."""
        events = await self._service.history(component, instanceID)
        return _json({"instanceID": instanceID, "events": [models.event_body(event) for event in events]})

    async def raise_event(
        self,
        request: Request,
        component: str,
        instanceID: str,
        eventName: str,
    ) -> Response:
        """Deliver an event; the body is its data."""
        await self._service.raise_event(component, instanceID, eventName, await request.body())
        return Response(status_code=202)

    async def pause(self, component: str, instanceID: str, reason: str | None = None) -> Response:
        """Suspend the instance; it buffers events until resumed."""
        await self._service.pause(component, instanceID, reason)
        return Response(status_code=202)

    async def resume(self, component: str, instanceID: str, reason: str | None = None) -> Response:
        """Resume a suspended instance."""
        await self._service.resume(component, instanceID, reason)
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
        await self._service.terminate(component, instanceID, reason, await request.body(), recursive)
        return Response(status_code=202)

    async def purge(self, component: str, instanceID: str, recursive: bool = True) -> Response:
        """Delete a terminal instance and its history (and its children's)."""
        result = await self._service.purge(component, instanceID, recursive)
        return _json({"purgedInstances": result.purged_instances, "detail": result.detail}, status=202)

    async def definition(self, component: str, workflowName: str) -> Response:
        """A declarative workflow definition (ASL, Serverless Workflow) and its graph, for drawing."""
        return _json(models.definition_body(await self._service.definition(component, workflowName)))


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


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")
