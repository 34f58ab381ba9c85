"""Normalising Temporal history events to the contract's shape: built protos, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType as E
from temporalio.api.failure.v1 import ApplicationFailureInfo, Failure
from temporalio.api.history.v1 import HistoryEvent

from components.temporal._history import event_type_name, normalise_history
from contracts import EventKind

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def payloads(text: str) -> Payloads:
    return Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=text.encode())])


def event(event_id: int, event_type: int) -> HistoryEvent:
    built = HistoryEvent(event_id=event_id, event_type=event_type)  # type: ignore[arg-type]
    built.event_time.FromDatetime(T0 + timedelta(seconds=event_id))
    return built


def test_event_type_names() -> None:
    assert event_type_name(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) == "WorkflowTaskCompleted"
    assert event_type_name(E.EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED) == "WorkflowExecutionPaused"
    assert event_type_name(12345) == "EventType12345"


def test_a_workflow_with_an_activity_a_timer_and_a_signal() -> None:
    started = event(1, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    started.workflow_execution_started_event_attributes.workflow_type.name = "orders"
    started.workflow_execution_started_event_attributes.task_queue.name = "q"
    started.workflow_execution_started_event_attributes.input.CopyFrom(payloads('{"id":1}'))
    task = event(2, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
    scheduled = event(3, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    scheduled.activity_task_scheduled_event_attributes.activity_type.name = "charge"
    scheduled.activity_task_scheduled_event_attributes.activity_id = "1"
    scheduled.activity_task_scheduled_event_attributes.input.CopyFrom(payloads("10"))
    completed = event(4, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    completed.activity_task_completed_event_attributes.scheduled_event_id = 3
    completed.activity_task_completed_event_attributes.result.CopyFrom(payloads('"ok"'))
    timer = event(5, E.EVENT_TYPE_TIMER_STARTED)
    timer.timer_started_event_attributes.timer_id = "t1"
    timer.timer_started_event_attributes.start_to_fire_timeout.FromTimedelta(timedelta(seconds=30))
    fired = event(6, E.EVENT_TYPE_TIMER_FIRED)
    fired.timer_fired_event_attributes.timer_id = "t1"
    signaled = event(7, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    signaled.workflow_execution_signaled_event_attributes.signal_name = "approve"
    signaled.workflow_execution_signaled_event_attributes.input.CopyFrom(payloads("true"))
    paused = event(8, E.EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED)
    paused.workflow_execution_paused_event_attributes.reason = "ops"
    unpaused = event(9, E.EVENT_TYPE_WORKFLOW_EXECUTION_UNPAUSED)
    done = event(10, E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
    done.workflow_execution_completed_event_attributes.result.CopyFrom(payloads("[1]"))

    normalised = normalise_history(
        [started, task, scheduled, completed, timer, fired, signaled, paused, unpaused, done]
    )
    assert [(e.sequence, e.kind, e.name, e.serialized_data) for e in normalised] == [
        (1, EventKind.WORKFLOW_STARTED, "orders", '{"id":1}'),
        (2, EventKind.OTHER, "WorkflowTaskScheduled", None),
        (3, EventKind.ACTIVITY_SCHEDULED, "charge", "10"),
        (4, EventKind.ACTIVITY_COMPLETED, "charge", '"ok"'),
        (5, EventKind.TIMER_CREATED, "t1", None),
        (6, EventKind.TIMER_FIRED, "t1", None),
        (7, EventKind.EVENT_RAISED, "approve", "true"),
        (8, EventKind.WORKFLOW_SUSPENDED, None, None),
        (9, EventKind.WORKFLOW_RESUMED, None, None),
        (10, EventKind.WORKFLOW_COMPLETED, None, "[1]"),
    ]
    assert normalised[0].details == {"taskQueue": "q"}
    assert normalised[0].timestamp == T0 + timedelta(seconds=1)
    assert normalised[3].details == {"scheduledEventId": "3"}
    assert normalised[4].details == {"fireAt": (T0 + timedelta(seconds=35)).isoformat()}
    assert normalised[7].details == {"reason": "ops"}


def test_failures_terminations_and_continue_as_new() -> None:
    scheduled = event(1, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    scheduled.activity_task_scheduled_event_attributes.activity_type.name = "charge"
    failed = event(2, E.EVENT_TYPE_ACTIVITY_TASK_FAILED)
    failed.activity_task_failed_event_attributes.scheduled_event_id = 1
    failed.activity_task_failed_event_attributes.failure.CopyFrom(
        Failure(message="declined", application_failure_info=ApplicationFailureInfo(type="PaymentError"))
    )
    wf_failed = event(3, E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED)
    wf_failed.workflow_execution_failed_event_attributes.failure.CopyFrom(Failure(message="boom"))
    timed_out = event(4, E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT)
    terminated = event(5, E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED)
    terminated.workflow_execution_terminated_event_attributes.reason = "operator"
    continued = event(6, E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW)
    continued.workflow_execution_continued_as_new_event_attributes.workflow_type.name = "countdown"
    continued.workflow_execution_continued_as_new_event_attributes.new_execution_run_id = "run-2"
    continued.workflow_execution_continued_as_new_event_attributes.input.CopyFrom(payloads("2"))

    normalised = normalise_history([scheduled, failed, wf_failed, timed_out, terminated, continued])
    kinds = [e.kind for e in normalised]
    assert kinds == [
        EventKind.ACTIVITY_SCHEDULED,
        EventKind.ACTIVITY_FAILED,
        EventKind.WORKFLOW_FAILED,
        EventKind.WORKFLOW_FAILED,
        EventKind.WORKFLOW_TERMINATED,
        EventKind.CONTINUED_AS_NEW,
    ]
    assert normalised[1].name == "charge"
    assert normalised[1].details == {
        "errorType": "PaymentError",
        "errorMessage": "declined",
        "scheduledEventId": "1",
    }
    assert normalised[2].details == {"errorType": "TemporalFailure", "errorMessage": "boom"}
    assert normalised[3].details == {"reason": "timed out"}
    assert normalised[4].details == {"reason": "operator"}
    assert (normalised[5].name, normalised[5].serialized_data) == ("countdown", "2")
    assert normalised[5].details == {"newRunId": "run-2"}


def test_child_workflows() -> None:
    initiated = event(1, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
    initiated.start_child_workflow_execution_initiated_event_attributes.workflow_type.name = "child"
    initiated.start_child_workflow_execution_initiated_event_attributes.workflow_id = "c-1"
    completed = event(2, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
    completed.child_workflow_execution_completed_event_attributes.workflow_type.name = "child"
    completed.child_workflow_execution_completed_event_attributes.workflow_execution.workflow_id = "c-1"
    completed.child_workflow_execution_completed_event_attributes.result.CopyFrom(payloads("7"))
    terminated = event(3, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED)
    terminated.child_workflow_execution_terminated_event_attributes.workflow_type.name = "child"

    normalised = normalise_history([initiated, completed, terminated])
    assert [(e.kind, e.name, e.serialized_data) for e in normalised] == [
        (EventKind.CHILD_WORKFLOW_SCHEDULED, "child", None),
        (EventKind.CHILD_WORKFLOW_COMPLETED, "child", "7"),
        (EventKind.CHILD_WORKFLOW_FAILED, "child", None),
    ]
    assert normalised[0].details == {"childInstanceId": "c-1"}
    assert normalised[2].details == {"reason": "ChildWorkflowExecutionTerminated"}
