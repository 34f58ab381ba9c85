"""Pure translations between Temporal's records and the contract's types.

Nothing here talks to a server: statuses, failures, the visibility query for ``list`` and its
continuation token, start options, and what ``get`` decodes from the describe answer and the
first and last history events are all plain functions of their inputs, unit-tested alone.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import EventType, PendingWorkflowTaskState, WorkflowExecutionStatus
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent as TemporalEvent
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse

from components.temporal._payloads import payload_json, payloads_json
from contracts import (
    FailureDetails,
    InstanceState,
    InvalidRequestError,
    ListRequest,
    RuntimeStatus,
    parse_duration,
)

#: The memo field a workflow upserts to expose a Dapr custom status (``workflow.upsert_memo``).
CUSTOM_STATUS_MEMO = "customStatus"

#: The failure type shown for a workflow that Temporal timed out (it has no failure of its own).
TIMED_OUT_ERROR_TYPE = "TemporalWorkflowTimedOut"

_S = WorkflowExecutionStatus
_E = EventType
# Temporal 1.32 added PAUSED (8); the SDK's own enum does not know it, the raw proto does.
_TO_DAPR: dict[int, RuntimeStatus] = {
    _S.WORKFLOW_EXECUTION_STATUS_RUNNING: RuntimeStatus.RUNNING,
    _S.WORKFLOW_EXECUTION_STATUS_COMPLETED: RuntimeStatus.COMPLETED,
    _S.WORKFLOW_EXECUTION_STATUS_FAILED: RuntimeStatus.FAILED,
    _S.WORKFLOW_EXECUTION_STATUS_CANCELED: RuntimeStatus.CANCELED,
    _S.WORKFLOW_EXECUTION_STATUS_TERMINATED: RuntimeStatus.TERMINATED,
    _S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: RuntimeStatus.CONTINUED_AS_NEW,
    _S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT: RuntimeStatus.FAILED,
    _S.WORKFLOW_EXECUTION_STATUS_PAUSED: RuntimeStatus.SUSPENDED,
}
_OPEN = frozenset({_S.WORKFLOW_EXECUTION_STATUS_RUNNING, _S.WORKFLOW_EXECUTION_STATUS_PAUSED})

# The spelling of each status in a visibility query (``ExecutionStatus = 'Running'``).
_QUERY_NAMES: dict[RuntimeStatus, tuple[str, ...]] = {
    RuntimeStatus.RUNNING: ("Running",),
    RuntimeStatus.PENDING: ("Running",),
    RuntimeStatus.COMPLETED: ("Completed",),
    RuntimeStatus.FAILED: ("Failed", "TimedOut"),
    RuntimeStatus.CANCELED: ("Canceled",),
    RuntimeStatus.TERMINATED: ("Terminated",),
    RuntimeStatus.CONTINUED_AS_NEW: ("ContinuedAsNew",),
    RuntimeStatus.SUSPENDED: ("Paused",),
}


def temporal_status_name(status: int) -> str:
    """``RUNNING``, ``TIMED_OUT``, ``PAUSED``...: Temporal's own name, shown as a property."""
    try:
        return _S.Name(status).removeprefix("WORKFLOW_EXECUTION_STATUS_")  # type: ignore[arg-type]
    except ValueError:
        return f"UNKNOWN_{status}"


def is_open(status: int) -> bool:
    """Whether the execution can still make progress (running or paused)."""
    return status in _OPEN


def runtime_status(status: int, execution_time: datetime | None, now: datetime) -> RuntimeStatus:
    """Dapr's status for a Temporal status.

    A running execution whose first workflow task is scheduled in the future (a delayed start)
    is PENDING, as Dapr shows a scheduled start. A status newer than this code is RUNNING:
    the execution exists and is not known to be closed.
    """
    mapped = _TO_DAPR.get(status, RuntimeStatus.RUNNING)
    if mapped is RuntimeStatus.RUNNING and execution_time is not None and execution_time > now:
        return RuntimeStatus.PENDING
    return mapped


def failure_details(failure: Failure) -> FailureDetails:
    """Dapr's failure properties from a Temporal failure.

    An activity or child-workflow failure only wraps the error that caused it, so wrappers
    are unwound: the type is the first real failure's (an application error's own type such
    as ``OrderRejected``, else the Temporal failure kind such as ``TimeoutFailure``), and the
    message keeps the wrappers' words in front ("Activity task failed: order rejected").
    """
    messages: list[str] = []
    current = failure
    for _ in range(_MAX_CAUSES):
        if current.message:
            messages.append(current.message)
        if _failure_kind(current) not in _WRAPPERS or not current.HasField("cause"):
            break
        current = current.cause
    info = current.application_failure_info if current.HasField("application_failure_info") else None
    return FailureDetails(
        message=": ".join(messages) or "workflow failed",
        error_type=(info.type if info is not None and info.type else None) or _failure_kind(current),
        stack_trace=(current.stack_trace or failure.stack_trace) or None,
    )


