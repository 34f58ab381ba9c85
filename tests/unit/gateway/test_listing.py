"""Listing across components, filters a component cannot apply, and bulk operations,
through the ASGI app with fake in-memory components (the real engines are tested in the
integration tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway import listing
from gateway.app import create_app
from gateway.registry import ComponentRegistry
from tests.unit.gateway.conftest import Write, assert_problem, failing, fake, fake_component_yaml

pytestmark = pytest.mark.usefixtures("fake_plugins")


@pytest.fixture
async def api(write: Write) -> AsyncIterator[httpx.AsyncClient]:
    write("orders.yaml", fake_component_yaml("orders"))
    write("shipping.yaml", fake_component_yaml("shipping"))
    write("limited.yaml", fake_component_yaml("limited", "workflow.fakestartonly"))
    resources = write("down.yaml", failing("down", "BackendUnavailableError"))
    registry = ComponentRegistry.from_resources([resources])
    await registry.start()
    app = create_app(registry, request_timeout=2.0, manage_components=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        client.registry = registry  # type: ignore[attr-defined]
        yield client
    await registry.close()


async def start(api: httpx.AsyncClient, component: str, instance_id: str, workflow: str = "Fake") -> None:
    response = await api.post(
        f"/v1.0/workflows/{component}/{workflow}/start", params={"instanceID": instance_id}
    )
    assert response.status_code == 202, response.text


async def all_pages(api: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    token = None
    while True:
        query = {**params, **({"continuationToken": token} if token else {})}
        page = (await api.get(path, params=query)).json()
        seen += page["instances"]
        token = page["continuationToken"]
        if not token:
            return seen


async def test_a_filter_the_component_cannot_apply_is_501_not_ignored(api: httpx.AsyncClient) -> None:
    await start(api, "orders", "o1")
    for params in ({"createdAfter": "2020-01-01T00:00:00Z"}, {"instanceIDPrefix": "o"}):
        body = assert_problem(
            await api.get("/v1.0/workflows/orders", params=params), 501, "ERR_LIST_WORKFLOWS"
        )
        assert "cannot filter instances by" in body["detail"]
    bulk = await api.post("/v1.0/workflows/orders/purge", params={"createdBefore": "2030-01-01T00:00:00Z"})
    assert_problem(bulk, 501, "ERR_PURGE_WORKFLOW", "not-supported")


async def test_listing_across_components_pages_newest_first_and_reports_failures(
    api: httpx.AsyncClient,
) -> None:
    for index in range(5):  # interleaved: o0, s0, o1, s1, ... newest last
        await start(api, "orders", f"o{index}")
        await start(api, "shipping", f"s{index}")
    seen = await all_pages(api, "/v1.0/workflows", pageSize=3)
    assert [(i["component"], i["instanceID"]) for i in seen if i["component"] != "down"] == [
        (component, f"{component[0]}{index}")
        for index in reversed(range(5))
        for component in ("shipping", "orders")
    ]
    first = (await api.get("/v1.0/workflows", params={"pageSize": 3})).json()
    problems = {failure["component"]: failure for failure in first["failures"]}
    assert set(problems) == {"down", "limited"}
    assert (problems["down"]["status"], problems["down"]["errorCode"]) == (503, "ERR_LIST_WORKFLOWS")
    assert problems["limited"]["type"] == "urn:flowport:problem:not-supported"

    chosen = await all_pages(api, "/v1.0/workflows/", component=["orders"], status="RUNNING", pageSize=2)
    assert [i["instanceID"] for i in chosen] == [f"o{index}" for index in reversed(range(5))]


async def test_listing_across_components_refuses_unknown_components_and_tokens(
    api: httpx.AsyncClient,
) -> None:
    assert_problem(
        await api.get("/v1.0/workflows", params={"component": "nope"}),
        400,
        "ERR_WORKFLOW_COMPONENT_NOT_FOUND",
    )
    assert_problem(
        await api.get("/v1.0/workflows", params={"continuationToken": "m1.garbage"}),
        400,
        "ERR_MALFORMED_REQUEST",
    )


async def test_bulk_terminate_and_purge_count_and_list_failures(api: httpx.AsyncClient) -> None:
    for instance_id in ("a", "b", "undeletable"):
        await start(api, "orders", instance_id)
    await start(api, "orders", "c", "FakeEcho")  # completes at once

    dry = (await api.post("/v1.0/workflows/orders/terminate", params={"dryRun": "true"})).json()
    assert dry == {"dryRun": True, "matched": 3, "succeeded": 0, "failed": []}
    done = (await api.post("/v1.0/workflows/orders/terminate", params={"reason": "cleanup"})).json()
    assert (done["matched"], done["succeeded"], done["failed"]) == (3, 3, [])

    purged = await api.post("/v1.0/workflows/orders/purge", params={"status": "TERMINATED,COMPLETED"})
    assert purged.status_code == 200, purged.text
    body = purged.json()
    assert (body["matched"], body["succeeded"], body["purgedInstances"]) == (4, 3, 3)
    [failure] = body["failed"]
    assert failure["instanceID"] == "undeletable"
    assert (failure["status"], failure["errorCode"]) == (503, "ERR_PURGE_WORKFLOW")
    assert sorted(fake(api.registry).instances) == ["undeletable"]  # type: ignore[attr-defined]


async def test_bulk_needs_list_and_the_operation(api: httpx.AsyncClient) -> None:
    assert_problem(
        await api.post("/v1.0/workflows/limited/purge"), 501, "ERR_PURGE_WORKFLOW", "not-supported"
    )
    assert_problem(await api.post("/v1.0/workflows/down/purge"), 503, "ERR_PURGE_WORKFLOW")
    wrong = await api.post("/v1.0/workflows/orders/terminate", params={"status": "FAILED"})
    assert (
        "terminate acts only on instances that are"
        in assert_problem(wrong, 400, "ERR_MALFORMED_REQUEST")["detail"]
    )


def test_merged_tokens_round_trip_and_reject_forgeries() -> None:
    cursors = {"a": listing.Cursor("t1", 2), "b": listing.Cursor(None, 0)}
    size, decoded = listing.decode_token(listing.encode_token(50, cursors))
    assert (size, decoded) == (50, cursors)
    for forged in ("x", "m1.", "m1.e30", listing.encode_token(5000, cursors)):
        with pytest.raises(listing.BadToken):
            listing.decode_token(forged)
