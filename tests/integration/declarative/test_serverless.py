"""Serverless Workflow DSL 1.0 documents through the REST API of a real gateway."""

from __future__ import annotations

import httpx

from tests.integration.declarative.rest import (
    BASE,
    failure,
    finished,
    history,
    new_id,
    output,
    raise_event,
    run,
    start,
    wait_until,
)


def test_data_flow_for_switch_export_and_expression_arguments(api: httpx.Client) -> None:
    items = [{"price": 10, "quantity": 2}, {"price": 5, "quantity": 1}]
    body = run(api, "sw-orders", {"customer": "Ada", "items": items, "ignored": True})
    assert output(body) == {
        "charged": 12,
        "lines": {"line0": 12, "line1": 6},
        "customer": "Ada",
        "task": "/do/4/summarize",
        "workflow": body["instanceID"],
    }
    events = history(api, body["instanceID"])
    states = [e["details"].get("state") for e in events if e["kind"] == "ActivityScheduled"]
    assert states == [None, "/do/0/lines/do/0/price", "/do/0/lines/do/0/price", "/do/2/charge"]


def test_switch_to_raise_fails_with_the_error(api: httpx.Client) -> None:
    details = failure(run(api, "sw-orders", {"customer": "Bob", "items": [{"price": 200, "quantity": 1}]}))
    assert details["type"] == "https://example.com/errors/refused"
    assert details["message"] == "refused: Bob"
    assert "/do/3/refuse" in details["details"]


def test_try_catch_with_retry_policy(api: httpx.Client) -> None:
    key = new_id("sw")
    assert output(run(api, "sw-try", {"key": key, "failures": 2})) == {"key": key, "attempts": 3}
    given_up = output(run(api, "sw-try", {"key": new_id("sw"), "failures": 10}))
    assert given_up == {"gaveUp": True, "title": "ConnectionError"}


def test_listen_answered_by_raise_event_while_suspended(api: httpx.Client) -> None:
    instance_id = start(api, "sw-listen")
    wait_until(
        api,
        instance_id,
        lambda body: any(e["kind"] == "ActivityCompleted" for e in history(api, body["instanceID"])),
    )
    assert api.post(f"{BASE}/{instance_id}/pause").status_code == 202
    wait_until(api, instance_id, lambda body: body["runtimeStatus"] == "SUSPENDED")
    raise_event(api, instance_id, "com.example.approved", {"by": "ann"})
    assert wait_until(api, instance_id, lambda body: True)["runtimeStatus"] == "SUSPENDED"
    assert api.post(f"{BASE}/{instance_id}/resume").status_code == 202
    assert output(finished(api, instance_id)) == {"approved": "ann"}


def test_fork_compete_child_workflow_emit_timeout_and_end(api: httpx.Client) -> None:
    body = run(api, "sw-flow", {"n": 7})
    assert output(body) == {"stopped": True}
    events = history(api, body["instanceID"])
    children = [e for e in events if e["kind"] == "ChildWorkflowCompleted"]
    assert [e["data"] for e in children] == [{"n": 7}]  # the ASL chain, run as a child
    emitted = [e["data"] for e in events if e["kind"] == "ActivityScheduled" and e["name"] == "flowport.emit"]
    assert emitted == [{"type": "com.example.done", "source": "https://flowport.test", "data": {"n": 7}}]
    noops = [e["data"] for e in events if e["kind"] == "ActivityScheduled" and e["name"] == "noop"]
    assert {"side": "left"} in noops


def test_task_timeout_fails_the_workflow(api: httpx.Client) -> None:
    details = failure(run(api, "sw-failures", {"mode": "timeout"}))
    assert details["type"] == "https://serverlessworkflow.io/spec/1.0.0/errors/timeout"
    assert "/do/1/sleepy" in details["details"]


def test_expression_failure_names_the_task_expression_and_input(api: httpx.Client) -> None:
    details = failure(run(api, "sw-failures", {"mode": "expression", "value": "abc"}))
    assert details["type"] == "https://serverlessworkflow.io/spec/1.0.0/errors/expression"
    assert "/do/2/broken" in details["details"]
    assert "expression: ${ .value | tonumber }" in details["details"]
    assert '"value": "abc"' in details["details"]


def test_specification_examples(api: httpx.Client) -> None:
    assert output(run(api, "sample-workflow", {"orderType": "physical"})) == {
        "inventory": "clear",
        "items": 1,
        "address": "Elmer St",
    }
    assert output(run(api, "sample-workflow", {"orderType": "other"})) == {
        "log": "warn",
        "message": "something's wrong",
    }
    details = failure(run(api, "raise-not-implemented"))
    assert details["type"] == "https://serverlessworkflow.io/errors/not-implemented"
    assert (
        details["message"]
        == "The workflow 'raise-not-implemented:0.1.0' is a work in progress and cannot be run yet"
    )
    assert finished(api, start(api, "emit"))["runtimeStatus"] == "COMPLETED"
