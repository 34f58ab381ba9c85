"""List and history through the REST API against real Temporal."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.rest import Workflows, new_id, problem

pytestmark = pytest.mark.temporal


def listing(api: Workflows, **params: Any) -> dict[str, Any]:
    answer = api.list(**params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def ids_of(instances: list[dict[str, Any]]) -> list[str]:
    return sorted(instance["instanceID"] for instance in instances)


def test_list_filters_and_pages(temporal_api: Workflows) -> None:
    # A type no worker serves: its instances stay RUNNING and only this test starts it.
    name = f"listed_{uuid.uuid4().hex[:8]}"
    ids = [new_id("listed") for _ in range(5)]
    for instance in ids:
        assert temporal_api.start(name, instance, taskQueue="list-test").status_code == 202
    # Visibility is eventually consistent: wait until the list shows what get already does.
    temporal_api.wait_listed(
        lambda found: ids_of(found) == sorted(ids), "all five", workflowName=name, pageSize=1000
    )

    for instance in ids[:2]:
        temporal_api.accepted(instance, "terminate")
    terminated = temporal_api.wait_listed(
        lambda found: len(found) == 2, "two", workflowName=name, status="TERMINATED", pageSize=1000
    )
    assert ids_of(terminated) == sorted(ids[:2])
    assert all(i["runtimeStatus"] == "TERMINATED" for i in terminated)
    running = temporal_api.wait_listed(
        lambda found: len(found) == 3, "three", workflowName=name, status="RUNNING", pageSize=1000
    )
    assert ids_of(running) == sorted(ids[2:])
    assert all(i["workflowName"] == name for i in running)

    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"workflowName": name, "pageSize": 2}
        if token:
            params["continuationToken"] = token
        page = listing(temporal_api, **params)
        assert len(page["instances"]) <= 2
        seen += [i["instanceID"] for i in page["instances"]]
        token = page["continuationToken"]
        pages += 1
        if not token:
            break
        assert pages < 10
    assert sorted(seen) == sorted(ids)
    for instance in ids[2:]:
        temporal_api.post(instance, "terminate")


def test_list_shows_suspended_and_hides_continued_runs(temporal_api: Workflows) -> None:
    paused = new_id("listpaused")
    temporal_api.wait_status(temporal_api.started("approval", paused), "RUNNING")
    temporal_api.accepted(paused, "pause")
    temporal_api.wait_status(paused, "SUSPENDED")
    temporal_api.wait_listed(lambda found: paused in ids_of(found), "the paused instance", status="SUSPENDED")
    temporal_api.post(paused, "terminate")

    counted = new_id("listcountdown")
    temporal_api.wait_status(temporal_api.started("countdown", counted, 2), "COMPLETED")
    # The two runs that continued as new are listed only when asked for; the instance once.
    temporal_api.wait_listed(
        lambda found: ids_of(found).count(counted) == 2,
        "two earlier runs",
        pageSize=1000,
        status="CONTINUED_AS_NEW",
    )
    everything = temporal_api.wait_listed(
        lambda found: counted in ids_of(found), "the instance", pageSize=1000
    )
    assert [i["runtimeStatus"] for i in everything if i["instanceID"] == counted] == ["COMPLETED"]


def test_bad_continuation_token_is_400(temporal_api: Workflows) -> None:
    problem(temporal_api.list(continuationToken="%%%not-a-token"), 400)


def test_history_of_a_chain(temporal_api: Workflows) -> None:
    instance = new_id("history")
    temporal_api.wait_status(temporal_api.started("chain", instance, "h"), "COMPLETED")
    events = temporal_api.history(instance)
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    meaningful = [(e["kind"], e["name"], e["data"]) for e in events if e["kind"] != "Other"]
    assert meaningful == [
        ("WorkflowStarted", "chain", "h"),
        ("ActivityScheduled", "step", "h-0"),
        ("ActivityCompleted", "step", {"step": "h-0"}),
        ("ActivityScheduled", "step", "h-1"),
        ("ActivityCompleted", "step", {"step": "h-1"}),
        ("ActivityScheduled", "step", "h-2"),
        ("ActivityCompleted", "step", {"step": "h-2"}),
        ("WorkflowCompleted", None, [{"step": "h-0"}, {"step": "h-1"}, {"step": "h-2"}]),
    ]
    others = {e["name"] for e in events if e["kind"] == "Other"}
    assert "WorkflowTaskCompleted" in others
    timestamps = [e["timestamp"] for e in events]
    assert timestamps == sorted(timestamps)


def test_history_of_a_failure_and_unknown(temporal_api: Workflows) -> None:
    instance = new_id("histfail")
    temporal_api.wait_status(temporal_api.started("fail", instance, 5), "FAILED")
    events = temporal_api.history(instance)
    failed = [e for e in events if e["kind"] == "ActivityFailed"]
    assert failed
    assert failed[0]["name"] == "reject"
    assert failed[0]["details"]["errorType"] == "OrderRejected"
    assert events[-1]["kind"] == "WorkflowFailed"
    assert events[-1]["details"]["errorType"] == "OrderRejected"
    problem(temporal_api.client.get(f"{temporal_api.base}/no-such-instance/history"), 404)
