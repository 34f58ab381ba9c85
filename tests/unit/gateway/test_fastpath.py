"""LeanRoute calls handlers as FastAPI would: same arguments, same 400s, same OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import JSONResponse, Response

from gateway import problems
from gateway.app import create_app
from gateway.fastpath import LeanRoute
from gateway.registry import ComponentRegistry

seen: list[dict[str, Any]] = []


async def handler(
    request: Request,
    component: str,
    status: Annotated[list[str] | None, Query(description="repeatable")] = None,
    pageSize: Annotated[int, Query(ge=1, le=1000)] = 100,
    recursive: bool = True,
    startTime: datetime | None = None,
    reason: str | None = None,
) -> Response:
    seen.append(
        {
            "path": request.url.path,
            "component": component,
            "status": status,
            "pageSize": pageSize,
            "recursive": recursive,
            "startTime": startTime,
            "reason": reason,
        }
    )
    return Response(status_code=204)


async def with_header(component: str, x_trace: Annotated[str | None, Header()] = None) -> Response:
    return JSONResponse({"component": component, "header": x_trace})


async def with_alias(component: str, page: Annotated[int, Query(alias="page-number")] = 1) -> Response:
    return JSONResponse({"component": component, "page": page})


def selection(
    workflowName: Annotated[str | None, Query(description="a filter")] = None,
    status: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    if workflowName == "forbidden":
        raise problems.ApiError("malformed-request", "forbidden name")
    return {"workflowName": workflowName, "status": status}


async def with_dependency(
    component: str, chosen: Annotated[dict[str, Any], Depends(selection)], pageSize: int = 10
) -> Response:
    return JSONResponse({"component": component, "chosen": chosen, "pageSize": pageSize})


async def guard(request: Request) -> None:
    if request.headers.get("token") != "secret":
        raise problems.ApiError("unauthorized", "no token")


def app(route_class: type[APIRoute]) -> FastAPI:
    application = FastAPI()
    application.router.add_api_route(
        "/c/{component}", handler, methods=["GET"], route_class_override=route_class
    )
    application.router.add_api_route(
        "/h/{component}", with_header, methods=["GET"], route_class_override=route_class
    )
    application.router.add_api_route(
        "/a/{component}", with_alias, methods=["GET"], route_class_override=route_class
    )
    application.router.add_api_route(
        "/d/{component}", with_dependency, methods=["GET"], route_class_override=route_class
    )
    application.router.add_api_route(
        "/g/{component}",
        handler,
        methods=["GET"],
        route_class_override=route_class,
        dependencies=[Depends(guard)],
    )
    application.add_exception_handler(RequestValidationError, problems.handle_validation_error)
    application.add_exception_handler(problems.ApiError, problems.handle_gateway_error)
    return application


@pytest.fixture(params=[APIRoute, LeanRoute], ids=["fastapi", "lean"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app(request.param))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


# Each test runs once through FastAPI's own route and once through LeanRoute, with the same
# expectations: what the lean route does is what FastAPI does.


async def test_defaults(client: httpx.AsyncClient) -> None:
    seen.clear()
    assert (await client.get("/c/orders")).status_code == 204
    assert seen == [
        {
            "path": "/c/orders",
            "component": "orders",
            "status": None,
            "pageSize": 100,
            "recursive": True,
            "startTime": None,
            "reason": None,
        }
    ]


async def test_typed_and_repeated_query_parameters(client: httpx.AsyncClient) -> None:
    seen.clear()
    query = "status=RUNNING&status=FAILED,TERMINATED&pageSize=7&recursive=false&reason=why&other=kept"
    query += "&startTime=2030-01-02T03:04:05Z"
    assert (await client.get(f"/c/orders?{query}")).status_code == 204
    [call] = seen
    assert call["status"] == ["RUNNING", "FAILED,TERMINATED"]
    assert (call["pageSize"], call["recursive"], call["reason"]) == (7, False, "why")
    assert call["startTime"] == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("pageSize=0", "query.pageSize: Input should be greater than or equal to 1"),
        ("pageSize=ten", "query.pageSize: Input should be a valid integer"),
        ("recursive=maybe", "query.recursive: Input should be a valid boolean"),
    ],
)
async def test_invalid_query_parameter_is_the_same_400(
    client: httpx.AsyncClient, query: str, detail: str
) -> None:
    response = await client.get(f"/c/orders?{query}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


async def test_route_dependencies_still_guard(client: httpx.AsyncClient) -> None:
    assert (await client.get("/g/orders")).status_code == 401
    assert (await client.get("/g/orders", headers={"token": "secret"})).status_code == 204


async def test_a_handler_needing_more_gets_fastapis_handler(client: httpx.AsyncClient) -> None:
    answer = await client.get("/h/orders", headers={"x-trace": "abc"})
    assert answer.json() == {"component": "orders", "header": "abc"}
    lean = {route.path: route.lean for route in app(LeanRoute).routes if isinstance(route, LeanRoute)}
    assert lean == {
        "/c/{component}": True,
        "/h/{component}": False,
        "/a/{component}": False,
        "/d/{component}": True,
        "/g/{component}": True,
    }


async def test_a_dependency_made_of_query_parameters(client: httpx.AsyncClient) -> None:
    answer = await client.get("/d/orders?workflowName=A&status=RUNNING&status=FAILED&pageSize=3")
    assert answer.json() == {
        "component": "orders",
        "chosen": {"workflowName": "A", "status": ["RUNNING", "FAILED"]},
        "pageSize": 3,
    }
    assert (await client.get("/d/orders?workflowName=forbidden")).status_code == 400


async def test_an_aliased_query_parameter(client: httpx.AsyncClient) -> None:
    assert (await client.get("/a/orders?page-number=4")).json() == {"component": "orders", "page": 4}


def test_the_workflow_routes_take_the_lean_path() -> None:
    # Not a timing: which handler the routes get. A handler signature that needs FastAPI's own
    # handler still works, only slower (bench/rest_load shows the difference).
    hot = {"startWorkflow", "getWorkflow", "raiseWorkflowEvent", "listWorkflows"}
    app = create_app(ComponentRegistry.of([]), manage_components=False)
    lean = {r.operation_id for r in app.routes if isinstance(r, LeanRoute) and r.lean}
    assert hot <= lean


def test_the_openapi_document_is_unchanged() -> None:
    assert app(LeanRoute).openapi() == app(APIRoute).openapi()
