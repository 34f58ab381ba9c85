"""``flowport serve`` as an operator runs it, with metrics, traces and JSON logs, and the OTLP
receiver its traces go to (started once per session)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.testing import free_port
from tests.servers.otlp import OtlpReceiver, running_otlp_receiver

REPO = Path(__file__).resolve().parents[3]
START_TIMEOUT = 120.0


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    with running_otlp_receiver() as receiver:
        yield receiver


def tracing_env(receiver: OtlpReceiver, service: str) -> dict[str, str]:
    """What an operator sets to send traces to a collector, with a short batch delay."""
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_SERVICE_NAME": service,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }


def builtin_component_yaml(directory: Path, name: str = "builtin") -> str:
    return textwrap.dedent(
        f"""\
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {{name: {name}}}
        spec:
          type: workflow.builtin
          version: v1
          metadata:
          - {{name: runtimes, value: "tests.integration.builtin.workflows:wfr"}}
          - {{name: store, value: "{directory / f"{name}.db"}"}}
        """
    )


@dataclass
class Gateway:
    api: httpx.Client
    metrics_url: str
    log_path: Path

    def metrics(self) -> dict[str, Any]:
        """The families the metrics listener serves, by name."""
        text = httpx.get(self.metrics_url, timeout=30).text
        return {family.name: family for family in text_string_to_metric_families(text)}

    def sample(self, family: str, suffix: str = "", **labels: str) -> float:
        """The value of one series (0 when it does not exist yet)."""
        found = self.metrics().get(family)
        for sample in found.samples if found else ():
            if sample.name == family + suffix and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
        return 0.0

    def log_lines(self) -> list[str]:
        return self.log_path.read_text().splitlines()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """``serve(resources, env=..., args=...)``: a ``flowport serve`` process; stopped after the test."""
    processes: list[subprocess.Popen[bytes]] = []
    clients: list[httpx.Client] = []

    def start(
        resources: Sequence[Path], *, env: dict[str, str] | None = None, args: Sequence[str] = ()
    ) -> Gateway:
        port, metrics_port = free_port(), free_port()
        log_path = tmp_path / f"gateway-{port}.log"
        command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)]
        command += ["--metrics-port", str(metrics_port), *args]
        for path in resources:
            command += ["--resources-path", str(path)]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=REPO, env={**environment, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
            )
        processes.append(process)
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0)
        clients.append(api)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if api.get("/v1.0/healthz").status_code == 204:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the gateway did not start: {log_path.read_text()}"
            time.sleep(0.1)
        return Gateway(api, f"http://127.0.0.1:{metrics_port}/metrics", log_path)

    yield start
    for client in clients:
        client.close()
    for process in processes:
        process.terminate()
        process.wait(timeout=60)


def wait_status(api: httpx.Client, path: str, status: str, timeout: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = api.get(path).json()
        if body.get("runtimeStatus") == status:
            return dict(body)
        assert time.monotonic() < deadline, f"{path} never reached {status}: {body}"
        time.sleep(0.1)
