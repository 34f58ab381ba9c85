"""Start and get through the gateway's REST API against a real Temporal server and worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.temporal.conftest import NO_QUEUE_COMPONENT
from tests.rest import Workflows, custom_status, new_id, problem

pytestmark = pytest.mark.temporal


def test_chain_completes_with_input_output_and_times(temporal_api: Workflows) -> None:
    instance = new_id("chain")
    answer = temporal_api.start("chain", instance, "order-7")
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"instanceID": instance}

    state = temporal_api.wait_status(instance, "COMPLETED")
    assert state["instanceID"] == instance
    assert state["workflowName"] == "chain"
    props = state["properties"]
    assert props["dapr.workflow.input"] == '"order-7"'
    assert props["dapr.workflow.output"] == (
        '[{"step":"order-7-0"},{"step":"order-7-1"},{"step":"order-7-2"}]'
    )
    assert props["temporal.status"] == "COMPLETED"
    assert props["temporal.taskQueue"] == "flowport"
    assert props["temporal.runId"]
    assert "dapr.workflow.failure.error_type" not in props
    assert state["createdAt"] < state["lastUpdatedAt"]


def test_running_instance_shows_input_without_waiting(temporal_api: Workflows) -> None:
    instance = new_id("approval")
    assert temporal_api.start("approval", instance, {"amount": 12}).status_code == 202
    state = temporal_api.wait_status(instance, "RUNNING")
    assert state["properties"]["dapr.workflow.input"] == '{"amount":12}'
    assert "dapr.workflow.output" not in state["properties"]
    assert state["createdAt"] <= state["lastUpdatedAt"]


def test_duplicate_instance_id_is_409(temporal_api: Workflows) -> None:
    instance = new_id("dup")
    assert temporal_api.start("approval", instance).status_code == 202
    body = problem(temporal_api.start("approval", instance), 409)
    assert instance in body["message"]
    # still refused once the first instance is closed: an ID names one instance until purged
    assert temporal_api.post(instance, "terminate").status_code == 202
    temporal_api.wait_status(instance, "TERMINATED")
    problem(temporal_api.start("approval", instance), 409)


def test_unknown_instance_is_404(temporal_api: Workflows) -> None:
    body = problem(temporal_api.get("no-such-instance"), 404)
    assert body["errorCode"] == "ERR_INSTANCE_ID_NOT_FOUND"


def test_task_queue_from_start_option(temporal_api: Workflows) -> None:
    instance = new_id("queued")
    answer = temporal_api.of(NO_QUEUE_COMPONENT).start("chain", instance, "x", taskQueue="flowport")
    assert answer.status_code == 202, answer.text
    state = temporal_api.of(NO_QUEUE_COMPONENT).wait_status(instance, "COMPLETED")
    assert state["properties"]["temporal.taskQueue"] == "flowport"


def test_no_task_queue_anywhere_is_400(temporal_api: Workflows) -> None:
    body = problem(temporal_api.of(NO_QUEUE_COMPONENT).start("chain", new_id("noqueue")), 400)
    assert "taskQueue" in body["message"]


def test_unknown_start_option_is_400(temporal_api: Workflows) -> None:
    problem(temporal_api.start("chain", new_id("badopt"), taskQeue="flowport"), 400)


def test_type_without_worker_stays_running_and_says_why(temporal_api: Workflows) -> None:
    instance = new_id("nosuch")
    assert temporal_api.start("no_such_workflow", instance).status_code == 202
    # The warning comes with the worker's own failure once the task has failed and been retried.
    state = temporal_api.wait_until(
        instance,
        lambda s: {"temporal.warning", "temporal.workflowTaskFailure"} <= s["properties"].keys(),
        "a warning with the worker's failure",
    )
    assert state["runtimeStatus"] == "RUNNING"
    assert "no_such_workflow" in state["properties"]["temporal.warning"]
    assert "not registered" in state["properties"]["temporal.workflowTaskFailure"]


def test_task_queue_without_worker_stays_running_and_says_why(temporal_api: Workflows) -> None:
    instance = new_id("lonely")
    assert temporal_api.start("chain", instance, taskQueue="nobody-polls-this").status_code == 202
    state = temporal_api.wait_until(
        instance, lambda s: "temporal.warning" in s["properties"], "flagged with a warning"
    )
    assert state["runtimeStatus"] == "RUNNING"
    assert "nobody-polls-this" in state["properties"]["temporal.warning"]


def test_execution_timeout_is_failed_with_timed_out_type(temporal_api: Workflows) -> None:
    instance = new_id("timeout")
    answer = temporal_api.start("approval", instance, executionTimeout="1s")
    assert answer.status_code == 202, answer.text
    state = temporal_api.wait_status(instance, "FAILED")
    assert state["properties"]["temporal.status"] == "TIMED_OUT"
    assert state["properties"]["dapr.workflow.failure.error_type"] == "TemporalWorkflowTimedOut"
    assert "TIMED_OUT" in state["properties"]["dapr.workflow.failure.error_message"]


def test_bad_execution_timeout_is_400(temporal_api: Workflows) -> None:
    problem(temporal_api.start("chain", new_id("badtimeout"), executionTimeout="soon"), 400)


def test_start_time_in_future_is_pending(temporal_api: Workflows) -> None:
    instance = new_id("later")
    at = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert temporal_api.start("chain", instance, "x", startTime=at).status_code == 202
    state = temporal_api.wait_status(instance, "PENDING")
    assert state["properties"]["temporal.status"] == "RUNNING"
    assert temporal_api.post(instance, "terminate").status_code == 202


def test_failed_workflow_reports_type_and_message(temporal_api: Workflows) -> None:
    instance = new_id("fail")
    assert temporal_api.start("fail", instance, 42).status_code == 202
    state = temporal_api.wait_status(instance, "FAILED")
    props = state["properties"]
    assert props["dapr.workflow.failure.error_type"] == "OrderRejected"
    assert props["dapr.workflow.failure.error_message"] == "order 42 rejected"
    assert props["dapr.workflow.failure.stack_trace"]
    assert "dapr.workflow.output" not in props


def test_continue_as_new_shows_the_latest_run(temporal_api: Workflows) -> None:
    instance = new_id("countdown")
    assert temporal_api.start("countdown", instance, 3).status_code == 202
    state = temporal_api.wait_status(instance, "COMPLETED")
    assert state["workflowName"] == "countdown"
    assert state["properties"]["dapr.workflow.input"] == "0"
    assert state["properties"]["dapr.workflow.output"] == '"liftoff"'


def test_custom_status_from_memo(temporal_api: Workflows) -> None:
    instance = new_id("progress")
    assert temporal_api.start("progress", instance, 2).status_code == 202
    temporal_api.wait_until(
        instance, lambda s: custom_status(s) == "2/2 steps done", "custom status 2/2 steps done"
    )
    temporal_api.accepted(instance, "raiseEvent/finish")
    state = temporal_api.wait_status(instance, "COMPLETED")
    assert state["properties"]["dapr.workflow.custom_status"] == '"finished"'
    assert state["properties"]["dapr.workflow.output"] == "2"
