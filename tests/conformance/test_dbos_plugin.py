"""The external plugin example, ``examples/plugins/flowport-dbos``, as a user installs it.

The test environment installs it with ``pip install ./examples/plugins/flowport-dbos`` (not
editable); this module only checks that the installed distribution is what Flowport loads
through its ordinary ``flowport.components`` entry point, then runs the conformance kit on it
with the example workflows and facts the plugin ships, on a fresh SQLite database.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from contracts import ALL_CAPABILITIES
from contracts.conformance import ComponentConformance, Facts
from gateway.testing import running_gateway

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "examples" / "plugins" / "flowport-dbos"
EXAMPLE = PLUGIN / "example"
INSTALL = "pip install ./examples/plugins/flowport-dbos"


def installed_version() -> str:
    try:
        return metadata.version("flowport-dbos")
    except metadata.PackageNotFoundError:
        raise AssertionError(f"the flowport-dbos plugin is not installed: run {INSTALL}") from None


WAIT = 60.0  # seconds; generous for a loaded machine


def write_resources(folder: Path) -> Path:
    """The shipped component YAML, pointed at the example workflows and a database in ``folder``."""
    document: dict[str, Any] = yaml.safe_load((EXAMPLE / "components" / "dbos.yaml").read_text())
    overrides = {"workflowsPath": str(EXAMPLE), "systemDatabaseUrl": f"sqlite:///{folder / 'dbos.sqlite'}"}
    items = document["spec"]["metadata"]
    assert {item["name"] for item in items} >= set(overrides), items
    for item in items:
        item["value"] = overrides.get(item["name"], item["value"])
    resources = folder / "components"
    resources.mkdir()
    (resources / "dbos.yaml").write_text(yaml.safe_dump(document))
    return resources


def test_the_installed_distribution_is_loaded_through_the_entry_point(tmp_path: Path) -> None:
    version = installed_version()
    import flowport_dbos

    assert PLUGIN not in Path(flowport_dbos.__file__).resolve().parents, (
        f"flowport_dbos is imported from the source tree, not installed: run {INSTALL}"
    )
    command = ["components", "--resources-path", str(write_resources(tmp_path))]
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", *command],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"dbos: workflow.dbos v1 (plugin flowport-dbos {version})" in result.stdout, result.stdout
    every = ", ".join(sorted(capability.value for capability in ALL_CAPABILITIES))
    assert f"capabilities: {every}" in result.stdout, result.stdout
    assert "not supported" not in result.stdout, result.stdout


def status_of(client: httpx.Client, instance_id: str) -> dict[str, Any]:
    response = client.get(f"/v1.0/workflows/dbos/{instance_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_status(
    client: httpx.Client, instance_id: str, status: str, custom_status: str | None = None
) -> dict[str, Any]:
    """Until the instance has ``status`` (and, if given, that custom status)."""
    deadline = time.monotonic() + WAIT

    def reached(state: dict[str, Any]) -> bool:
        shown = state["properties"].get("dapr.workflow.custom_status")
        return state["runtimeStatus"] == status and custom_status in (None, shown)

    state = status_of(client, instance_id)
    while not reached(state):
        assert time.monotonic() < deadline, f"{instance_id} never became {status} ({custom_status}): {state}"
        time.sleep(0.1)
        state = status_of(client, instance_id)
    return state


def start(client: httpx.Client, workflow: str, instance_id: str, body: Any = None, **params: str) -> None:
    response = client.post(
        f"/v1.0/workflows/dbos/{workflow}/start", params={"instanceID": instance_id, **params}, json=body
    )
    assert response.status_code == 202, response.text


def post(client: httpx.Client, instance_id: str, operation: str, body: Any = None) -> httpx.Response:
    return client.post(f"/v1.0/workflows/dbos/{instance_id}/{operation}", json=body)


class TestDbosBehaviour:
    """What DBOS does that the kit does not look at, as an API client sees it."""

    @pytest.fixture(scope="class")
    @classmethod
    def client(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
        installed_version()
        resources = write_resources(tmp_path_factory.mktemp("dbos-behaviour"))
        with running_gateway([resources]) as url, httpx.Client(base_url=url, timeout=60) as client:
            yield client

    def test_an_event_raised_while_paused_is_delivered_on_resume(self, client: httpx.Client) -> None:
        start(client, "await_approval", "paused-event")
        # RUNNING from the start; the custom status once the workflow's first step has run.
        wait_status(client, "paused-event", "RUNNING", '"waiting for approval"')
        assert post(client, "paused-event", "pause").status_code == 202
        wait_status(client, "paused-event", "SUSPENDED")
        assert post(client, "paused-event", "raiseEvent/approval", {"by": "ops"}).status_code == 202
        assert status_of(client, "paused-event")["runtimeStatus"] == "SUSPENDED"
        assert post(client, "paused-event", "resume").status_code == 202
        state = wait_status(client, "paused-event", "COMPLETED")
        assert state["properties"]["dapr.workflow.output"] == '{"by": "ops"}'
        assert state["properties"]["dapr.workflow.custom_status"] == '"approved"'

    def test_a_terminated_instance_is_final_and_a_paused_one_is_not(self, client: httpx.Client) -> None:
        for instance_id in ("kept-paused", "paused-then-terminated"):
            start(client, "await_approval", instance_id)
            wait_status(client, instance_id, "RUNNING")
            assert post(client, instance_id, "pause").status_code == 202
            wait_status(client, instance_id, "SUSPENDED")
        assert post(client, "paused-then-terminated", "terminate").status_code == 202
        wait_status(client, "paused-then-terminated", "TERMINATED")
        assert post(client, "paused-then-terminated", "resume").status_code == 409
        assert post(client, "kept-paused", "purge").status_code == 409

        def listed(status: str) -> set[str]:
            response = client.get("/v1.0/workflows/dbos", params={"status": status, "pageSize": 1000})
            assert response.status_code == 200, response.text
            return {item["instanceID"] for item in response.json()["instances"]}

        assert "kept-paused" in listed("SUSPENDED")
        assert "paused-then-terminated" not in listed("SUSPENDED")
        assert "paused-then-terminated" in listed("TERMINATED")
        assert post(client, "paused-then-terminated", "purge").json() == {
            "purgedInstances": 1,
            "detail": None,
        }
        assert post(client, "kept-paused", "terminate").status_code == 202

    def test_a_delayed_start_is_pending_until_its_time(self, client: httpx.Client) -> None:
        later = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
        start(client, "greet", "delayed", {"name": "Bo"}, startTime=later)
        assert status_of(client, "delayed")["runtimeStatus"] == "PENDING"
        assert post(client, "delayed", "terminate").status_code == 202
        wait_status(client, "delayed", "TERMINATED")

    def test_the_history_of_a_failure_names_the_failed_step(self, client: httpx.Client) -> None:
        start(client, "refuse", "refused", {"amount": 500})
        wait_status(client, "refused", "FAILED")
        events = client.get("/v1.0/workflows/dbos/refused/history").json()["events"]
        kinds = [(event["kind"], event["name"]) for event in events]
        assert kinds == [
            ("WorkflowStarted", "refuse"),
            ("ActivityScheduled", "check_credit"),
            ("ActivityFailed", "check_credit"),
            ("WorkflowFailed", "refuse"),
        ], events
        assert events[-1]["details"]["errorType"] == "PermissionError"

    def test_requests_the_component_rejects(self, client: httpx.Client) -> None:
        unknown = client.post("/v1.0/workflows/dbos/compose/start")
        assert unknown.status_code == 400, unknown.text
        assert "known: await_approval, greet, refuse" in unknown.json()["detail"]
        timeout = client.post("/v1.0/workflows/dbos/greet/start", params={"timeout": "soon"})
        assert timeout.status_code == 400, timeout.text
        token = client.get("/v1.0/workflows/dbos", params={"continuationToken": "not-ours"})
        assert token.status_code == 400, token.text
        assert post(client, "nobody", "raiseEvent/approval").status_code == 404
        assert post(client, "nobody", "terminate").status_code == 404


def test_a_waiting_workflow_survives_a_gateway_restart(tmp_path: Path) -> None:
    installed_version()
    resources = write_resources(tmp_path)
    with running_gateway([resources]) as url, httpx.Client(base_url=url, timeout=60) as client:
        start(client, "await_approval", "durable", {"request": "refund"})
        wait_status(client, "durable", "RUNNING")
    with running_gateway([resources]) as url, httpx.Client(base_url=url, timeout=60) as client:
        assert status_of(client, "durable")["runtimeStatus"] in {"PENDING", "RUNNING"}
        assert post(client, "durable", "raiseEvent/approval", True).status_code == 202
        state = wait_status(client, "durable", "COMPLETED")
        assert state["properties"]["dapr.workflow.input"] == '{"request": "refund"}'


class TestDbosPluginConformance(ComponentConformance):
    """The kit, on the facts file the plugin ships, through a real gateway."""

    @pytest.fixture(scope="class")
    @classmethod
    def conformance_facts(cls, tmp_path_factory: pytest.TempPathFactory) -> Facts:
        installed_version()
        shipped = Facts.from_file(EXAMPLE / "conformance.yaml")
        resources = write_resources(tmp_path_factory.mktemp("dbos-conformance"))
        return dataclasses.replace(shipped, resources=resources)
