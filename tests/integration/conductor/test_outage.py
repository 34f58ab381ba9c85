"""The Conductor server goes away and comes back: the gateway answers 503 meanwhile, stays
up, and serves again afterwards, instances and all (they live in Conductor's database).

This module restarts the session's server, so it runs after the others in this directory
(pytest runs modules in name order) and leaves the server running again.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.integration.conductor.conftest import order
from tests.rest import TERMINAL, WAIT, Workflows, new_id, problem
from tests.servers.conductor import BOOT_TIMEOUT, STOP_TIMEOUT, ConductorServer

#: the example YAML's requestTimeout is 10 s; a refused connection answers long before that
OUTAGE_ANSWER_LIMIT = 30.0
#: conductor-python's worker backs off after failed polls, doubling up to 120 s (its
#: TaskRunner's cap): after a long outage its first poll can come that much later
WORKER_BACKOFF_CAP = 120.0

# The test restarts Conductor (a boot takes 20 to 90 s on a loaded machine), then waits for
# the worker and two workflows: its time limit is the sum of those deadlines.
pytestmark = [
    pytest.mark.conductor,
    pytest.mark.timeout(
        2 * STOP_TIMEOUT + BOOT_TIMEOUT + OUTAGE_ANSWER_LIMIT + WORKER_BACKOFF_CAP + 2 * WAIT
    ),
]


def test_server_outage_answers_503_and_recovers(
    conductor_api: Workflows,
    conductor_server: ConductorServer,
    conductor_worker: subprocess.Popen[bytes],
) -> None:
    waiting = conductor_api.started("order_approval", new_id("outage"), {"orderId": "o"})
    conductor_api.wait_status(waiting, "RUNNING")

    conductor_server.stop()
    try:
        began = time.monotonic()
        for response in (
            conductor_api.get(waiting),
            conductor_api.start("order_processing", new_id("during"), order("during")),
            conductor_api.post(waiting, "raiseEvent/approval", {"approved": True}),
            conductor_api.list(pageSize=5),
        ):
            body = problem(response, 503, "backend-unavailable")
            assert "unreachable" in body["detail"]
            assert response.headers["retry-after"]
        assert time.monotonic() - began < OUTAGE_ANSWER_LIMIT
        components = conductor_api.client.get("/v1.0/metadata").json()["components"]
        info = next(item for item in components if item["name"] == "conductor")
        assert info["healthy"] is False
        assert "unreachable" in info["detail"]
        assert conductor_api.client.get("/v1.0/healthz").status_code == 204  # the gateway itself is fine
    finally:
        conductor_server.start()

    # The same instance, found again through Conductor's database; the worker reconnects too.
    assert conductor_api.state(waiting)["runtimeStatus"] == "RUNNING"
    assert conductor_api.post(waiting, "raiseEvent/approval", {"approved": True}).status_code == 202
    back = conductor_api.wait_status(waiting, *TERMINAL, timeout=WORKER_BACKOFF_CAP + WAIT)
    assert back["runtimeStatus"] == "COMPLETED"
    after = conductor_api.started("order_processing", new_id("after"), order("after"))
    assert conductor_api.wait_status(after, *TERMINAL)["runtimeStatus"] == "COMPLETED"
