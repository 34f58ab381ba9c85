"""HTTP edges and the OpenAPI document, through the ASGI app with the fake component."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.registry import ComponentRegistry
from tests.unit.gateway.conftest import Write, assert_problem, fake_component_yaml

pytestmark = pytest.mark.usefixtures("fake_plugins")


@pytest.fixture
async def api(write: Write) -> AsyncIterator[httpx.AsyncClient]:
    registry = ComponentRegistry.from_resources([write("orders.yaml", fake_component_yaml("orders"))])
    await registry.start()
    app = create_app(registry, api_token="t0ken", manage_components=False)
    headers = {"dapr-api-token": "t0ken"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw", headers=headers
    ) as c:
        yield c
    await registry.close()


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1.0/workflows/orders/x", "GET"),
        ("PUT", "/v1.0/workflows/orders/purge", "POST"),
        ("GET", "/v1.0/workflows/orders/x/pause", "POST"),
        ("DELETE", "/v1.0/workflows/orders", "GET"),
        ("POST", "/v1.0/metadata", "GET"),
        ("PATCH", "/v1.0-alpha1/workflows/orders/x/raiseEvent/e", "POST"),
    ],
)
async def test_405_names_the_allowed_methods(
    api: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    answer = await api.request(method, path)
    assert_problem(answer, 405, "ERR_METHOD_NOT_ALLOWED")
    assert answer.headers["allow"] == allowed


async def test_trailing_slashes_answer_without_redirects(api: httpx.AsyncClient) -> None:
    plain, slashed = await api.get("/v1.0/workflows"), await api.get("/v1.0/workflows/")
    assert (plain.status_code, slashed.status_code) == (200, 200)
    assert plain.json() == slashed.json()
    missing = await api.get("/v1.0/workflows/orders/")
    body = assert_problem(missing, 400, "ERR_INSTANCE_ID_PROVIDED_MISSING")
    assert "GET /v1.0/workflows/orders lists the instances" in body["detail"]


async def test_bulk_route_names_are_reserved_instance_ids(api: httpx.AsyncClient) -> None:
    for name in ("purge", "terminate"):
        answer = await api.post(f"/v1.0/workflows/orders/FakeWorkflow/start?instanceID={name}")
        assert "reserved" in assert_problem(answer, 400, "ERR_INSTANCE_ID_INVALID")["detail"]


@pytest.mark.parametrize("value", ["0.5", "2026-01-01", "yesterday", ""])
async def test_times_must_be_rfc_3339(api: httpx.AsyncClient, value: str) -> None:
    start = await api.post("/v1.0/workflows/orders/FakeWorkflow/start", params={"startTime": value})
    assert "RFC 3339" in assert_problem(start, 400, "ERR_MALFORMED_REQUEST")["detail"]
    listed = await api.get("/v1.0/workflows", params={"createdAfter": value})
    assert_problem(listed, 400, "ERR_MALFORMED_REQUEST")


async def test_openapi_and_docs_with_a_token(api: httpx.AsyncClient) -> None:
    anonymous = httpx.AsyncClient(transport=api._transport, base_url="http://gw")
    async with anonymous:
        assert_problem(await anonymous.get("/openapi.json"), 401, "ERR_UNAUTHORIZED")
        docs = await anonymous.get("/docs")
        assert (docs.status_code, docs.headers["location"]) == (303, "/ui/login?next=/docs")
    assert (await api.get("/docs")).status_code == 200


async def test_the_openapi_document_says_what_the_gateway_does(api: httpx.AsyncClient) -> None:
    doc: dict[str, Any] = (await api.get("/openapi.json")).json()
    operations = {op["operationId"]: op for path in doc["paths"].values() for op in path.values()}
    for op in operations.values():
        assert "422" not in op["responses"], op["operationId"]
        for code, response in op["responses"].items():
            if int(code) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (op["operationId"], code)
        if op["operationId"] not in ("healthz", "healthzOutbound", "readyz"):
            assert "401" in op["responses"], op["operationId"]
    assert set(doc["components"]["securitySchemes"]) == {"daprApiToken", "bearer"}
    assert doc["security"] == [{"daprApiToken": []}, {"bearer": []}]
    assert operations["healthz"]["security"] == []
    for name in ("raiseWorkflowEvent", "pauseWorkflow", "resumeWorkflow", "terminateWorkflow"):
        assert "content" not in operations[name]["responses"]["202"], name
    started = operations["startWorkflow"]["responses"]["202"]
    assert set(started["headers"]) == {"Location", "Retry-After"}
    assert started["links"]["GetWorkflow"]["parameters"]["instanceID"] == "$response.body#/instanceID"
    assert "Retry-After" in operations["getWorkflow"]["responses"]["503"]["headers"]
    assert doc["components"]["schemas"]["Component"]["enum"] == ["orders"]
    assert doc["components"]["schemas"]["WorkflowState"]["properties"]["runtimeStatus"] == {
        "$ref": "#/components/schemas/RuntimeStatus"
    }
    assert doc["components"]["schemas"]["HistoryEvent"]["properties"]["kind"] == {
        "$ref": "#/components/schemas/EventKind"
    }
    assert "examples" in doc["components"]["schemas"]["WorkflowState"]
    purge_status = next(p for p in operations["purgeWorkflows"]["parameters"] if p["name"] == "status")
    assert purge_status["schema"]["anyOf"][0]["items"]["enum"] == [
        "COMPLETED",
        "FAILED",
        "CANCELED",
        "TERMINATED",
    ]
