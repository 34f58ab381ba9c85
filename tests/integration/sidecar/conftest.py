"""Gateways serving HTTP and gRPC, and the Dapr SDK environments the programs run in.

- ``sidecar``: a built-in, a Temporal and a Conductor component behind one gateway (the
  examples' own: ``examples/builtin/components/builtin.yaml`` with its store moved to a
  temporary directory, the session's Temporal dev server and Conductor server with the
  example workers), for Dapr's runtime workflow API over every component.
- ``sdk_sidecar``: the examples' built-in component alone, whose engine also runs the
  workflows of Dapr SDK workers (the sidecar service); its in-process example workflows live
  beside them.

SDK programs run in their own processes, in the environments that ``scripts/sdk-envs.sh``
keeps in a cache outside the repository, with nothing but Dapr's settings in their
environment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.grpc_api import GrpcSettings
from gateway.testing import free_port, running_gateway
from tests.servers import conductor, temporal
from tests.servers._process import signal_group, stop_group

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


def builtin_resources(directory: Path) -> Path:
    """``directory`` holding the examples' built-in component, its store inside ``directory``."""
    builtin = yaml.safe_load(BUILTIN_YAML.read_text())
    builtin["spec"]["metadata"].append({"name": "store", "value": str(directory / "state" / "builtin.db")})
    (directory / "builtin.yaml").write_text(yaml.safe_dump(builtin))
    return directory


@pytest.fixture(scope="session")
def sidecar(
    tmp_path_factory: pytest.TempPathFactory,
    temporal_server: temporal.TemporalServer,
    temporal_worker: subprocess.Popen[bytes],
    conductor_server: conductor.ConductorServer,
    conductor_worker: subprocess.Popen[bytes],
) -> Iterator[Sidecar]:
    resources = builtin_resources(tmp_path_factory.mktemp("sidecar-resources"))
    (resources / "temporal.yaml").write_text(temporal.component_yaml(temporal_server, name="temporal"))
    (resources / "conductor.yaml").write_text(
        conductor.component_yaml(
            conductor_server.api_url, conductor.EXAMPLES / "definitions", name="conductor"
        )
    )
    grpc_port = free_port()
    with running_gateway([resources], grpc=GrpcSettings(port=grpc_port)) as base_url:
        yield Sidecar(int(base_url.rsplit(":", 1)[1]), grpc_port)


@pytest.fixture(scope="session")
def sdk_sidecar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    resources = builtin_resources(tmp_path_factory.mktemp("sdk-sidecar-resources"))
    grpc_port = free_port()
    with running_gateway([resources], grpc=GrpcSettings(port=grpc_port)) as base_url:
        yield Sidecar(int(base_url.rsplit(":", 1)[1]), grpc_port)


@pytest.fixture
def rest(sidecar: Sidecar) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sidecar.base_url, timeout=60.0) as client:
        yield client


def program_command(environment: Path, program: str, *arguments: str) -> list[str]:
    """How to run ``program`` (in programs/) in an SDK environment: its Python, or Node."""
    if program.endswith(".cjs"):
        return ["node", str(PROGRAMS / program), *arguments]
    return [str(environment / "bin" / "python"), str(PROGRAMS / program), *arguments]


def program_environment(environment: Path, settings: Mapping[str, str]) -> dict[str, str]:
    """``settings`` (Dapr's), plus what finds the interpreter and, for Node, the SDK."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **settings}
    if (environment / "node_modules").is_dir():
        env["NODE_PATH"] = str(environment / "node_modules")
    return env


def run_program(
    environment: Path,
    program: str,
    sidecar: Sidecar,
    *arguments: str,
    settings: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Run ``program`` (in programs/) in ``environment`` with only Dapr's settings (``settings``,
    default the sidecar's ports); return the JSON lines it printed."""
    result = subprocess.run(
        program_command(environment, program, *arguments),
        env=program_environment(environment, sidecar.environment if settings is None else settings),
        capture_output=True,
        text=True,
        check=False,
        timeout=PROGRAM_TIMEOUT,
        cwd=PROGRAMS,
    )
    assert result.returncode == 0, (
        f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-6000:]}"
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def steps(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line.pop("step"): line for line in lines}


class Worker:
    """programs/chain_worker.py in its own process group, logging to ``log``."""

    def __init__(self, environment: Path, name: str, grpc_port: int, log: Path, *flags: str) -> None:
        self.name = name
        self.log = log
        self.output = log.with_name(f"{name}.out")
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                program_command(environment, "chain_worker.py", name, str(log), *flags),
                env=program_environment(environment, {"DAPR_GRPC_PORT": str(grpc_port)}),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=PROGRAMS,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL: no chance to say goodbye on its stream."""
        signal_group(self.process, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        stop_group(self.process, signal.SIGTERM, 30)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    """The worker processes a test starts (it appends them); stopped after the test."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def executions(log: Path) -> list[dict[str, Any]]:
    """The activity executions a ``Worker`` logged, in order."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