_MAX_CAUSES = 20
_WRAPPERS = frozenset({"ActivityFailure", "ChildWorkflowExecutionFailure", "NexusOperationExecutionFailure"})


def timed_out_details() -> FailureDetails:
    return FailureDetails(
        message="the workflow exceeded its execution or run timeout (Temporal status TIMED_OUT)",
        error_type=TIMED_OUT_ERROR_TYPE,
    )


def _failure_kind(failure: Failure) -> str:
    kind = failure.WhichOneof("failure_info")
    if not kind:
        return "TemporalFailure"
    # application_failure_info -> ApplicationFailure, the names Temporal's SDKs use
    return "".join(part.capitalize() for part in kind.removesuffix("_info").split("_"))


def timestamp(value: object) -> datetime | None:
    """A protobuf ``Timestamp`` as an aware datetime, ``None`` when unset (all zero)."""
    seconds = getattr(value, "seconds", 0)
    nanos = getattr(value, "nanos", 0)
    if not seconds and not nanos:
        return None
    return datetime.fromtimestamp(seconds + nanos / 1e9, tz=UTC)


def listed_instance(info: WorkflowExecutionInfo, now: datetime) -> InstanceState:
    """One ``list`` row from a visibility record: no payloads (visibility holds none).

    Visibility knows no last-event time, so an open execution shows its start time as
    last updated; ``get`` reads the real one from history.
    """
    created = timestamp(info.start_time) or now
    closed = timestamp(info.close_time)
    status = runtime_status(info.status, timestamp(info.execution_time), now)
    custom = info.memo.fields.get(CUSTOM_STATUS_MEMO) if info.HasField("memo") else None
    return InstanceState(
        instance_id=info.execution.workflow_id,
        workflow_name=info.type.name,
        runtime_status=status,
        created_at=created,
        last_updated_at=closed or created,
        serialized_custom_status=payload_json(custom) if custom is not None else None,
        failure=timed_out_details() if info.status == _S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT else None,
        properties=execution_properties(info),
    )


def execution_properties(info: WorkflowExecutionInfo) -> dict[str, str]:
    """Temporal facts shown beside Dapr's properties."""
    properties = {
        "temporal.runId": info.execution.run_id,
        "temporal.status": temporal_status_name(info.status),
    }
    if info.task_queue:
        properties["temporal.taskQueue"] = info.task_queue
    return properties


def visibility_query(request: ListRequest, now: datetime) -> str:
    """The visibility query for ``list``'s filters.

    Temporal lists every run, but an instance is its latest run: runs that continued as new
    are left out unless CONTINUED_AS_NEW is asked for. PENDING and RUNNING are both
    ``Running`` in Temporal; a delayed start is told apart by its ``ExecutionTime`` (when its
    first task is due) lying in the future.
    """
    clauses: list[str] = []
    if request.workflow_name is not None:
        clauses.append(f"WorkflowType = {quote(request.workflow_name)}")
    if request.instance_id_prefix:
        clauses.append(f"WorkflowId STARTS_WITH {quote(request.instance_id_prefix, 'instance ID prefix')}")
    if request.created_after is not None:
        clauses.append(f"StartTime >= {_moment(request.created_after)}")
    if request.created_before is not None:
        clauses.append(f"StartTime < {_moment(request.created_before)}")
    if request.statuses:
        clauses.append("(" + " OR ".join(_status_clauses(request.statuses, now)) + ")")
    else:
        clauses.append("ExecutionStatus != 'ContinuedAsNew'")
    return " AND ".join(clauses)


