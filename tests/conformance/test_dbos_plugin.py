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
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import ALL_CAPABILITIES
from contracts.conformance import ComponentConformance, Facts
from tests.rest import Workflows, custom_status, serve_component

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "examples" / "plugins" / "flowport-dbos"
EXAMPLE = PLUGIN / "example"
INSTALL = "pip install ./examples/plugins/flowport-dbos"


def installed_version() -> str:
    try:
        return metadata.version("flowport-dbos")
    except metadata.PackageNotFoundError:
        raise AssertionError(f"the flowport-dbos plugin is not installed: run {INSTALL}") from None


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


class TestDbosBehaviour:
    """What DBOS does that the kit does not look at, as an API client sees it."""

    @pytest.fixture(scope="class")
    @classmethod
    def api(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workflows]:
        installed_version()
        resources = write_resources(tmp_path_factory.mktemp("dbos-behaviour"))
        with serve_component(resources, "dbos") as api:
            yield api

    def test_an_event_raised_while_paused_is_delivered_on_resume(self, api: Workflows) -> None:
        api.started("await_approval", "paused-event")
        # RUNNING from the start; the custom status once the workflow's first step has run.
        state = api.wait_custom_status("paused-event", "waiting for approval")
        assert state["runtimeStatus"] == "RUNNING"
        assert api.post("paused-event", "pause").status_code == 202
        api.wait_status("paused-event", "SUSPENDED")
        assert api.post("paused-event", "raiseEvent/approval", {"by": "ops"}).status_code == 202
        assert api.state("paused-event")["runtimeStatus"] == "SUSPENDED"
        assert api.post("paused-event", "resume").status_code == 202
        state = api.wait_status("paused-event", "COMPLETED")
        assert state["properties"]["dapr.workflow.output"] == '{"by": "ops"}'
        assert custom_status(state) == "approved"

    def test_a_terminated_instance_is_final_and_a_paused_one_is_not(self, api: Workflows) -> None:
        for instance_id in ("kept-paused", "paused-then-terminated"):
            api.started("await_approval", instance_id)
            api.wait_status(instance_id, "RUNNING")
            assert api.post(instance_id, "pause").status_code == 202
            api.wait_status(instance_id, "SUSPENDED")
        assert api.post("paused-then-terminated", "terminate").status_code == 202
        api.wait_status("paused-then-terminated", "TERMINATED")
        assert api.post("paused-then-terminated", "resume").status_code == 409
        assert api.post("kept-paused", "purge").status_code == 409

        def listed(status: str) -> set[str]:
            response = api.list(status=status, pageSize=1000)
            assert response.status_code == 200, response.text
            return {item["instanceID"] for item in response.json()["instances"]}

        assert "kept-paused" in listed("SUSPENDED")
        assert "paused-then-terminated" not in listed("SUSPENDED")
        assert "paused-then-terminated" in listed("TERMINATED")
        assert api.post("paused-then-terminated", "purge").json() == {
            "purgedInstances": 1,
            "detail": None,
        }
        assert api.post("kept-paused", "terminate").status_code == 202

    def test_a_delayed_start_is_pending_until_its_time(self, api: Workflows) -> None:
        later = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
        api.started("greet", "delayed", {"name": "Bo"}, startTime=later)
        assert api.state("delayed")["runtimeStatus"] == "PENDING"
        assert api.post("delayed", "terminate").status_code == 202
        api.wait_status("delayed", "TERMINATED")

    def test_the_history_of_a_failure_names_the_failed_step(self, api: Workflows) -> None:
        api.started("refuse", "refused", {"amount": 500})
        api.wait_status("refused", "FAILED")
        events = api.history("refused")
        kinds = [(event["kind"], event["name"]) for event in events]
        assert kinds == [
            ("WorkflowStarted", "refuse"),
            ("ActivityScheduled", "check_credit"),
            ("ActivityFailed", "check_credit"),
            ("WorkflowFailed", "refuse"),
        ], events
        assert events[-1]["details"]["errorType"] == "PermissionError"

    def test_requests_the_component_rejects(self, api: Workflows) -> None:
        unknown = api.start("compose")
        assert unknown.status_code == 400, unknown.text
        assert "known: await_approval, greet, refuse" in unknown.json()["detail"]
        timeout = api.start("greet", timeout="soon")
        assert timeout.status_code == 400, timeout.text
        token = api.list(continuationToken="not-ours")
        assert token.status_code == 400, token.text
        assert api.post("nobody", "raiseEvent/approval").status_code == 404
        assert api.post("nobody", "terminate").status_code == 404


def test_a_waiting_workflow_survives_a_gateway_restart(tmp_path: Path) -> None:
    installed_version()
    resources = write_resources(tmp_path)
    with serve_component(resources, "dbos") as api:
        api.started("await_approval", "durable", {"request": "refund"})
        api.wait_status("durable", "RUNNING")
    with serve_component(resources, "dbos") as api:
        assert api.state("durable")["runtimeStatus"] in {"PENDING", "RUNNING"}
        assert api.post("durable", "raiseEvent/approval", True).status_code == 202
        state = api.wait_status("durable", "COMPLETED")
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
