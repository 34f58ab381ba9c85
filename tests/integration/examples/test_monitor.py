"""examples/builtin/monitor.py: an eternal workflow made of timers and continue-as-new."""

from __future__ import annotations

import json

from gateway.testing import refused_port
from tests.rest import Workflows, custom_status, kinds, new_id, output


def test_a_healthy_url_is_checked_until_max_checks(api: Workflows, gateway_url: str) -> None:
    job = {"url": f"{gateway_url}/v1.0/healthz", "interval_seconds": 0.05, "max_checks": 3}
    iid = api.started("monitor", new_id("monitor"), job)
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == {"checks": 3, "alerts": 0, "healthy": True}
    assert custom_status(body) == {"checks": 3, "healthy": True, "alerts": 0}
    # continue-as-new restarted the instance with the state so far, and an empty history
    assert json.loads(body["properties"]["dapr.workflow.input"])["checks"] == 2
    events = api.history(iid)
    assert kinds(events).count("WorkflowStarted") == 1
    assert [e["name"] for e in events if e["kind"] == "ActivityScheduled"] == ["check_health"]


def test_an_unhealthy_url_alerts_once_and_runs_until_terminated(api: Workflows) -> None:
    with refused_port() as port:  # nothing listens there while the test runs: unhealthy
        check_an_unhealthy_url(api, f"http://127.0.0.1:{port}/health")


def check_an_unhealthy_url(api: Workflows, url: str) -> None:
    job = {"url": url, "interval_seconds": 60, "unhealthy_interval_seconds": 0.05}
    iid = api.started("monitor", new_id("monitor"), job)

    def checked_three_times(body: dict[str, object]) -> bool:
        status = custom_status(body)  # empty for a moment after each continue-as-new
        return status is not None and status["checks"] >= 3

    body = api.wait_until(iid, checked_three_times, "three checks")
    assert body["runtimeStatus"] == "RUNNING"
    status = custom_status(body)
    assert status["healthy"] is False
    assert status["alerts"] == 1  # one alert per outage, not one per check

    assert api.post(iid, "terminate").status_code == 202
    assert api.wait_status(iid)["runtimeStatus"] == "TERMINATED"
