"""Conductor documents turned into contract types: statuses, states, history, waiting tasks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from components.conductor._mapping import (
    CONDUCTOR_STATUSES,
    event_output,
    history_events,
    instance_state,
    pending_event_task,
    runtime_status,
    sub_workflow_ids,
    summary_state,
    workflow_input,
)
from contracts import EventKind, RuntimeStatus

T0 = 1_800_000_000_000  # ms


def at(offset_ms: int) -> datetime:
    return datetime.fromtimestamp((T0 + offset_ms) / 1000, UTC)


def workflow(status: str = "RUNNING", **extra: Any) -> dict[str, Any]:
    return {
        "workflowId": "wf-1",
        "workflowName": "orders",
        "workflowVersion": 2,
        "correlationId": "order-1",
        "status": status,
        "createTime": T0,
        "updateTime": T0 + 500,
        "input": {"a": 1},
        "output": {"b": 2},
        **extra,
    }


def task(seq: int, task_type: str, status: str, ref: str, **extra: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "taskType": task_type,
        "taskDefName": extra.pop("name", ref),
        "referenceTaskName": ref,
        "status": status,
        "taskId": f"t{seq}",
        "scheduledTime": T0 + seq * 10,
        "endTime": T0 + seq * 10 + 5 if status not in ("SCHEDULED", "IN_PROGRESS") else 0,
        **extra,
    }


@pytest.mark.parametrize(
    ("conductor", "runtime"),
    [
        ("RUNNING", RuntimeStatus.RUNNING),
        ("PAUSED", RuntimeStatus.SUSPENDED),
        ("COMPLETED", RuntimeStatus.COMPLETED),
        ("FAILED", RuntimeStatus.FAILED),
        ("TIMED_OUT", RuntimeStatus.FAILED),
        ("TERMINATED", RuntimeStatus.TERMINATED),
    ],
)
def test_statuses(conductor: str, runtime: RuntimeStatus) -> None:
    assert runtime_status(conductor) is runtime
    assert conductor in CONDUCTOR_STATUSES[runtime]


def test_statuses_conductor_lacks_search_for_nothing() -> None:
    for runtime in (RuntimeStatus.PENDING, RuntimeStatus.CANCELED, RuntimeStatus.CONTINUED_AS_NEW):
        assert CONDUCTOR_STATUSES[runtime] == ()
    with pytest.raises(ValueError, match="unknown Conductor workflow status"):
        runtime_status("WEIRD")


def test_running_state() -> None:
    state = instance_state("order-1", workflow())
    assert state.instance_id == "order-1"
    assert state.workflow_name == "orders"
    assert state.runtime_status is RuntimeStatus.RUNNING
    assert (state.created_at, state.last_updated_at) == (at(0), at(500))
    assert json.loads(state.serialized_input or "") == {"a": 1}
    assert state.serialized_output is None  # only a completed instance shows its output
    assert state.failure is None
    assert state.properties == {
        "conductor.workflowId": "wf-1",
        "conductor.status": "RUNNING",
        "conductor.workflowVersion": "2",
        "conductor.correlationId": "order-1",
    }


def test_completed_state_without_payloads() -> None:
    assert json.loads(instance_state("x", workflow("COMPLETED")).serialized_output or "") == {"b": 2}
    bare = instance_state("x", workflow("COMPLETED"), fetch_payloads=False)
    assert (bare.serialized_input, bare.serialized_output) == (None, None)


def test_failed_and_timed_out_states() -> None:
    failed = instance_state("x", workflow("FAILED", reasonForIncompletion="boom", failedTaskNames=["pay"]))
    assert failed.failure is not None
    assert (failed.failure.error_type, failed.failure.message) == ("WorkflowFailed", "boom")
    assert failed.properties["conductor.failedTaskNames"] == "pay"
    timed_out = instance_state("x", workflow("TIMED_OUT", reasonForIncompletion="Workflow timed out"))
    assert timed_out.runtime_status is RuntimeStatus.FAILED
    assert timed_out.failure is not None
    assert timed_out.failure.error_type == "WorkflowTimedOut"


def test_terminated_state_keeps_the_reason_as_a_property() -> None:
    state = instance_state("x", workflow("TERMINATED", reasonForIncompletion="customer cancelled"))
    assert state.failure is None
    assert state.properties["conductor.reasonForIncompletion"] == "customer cancelled"


def test_workflow_name_falls_back_to_the_definition() -> None:
    document = workflow()
    del document["workflowName"], document["workflowVersion"]
    document["workflowDefinition"] = {"name": "legacy", "version": 3}
    state = instance_state("x", document)
    assert state.workflow_name == "legacy"
    assert state.properties["conductor.workflowVersion"] == "3"


def test_summary_state() -> None:
    summary = {
        "workflowType": "orders",
        "version": 1,
        "workflowId": "wf-9",
        "correlationId": "order-9",
        "startTime": "2026-11-21T05:44:01.134Z",
        "updateTime": "2026-11-21T05:44:02.000Z",
        "status": "COMPLETED",
        "input": "{a=1}",  # Java's toString(): not JSON, left out
        "output": '{"b": 2}',  # the server serialises summaries as JSON: kept
    }
    state = summary_state(summary)
    assert state.instance_id == "order-9"
    assert state.workflow_name == "orders"
    assert state.created_at == datetime(2026, 11, 21, 5, 44, 1, 134000, tzinfo=UTC)
    assert state.serialized_input is None
    assert state.serialized_output == '{"b": 2}'
    assert summary_state({**summary, "correlationId": ""}).instance_id == "wf-9"


def test_history_of_a_completed_workflow() -> None:
    document = workflow(
        "COMPLETED",
        endTime=T0 + 100,
        tasks=[
            task(2, "WAIT", "COMPLETED", "approval", outputData={"ok": True}),
            task(1, "SIMPLE", "COMPLETED", "charge", name="charge_payment", outputData={"id": 7}),
            task(3, "WAIT", "COMPLETED", "pause", inputData={"duration": "1s"}),
            task(4, "SWITCH", "COMPLETED", "decide"),
            task(5, "SUB_WORKFLOW", "COMPLETED", "child", name="shipping", subWorkflowId="wf-child"),
        ],
    )
    events = history_events(document)
    assert [(event.kind, event.name) for event in events] == [
        (EventKind.WORKFLOW_STARTED, "orders"),
        (EventKind.ACTIVITY_SCHEDULED, "charge_payment"),
        (EventKind.ACTIVITY_COMPLETED, "charge_payment"),
        (EventKind.OTHER, "WaitForEvent"),
        (EventKind.EVENT_RAISED, "approval"),
        (EventKind.TIMER_CREATED, "pause"),
        (EventKind.TIMER_FIRED, "pause"),
        (EventKind.OTHER, "SWITCH"),
        (EventKind.CHILD_WORKFLOW_SCHEDULED, "shipping"),
        (EventKind.CHILD_WORKFLOW_COMPLETED, "shipping"),
        (EventKind.WORKFLOW_COMPLETED, None),
    ]
    assert [event.sequence for event in events] == list(range(len(events)))
    assert [event.timestamp for event in events] == sorted(event.timestamp for event in events)
    assert json.loads(events[4].serialized_data or "") == {"ok": True}
    assert events[8].details["subWorkflowId"] == "wf-child"
    assert sub_workflow_ids(document) == ["wf-child"]


def test_history_of_a_failed_and_a_paused_workflow() -> None:
    failed = history_events(
        workflow(
            "FAILED",
            endTime=T0 + 50,
            reasonForIncompletion="declined",
            tasks=[task(1, "SIMPLE", "FAILED_WITH_TERMINAL_ERROR", "pay", reasonForIncompletion="declined")],
        )
    )
    assert [event.kind for event in failed] == [
        EventKind.WORKFLOW_STARTED,
        EventKind.ACTIVITY_SCHEDULED,
        EventKind.ACTIVITY_FAILED,
        EventKind.WORKFLOW_FAILED,
    ]
    assert failed[2].details["reason"] == "declined"
    assert failed[3].details["conductorStatus"] == "FAILED"
    paused = history_events(workflow("PAUSED", tasks=[task(1, "WAIT", "IN_PROGRESS", "approval")]))
    assert [event.kind for event in paused] == [
        EventKind.WORKFLOW_STARTED,
        EventKind.OTHER,
        EventKind.WORKFLOW_SUSPENDED,
    ]


def test_the_pending_task_an_event_completes() -> None:
    document = workflow(
        tasks=[
            task(1, "WAIT", "COMPLETED", "approval"),
            task(2, "WAIT", "IN_PROGRESS", "timer", inputData={"until": "2030-01-01 00:00 UTC"}),
            task(3, "SIMPLE", "SCHEDULED", "work"),
            task(4, "HUMAN", "IN_PROGRESS", "review__2"),
            task(5, "WAIT", "IN_PROGRESS", "approval__"),
        ]
    )
    assert pending_event_task(document, "approval") is None  # completed already
    assert pending_event_task(document, "timer") is None  # a timer ends by itself
    assert pending_event_task(document, "work") is None  # not a waiting task
    found = pending_event_task(document, "review")  # DO_WHILE iteration suffix
    assert found is not None
    assert found["taskId"] == "t4"
    assert pending_event_task(document, "review__2") is found


@pytest.mark.parametrize(
    ("serialized", "output"),
    [
        (None, {}),
        ('{"approved": true}', {"approved": True}),
        ("true", {"data": True}),
        ('"x"', {"data": "x"}),
    ],
)
def test_event_data_as_task_output(serialized: str | None, output: dict[str, Any]) -> None:
    assert event_output(serialized) == output


def test_start_input_as_workflow_input() -> None:
    assert workflow_input(None) == {}
    assert workflow_input('{"a": 1}') == {"a": 1}
    assert workflow_input("[1, 2]") == {"input": [1, 2]}
