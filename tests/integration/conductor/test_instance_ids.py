"""Caller-chosen instance IDs live in Conductor: a second gateway process sees them, racing
starts of one ID leave one instance, and IDs that Conductor generated work too."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from gateway.testing import free_port, running_gateway
from tests.integration.conductor.conftest import (
    EXAMPLE_RESOURCES,
    TERMINAL,
    WAIT_TIMEOUT,
    assert_problem,
    order,
    post,
    start,
    started,
    state,
    wait_status,
    wf,
)

pytestmark = pytest.mark.conductor

NewId = Callable[[str], str]


@pytest.fixture(scope="module")
def second_gateway(conductor_env: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """``flowport serve`` in its own process, on the same example YAML and server."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("second-gateway") / "gateway.log"
    command = [sys.executable, "-m", "gateway.cli", "serve", "--resources-path", str(EXAMPLE_RESOURCES)]
    command += ["--port", str(port), "--metrics-port", "0", "--log-level", "warning"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=60.0) as client:
            deadline = time.monotonic() + WAIT_TIMEOUT
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    if client.get("/v1.0/healthz").status_code == 204:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"second gateway did not start: {log_path.read_text()}"
                time.sleep(0.2)
            yield client
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_a_second_gateway_process_shares_the_ids(
    conductor_api: httpx.Client, second_gateway: httpx.Client, new_id: NewId
) -> None:
    instance_id = started(conductor_api, "order_approval", new_id("shared"), {"orderId": "s"})
    first_view = state(conductor_api, instance_id)
    second_view = state(second_gateway, instance_id)
    assert (
        second_view["properties"]["conductor.workflowId"] == first_view["properties"]["conductor.workflowId"]
    )
    assert_problem(
        start(second_gateway, "order_approval", instance_id, {"orderId": "s"}), 409, "instance-exists"
    )

    # The second gateway ends and purges it; the first, which has the mapping cached, notices.
    assert post(second_gateway, instance_id, "terminate").status_code == 202
    wait_status(second_gateway, instance_id, "TERMINATED")
    assert post(second_gateway, instance_id, "purge").status_code == 202
    assert_problem(conductor_api.get(wf(f"/{instance_id}")), 404, "instance-not-found")

    # The ID is reused through the second gateway; the first finds the new workflow.
    started(second_gateway, "order_processing", instance_id, order(instance_id))
    again = wait_status(conductor_api, instance_id, *TERMINAL)
    assert again["workflowName"] == "order_processing"
    assert again["properties"]["conductor.workflowId"] != first_view["properties"]["conductor.workflowId"]


def test_a_restarted_gateway_finds_its_instances(conductor_env: str, new_id: NewId) -> None:
    with running_gateway([EXAMPLE_RESOURCES]) as base_url, httpx.Client(base_url=base_url, timeout=60) as api:
        instance_id = started(api, "order_approval", new_id("restart"), {"orderId": "r"})
    with running_gateway([EXAMPLE_RESOURCES]) as base_url, httpx.Client(base_url=base_url, timeout=60) as api:
        assert state(api, instance_id)["runtimeStatus"] == "RUNNING"
        assert post(api, instance_id, "raiseEvent/approval", {"approved": False}).status_code == 202
        assert wait_status(api, instance_id, *TERMINAL)["runtimeStatus"] == "COMPLETED"


def test_racing_starts_of_one_id_leave_one_instance(
    conductor_api: httpx.Client,
    second_gateway: httpx.Client,
    conductor_rest: httpx.Client,
    new_id: NewId,
) -> None:
    for attempt in range(6):
        instance_id = new_id(f"race{attempt}")
        clients = [conductor_api, second_gateway] * 4

        def try_start(client: httpx.Client, instance_id: str = instance_id) -> int:
            return start(client, "order_approval", instance_id, {"orderId": "race"}).status_code

        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            codes = sorted(pool.map(try_start, clients))
        assert codes == [202] + [409] * (len(clients) - 1), codes
        hits = conductor_rest.get("/workflow/search", params={"query": f'correlationId="{instance_id}"'})
        assert hits.json()["totalHits"] == 1, hits.json()
        owner = hits.json()["results"][0]["workflowId"]
        for client in (conductor_api, second_gateway):
            assert state(client, instance_id)["properties"]["conductor.workflowId"] == owner
        assert post(conductor_api, instance_id, "terminate").status_code == 202


def test_ids_that_conductor_generated_work_too(
    conductor_api: httpx.Client, conductor_rest: httpx.Client, new_id: NewId
) -> None:
    answer = conductor_rest.post("/workflow", json={"name": "order_approval", "input": {"orderId": "native"}})
    assert answer.status_code == 200, answer.text
    workflow_id = answer.text.strip()

    native = state(conductor_api, workflow_id)
    assert native["instanceID"] == workflow_id
    assert native["runtimeStatus"] == "RUNNING"
    assert "conductor.correlationId" not in native["properties"]
    assert_problem(start(conductor_api, "order_approval", workflow_id), 409, "instance-exists")
    assert post(conductor_api, workflow_id, "raiseEvent/approval", {"approved": False}).status_code == 202
    assert wait_status(conductor_api, workflow_id, *TERMINAL)["runtimeStatus"] == "COMPLETED"
    assert conductor_api.get(wf(f"/{workflow_id}/history")).status_code == 200
    listed = conductor_api.get(wf(), params={"workflowName": "order_approval", "pageSize": 1000}).json()
    assert workflow_id in {item["instanceID"] for item in listed["instances"]}
    assert post(conductor_api, workflow_id, "purge").status_code == 202
    assert conductor_rest.get(f"/workflow/{workflow_id}").status_code == 404
