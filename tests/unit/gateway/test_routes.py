"""The REST API through the ASGI app, with a fake in-memory component behind it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from contracts import Capability
from gateway.app import create_app
from gateway.problems import OPERATION_CODES
from gateway.registry import ComponentRegistry
from tests.unit.gateway.conftest import assert_problem, fake

pytestmark = pytest.mark.usefixtures("fake_plugins")


@pytest.mark.parametrize("prefix", ["/v1.0", "/v1.0-beta1", "/v1.0-alpha1"])
async def test_start_then_get_on_every_prefix(client: httpx.AsyncClient, prefix: str) -> None:
    started = await client.post(
        f"{prefix}/workflows/orders/OrderWorkflow/start", params={"instanceID": "order-1"}, json={"qty": 2}
    )
    assert started.status_code == 202
    assert started.json() == {"instanceID": "order-1"}
    assert started.headers["location"] == f"{prefix}/workflows/orders/order-1"
    assert started.headers["retry-after"] == "1"

    got = await client.get(started.headers["location"])
    assert got.status_code == 200
    body = got.json()
    assert set(body) == {
        "instanceID",
        "workflowName",
        "createdAt",
        "lastUpdatedAt",
        "runtimeStatus",
        "properties",
    }
    assert body["instanceID"] == "order-1"
    assert body["workflowName"] == "OrderWorkflow"
    assert body["runtimeStatus"] == "RUNNING"
    assert body["createdAt"].endswith("Z")
    assert body["properties"]["dapr.workflow.input"] == '{"qty":2}'
    assert body["properties"]["dapr.workflow.custom_status"] == ""
    assert "dapr.workflow.output" not in body["properties"]
    assert body["properties"]["fake.sequence"] == "0"


async def test_start_without_id_generates_a_uuid_and_without_body_has_no_input(
    client: httpx.AsyncClient, registry: ComponentRegistry
) -> None:
    started = await client.post("/v1.0/workflows/orders/OrderWorkflow/start")
    assert started.status_code == 202
    instance_id = started.json()["instanceID"]
    assert uuid.UUID(instance_id)
    assert fake(registry).starts[0].serialized_input is None
    body = (await client.get(f"/v1.0/workflows/orders/{instance_id}")).json()
    assert body["properties"]["dapr.workflow.input"] == ""


async def test_start_options_and_start_time_reach_the_component(
    client: httpx.AsyncClient, registry: ComponentRegistry
) -> None:
    started = await client.post(
        "/v1.0/workflows/orders/W/start",
        params={"instanceID": "later", "taskQueue": "priority", "startTime": "2030-01-02T03:04:05Z"},
    )
    assert started.status_code == 202
    [request] = fake(registry).starts
    assert dict(request.options) == {"taskQueue": "priority"}
    assert request.start_at is not None
    assert request.start_at.isoformat() == "2030-01-02T03:04:05+00:00"


async def test_unknown_start_option_is_rejected_not_dropped(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1.0/workflows/orders/W/start", params={"tasQueue": "x"})
    body = assert_problem(response, 400, "ERR_MALFORMED_REQUEST", "malformed-request")
    assert "tasQueue" in body["detail"]
    assert "accepted: taskQueue" in body["detail"]


@pytest.mark.parametrize(
    ("instance_id", "code"),
    [
        ("has space", "ERR_INSTANCE_ID_INVALID"),
        ("dots.not.ok", "ERR_INSTANCE_ID_INVALID"),
        ("x" * 65, "ERR_INSTANCE_ID_TOO_LONG"),
    ],
)
async def test_instance_ids_are_validated_on_start(
    client: httpx.AsyncClient, instance_id: str, code: str
) -> None:
    response = await client.post("/v1.0/workflows/orders/W/start", params={"instanceID": instance_id})
    assert_problem(response, 400, code)


async def test_a_64_character_id_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1.0/workflows/orders/W/start", params={"instanceID": "A_-9" * 16})
    assert response.status_code == 202


async def test_body_that_is_not_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1.0/workflows/orders/W/start", content=b"{not json")
    body = assert_problem(response, 400, "ERR_MALFORMED_REQUEST")
    assert "not valid JSON" in body["detail"]


async def test_bad_start_time_is_a_problem_document(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1.0/workflows/orders/W/start", params={"startTime": "tomorrow"})
    body = assert_problem(response, 400, "ERR_MALFORMED_REQUEST")
    assert "startTime" in body["detail"]


async def test_duplicate_start_is_a_conflict_with_dapr_code(client: httpx.AsyncClient) -> None:
    await client.post("/v1.0/workflows/orders/W/start", params={"instanceID": "dup"})
    response = await client.post("/v1.0/workflows/orders/W/start", params={"instanceID": "dup"})
    assert_problem(response, 409, "ERR_START_WORKFLOW", "instance-exists")


async def test_unknown_and_missing_component(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1.0/workflows/nope/x"), 400, "ERR_WORKFLOW_COMPONENT_NOT_FOUND")
    assert_problem(await client.post("/v1.0/workflows//W/start"), 400, "ERR_WORKFLOW_COMPONENT_MISSING")
    assert_problem(await client.post("/v1.0/workflows/orders//start"), 400, "ERR_WORKFLOW_NAME_MISSING")
    assert_problem(
        await client.post("/v1.0/workflows/orders/x/raiseEvent/"), 400, "ERR_WORKFLOW_EVENT_NAME_MISSING"
    )


async def test_get_unknown_instance_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1.0/workflows/orders/ghost")
    assert_problem(response, 404, "ERR_INSTANCE_ID_NOT_FOUND", "instance-not-found")


async def test_raise_event_completes_and_output_appears(client: httpx.AsyncClient) -> None:
    await client.post("/v1.0/workflows/orders/W/start", params={"instanceID": "e1"})
    raised = await client.post("/v1.0/workflows/orders/e1/raiseEvent/finish", json={"ok": True})
    assert raised.status_code == 202
    assert raised.content == b""
    body = (await client.get("/v1.0/workflows/orders/e1")).json()
    assert body["runtimeStatus"] == "COMPLETED"
    assert body["properties"]["dapr.workflow.output"] == '{"ok":true}'


async def test_failure_details_are_shown_as_dapr_properties(client: httpx.AsyncClient) -> None:
    await client.post("/v1.0/workflows/orders/W/start", params={"instanceID": "f1"})
    await client.post("/v1.0/workflows/orders/f1/raiseEvent/fail")
    properties = (await client.get("/v1.0/workflows/orders/f1")).json()["properties"]
    assert properties["dapr.workflow.failure.error_type"] == "ValueError"
    assert properties["dapr.workflow.failure.error_message"] == "asked to fail"
    assert properties["dapr.workflow.failure.stack_trace"] == "Traceback: fake"


async def test_pause_resume_and_wrong_state(client: httpx.AsyncClient) -> None:
    await client.post("/v1.0/workflows/orders/W/start", params={"instanceID": "p1"})
    resume_running = await client.post("/v1.0/workflows/orders/p1/resume")
    assert_problem(resume_running, 409, "ERR_RESUME_WORKFLOW", "invalid-state")
    assert (await client.post("/v1.0/workflows/orders/p1/pause")).status_code == 202
    assert (await client.get("/v1.0/workflows/orders/p1")).json()["runtimeStatus"] == "SUSPENDED"
    assert (await client.post("/v1.0/workflows/orders/p1/resume")).status_code == 202
    assert (await client.get("/v1.0/workflows/orders/p1")).json()["runtimeStatus"] == "RUNNING"


async def test_terminate_then_purge_then_404(client: httpx.AsyncClient) -> None:
    await client.post("/v1.0/workflows/orders/W/start", params={"instanceID": "t1"})
    assert_problem(
        await client.post("/v1.0/workflows/orders/t1/purge"), 409, "ERR_PURGE_WORKFLOW", "invalid-state"
    )
    assert (
        await client.post("/v1.0/workflows/orders/t1/terminate", params={"reason": "test"})
    ).status_code == 202
    assert (await client.get("/v1.0/workflows/orders/t1")).json()["runtimeStatus"] == "TERMINATED"
    purged = await client.post("/v1.0/workflows/orders/t1/purge")
    assert purged.status_code == 202
    assert purged.json() == {"purgedInstances": 1, "detail": None}
    assert_problem(await client.get("/v1.0/workflows/orders/t1"), 404, "ERR_INSTANCE_ID_NOT_FOUND")


async def test_list_filters_and_pages(client: httpx.AsyncClient) -> None:
    for index in range(5):
        await client.post("/v1.0/workflows/orders/A/start", params={"instanceID": f"a{index}"})
    await client.post("/v1.0/workflows/orders/B/start", params={"instanceID": "b0"})
    await client.post("/v1.0/workflows/orders/a0/terminate")

    seen: list[str] = []
    token: str | None = None
    while True:
        params: dict[str, str | int] = {"workflowName": "A", "status": "RUNNING", "pageSize": 2}
        if token:
            params["continuationToken"] = token
        page = (await client.get("/v1.0/workflows/orders", params=params)).json()
        seen += [item["instanceID"] for item in page["instances"]]
        token = page["continuationToken"]
        if token is None:
            break
    assert seen == ["a4", "a3", "a2", "a1"]

    both = await client.get("/v1.0/workflows/orders", params={"status": "running,terminated"})
    assert len(both.json()["instances"]) == 6
    bad = await client.get("/v1.0/workflows/orders", params={"status": "DONE"})
    assert "unknown status 'DONE'" in assert_problem(bad, 400, "ERR_MALFORMED_REQUEST")["detail"]
    assert_problem(
        await client.get("/v1.0/workflows/orders", params={"pageSize": 0}), 400, "ERR_MALFORMED_REQUEST"
    )


async def test_history_is_normalised(client: httpx.AsyncClient) -> None:
    await client.post("/v1.0/workflows/orders/W/start", params={"instanceID": "h1"}, json=[1])
    await client.post("/v1.0/workflows/orders/h1/raiseEvent/approve", json={"by": "ann"})
    history = (await client.get("/v1.0/workflows/orders/h1/history")).json()
    assert history["instanceID"] == "h1"
    kinds = [(event["kind"], event["name"], event["data"]) for event in history["events"]]
    assert kinds == [("WorkflowStarted", "W", [1]), ("EventRaised", "approve", {"by": "ann"})]


async def test_missing_capability_is_501_without_calling_the_component(client: httpx.AsyncClient) -> None:
    await client.post("/v1.0/workflows/limited/W/start", params={"instanceID": "l1"})
    for operation in ("pause", "resume", "terminate", "purge"):
        response = await client.post(f"/v1.0/workflows/limited/l1/{operation}")
        body = assert_problem(response, 501, f"ERR_{operation.upper()}_WORKFLOW", "not-supported")
        assert f"does not support {operation}" in body["detail"]
    assert_problem(await client.get("/v1.0/workflows/limited"), 501, "ERR_LIST_WORKFLOWS")
    # Pause was never called, so the instance is still running.
    assert (await client.get("/v1.0/workflows/limited/l1")).json()["runtimeStatus"] == "RUNNING"


async def test_backend_down_is_503_and_slow_is_504_and_the_gateway_stays_up(
    client: httpx.AsyncClient,
) -> None:
    down = await client.get("/v1.0/workflows/down/x")
    assert_problem(down, 503, "ERR_GET_WORKFLOW", "backend-unavailable")
    assert down.headers["retry-after"] == "5"
    assert_problem(await client.get("/v1.0/workflows/late/x"), 504, "ERR_GET_WORKFLOW", "backend-timeout")
    slow = await client.post("/v1.0/workflows/slow/W/start")
    assert "within 0.5s" in assert_problem(slow, 504, "ERR_START_WORKFLOW", "backend-timeout")["detail"]
    assert (await client.get("/v1.0/healthz")).status_code == 204


async def test_a_component_bug_is_a_500_problem_without_traceback(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1.0/workflows/buggy/x")
    body = assert_problem(response, 500, "ERR_GET_WORKFLOW", "internal")
    assert "ZeroDivisionError" in body["detail"]


async def test_an_ignored_failed_component_answers_503(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1.0/workflows/ignored/x")
    body = assert_problem(response, 503, "ERR_GET_WORKFLOW", "component-failed")
    assert "cannot reach the fake runtime" in body["detail"]


async def test_metadata_lists_components_with_health_and_capabilities(client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/v1.0/metadata")).json()
    assert metadata["id"] == "flowport"
    components = {item["name"]: item for item in metadata["components"]}
    orders = components["orders"]
    assert orders["type"] == "workflow.fake"
    assert orders["healthy"] is True
    assert orders["workflows"] == ["FakeWorkflow"]
    assert orders["plugin"] == {"distribution": "flowport-fake-plugins", "version": "1.2.3"}
    assert "raise_event" in orders["capabilities"]
    assert components["limited"]["capabilities"] == ["get", "start"]
    assert components["ignored"]["healthy"] is False
    assert "cannot reach the fake runtime" in components["ignored"]["detail"]


async def test_unknown_route_and_wrong_method_are_problems(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v2/whatever"), 404, "ERR_NOT_FOUND")
    assert_problem(await client.delete("/v1.0/workflows/orders/x"), 405, "ERR_METHOD_NOT_ALLOWED")


async def test_openapi_has_stable_operation_ids_and_docs_work(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation_ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert operation_ids == {
        "startWorkflow",
        "listWorkflows",
        "getWorkflow",
        "getWorkflowHistory",
        "getWorkflowDefinition",
        "raiseWorkflowEvent",
        "pauseWorkflow",
        "resumeWorkflow",
        "terminateWorkflow",
        "purgeWorkflow",
        "listAllWorkflows",
        "purgeWorkflows",
        "terminateWorkflows",
        "healthz",
        "healthzOutbound",
        "readyz",
        "getMetadata",
    }
    assert all(path.startswith("/v1.0/") or path == "/readyz" for path in spec["paths"])
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_api_token_guards_every_route_but_health(registry: ComponentRegistry) -> None:
    app = create_app(registry, api_token="t0ken", manage_components=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        assert (await client.get("/v1.0/healthz")).status_code == 204
        for path in (
            "/v1.0/workflows/orders/x",
            "/v1.0/metadata",
            "/openapi.json",
            "/v1.0-alpha1/workflows/orders/x",
        ):
            assert_problem(await client.get(path), 401, "ERR_UNAUTHORIZED")
        assert_problem(
            await client.get("/v1.0/metadata", headers={"dapr-api-token": "wrong"}), 401, "ERR_UNAUTHORIZED"
        )
        assert (await client.get("/v1.0/metadata", headers={"dapr-api-token": "t0ken"})).status_code == 200
        bearer = await client.get("/v1.0/metadata", headers={"Authorization": "Bearer t0ken"})
        assert bearer.status_code == 200


def test_every_operation_has_its_dapr_error_code() -> None:
    assert set(OPERATION_CODES) == {*Capability, "definition"}
    assert OPERATION_CODES[Capability.RAISE_EVENT] == "ERR_RAISE_EVENT_WORKFLOW"
