"""ASL state machines through the REST API of a real gateway."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.rest import WAIT, Workflows, failure, new_id, output


def test_task_chain_runs_activities_by_name_and_arn(api: Workflows) -> None:
    assert output(api.wait_status(api.started("chain", None, {"n": 1}))) == {"n": 1}


def test_history_names_the_state_of_each_activity(api: Workflows) -> None:
    body = api.wait_status(api.started("chain", None, {"n": 2}))
    events = api.history(body["instanceID"])
    scheduled = [(e["name"], e["details"].get("state")) for e in events if e["kind"] == "ActivityScheduled"]
    assert scheduled == [
        ("flowport.definition", None),
        ("noop", "One"),
        ("noop", "Two"),
        ("noop", "Three"),
        ("noop", "Four"),
        ("noop", "Five"),
    ]


def test_paths_intrinsics_choice_map_parallel(api: Workflows) -> None:
    order = {"items": [{"price": 10, "quantity": 2}, {"price": 5, "quantity": 1}]}
    body = api.wait_status(api.started("orders", None, {"customer": "Ada", "order": order}))
    prepared = output(body)  # Succeed's OutputPath: $.prepared
    assert prepared["greeting"] == "Hello Ada, you ordered 2 items"
    assert prepared["order"] == order
    assert prepared["execution"] == body["instanceID"]
    assert len(prepared["id"]) == 36
    assert 1 <= prepared["lucky"] < 1000
    assert prepared["payment"] == {"charged": 12}  # Map's ItemSelector: price + quantity of item 0
    assert prepared["shipping"] == {"label": "label printed", "notified": "Ada"}
    events = api.history(body["instanceID"])
    lines = [e["data"] for e in events if e["kind"] == "ActivityScheduled" and e["name"] == "add"]
    assert sorted(line["b"] for line in lines) == [1, 2]


def test_catch_routes_an_activity_error_to_a_fail_state(api: Workflows) -> None:
    order = {"items": [{"price": 2000, "quantity": 1}]}
    details = failure(
        api.wait_status(api.started("orders", None, {"customer": "Bob", "order": order, "vip": True}))
    )
    assert details["type"] == "OrderRefused"
    assert details["message"] == "refused: Bob"


def test_choice_default_and_and_rules(api: Workflows) -> None:
    order = {"items": [{"price": 200, "quantity": 1}]}
    assert (
        failure(api.wait_status(api.started("orders", None, {"customer": "Cy", "order": order})))["type"]
        == "OrderRefused"
    )


def test_retry_with_backoff_then_success(api: Workflows) -> None:
    key = new_id("r")
    assert output(api.wait_status(api.started("retry", None, {"key": key, "failures": 2}))) == {
        "key": key,
        "attempts": 3,
    }


def test_retry_exhausted_then_catch(api: Workflows) -> None:
    key = new_id("r")
    result = output(api.wait_status(api.started("retry", None, {"key": key, "failures": 10})))
    assert result == {"gaveUp": True, "error": "ConnectionError"}


def handed_out_token(side_dir: Path, key: str) -> str:
    """The task token the activity wrote for ``key``, once written (the file exists empty first)."""
    token_file = side_dir / f"token-{key}"
    deadline = time.monotonic() + WAIT
    while not (token := token_file.read_text() if token_file.exists() else ""):
        assert time.monotonic() < deadline, "the token was never handed out"
        time.sleep(0.02)
    return token


def test_wait_for_task_token_answered_by_raise_event(api: Workflows, side_dir: Path) -> None:
    key = new_id("k")
    instance_id = api.started("token", None, {"key": key})
    api.accepted(instance_id, f"raiseEvent/{handed_out_token(side_dir, key)}", {"approved": True})
    assert output(api.wait_status(instance_id)) == {"key": key, "approval": {"approved": True}}


def test_wait_for_task_token_failure(api: Workflows, side_dir: Path) -> None:
    key = new_id("k")
    instance_id = api.started("token", None, {"key": key})
    token = handed_out_token(side_dir, key)
    api.accepted(instance_id, f"raiseEvent/{token}.fail", {"error": "Rejected", "cause": "no"})
    assert failure(api.wait_status(instance_id)) | {"details": ""} == {
        "type": "Rejected",
        "message": "no",
        "details": "",
    }


def test_waits_then_a_runtime_path_error_fails_with_state_expression_and_input(api: Workflows) -> None:
    until = (datetime.now(UTC) + timedelta(seconds=0.2)).isoformat().replace("+00:00", "Z")
    key = new_id("w")
    details = failure(
        api.wait_status(api.started("waits", None, {"seconds": 0.1, "until": until, "key": key}))
    )
    assert details["type"] == "States.Runtime"
    assert "$.nothing.here" in details["message"]
    assert "state: Bad" in details["details"]
    assert "expression: $.nothing.here" in details["details"]
    assert f'"key": "{key}"' in details["details"]
