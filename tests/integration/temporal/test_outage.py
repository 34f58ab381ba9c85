"""A Temporal server that is down, goes down, or has pause disabled, seen through the gateway.

Each test runs its own dev server, so stopping it never disturbs the session's server.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from gateway.testing import refused_port
from tests.integration.temporal.conftest import COMPONENT, write_components
from tests.rest import WAIT, Workflows, new_id, problem, serve_component
from tests.servers.temporal import TemporalServer, component_yaml

pytestmark = pytest.mark.temporal

# Short timeouts so a stopped server answers 503 promptly; generous enough for a loaded machine.
TIMEOUTS = {"connectTimeout": "3s", "rpcTimeout": "5s"}


def component_health(api: Workflows) -> dict[str, Any]:
    answer = api.client.get("/v1.0/metadata")
    assert answer.status_code == 200, answer.text
    (component,) = [c for c in answer.json()["components"] if c["name"] == "temporal"]
    return component


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[TemporalServer]:
    server = TemporalServer(tmp_path / "server", pause_enabled=False)
    server.data_dir.mkdir()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_api(own_server: TemporalServer, tmp_path: Path) -> Iterator[Workflows]:
    with gateway_of(own_server, tmp_path) as api:
        yield api


@contextmanager
def gateway_of(server: TemporalServer, tmp_path: Path, **timeouts: str) -> Iterator[Workflows]:
    resources = write_components(tmp_path / "components", component_yaml(server, **(timeouts or TIMEOUTS)))
    with serve_component(resources, COMPONENT) as api:
        yield api


def test_restart_answers_503_while_down_and_recovers(own_server: TemporalServer, own_api: Workflows) -> None:
    instance = new_id("outage")
    # no worker polls this queue: the instance simply stays RUNNING across the outage
    assert own_api.start("approval", instance, taskQueue="outage").status_code == 202
    assert own_api.get(instance).json()["runtimeStatus"] == "RUNNING"
    assert component_health(own_api)["healthy"] is True

    own_server.stop()
    body = problem(own_api.get(instance), 503)
    assert own_server.address in body["message"]
    problem(own_api.start("approval", new_id("during")), 503)
    problem(own_api.post(instance, "raiseEvent/approve", "x"), 503)
    problem(own_api.list(), 503)
    health = component_health(own_api)
    assert health["healthy"] is False
    assert own_server.address in health["detail"]

    own_server.start()  # same port, same database
    deadline = time.monotonic() + WAIT
    while (answer := own_api.get(instance)).status_code != 200:
        problem(answer, 503)  # until the client has reconnected, and nothing else
        assert time.monotonic() < deadline, "the gateway never recovered after the server came back"
        time.sleep(0.2)
    assert answer.json()["runtimeStatus"] == "RUNNING"
    assert component_health(own_api)["healthy"] is True
    assert own_api.post(instance, "terminate").status_code == 202


def test_pause_disabled_on_server_is_501_naming_the_setting(own_api: Workflows) -> None:
    instance = new_id("nopause")
    assert own_api.start("approval", instance, taskQueue="nopause").status_code == 202
    body = problem(own_api.post(instance, "pause"), 501)
    assert "frontend.WorkflowPauseEnabled" in body["message"]
    # the server checks "is it paused?" before the setting: nothing can be paused, so 409
    problem(own_api.post(instance, "resume"), 409)
    assert own_api.post(instance, "terminate").status_code == 202


def test_gateway_starts_while_server_is_down(tmp_path: Path) -> None:
    # Nothing listens on this port; the server "comes back" afterwards in the restart test.
    with (
        refused_port() as port,
        gateway_of(TemporalServer(tmp_path / "never-started", port=port), tmp_path) as api,
    ):
        body = problem(api.get("anything"), 503)
        assert f"127.0.0.1:{port}" in body["message"]
        problem(api.start("chain", "some-instance"), 503)
        assert component_health(api)["healthy"] is False


def test_silent_server_is_503_within_the_timeout(tmp_path: Path) -> None:
    # Fault double, named as such: a TCP listener that never speaks gRPC stands for a server
    # that accepts connections and hangs, which no healthy dev server can be made to do.
    with socket.socket() as silent_listener:
        silent_listener.bind(("127.0.0.1", 0))
        silent_listener.listen(16)
        silent = TemporalServer(tmp_path / "silent", port=silent_listener.getsockname()[1])
        with gateway_of(silent, tmp_path, connectTimeout="1s", rpcTimeout="2s") as api:
            body = problem(api.get("anything"), 503)
            assert "unreachable" in body["message"]
            assert api.client.get("/v1.0/healthz").status_code == 204
            assert component_health(api)["healthy"] is False
