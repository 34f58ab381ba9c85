"""A user's mistakes in a Temporal or Conductor component, against the real servers.

Each slip is either refused when the gateway starts, with one line naming the file, the
component and the field, or answered with a 503 that says what to check (and logged once at
start-up); never a 500. The Temporal component keeps the gateway up (its server may come up
later), the Conductor component refuses to start (its server must answer at start-up).
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from gateway.registry import ComponentRegistry
from gateway.resources import ResourcesError
from gateway.testing import running_gateway
from tests.servers.conductor import ConductorServer
from tests.servers.conductor import component_yaml as conductor_yaml
from tests.servers.temporal import TemporalServer
from tests.servers.temporal import component_yaml as temporal_yaml

pytestmark = [pytest.mark.temporal, pytest.mark.conductor]


def write_component(directory: Path, definition: str) -> Path:
    directory.mkdir()
    (directory / "component.yaml").write_text(definition, encoding="utf-8")
    return directory


async def start_up_errors(resources: Path) -> list[str]:
    """The lines ``flowport serve`` prints when its components cannot start (one per error)."""
    registry = ComponentRegistry.from_resources([resources])
    with pytest.raises(ResourcesError) as caught:
        await registry.start()
    return [str(error) for error in caught.value.errors]


# -- Temporal ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "told"),
    [
        pytest.param({"namespace": "no-such-ns"}, "has no such namespace", id="missing-namespace"),
        pytest.param({"hostport": "http"}, "does not answer as a Temporal frontend", id="http-port"),
    ],
)
def test_a_temporal_slip_is_a_503_that_says_what_to_check(
    temporal_server: TemporalServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    metadata: dict[str, str],
    told: str,
) -> None:
    if metadata.get("hostport") == "http":  # Temporal's own HTTP API port, a likely mistake
        metadata = {"hostport": f"127.0.0.1:{temporal_server.http_port}"}
    caplog.set_level(logging.WARNING, logger="components.temporal")
    resources = write_component(tmp_path / "components", temporal_yaml(temporal_server, **metadata))
    with running_gateway([resources]) as base_url, httpx.Client(base_url=base_url, timeout=60.0) as api:
        answer = api.post("/v1.0/workflows/temporal/chain/start", params={"instanceID": "slip"})
        assert answer.status_code == 503, answer.text
        assert told in answer.json()["detail"]
        assert api.get("/v1.0/workflows/temporal/slip").status_code == 503
        (component,) = api.get("/v1.0/metadata").json()["components"]
        assert component["healthy"] is False
        assert told in component["detail"]
    (warning,) = [
        record.getMessage() for record in caplog.records if record.name == "components.temporal._connection"
    ]
    assert told in warning
    assert warning.startswith(f"{resources / 'component.yaml'}: component 'temporal': ")
    assert "\n" not in warning


# -- Conductor ---------------------------------------------------------------------------------


async def test_a_conductor_url_without_api_is_refused_at_start_up(
    conductor_server: ConductorServer, tmp_path: Path
) -> None:
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    resources = write_component(
        tmp_path / "components", conductor_yaml(conductor_server.base_url, definitions)
    )
    (line,) = await start_up_errors(resources)
    assert line == (
        f"{resources / 'component.yaml'}: component 'conductor': field 'spec.metadata.serverUrl': "
        f"{conductor_server.base_url} is not Conductor's REST API: GET /workflow/"
        "00000000-0000-0000-0000-000000000000?includeTasks=false answered 200 with an HTML page; "
        f"the API root ends in /api ({conductor_server.base_url}/api), the UI answers on the root"
    )


async def test_a_conductor_url_at_another_server_is_refused_at_start_up(
    temporal_server: TemporalServer, conductor_server: ConductorServer, tmp_path: Path
) -> None:
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    wrong = {
        "grpc": f"http://{temporal_server.address}/api",  # HTTP/2 only: not an HTTP/1.1 answer
        "http": f"http://127.0.0.1:{temporal_server.http_port}/api",  # a JSON API, not Conductor's
    }
    for name, url in wrong.items():
        resources = write_component(tmp_path / name, conductor_yaml(url, definitions))
        (line,) = await start_up_errors(resources)
        assert line.startswith(
            f"{resources / 'component.yaml'}: component 'conductor': field 'spec.metadata.serverUrl': "
            f"{url} is not Conductor's REST API: "
        ), line
        assert "\n" not in line
