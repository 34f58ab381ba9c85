"""A gateway serving HTTP and gRPC over a built-in, a Temporal and a Conductor component,
and the Dapr SDK environments the programs run in.

The components are the examples' own: ``examples/builtin/components/builtin.yaml`` (its
store moved to a temporary directory), the session's Temporal dev server with the example
worker, and the session's Conductor server with the example definitions and worker.
SDK programs run in their own processes, in the virtual environments that
``scripts/sdk-envs.sh`` keeps in a cache outside the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.grpc_api import GrpcSettings
from gateway.testing import free_port, running_gateway
from tests.servers import conductor, temporal

REPO = Path(__file__).resolve().parents[3]
SDK_ENVS_SCRIPT = REPO / "scripts" / "sdk-envs.sh"
PROGRAMS = Path(__file__).resolve().parent / "programs"
BUILTIN_YAML = REPO / "examples" / "builtin" / "components" / "builtin.yaml"
#: a generous bound for one SDK program on a loaded 2-core machine
PROGRAM_TIMEOUT = 300.0


@dataclass(frozen=True)
class Sidecar:
    """Where an app finds the gateway: Dapr's two ports."""

    http_port: int
    grpc_port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def environment(self) -> dict[str, str]:
        """The only settings a Dapr app is given, plus a PATH to find its interpreter."""
        return {
            "DAPR_GRPC_PORT": str(self.grpc_port),
            "DAPR_HTTP_PORT": str(self.http_port),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }


def sdk_environment(name: str) -> Path:
    """The SDK environment ``name`` of scripts/sdk-envs.sh, installed on first use."""
    result = subprocess.run(
        [str(SDK_ENVS_SCRIPT), name], capture_output=True, text=True, check=False, timeout=900
    )
    assert result.returncode == 0, f"scripts/sdk-envs.sh {name} failed:\n{result.stderr}"
    listed, path = result.stdout.split()
    assert listed == name
    return Path(path)


@pytest.fixture(scope="session")
def sidecar(
    tmp_path_factory: pytest.TempPathFactory,
    temporal_server: temporal.TemporalServer,
    temporal_worker: subprocess.Popen[bytes],
    conductor_server: conductor.ConductorServer,
    conductor_worker: subprocess.Popen[bytes],
) -> Iterator[Sidecar]:
    resources = tmp_path_factory.mktemp("sidecar-resources")
    builtin = yaml.safe_load(BUILTIN_YAML.read_text())
    builtin["spec"]["metadata"].append({"name": "store", "value": str(resources / "state" / "builtin.db")})
    (resources / "builtin.yaml").write_text(yaml.safe_dump(builtin))
    (resources / "temporal.yaml").write_text(temporal.component_yaml(temporal_server, name="temporal"))
    (resources / "conductor.yaml").write_text(
        conductor.component_yaml(
            conductor_server.api_url, conductor.EXAMPLES / "definitions", name="conductor"
        )
    )
    grpc_port = free_port()
    with running_gateway([resources], grpc=GrpcSettings(port=grpc_port)) as base_url:
        yield Sidecar(int(base_url.rsplit(":", 1)[1]), grpc_port)


@pytest.fixture
def rest(sidecar: Sidecar) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sidecar.base_url, timeout=60.0) as client:
        yield client


def run_program(environment: Path, program: str, sidecar: Sidecar, *arguments: str) -> list[dict[str, Any]]:
    """Run ``program`` (in programs/) with the environment's interpreter and only Dapr's
    settings; return the JSON lines it printed."""
    python = environment / "bin" / "python"
    result = subprocess.run(
        [str(python), str(PROGRAMS / program), *arguments],
        env=sidecar.environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=PROGRAM_TIMEOUT,
        cwd=PROGRAMS,
    )
    assert result.returncode == 0, (
        f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def steps(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line.pop("step"): line for line in lines}
