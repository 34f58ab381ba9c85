"""Status, failure, payload, visibility-query and token mapping: pure functions, no server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.enums.v1 import WorkflowExecutionStatus as S
from temporalio.api.failure.v1 import ActivityFailureInfo, ApplicationFailureInfo, Failure, TimeoutFailureInfo
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflow.v1 import WorkflowExecutionInfo

from components.temporal._mapping import (
    decode_token,
    encode_token,
    failure_details,
    instance_failure,
    is_open,
    listed_instance,
    runtime_status,
    start_delay,
    start_timeout,
    temporal_status_name,
    visibility_query,
    workflow_input,
    workflow_output,
)
from components.temporal._payloads import json_payloads, payload_json, payloads_json
from contracts import InvalidRequestError, ListRequest, RuntimeStatus

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.WORKFLOW_EXECUTION_STATUS_RUNNING, RuntimeStatus.RUNNING),
        (S.WORKFLOW_EXECUTION_STATUS_COMPLETED, RuntimeStatus.COMPLETED),
        (S.WORKFLOW_EXECUTION_STATUS_FAILED, RuntimeStatus.FAILED),
        (S.WORKFLOW_EXECUTION_STATUS_CANCELED, RuntimeStatus.CANCELED),
        (S.WORKFLOW_EXECUTION_STATUS_TERMINATED, RuntimeStatus.TERMINATED),
        (S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, RuntimeStatus.CONTINUED_AS_NEW),
        (S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, RuntimeStatus.FAILED),
        (8, RuntimeStatus.SUSPENDED),  # PAUSED, unknown to the SDK's own enum
        (99, RuntimeStatus.RUNNING),  # newer than this code: exists, not known to be closed
    ],
)
def test_status_mapping(status: int, expected: RuntimeStatus) -> None:
    assert runtime_status(status, None, NOW) is expected


def test_delayed_start_is_pending_until_due() -> None:
    running = S.WORKFLOW_EXECUTION_STATUS_RUNNING
    assert runtime_status(running, NOW + timedelta(seconds=1), NOW) is RuntimeStatus.PENDING
    assert runtime_status(running, NOW, NOW) is RuntimeStatus.RUNNING
    assert runtime_status(running, NOW - timedelta(days=1), NOW) is RuntimeStatus.RUNNING
    completed = S.WORKFLOW_EXECUTION_STATUS_COMPLETED
    assert runtime_status(completed, NOW + timedelta(seconds=1), NOW) is RuntimeStatus.COMPLETED


def test_status_names_and_openness() -> None:
    assert temporal_status_name(8) == "PAUSED"
    assert temporal_status_name(S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT) == "TIMED_OUT"
    assert temporal_status_name(42) == "UNKNOWN_42"
    assert is_open(8)
    assert is_open(S.WORKFLOW_EXECUTION_STATUS_RUNNING)
    assert not is_open(S.WORKFLOW_EXECUTION_STATUS_COMPLETED)


def application(message: str, kind: str, cause: Failure | None = None) -> Failure:
    failure = Failure(message=message, application_failure_info=ApplicationFailureInfo(type=kind))
    if cause is not None:
        failure.cause.CopyFrom(cause)
    return failure


def test_failure_of_an_application_error() -> None:
    failure = application("order 1 rejected", "OrderRejected")
    failure.stack_trace = "trace"
    details = failure_details(failure)
    assert (details.error_type, details.message, details.stack_trace) == (
        "OrderRejected",
        "order 1 rejected",
        "trace",
    )


def test_failure_through_an_activity_wrapper() -> None:
    wrapper = Failure(
        message="Activity task failed", activity_failure_info=ActivityFailureInfo(activity_type=None)
    )
    wrapper.cause.CopyFrom(application("card declined", "PaymentError"))
    details = failure_details(wrapper)
    assert details.error_type == "PaymentError"
    assert details.message == "Activity task failed: card declined"


def test_failure_without_application_type() -> None:
    details = failure_details(Failure(message="deadline", timeout_failure_info=TimeoutFailureInfo()))
    assert details.error_type == "TimeoutFailure"
    assert failure_details(Failure()).error_type == "TemporalFailure"
    assert failure_details(Failure()).message == "workflow failed"
    # an application error with no type of its own falls back to the kind
    assert failure_details(application("x", "")).error_type == "ApplicationFailure"


@pytest.mark.parametrize(
    ("encoding", "data", "text"),
    [
        (b"json/plain", b'{"a":1}', '{"a":1}'),
        (b"json/protobuf", b'{"seconds":"1"}', '{"seconds":"1"}'),
        (b"binary/null", b"", "null"),
        (b"binary/plain", b"\x00\x01", '"AAE="'),
    ],
)
def test_payload_as_json(encoding: bytes, data: bytes, text: str) -> None:
    assert payload_json(Payload(metadata={"encoding": encoding}, data=data)) == text


def test_unknown_payload_encoding_is_described() -> None:
    described = json.loads(payload_json(Payload(metadata={"encoding": b"binary/encrypted"}, data=b"\xff")))
    assert described == {"encoding": "binary/encrypted", "base64": "/w=="}


def test_payload_lists() -> None:
    one = Payload(metadata={"encoding": b"json/plain"}, data=b"1")
    two = Payload(metadata={"encoding": b"json/plain"}, data=b'"b"')
    assert payloads_json([]) is None
    assert payloads_json([one]) == "1"
    assert json.loads(payloads_json([one, two]) or "") == [1, "b"]


def test_json_text_becomes_one_payload_as_is() -> None:
    assert json_payloads(None) is None
    payloads = json_payloads('{"x": [1, 2]}')
    assert payloads is not None
    (payload,) = payloads.payloads
    assert payload.metadata["encoding"] == b"json/plain"
    assert payload.data == b'{"x": [1, 2]}'


def test_query_for_everything_hides_continued_runs() -> None:
    assert visibility_query(ListRequest(), NOW) == "ExecutionStatus != 'ContinuedAsNew'"


def test_query_by_name_and_statuses() -> None:
    query = visibility_query(
        ListRequest(
            workflow_name="orders", statuses=frozenset({RuntimeStatus.FAILED, RuntimeStatus.SUSPENDED})
        ),
        NOW,
    )
    assert query == (
        "WorkflowType = 'orders' AND (ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' "
        "OR ExecutionStatus = 'Paused')"
    )


def test_query_tells_pending_from_running_by_execution_time() -> None:
    moment = "'2026-01-02T03:04:05.000000Z'"
    running = visibility_query(ListRequest(statuses=frozenset({RuntimeStatus.RUNNING})), NOW)
    assert running == f"((ExecutionStatus = 'Running' AND ExecutionTime <= {moment}))"
    pending = visibility_query(ListRequest(statuses=frozenset({RuntimeStatus.PENDING})), NOW)
    assert pending == f"((ExecutionStatus = 'Running' AND ExecutionTime > {moment}))"
    both = visibility_query(
        ListRequest(statuses=frozenset({RuntimeStatus.PENDING, RuntimeStatus.RUNNING})), NOW
    )
    assert both == "(ExecutionStatus = 'Running')"
    continued = visibility_query(ListRequest(statuses=frozenset({RuntimeStatus.CONTINUED_AS_NEW})), NOW)
    assert continued == "(ExecutionStatus = 'ContinuedAsNew')"


@pytest.mark.parametrize("name", ["it's", 'say "hi"', "back\\slash", "new\nline"])
def test_query_refuses_quotes_in_names(name: str) -> None:
    with pytest.raises(InvalidRequestError):
        visibility_query(ListRequest(workflow_name=name), NOW)


def test_tokens_round_trip_and_reject_foreign_text() -> None:
    raw = b'{"CloseTime":"9999","RunID":"x"}\x00\xff'
    token = encode_token(raw)
    assert token is not None
    assert token.startswith("t1.")
    assert decode_token(token) == raw
    assert encode_token(b"") is None
    assert decode_token(None) == b""
    assert decode_token("") == b""
    for foreign in ["%%%not-a-token", "abc", "t1.", "t1.a+b/c"]:
        with pytest.raises(InvalidRequestError):
            decode_token(foreign)


def test_listed_instance_from_a_visibility_record() -> None:
    info = WorkflowExecutionInfo(status=8, task_queue="q")
    info.execution.workflow_id = "order-1"
    info.execution.run_id = "run-1"
    info.type.name = "orders"
    info.start_time.FromDatetime(NOW - timedelta(minutes=1))
    info.memo.fields["customStatus"].CopyFrom(Payload(metadata={"encoding": b"json/plain"}, data=b'"half"'))
    state = listed_instance(info, NOW)
    assert state.instance_id == "order-1"
    assert state.workflow_name == "orders"
    assert state.runtime_status is RuntimeStatus.SUSPENDED
    assert state.created_at == NOW - timedelta(minutes=1)
    assert state.last_updated_at == state.created_at
    assert state.serialized_custom_status == '"half"'
    assert state.properties == {
        "temporal.runId": "run-1",
        "temporal.status": "PAUSED",
        "temporal.taskQueue": "q",
    }

    info.status = S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT
    info.close_time.FromDatetime(NOW)
    timed_out = listed_instance(info, NOW)
    assert timed_out.runtime_status is RuntimeStatus.FAILED
    assert timed_out.last_updated_at == NOW
    assert timed_out.failure is not None
    assert timed_out.failure.error_type == "TemporalWorkflowTimedOut"


def test_start_options() -> None:
    assert start_timeout("1m30s", "i") == timedelta(seconds=90)
    for bad in ("soon", "0s"):
        with pytest.raises(InvalidRequestError, match="executionTimeout"):
            start_timeout(bad, "i")
    assert start_delay(None, NOW) is None
    assert start_delay(NOW + timedelta(seconds=5), NOW) == timedelta(seconds=5)
    assert start_delay(NOW - timedelta(seconds=5), NOW) is None  # in the past: start now
    assert start_delay((NOW + timedelta(seconds=5)).replace(tzinfo=None), NOW) == timedelta(seconds=5)


def test_input_output_and_failure_come_from_the_first_and_last_events() -> None:
    first = HistoryEvent(event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    first.workflow_execution_started_event_attributes.input.CopyFrom(json_payloads('{"a": 1}'))
    last = HistoryEvent(event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
    last.workflow_execution_completed_event_attributes.result.CopyFrom(json_payloads("[1, 2]"))
    assert (workflow_input(first), workflow_output(last)) == ('{"a": 1}', "[1, 2]")
    assert (workflow_input(None), workflow_output(first)) == (None, None)
    failed = HistoryEvent(event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED)
    failed.workflow_execution_failed_event_attributes.failure.message = "boom"
    failure = instance_failure(S.WORKFLOW_EXECUTION_STATUS_FAILED, failed)
    assert failure is not None
    assert failure.message == "boom"
    timed_out = instance_failure(S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, None)
    assert timed_out is not None
    assert timed_out.error_type == "TemporalWorkflowTimedOut"
    assert instance_failure(S.WORKFLOW_EXECUTION_STATUS_COMPLETED, last) is None
