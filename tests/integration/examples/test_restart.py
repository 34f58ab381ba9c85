"""The examples survive a gateway restart: state, waiting events and timers live in the store."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.integration.examples.conftest import COMPONENT, EXAMPLE_YAML
from tests.rest import custom_status, new_id, output, serve_component


@pytest.fixture
def resources(tmp_path: Path) -> Path:
    """The example component on a store of its own (the session's gateway holds the shared one)."""
    document = yaml.safe_load(EXAMPLE_YAML.read_text())
    document["spec"]["metadata"].append({"name": "store", "value": str(tmp_path / "restart.db")})
    (tmp_path / "builtin.yaml").write_text(yaml.safe_dump(document))
    return tmp_path


def test_a_waiting_order_completes_after_a_restart(
    resources: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    order = {"item_name": "cars", "quantity": 1, "total_cost": 6000}
    with serve_component(resources, COMPONENT) as api:
        iid = api.started("order_processing", new_id("order"), order)
        api.wait_custom_status(iid, "waiting for approval")

    with serve_component(resources, COMPONENT) as api:
        body = api.state(iid)
        assert body["runtimeStatus"] == "RUNNING"
        assert custom_status(body) == "waiting for approval"
        api.accepted(iid, "raiseEvent/approval", {"approver": "alice"})
        body = api.wait_status(iid)
        assert body["runtimeStatus"] == "COMPLETED"
        assert output(body)["processed"] is True
        completed = [e["name"] for e in api.history(iid) if e["kind"] == "ActivityCompleted"]
        assert completed.count("request_approval") == 1

    printed = capfd.readouterr().out
    # the activities finished before the restart did not run again after it
    assert printed.count(f"[notify] Received order {iid}") == 1
    assert printed.count(f"[approval] order {iid}") == 1


def test_a_durable_timer_fires_after_a_restart(resources: Path) -> None:
    order = {"item": "server", "cost": 9000, "requester": "bob", "timeout_seconds": 1}
    with serve_component(resources, COMPONENT) as api:
        iid = api.started("purchase_approval", new_id("po"), order)
        api.wait_custom_status(iid, "waiting for approval")

    with serve_component(resources, COMPONENT) as api:
        body = api.wait_status(iid)
        assert body["runtimeStatus"] == "COMPLETED"
        assert output(body) == "Cancelled: no approval within 1 seconds"
