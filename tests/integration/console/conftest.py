"""One gateway for the console and command-line tests: the README's built-in examples as
component ``dapr`` (on a fresh store) and the session's Temporal dev server as ``temporal``."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.testing import running_gateway
from tests.servers.temporal import TemporalServer, component_yaml

REPO = Path(__file__).resolve().parents[3]
BUILTIN = "dapr"
TEMPORAL = "temporal"
TEMPORAL_UI = "http://127.0.0.1:8233"
#: the README walk-through's order: above 5000, so it waits for a manager's approval
ORDER = {"item_name": "cars", "quantity": 1, "total_cost": 6000}
APPROVAL = {"approver": "alice", "approved": True}


@pytest.fixture(scope="session")
def console_gateway(
    temporal_server: TemporalServer,
    temporal_worker: subprocess.Popen[bytes],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    resources = tmp_path_factory.mktemp("console-components")
    example = (REPO / "examples" / "builtin" / "components" / "builtin.yaml").read_text(encoding="utf-8")
    store = resources / "dapr.db"
    (resources / "builtin.yaml").write_text(
        example + f"  - name: store\n    value: {store}\n", encoding="utf-8"
    )
    (resources / "temporal.yaml").write_text(
        component_yaml(temporal_server, name=TEMPORAL, uiUrl=TEMPORAL_UI), encoding="utf-8"
    )
    with running_gateway([resources]) as base_url:
        yield base_url
