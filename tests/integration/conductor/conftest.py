"""A gateway serving the example Conductor component over the session's server and worker.

The gateway loads the ready example YAML (examples/conductor/components/conductor.yaml),
which reads the server from ``CONDUCTOR_SERVER_URL`` and upserts examples/conductor/
definitions at start-up. Instance IDs are unique per test (``new_id``), so tests share the
server without seeing each other's instances.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.testing import running_gateway
from tests.servers.conductor import EXAMPLES, ConductorServer

#: generous for a loaded 2-core machine: a workflow step normally takes milliseconds
WAIT_TIMEOUT = 90.0
COMPONENT = "conductor"
EXAMPLE_RESOURCES = EXAMPLES / "components"
TERMINAL = frozenset({"COMPLETED", "FAILED", "TERMINATED", "CANCELED"})


@pytest.fixture(scope="session")
def conductor_env(conductor_server: ConductorServer) -> Iterator[str]:
    """``CONDUCTOR_SERVER_URL`` set for the session, as the example YAML expects."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONDUCTOR_SERVER_URL", conductor_server.api_url)
        yield conductor_server.api_url


@pytest.fixture(scope="session")
def conductor_api(conductor_env: str, conductor_worker: subprocess.Popen[bytes]) -> Iterator[httpx.Client]:
    """An HTTP client of a gateway serving the example component (and the worker running)."""
    with (
        running_gateway([EXAMPLE_RESOURCES]) as base_url,
        httpx.Client(base_url=base_url, timeout=60.0) as client,
    ):
        yield client


@pytest.fixture(scope="session")
def conductor_rest(conductor_server: ConductorServer) -> Iterator[httpx.Client]:
    """A plain client of Conductor's own REST API, to check what the component did there."""
    with httpx.Client(base_url=conductor_server.api_url, timeout=60.0) as client:
        yield client


@pytest.fixture
def new_id(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Instance IDs unique to this test: ``new_id("order")`` -> ``order-<test>-<hex>``."""
    test = request.node.name.removeprefix("test_").replace("[", "-").replace("]", "")[:24]

    def make(prefix: str) -> str:
        return f"{prefix}-{test}-{uuid.uuid4().hex[:8]}"[:64].replace("_", "-")

    return make


def wf(path: str = "") -> str:
    return f"/v1.0/workflows/{COMPONENT}{path}"


def start(
    api: httpx.Client, name: str, instance_id: str | None, body: Any = None, **params: str
) -> httpx.Response:
    if instance_id is not None:
        params["instanceID"] = instance_id
    content = b"" if body is None else httpx.Request("POST", "/", json=body).content
    return api.post(wf(f"/{name}/start"), params=params, content=content)


def started(api: httpx.Client, name: str, instance_id: str, body: Any = None, **params: str) -> str:
    response = start(api, name, instance_id, body, **params)
    assert response.status_code == 202, response.text
    return instance_id


def state(api: httpx.Client, instance_id: str) -> dict[str, Any]:
    response = api.get(wf(f"/{instance_id}"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_status(
    api: httpx.Client, instance_id: str, *statuses: str, timeout: float = WAIT_TIMEOUT
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    current = state(api, instance_id)
    while current["runtimeStatus"] not in statuses:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{instance_id} never became {'/'.join(statuses)} in {timeout:g}s: {current}"
            )
        time.sleep(0.1)
        current = state(api, instance_id)
    return current


def post(
    api: httpx.Client, instance_id: str, operation: str, body: Any = None, **params: str
) -> httpx.Response:
    content = b"" if body is None else httpx.Request("POST", "/", json=body).content
    return api.post(wf(f"/{instance_id}/{operation}"), params=params, content=content)


def assert_problem(
    response: httpx.Response, status: int, slug: str, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, f"expected {status} {slug}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:flowport:problem:{slug}", body
    if code is not None:
        assert body["errorCode"] == code, body
    return body


def order(order_id: str, credit_limit: float = 100.0) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "items": [{"sku": "tea", "price": 4.5, "quantity": 2}, {"sku": "cup", "price": 3.0}],
        "creditLimit": credit_limit,
    }
