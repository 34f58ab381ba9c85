"""Serverless Workflow DSL 1.0 documents through the REST API of a real gateway."""

from __future__ import annotations

import pytest

from tests.rest import Workflows, failure, kinds, new_id, output


def test_data_flow_for_switch_export_and_expression_arguments(api: Workflows) -> None:
    items = [{"price": 10, "quantity": 2}, {"price": 5, "quantity": 1}]
    body = api.wait_status(
        api.started("sw-orders", None, {"customer": "Ada", "items": items, "ignored": True})
    )
    assert output(body) == {
        "charged": 12,
        "lines": {"line0": 12, "line1": 6},
        "customer": "Ada",
        "task": "/do/4/summarize",
        "workflow": body["instanceID"],
    }
    events = api.history(body["instanceID"])
    states = [e["details"].get("state") for e in events if e["kind"] == "ActivityScheduled"]
    assert states == [None, "/do/0/lines/do/0/price", "/do/0/lines/do/0/price", "/do/2/charge"]


def test_switch_to_raise_fails_with_the_error(api: Workflows) -> None:
    details = failure(
        api.wait_status(
            api.started("sw-orders", None, {"customer": "Bob", "items": [{"price": 200, "quantity": 1}]})
        )
    )
    assert details["type"] == "https://example.com/errors/refused"
    assert details["message"] == "refused: Bob"
    assert "/do/3/refuse" in details["details"]


def test_try_catch_with_retry_policy(api: Workflows) -> None:
    key = new_id("sw")
    assert output(api.wait_status(api.started("sw-try", None, {"key": key, "failures": 2}))) == {
        "key": key,
        "attempts": 3,
    }
    given_up = output(api.wait_status(api.started("sw-try", None, {"key": new_id("sw"), "failures": 10})))
    assert given_up == {"gaveUp": True, "title": "ConnectionError"}


def test_listen_answered_by_raise_event_while_suspended(api: Workflows) -> None:
    instance_id = api.started("sw-listen")
    api.wait_history(instance_id, lambda events: "ActivityCompleted" in kinds(events), "an activity done")
    api.accepted(instance_id, "pause")
    api.wait_status(instance_id, "SUSPENDED")
    api.accepted(instance_id, "raiseEvent/com.example.approved", {"by": "ann"})
    # recorded at once, acted on only after resume
    api.wait_history(instance_id, lambda events: "EventRaised" in kinds(events), "the event")
    assert api.state(instance_id)["runtimeStatus"] == "SUSPENDED"
    api.accepted(instance_id, "resume")
    assert output(api.wait_status(instance_id)) == {"approved": "ann"}


def test_fork_compete_child_workflow_emit_timeout_and_end(api: Workflows) -> None:
    body = api.wait_status(api.started("sw-flow", None, {"n": 7}))
    assert output(body) == {"stopped": True}
    events = api.history(body["instanceID"])
    children = [e for e in events if e["kind"] == "ChildWorkflowCompleted"]
    assert [e["data"] for e in children] == [{"n": 7}]  # the ASL chain, run as a child
    emitted = [e["data"] for e in events if e["kind"] == "ActivityScheduled" and e["name"] == "flowport.emit"]
    assert emitted == [{"type": "com.example.done", "source": "https://flowport.test", "data": {"n": 7}}]
    noops = [e["data"] for e in events if e["kind"] == "ActivityScheduled" and e["name"] == "noop"]
    assert {"side": "left"} in noops


def test_task_timeout_fails_the_workflow(api: Workflows) -> None:
    details = failure(api.wait_status(api.started("sw-failures", None, {"mode": "timeout"})))
    assert details["type"] == "https://serverlessworkflow.io/spec/1.0.0/errors/timeout"
    assert "/do/1/sleepy" in details["details"]


def test_expression_failure_names_the_task_expression_and_input(api: Workflows) -> None:
    details = failure(
        api.wait_status(api.started("sw-failures", None, {"mode": "expression", "value": "abc"}))
    )
    assert details["type"] == "https://serverlessworkflow.io/spec/1.0.0/errors/expression"
    assert "/do/2/broken" in details["details"]
    assert "expression: ${ .value | tonumber }" in details["details"]
    assert '"value": "abc"' in details["details"]


def test_specification_examples(api: Workflows) -> None:
    assert output(api.wait_status(api.started("sample-workflow", None, {"orderType": "physical"}))) == {
        "inventory": "clear",
        "items": 1,
        "address": "Elmer St",
    }
    assert output(api.wait_status(api.started("sample-workflow", None, {"orderType": "other"}))) == {
        "log": "warn",
        "message": "something's wrong",
    }
    details = failure(api.wait_status(api.started("raise-not-implemented")))
    assert details["type"] == "https://serverlessworkflow.io/errors/not-implemented"
    assert (
        details["message"]
        == "The workflow 'raise-not-implemented:0.1.0' is a work in progress and cannot be run yet"
    )
    assert api.wait_status(api.started("emit"))["runtimeStatus"] == "COMPLETED"


def test_data_schemas_check_input_and_output_and_a_try_catches_a_mismatch(api: Workflows) -> None:
    assert output(api.wait_status(api.started("sw-schemas", None, {"quantity": 2}))) == {"total": 6}
    # the inner task's output schema (total at most 10) fails; the try catches the validation error
    assert output(api.wait_status(api.started("sw-schemas", None, {"quantity": 5}))) == {
        "total": 15,
        "large": "Invalid task output",
    }


@pytest.mark.parametrize(
    ("given", "schema", "words"),
    [
        ({"quantity": 0}, "/input/schema", "0 is less than the minimum of 1 (at quantity)"),
        ({"count": 2}, "/input/schema", "'quantity' is a required property"),
        ({"quantity": 50}, "/do/0/price/output/schema", "150 is greater than the maximum of 100 (at total)"),
    ],
)
def test_data_that_does_not_match_its_schema_fails_saying_where(
    api: Workflows, given: dict[str, int], schema: str, words: str
) -> None:
    details = failure(api.wait_status(api.started("sw-schemas", None, given)))
    assert details["type"] == "https://serverlessworkflow.io/spec/1.0.0/errors/validation"
    assert f"does not match the schema at {schema}: {words}" in details["message"]
