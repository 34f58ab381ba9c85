"""``flowport serve`` as an operator runs it, with metrics, traces and JSON logs; its traces go
to the session's OTLP receiver (``tests.servers.otlp``)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.servers.gateway import GatewayProcess, without_telemetry
from tests.servers.otlp import ReceivedSpan


def only(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    """The one span called ``name``."""
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, f"{name}: {spans}"
    return found[0]


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
          - {{name: runtimes, value: "tests.integration.builtin.workflows:wfr, tests.integration.observability.workflows:wfr"}}
          - {{name: store, value: "{directory / f"{name}.db"}"}}
        """
    )


def builtin_resources(tmp_path: Path) -> Path:
    """A resources folder holding one built-in component (``builtin_component_yaml``)."""
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "builtin.yaml").write_text(builtin_component_yaml(tmp_path))
    return resources


@dataclass
class Gateway:
    api: httpx.Client
    metrics_url: str
    log_path: Path
    process: GatewayProcess

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
    processes: list[GatewayProcess] = []
    clients: list[httpx.Client] = []

    def start(
        resources: Sequence[Path], *, env: dict[str, str] | None = None, args: Sequence[str] = ()
    ) -> Gateway:
        log_path = tmp_path / f"gateway-{len(processes)}.log"
        process = GatewayProcess(
            resources, log_path, args=args, env=without_telemetry(env), metrics=True, log_level=None
        )
        processes.append(process)
        process.start()
        api = httpx.Client(base_url=process.url, timeout=60.0)
        clients.append(api)
        return Gateway(api, process.metrics_url, log_path, process)

    yield start
    for client in clients:
        client.close()
    for process in processes:
        process.stop()
