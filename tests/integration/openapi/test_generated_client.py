"""A client generated from /openapi.json by openapi-python-client performs every operation
of the API against a running gateway, errors included, and decodes every answer."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.integration.openapi.conftest import COMPONENT, TOKEN
from tests.rest import new_id

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "flowport_generated"
ORDER = {"item_name": "cars", "quantity": 1, "total_cost": 6000}
WAIT = 30.0


@pytest.fixture(scope="module")
def generated(api_gateway: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("generated")
    document = root / "openapi.json"
    answer = httpx.get(f"{api_gateway}/openapi.json", headers={"dapr-api-token": TOKEN})
    assert answer.status_code == 200, answer.text
    document.write_bytes(answer.content)
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(GENERATOR), "generate", "--path", str(document), "--output-path", str(root / PACKAGE)]
    done = subprocess.run(
        [*command, "--meta", "none", "--fail-on-warning"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


def op(name: str) -> Any:
    """One generated operation module, e.g. ``op("workflows.start_workflow")``."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_every_operation_through_the_generated_client(generated: ModuleType, api_gateway: str) -> None:
    with (
        generated.AuthenticatedClient(
            base_url=api_gateway, token=TOKEN, raise_on_unexpected_status=True
        ) as client,
        generated.Client(base_url=api_gateway, raise_on_unexpected_status=True) as anonymous,
    ):
        every_operation(generated, client, anonymous)


def every_operation(generated: ModuleType, client: Any, anonymous: Any) -> None:
    component = model("Component")(COMPONENT)
    Problem, RuntimeStatus = model("Problem"), model("RuntimeStatus")
    instance = new_id("gen")

    assert op("health.healthz").sync_detailed(client=client).status_code == 204
    assert op("health.readyz").sync_detailed(client=client).status_code == 204
    assert op("health.healthz_outbound").sync_detailed(client=client).status_code == 204
    metadata = op("metadata.get_metadata").sync(client=client)
    assert [c.name for c in metadata.components] == [COMPONENT]
    assert "order_processing" in metadata.components[0].workflows

    started = op("workflows.start_workflow").sync_detailed(
        component, "order_processing", client=client, body=ORDER, instance_id=instance
    )
    assert started.status_code == 202
    assert started.parsed.instance_id == instance
    assert started.headers["location"] == f"/v1.0/workflows/{COMPONENT}/{instance}"
    again = op("workflows.start_workflow").sync(
        component, "order_processing", client=client, instance_id=instance
    )
    assert isinstance(again, Problem)
    assert (again.status, again.error_code) == (409, "ERR_START_WORKFLOW")

    state = wait_for(client, component, instance, lambda s: s.properties["dapr.workflow.custom_status"])
    assert state.runtime_status == RuntimeStatus.RUNNING
    assert op("workflows.pause_workflow").sync_detailed(component, instance, client=client).status_code == 202
    wait_for(client, component, instance, lambda s: s.runtime_status == RuntimeStatus.SUSPENDED)
    assert (
        op("workflows.resume_workflow").sync_detailed(component, instance, client=client).status_code == 202
    )
    raised = op("workflows.raise_workflow_event").sync_detailed(
        component, instance, "approval", client=client, body={"approver": "alice", "approved": True}
    )
    assert raised.status_code == 202
    done = wait_for(client, component, instance, lambda s: s.runtime_status == RuntimeStatus.COMPLETED)
    assert "receipt-" in done.properties["dapr.workflow.output"]

    history = op("workflows.get_workflow_history").sync(component, instance, client=client)
    assert history.events[0].kind == model("EventKind").WORKFLOWSTARTED
    listed = op("workflows.list_workflows").sync(
        component, client=client, status=[RuntimeStatus.COMPLETED], instance_id_prefix=instance
    )
    assert [i.instance_id for i in listed.instances] == [instance]
    across = op("workflows.list_all_workflows").sync(
        client=client, component=[component], instance_id_prefix=instance
    )
    assert [(i.component, i.instance_id) for i in across.instances] == [(COMPONENT, instance)]
    assert across.failures == []

    purged = op("workflows.purge_workflow").sync(component, instance, client=client)
    assert purged.purged_instances == 1
    missing = op("workflows.get_workflow").sync(component, instance, client=client)
    assert isinstance(missing, Problem)
    assert (missing.status, missing.error_code) == (404, "ERR_INSTANCE_ID_NOT_FOUND")

    other = new_id("gen")
    op("workflows.start_workflow").sync(
        component, "order_processing", client=client, body=ORDER, instance_id=other
    )
    wait_for(client, component, other, lambda s: s.properties["dapr.workflow.custom_status"])
    counted = op("workflows.terminate_workflows").sync(
        component, client=client, instance_id_prefix=other, dry_run=True
    )
    assert (counted.matched, counted.dry_run) == (1, True)
    assert (
        op("workflows.terminate_workflow").sync_detailed(component, other, client=client).status_code == 202
    )
    wait_for(client, component, other, lambda s: s.runtime_status == RuntimeStatus.TERMINATED)
    swept = op("workflows.purge_workflows").sync(component, client=client, instance_id_prefix=other)
    assert (swept.matched, swept.succeeded, swept.purged_instances, swept.failed) == (1, 1, 1, [])

    definition = op("workflows.get_workflow_definition").sync(component, "chain", client=client)
    assert definition.language == "asl"
    unknown = op("workflows.get_workflow_definition").sync(component, "nothing-here", client=client)
    assert isinstance(unknown, Problem)
    assert unknown.status == 404

    refused = op("metadata.get_metadata").sync(client=anonymous)
    assert isinstance(refused, Problem)
    assert (refused.status, refused.error_code) == (401, "ERR_UNAUTHORIZED")


def wait_for(client: Any, component: Any, instance: str, done: Any) -> Any:
    deadline = time.monotonic() + WAIT
    while True:
        state = op("workflows.get_workflow").sync(component, instance, client=client)
        if state.__class__.__name__ == "WorkflowState" and done(state):
            return state
        assert time.monotonic() < deadline, f"{instance}: {state}"
        time.sleep(0.05)
