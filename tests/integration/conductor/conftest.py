"""A gateway serving the example Conductor component over the session's server and worker.

The gateway loads the ready example YAML (examples/conductor/components/conductor.yaml),
which reads the server from ``CONDUCTOR_SERVER_URL`` and upserts examples/conductor/
definitions at start-up. Instance IDs are unique per test (``tests.rest.new_id``), so tests
share the server without seeing each other's instances.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.rest import Workflows, serve_component
from tests.servers.conductor import EXAMPLES, ConductorServer

COMPONENT = "conductor"
EXAMPLE_RESOURCES = EXAMPLES / "components"


@pytest.fixture(scope="session")
def conductor_env(conductor_server: ConductorServer) -> Iterator[str]:
    """``CONDUCTOR_SERVER_URL`` set for the session, as the example YAML expects."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONDUCTOR_SERVER_URL", conductor_server.api_url)
        yield conductor_server.api_url


@pytest.fixture(scope="session")
def conductor_api(conductor_env: str, conductor_worker: subprocess.Popen[bytes]) -> Iterator[Workflows]:
    """A gateway serving the example component (and the worker running)."""
    with serve_component(EXAMPLE_RESOURCES, COMPONENT) as api:
        yield api


@pytest.fixture(scope="session")
def conductor_rest(conductor_server: ConductorServer) -> Iterator[httpx.Client]:
    """A plain client of Conductor's own REST API, to check what the component did there."""
    with httpx.Client(base_url=conductor_server.api_url, timeout=60.0) as client:
        yield client


def order(order_id: str, credit_limit: float = 100.0) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "items": [{"sku": "tea", "price": 4.5, "quantity": 2}, {"sku": "cup", "price": 3.0}],
        "creditLimit": credit_limit,
    }