def _moment(when: datetime) -> str:
    return quote(when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def _status_clauses(statuses: frozenset[RuntimeStatus], now: datetime) -> list[str]:
    moment = _moment(now)
    clauses: list[str] = []
    pending = RuntimeStatus.PENDING in statuses
    running = RuntimeStatus.RUNNING in statuses
    if pending and running:
        clauses.append("ExecutionStatus = 'Running'")
    elif running:
        clauses.append(f"(ExecutionStatus = 'Running' AND ExecutionTime <= {moment})")
    elif pending:
        clauses.append(f"(ExecutionStatus = 'Running' AND ExecutionTime > {moment})")
    for status in sorted(statuses - {RuntimeStatus.PENDING, RuntimeStatus.RUNNING}, key=lambda s: s.value):
        clauses.extend(f"ExecutionStatus = '{name}'" for name in _QUERY_NAMES[status])
    return clauses


def quote(value: str, what: str = "workflow name") -> str:
    """A string literal for a visibility query.

    Temporal's query parser takes SQL-style literals; refusing quotes and backslashes is
    simpler and safer than relying on its escaping rules for user input.
    """
    if any(char in value for char in "'\"\\") or any(ord(char) < 32 for char in value):
        raise InvalidRequestError(f"{what} {value!r} contains quotes or control characters")
    return f"'{value}'"


_TOKEN_PREFIX = "t1."
_TOKEN_TEXT = re.compile(r"^[A-Za-z0-9_-]*$")


def encode_token(token: bytes) -> str | None:
    """Temporal's opaque next-page token as URL-safe text (``None`` on the last page).

    The prefix marks tokens this component issued, so a mangled one is a 400 here instead of
    an internal error from Temporal's page decoder.
    """
    return _TOKEN_PREFIX + base64.urlsafe_b64encode(token).decode().rstrip("=") if token else None


def decode_token(token: str | None) -> bytes:
    if not token:
        return b""
    body = token.removeprefix(_TOKEN_PREFIX)
    if body == token or not body or not _TOKEN_TEXT.match(body):
        raise InvalidRequestError(f"continuation token {token!r} is not one this component issued")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise InvalidRequestError(f"continuation token {token!r} is not one this component issued") from None


# -- start options ------------------------------------------------------------------------


def proto_duration(value: timedelta) -> Duration:
    result = Duration()
    result.FromTimedelta(value)
    return result


def start_timeout(text: str, instance_id: str) -> timedelta:
    """The start option ``executionTimeout`` (a Go-style duration), a 400 when it is not one."""
    try:
        timeout = parse_duration(text)
    except ValueError as exc:
        raise InvalidRequestError(f"start option executionTimeout: {exc}", instance_id=instance_id) from None
    if timeout <= timedelta(0):
        raise InvalidRequestError(
            "start option executionTimeout must be longer than zero", instance_id=instance_id
        )
    return timeout


def start_delay(start_at: datetime | None, now: datetime) -> timedelta | None:
    """Temporal's start delay for Dapr's start time; a time in the past starts now."""
    if start_at is None:
        return None
    if start_at.tzinfo is None:
        start_at = start_at.replace(tzinfo=UTC)
    delay = start_at - now
    return delay if delay > timedelta(0) else None


# -- what get reads from history and describe ---------------------------------------------

#: after this long, a first workflow task nobody picked up is reported by get: no worker
#: polls the task queue, so the instance would stay RUNNING silently
UNPICKED_TASK_WARNING_AFTER = timedelta(seconds=5)


def run_of(first: TemporalEvent) -> str:
    """The run a WorkflowExecutionStarted event belongs to."""
    return first.workflow_execution_started_event_attributes.original_execution_run_id


def workflow_input(first: TemporalEvent | None) -> str | None:
    if first is None or first.event_type != _E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        return None
    return payloads_json(first.workflow_execution_started_event_attributes.input.payloads)


def workflow_output(last: TemporalEvent | None) -> str | None:
    if last is None or last.event_type != _E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        return None
    return payloads_json(last.workflow_execution_completed_event_attributes.result.payloads)


def instance_failure(status: int, last: TemporalEvent | None) -> FailureDetails | None:
    name = temporal_status_name(status)
    if name == "TIMED_OUT":
        return timed_out_details()
    if name == "FAILED" and last is not None and last.event_type == _E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        return failure_details(last.workflow_execution_failed_event_attributes.failure)
    return None


def stuck_warning(
    described: DescribeWorkflowExecutionResponse, last: TemporalEvent | None, now: datetime
) -> dict[str, str]:
    """Why a RUNNING instance makes no progress, when Temporal's own record shows it.

    Temporal keeps a workflow whose type no worker knows, or whose task queue no worker polls,
    RUNNING forever; these properties are how a user learns that from ``get``.
    """
    info = described.workflow_execution_info
    if temporal_status_name(info.status) != "RUNNING" or not described.HasField("pending_workflow_task"):
        return {}
    task = described.pending_workflow_task
    if task.attempt > 1:
        warning = {
            "temporal.workflowTaskAttempt": str(task.attempt),
            "temporal.warning": (
                f"the worker failed this workflow's task {task.attempt - 1} time(s) and Temporal keeps "
                f"retrying it; is workflow type {info.type.name!r} registered on the workers of "
                f"task queue {info.task_queue!r}?"
            ),
        }
        if last is not None and last.event_type == _E.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            warning["temporal.workflowTaskFailure"] = (
                last.workflow_task_failed_event_attributes.failure.message
            )
        return warning
    scheduled = timestamp(task.scheduled_time)
    never_started = task.state == PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED
    if never_started and scheduled is not None and now - scheduled > UNPICKED_TASK_WARNING_AFTER:
        return {
            "temporal.warning": (
                f"no worker has picked up this workflow's task since {scheduled.isoformat()}; "
                f"is a worker polling task queue {info.task_queue!r}?"
            )
        }
    return {}
