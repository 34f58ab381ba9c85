"""ASL state machines through the REST API of a real gateway."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.integration.declarative.rest import (
    failure,
    finished,
    history,
    new_id,
    output,
    raise_event,
    run,
    start,
)


def test_task_chain_runs_activities_by_name_and_arn(api: httpx.Client) -> None:
    assert output(run(api, "chain", {"n": 1})) == {"n": 1}


def test_history_names_the_state_of_each_activity(api: httpx.Client) -> None:
    body = run(api, "chain", {"n": 2})
    events = history(api, body["instanceID"])
    scheduled = [(e["name"], e["details"].get("state")) for e in events if e["kind"] == "ActivityScheduled"]
    assert scheduled == [
        ("flowport.definition", None),
        ("noop", "One"),
        ("noop", "Two"),
        ("noop", "Three"),
        ("noop", "Four"),
        ("noop", "Five"),
    ]


def test_paths_intrinsics_choice_map_parallel(api: httpx.Client) -> None:
    order = {"items": [{"price": 10, "quantity": 2}, {"price": 5, "quantity": 1}]}
    body = run(api, "orders", {"customer": "Ada", "order": order})
    prepared = output(body)  # Succeed's OutputPath: $.prepared
    assert prepared["greeting"] == "Hello Ada, you ordered 2 items"
    assert prepared["order"] == order
    assert prepared["execution"] == body["instanceID"]
    assert len(prepared["id"]) == 36
    assert 1 <= prepared["lucky"] < 1000
    assert prepared["payment"] == {"charged": 12}  # Map's ItemSelector: price + quantity of item 0
    assert prepared["shipping"] == {"label": "label printed", "notified": "Ada"}
    events = history(api, body["instanceID"])
    lines = [e["data"] for e in events if e["kind"] == "ActivityScheduled" and e["name"] == "add"]
    assert sorted(line["b"] for line in lines) == [1, 2]


def test_catch_routes_an_activity_error_to_a_fail_state(api: httpx.Client) -> None:
    order = {"items": [{"price": 2000, "quantity": 1}]}
    details = failure(run(api, "orders", {"customer": "Bob", "order": order, "vip": True}))
    assert details["type"] == "OrderRefused"
    assert details["message"] == "refused: Bob"


def test_choice_default_and_and_rules(api: httpx.Client) -> None:
    order = {"items": [{"price": 200, "quantity": 1}]}
    assert failure(run(api, "orders", {"customer": "Cy", "order": order}))["type"] == "OrderRefused"


def test_retry_with_backoff_then_success(api: httpx.Client) -> None:
    key = new_id("r")
    assert output(run(api, "retry", {"key": key, "failures": 2})) == {"key": key, "attempts": 3}


def test_retry_exhausted_then_catch(api: httpx.Client) -> None:
    key = new_id("r")
    result = output(run(api, "retry", {"key": key, "failures": 10}))
    assert result == {"gaveUp": True, "error": "ConnectionError"}


def test_wait_for_task_token_answered_by_raise_event(api: httpx.Client, side_dir: Path) -> None:
    key = new_id("k")
    instance_id = start(api, "token", {"key": key})
    token_file = side_dir / f"token-{key}"
    deadline = time.monotonic() + 60
    while not token_file.exists():
        assert time.monotonic() < deadline, "the token was never handed out"
        time.sleep(0.02)
    raise_event(api, instance_id, token_file.read_text(), {"approved": True})
    assert output(finished(api, instance_id)) == {"key": key, "approval": {"approved": True}}


def test_wait_for_task_token_failure(api: httpx.Client, side_dir: Path) -> None:
    key = new_id("k")
    instance_id = start(api, "token", {"key": key})
    token_file = side_dir / f"token-{key}"
    deadline = time.monotonic() + 60
    while not token_file.exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    raise_event(api, instance_id, f"{token_file.read_text()}.fail", {"error": "Rejected", "cause": "no"})
    assert failure(finished(api, instance_id)) | {"details": ""} == {
        "type": "Rejected",
        "message": "no",
        "details": "",
    }


def test_waits_then_a_runtime_path_error_fails_with_state_expression_and_input(api: httpx.Client) -> None:
    until = (datetime.now(UTC) + timedelta(seconds=0.2)).isoformat().replace("+00:00", "Z")
    key = new_id("w")
    details = failure(run(api, "waits", {"seconds": 0.1, "until": until, "key": key}))
    assert details["type"] == "States.Runtime"
    assert "$.nothing.here" in details["message"]
    assert "state: Bad" in details["details"]
    assert "expression: $.nothing.here" in details["details"]
    assert f'"key": "{key}"' in details["details"]
