"""A gateway serving two Temporal components over the session's dev server and worker.

``temporal`` has the default task queue the example worker polls; ``temporal-noqueue`` has
none, so a start there must name one. Instance IDs are unique per test (``new_id``), so tests
share the server without seeing each other's instances.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.testing import running_gateway
from tests.servers.temporal import TemporalServer, component_yaml

#: generous for a loaded 2-core machine: a workflow step normally takes milliseconds
WAIT_TIMEOUT = 90.0

COMPONENT = "temporal"
NO_QUEUE_COMPONENT = "temporal-noqueue"


def write_components(directory: Path, *definitions: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "components.yaml").write_text("---\n".join(definitions), encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def temporal_api(
    temporal_server: TemporalServer,
    temporal_worker: subprocess.Popen[bytes],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    no_queue = component_yaml(temporal_server, name=NO_QUEUE_COMPONENT).replace(
        '  - name: taskQueue\n    value: "flowport"\n', ""
    )
    resources = write_components(
        tmp_path_factory.mktemp("temporal-components"),
        component_yaml(temporal_server, name=COMPONENT, rpcTimeout="10s"),
        no_queue,
    )
    with running_gateway([resources]) as base_url, httpx.Client(base_url=base_url, timeout=60.0) as client:
        yield client


@pytest.fixture
def new_id(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Instance IDs unique to this test: ``new_id("chain")`` -> ``chain-<test>-<hex>``."""
    test = request.node.name.removeprefix("test_").replace("[", "-").replace("]", "")[:24]

    def make(prefix: str) -> str:
        return f"{prefix}-{test}-{uuid.uuid4().hex[:8]}"[:64].replace("_", "-")

    return make


def wf(path: str, component: str = COMPONENT) -> str:
    return f"/v1.0/workflows/{component}{path}"


def start(
    api: httpx.Client,
    name: str,
    instance_id: str,
    body: Any = None,
    *,
    component: str = COMPONENT,
    **params: str,
) -> httpx.Response:
    content = None if body is None else httpx.Request("POST", "/", json=body).content
    return api.post(
        wf(f"/{name}/start", component),
        params={"instanceID": instance_id, **params},
        content=content,
        headers={"content-type": "application/json"} if content is not None else {},
    )


def get(api: httpx.Client, instance_id: str, component: str = COMPONENT) -> httpx.Response:
    return api.get(wf(f"/{instance_id}", component))


def wait_for(
    api: httpx.Client,
    instance_id: str,
    condition: Callable[[dict[str, Any]], bool],
    *,
    what: str,
    timeout: float = WAIT_TIMEOUT,
    component: str = COMPONENT,
) -> dict[str, Any]:
    """Poll GET until ``condition(state)`` holds; fail with the last state seen."""
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = get(api, instance_id, component)
        if answer.status_code == 200:
            state = answer.json()
            if condition(state):
                return state
        time.sleep(0.1)
    pytest.fail(f"{instance_id} never became {what} within {timeout:g}s; last state: {state}")


def wait_status(api: httpx.Client, instance_id: str, *statuses: str, **kwargs: Any) -> dict[str, Any]:
    return wait_for(
        api, instance_id, lambda s: s["runtimeStatus"] in statuses, what=" or ".join(statuses), **kwargs
    )


def problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    return body
