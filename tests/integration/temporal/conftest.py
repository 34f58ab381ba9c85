"""A gateway serving two Temporal components over the session's dev server and worker.

``temporal`` has the default task queue the example worker polls; ``temporal-noqueue`` has
none, so a start there must name one. Instance IDs are unique per test (``tests.rest.new_id``),
so tests share the server without seeing each other's instances.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rest import Workflows, serve_component
from tests.servers.temporal import TemporalServer, component_yaml

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
) -> Iterator[Workflows]:
    no_queue = component_yaml(temporal_server, name=NO_QUEUE_COMPONENT).replace(
        '  - name: taskQueue\n    value: "flowport"\n', ""
    )
    resources = write_components(
        tmp_path_factory.mktemp("temporal-components"),
        component_yaml(temporal_server, name=COMPONENT, rpcTimeout="10s"),
        no_queue,
    )
    with serve_component(resources, COMPONENT) as api:
        yield api
