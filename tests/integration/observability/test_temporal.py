"""A Temporal server that goes away and comes back, as an operator sees it: readiness, the
health gauge, and exactly one log line when the outage begins and one when it ends."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.observability.conftest import Gateway
from tests.servers.temporal import TemporalServer, component_yaml, running_temporal

pytestmark = pytest.mark.temporal

WAIT_TIMEOUT = 90.0


@pytest.fixture
def own_server() -> Iterator[TemporalServer]:
    """A dev server of this test's own: stopping it never disturbs the session's."""
    with running_temporal() as server:
        yield server


def outage_lines(gateway: Gateway) -> list[str]:
    lines = [json.loads(line) for line in gateway.log_lines() if line.startswith("{")]
    return [
        line["message"]
        for line in lines
        if line["logger"] == "gateway.health" and line.get("component") == "temporal"
    ]


def test_outage_is_logged_once_when_it_begins_and_once_when_it_ends(
    serve, own_server: TemporalServer, tmp_path: Path
) -> None:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "temporal.yaml").write_text(component_yaml(own_server, connectTimeout="3s", rpcTimeout="5s"))
    gateway = serve([resources], args=["--log-format", "json"])
    assert gateway.api.get("/readyz").status_code == 204
    assert gateway.api.get("/v1.0/healthz/outbound").status_code == 204

    own_server.stop()
    for _ in range(3):
        assert gateway.api.get("/v1.0/workflows/temporal/anything").status_code == 503
    for path in ("/readyz", "/v1.0/healthz/outbound"):
        answer = gateway.api.get(path)
        assert answer.status_code == 503
        body = answer.json()
        assert body["type"] == "urn:flowport:problem:not-ready"
        assert "temporal" in body["detail"]
        assert body["components"][0]["name"] == "temporal"
        assert body["components"][0]["ready"] is False
    assert gateway.api.get("/v1.0/healthz").status_code == 204  # liveness is not readiness
    assert gateway.sample("flowport_component_healthy", component="temporal") == 0
    assert gateway.sample("flowport_workflow_operation", "_total", outcome="backend-unavailable") == 3

    own_server.start()  # same port, same database
    deadline = time.monotonic() + WAIT_TIMEOUT
    while gateway.api.get("/v1.0/workflows/temporal/anything").status_code != 404:
        assert time.monotonic() < deadline, "the gateway never saw the server come back"
        time.sleep(0.2)
    while len(outage_lines(gateway)) < 2:
        assert time.monotonic() < deadline, outage_lines(gateway)
        time.sleep(0.1)
    began, ended = outage_lines(gateway)
    assert "backend unavailable" in began
    assert "available again" in ended
    assert gateway.sample("flowport_component_healthy", component="temporal") == 1
    assert gateway.api.get("/readyz").status_code == 204
