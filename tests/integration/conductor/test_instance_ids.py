"""Caller-chosen instance IDs live in Conductor: a second gateway process sees them, racing
starts of one ID leave one instance, and IDs that Conductor generated work too."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.integration.conductor.conftest import COMPONENT, EXAMPLE_RESOURCES, order
from tests.rest import TERMINAL, Workflows, new_id, problem, serve_component
from tests.servers.gateway import GatewayProcess

pytestmark = pytest.mark.conductor


@pytest.fixture(scope="module")
def second_gateway(conductor_env: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workflows]:
    """``flowport serve`` in its own process, on the same example YAML and server."""
    process = GatewayProcess(EXAMPLE_RESOURCES, tmp_path_factory.mktemp("second-gateway") / "gateway.log")
    process.start()
    try:
        with httpx.Client(base_url=process.url, timeout=60.0) as client:
            yield Workflows(client, COMPONENT)
    finally:
        process.stop()


def test_a_second_gateway_process_shares_the_ids(conductor_api: Workflows, second_gateway: Workflows) -> None:
    instance_id = conductor_api.started("order_approval", new_id("shared"), {"orderId": "s"})
    first_view = conductor_api.state(instance_id)
    second_view = second_gateway.state(instance_id)
    assert (
        second_view["properties"]["conductor.workflowId"] == first_view["properties"]["conductor.workflowId"]
    )
    problem(second_gateway.start("order_approval", instance_id, {"orderId": "s"}), 409, "instance-exists")

    # The second gateway ends and purges it; the first, which has the mapping cached, notices.
    assert second_gateway.post(instance_id, "terminate").status_code == 202
    second_gateway.wait_status(instance_id, "TERMINATED")
    assert second_gateway.post(instance_id, "purge").status_code == 202
    problem(conductor_api.get(instance_id), 404, "instance-not-found")

    # The ID is reused through the second gateway; the first finds the new workflow.
    second_gateway.started("order_processing", instance_id, order(instance_id))
    again = conductor_api.wait_status(instance_id, *TERMINAL)
    assert again["workflowName"] == "order_processing"
    assert again["properties"]["conductor.workflowId"] != first_view["properties"]["conductor.workflowId"]


def test_a_restarted_gateway_finds_its_instances(conductor_env: str) -> None:
    with serve_component(EXAMPLE_RESOURCES, COMPONENT) as api:
        instance_id = api.started("order_approval", new_id("restart"), {"orderId": "r"})
    with serve_component(EXAMPLE_RESOURCES, COMPONENT) as api:
        assert api.state(instance_id)["runtimeStatus"] == "RUNNING"
        assert api.post(instance_id, "raiseEvent/approval", {"approved": False}).status_code == 202
        assert api.wait_status(instance_id, *TERMINAL)["runtimeStatus"] == "COMPLETED"


def test_racing_starts_of_one_id_leave_one_instance(
    conductor_api: Workflows,
    second_gateway: Workflows,
    conductor_rest: httpx.Client,
) -> None:
    for attempt in range(6):
        instance_id = new_id(f"race{attempt}")
        clients = [conductor_api, second_gateway] * 4

        def try_start(client: Workflows, instance_id: str = instance_id) -> int:
            return client.start("order_approval", instance_id, {"orderId": "race"}).status_code

        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            codes = sorted(pool.map(try_start, clients))
        assert codes == [202] + [409] * (len(clients) - 1), codes
        hits = conductor_rest.get("/workflow/search", params={"query": f'correlationId="{instance_id}"'})
        assert hits.json()["totalHits"] == 1, hits.json()
        owner = hits.json()["results"][0]["workflowId"]
        for client in (conductor_api, second_gateway):
            assert client.state(instance_id)["properties"]["conductor.workflowId"] == owner
        assert conductor_api.post(instance_id, "terminate").status_code == 202


def test_ids_that_conductor_generated_work_too(
    conductor_api: Workflows, conductor_rest: httpx.Client
) -> None:
    answer = conductor_rest.post("/workflow", json={"name": "order_approval", "input": {"orderId": "native"}})
    assert answer.status_code == 200, answer.text
    workflow_id = answer.text.strip()

    native = conductor_api.state(workflow_id)
    assert native["instanceID"] == workflow_id
    assert native["runtimeStatus"] == "RUNNING"
    assert "conductor.correlationId" not in native["properties"]
    problem(conductor_api.start("order_approval", workflow_id), 409, "instance-exists")
    assert conductor_api.post(workflow_id, "raiseEvent/approval", {"approved": False}).status_code == 202
    assert conductor_api.wait_status(workflow_id, *TERMINAL)["runtimeStatus"] == "COMPLETED"
    assert conductor_api.client.get(f"{conductor_api.base}/{workflow_id}/history").status_code == 200
    listed = conductor_api.list(workflowName="order_approval", pageSize=1000).json()
    assert workflow_id in {item["instanceID"] for item in listed["instances"]}
    assert conductor_api.post(workflow_id, "purge").status_code == 202
    assert conductor_rest.get(f"/workflow/{workflow_id}").status_code == 404
