"""Retention: the built-in component purges finished instances once their status's time is up."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import contracts
from components.builtin import BuiltinComponent
from flowport_client import FlowportClient, ProblemError
from gateway.testing import running_gateway

COMPONENT = "kept"
WAIT = 30.0


def component_yaml(name: str, *metadata: tuple[str, str]) -> str:
    lines = "".join(f"  - {{name: {key}, value: '{value}'}}\n" for key, value in metadata)
    return (
        textwrap.dedent(
            f"""\
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {{name: {name}}}
        spec:
          type: workflow.builtin
          version: v1
          metadata:
        """
        )
        + lines
    )


@pytest.fixture(scope="module")
def flowport(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowportClient]:
    resources = tmp_path_factory.mktemp("resources")
    (resources / "kept.yaml").write_text(
        component_yaml(
            COMPONENT,
            ("runtimes", "tests.integration.builtin.workflows:wfr"),
            ("store", "state/kept.db"),
            ("retentionCompleted", "1s"),  # completed and terminated go fast ...
            ("retentionAnyTerminal", "1s"),
            ("retentionFailed", "1h"),  # ... failed instances stay for inspection
        )
    )
    with running_gateway([resources]) as base_url, FlowportClient(base_url) as client:
        yield client


def status(flowport: FlowportClient, instance_id: str) -> str:
    try:
        return flowport.get(COMPONENT, instance_id).runtimeStatus.value
    except ProblemError as error:
        if error.slug != "instance-not-found":
            raise
        return "GONE"


def until(flowport: FlowportClient, instance_id: str, wanted: str) -> None:
    deadline = time.monotonic() + WAIT
    while (now := status(flowport, instance_id)) != wanted:
        assert time.monotonic() < deadline, f"{instance_id} is {now}, not {wanted}"
        time.sleep(0.05)


def test_finished_instances_go_when_their_time_is_up_and_failed_ones_stay(flowport: FlowportClient) -> None:
    failed = flowport.start(COMPONENT, "broken", "fly", instance_id="ret-failed").instanceID
    until(flowport, failed, "FAILED")
    done = flowport.start(COMPONENT, "Greeting", "Ada", instance_id="ret-done").instanceID
    stopped = flowport.start(COMPONENT, "approval", {"id": 1}, instance_id="ret-stopped").instanceID
    until(flowport, stopped, "RUNNING")
    flowport.terminate(COMPONENT, stopped)
    family = flowport.start(COMPONENT, "family", 2, instance_id="ret-family").instanceID
    children = [f"{family}:{i:04x}" for i in range(2)]
    for child in children:
        until(flowport, child, "RUNNING")
        flowport.raise_event(COMPONENT, child, "approval", {"approved": True})
    until(flowport, family, "COMPLETED")
    # Each goes about a second after it finished; a parent goes with its children.
    for instance_id in (done, stopped, family, *children):
        until(flowport, instance_id, "GONE")
    # Every sweep that purged those looked at the failed instance too, and kept it.
    assert status(flowport, failed) == "FAILED"
    running = flowport.start(COMPONENT, "approval", {"id": 2}, instance_id="ret-running").instanceID
    until(flowport, running, "RUNNING")
    assert status(flowport, running) == "RUNNING"  # unfinished instances are never purged


async def test_retention_on_a_component_that_does_not_host_the_engine_is_refused(tmp_path: Path) -> None:
    spec = contracts.ComponentSpec(
        name="remote",
        type="workflow.builtin",
        metadata={"store": "shared.db", "retentionCompleted": "24h"},
        source="remote.yaml",
        base_dir=tmp_path,
    )
    with pytest.raises(contracts.ComponentConfigError) as error:
        await BuiltinComponent(spec).init()
    assert error.value.field == "spec.metadata.retentionAnyTerminal"
    assert "set retention there" in str(error.value)
