"""Conductor's workflow documents turned into contract types.

Statuses: Conductor has six; Dapr has eight. PAUSED is SUSPENDED; TIMED_OUT is FAILED with
the failure type ``WorkflowTimedOut`` (Dapr has no timed-out status, and a timed-out
workflow did not do its job); the rest keep their names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from contracts import EventKind, FailureDetails, HistoryEvent, InstanceState, RuntimeStatus

STATUS_OF: Mapping[str, RuntimeStatus] = {
    "RUNNING": RuntimeStatus.RUNNING,
    "PAUSED": RuntimeStatus.SUSPENDED,
    "COMPLETED": RuntimeStatus.COMPLETED,
    "FAILED": RuntimeStatus.FAILED,
    "TIMED_OUT": RuntimeStatus.FAILED,
    "TERMINATED": RuntimeStatus.TERMINATED,
}

#: the Conductor statuses to search for each runtime status (empty: none can match)
CONDUCTOR_STATUSES: Mapping[RuntimeStatus, tuple[str, ...]] = {
    runtime: tuple(name for name, mapped in STATUS_OF.items() if mapped is runtime)
    for runtime in RuntimeStatus
}

FAILURE_TYPES = {"FAILED": "WorkflowFailed", "TIMED_OUT": "WorkflowTimedOut"}

#: The workflow input key under which a traced start carries its W3C trace context
#: (``traceparent``, ``tracestate``), so that a definition can hand it to its tasks' workers
#: (``${workflow.input._traceContext.traceparent}``). Never shown back as input.
TRACE_CONTEXT_KEY = "_traceContext"
#: task types that wait for an outside signal: raise event completes them
EVENT_TASK_TYPES = frozenset({"WAIT", "HUMAN"})
#: task types that only steer the flow; shown as OTHER events, not as activities
_CONTROL_TASK_TYPES = frozenset(
    {
        "DECISION",
        "SWITCH",
        "FORK",
        "FORK_JOIN",
        "FORK_JOIN_DYNAMIC",
        "JOIN",
        "EXCLUSIVE_JOIN",
        "DO_WHILE",
        "DYNAMIC",
        "SET_VARIABLE",
        "TERMINATE",
        "START_WORKFLOW",
    }
)
_TASK_DONE = frozenset({"COMPLETED", "COMPLETED_WITH_ERRORS", "SKIPPED"})
_TASK_FAILED = frozenset({"FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT", "CANCELED"})
_WORKFLOW_END_EVENT = {
    "COMPLETED": EventKind.WORKFLOW_COMPLETED,
    "FAILED": EventKind.WORKFLOW_FAILED,
    "TIMED_OUT": EventKind.WORKFLOW_FAILED,
    "TERMINATED": EventKind.WORKFLOW_TERMINATED,
}


def runtime_status(conductor_status: str) -> RuntimeStatus:
    try:
        return STATUS_OF[conductor_status]
    except KeyError:
        raise ValueError(f"unknown Conductor workflow status {conductor_status!r}") from None


def instance_state(
    instance_id: str, workflow: Mapping[str, Any], *, fetch_payloads: bool = True
) -> InstanceState:
    """The state of a workflow from ``GET /workflow/{id}``, shown under ``instance_id``."""
    status = str(workflow.get("status", ""))
    runtime = runtime_status(status)
    created = _from_millis(workflow.get("createTime") or workflow.get("startTime")) or _epoch()
    updated = _from_millis(workflow.get("updateTime") or workflow.get("endTime")) or created
    failure = None
    reason = workflow.get("reasonForIncompletion")
    if status in FAILURE_TYPES:
        failure = FailureDetails(message=str(reason or status), error_type=FAILURE_TYPES[status])
    name = workflow.get("workflowName") or (workflow.get("workflowDefinition") or {}).get("name") or ""
    version = workflow.get("workflowVersion") or (workflow.get("workflowDefinition") or {}).get("version")
    return InstanceState(
        instance_id=instance_id,
        workflow_name=str(name),
        runtime_status=runtime,
        created_at=created,
        last_updated_at=max(updated, created),
        serialized_input=_dumps(_shown_input(workflow.get("input"))) if fetch_payloads else None,
        serialized_output=(
            _dumps(workflow.get("output")) if fetch_payloads and runtime is RuntimeStatus.COMPLETED else None
        ),
        failure=failure,
        properties=_properties(
            workflow_id=workflow.get("workflowId"),
            version=version,
            correlation_id=workflow.get("correlationId"),
            status=status,
            reason=reason if status == "TERMINATED" else None,
            failed_tasks=workflow.get("failedTaskNames"),
        ),
    )


def summary_state(summary: Mapping[str, Any]) -> InstanceState:
    """The state of a search hit (a ``WorkflowSummary``); its instance ID is the correlation ID.

    Summaries carry input and output as text that is JSON only when the server enables
    ``conductor.app.summary-input-output-json-serialization``; otherwise it is Java's
    ``toString()`` of a map, which is left out rather than shown as if it were JSON.
    """
    status = str(summary.get("status", ""))
    runtime = runtime_status(status)
    created = _from_iso(summary.get("startTime")) or _epoch()
    updated = _from_iso(summary.get("updateTime")) or _from_iso(summary.get("endTime")) or created
    reason = summary.get("reasonForIncompletion")
    failure = None
    if status in FAILURE_TYPES:
        failure = FailureDetails(message=str(reason or status), error_type=FAILURE_TYPES[status])
    workflow_id = str(summary.get("workflowId", ""))
    return InstanceState(
        instance_id=str(summary.get("correlationId") or workflow_id),
        workflow_name=str(summary.get("workflowType", "")),
        runtime_status=runtime,
        created_at=created,
        last_updated_at=max(updated, created),
        serialized_input=_input_text(summary.get("input")),
        serialized_output=_json_text(summary.get("output")) if runtime is RuntimeStatus.COMPLETED else None,
        failure=failure,
        properties=_properties(
            workflow_id=workflow_id,
            version=summary.get("version"),
            correlation_id=summary.get("correlationId"),
            status=status,
            reason=reason if status == "TERMINATED" else None,
            failed_tasks=summary.get("failedTaskNames"),
        ),
    )


def history_events(workflow: Mapping[str, Any]) -> list[HistoryEvent]:
    """The workflow's tasks as events, oldest first, between its start and its end.

    Conductor keeps task records, not an event log: each task gives a "scheduled" event at
    its scheduled time and a "done" event at its end time. WAIT/HUMAN tasks completed by an
    event become ``EventRaised`` (named by their reference name, the event's name); a WAIT
    with a duration or until is a timer; SUB_WORKFLOW tasks are child workflows; flow
    control (SWITCH, FORK, JOIN...) shows as ``Other``.
    """
    drafts: list[tuple[datetime, int, EventKind, str | None, str | None, dict[str, str]]] = []
    order = 0

    def add(
        when: datetime | None,
        kind: EventKind,
        name: str | None = None,
        data: object = None,
        details: dict[str, str] | None = None,
    ) -> None:
        nonlocal order
        if when is None:
            return
        drafts.append((when, order, kind, name, None if data is None else _dumps(data), details or {}))
        order += 1

    status = str(workflow.get("status", ""))
    started = _from_millis(workflow.get("createTime") or workflow.get("startTime"))
    add(
        started, EventKind.WORKFLOW_STARTED, workflow.get("workflowName"), _shown_input(workflow.get("input"))
    )
    for task in sorted(_tasks(workflow), key=lambda t: int(t.get("seq") or 0)):
        _task_events(task, add)
    end = _from_millis(workflow.get("endTime"))
    if status in _WORKFLOW_END_EVENT:
        details = {"conductorStatus": status}
        if workflow.get("reasonForIncompletion"):
            details["reason"] = str(workflow["reasonForIncompletion"])
        data = workflow.get("output") if status == "COMPLETED" else None
        add(end or _from_millis(workflow.get("updateTime")), _WORKFLOW_END_EVENT[status], None, data, details)
    elif status == "PAUSED":
        add(_from_millis(workflow.get("updateTime")), EventKind.WORKFLOW_SUSPENDED)
    drafts.sort(key=lambda draft: (draft[0], draft[1]))
    return [
        HistoryEvent(
            sequence=index, kind=kind, timestamp=when, name=name, serialized_data=data, details=details
        )
        for index, (when, _, kind, name, data, details) in enumerate(drafts)
    ]


def _task_events(task: Mapping[str, Any], add: Any) -> None:
    task_type = str(task.get("taskType", ""))
    task_status = str(task.get("status", ""))
    ref = str(task.get("referenceTaskName", ""))
    name = str(task.get("taskDefName") or ref)
    details = {"taskType": task_type, "taskReferenceName": ref, "taskId": str(task.get("taskId", ""))}
    details["status"] = task_status
    scheduled = _from_millis(task.get("scheduledTime"))
    ended = _from_millis(task.get("endTime")) if task_status in _TASK_DONE | _TASK_FAILED else None
    failed = task_status in _TASK_FAILED
    if failed and task.get("reasonForIncompletion"):
        details["reason"] = str(task["reasonForIncompletion"])
    output = task.get("outputData")
    if task_type in EVENT_TASK_TYPES and is_timer(task):
        add(scheduled, EventKind.TIMER_CREATED, ref, None, details)
        if not failed:
            add(ended, EventKind.TIMER_FIRED, ref, None, details)
    elif task_type in EVENT_TASK_TYPES:
        add(scheduled, EventKind.OTHER, "WaitForEvent", {"eventName": ref}, details)
        if not failed:
            add(ended, EventKind.EVENT_RAISED, ref, output, details)
    elif task_type == "SUB_WORKFLOW":
        child = task.get("subWorkflowId") or (output or {}).get("subWorkflowId")
        if child:
            details["subWorkflowId"] = str(child)
        add(scheduled, EventKind.CHILD_WORKFLOW_SCHEDULED, name, task.get("inputData"), details)
        kind = EventKind.CHILD_WORKFLOW_FAILED if failed else EventKind.CHILD_WORKFLOW_COMPLETED
        add(ended, kind, name, None if failed else output, details)
    elif task_type in _CONTROL_TASK_TYPES:
        add(ended or scheduled, EventKind.OTHER, task_type, None, details)
    else:
        add(scheduled, EventKind.ACTIVITY_SCHEDULED, name, task.get("inputData"), details)
        kind = EventKind.ACTIVITY_FAILED if failed else EventKind.ACTIVITY_COMPLETED
        add(ended, kind, name, None if failed else output, details)


def is_timer(task: Mapping[str, Any]) -> bool:
    """A WAIT task with a ``duration`` or ``until`` input ends by itself: it is a timer."""
    data = task.get("inputData") or {}
    return bool(data.get("duration") or data.get("until"))


def pending_event_task(workflow: Mapping[str, Any], event_name: str) -> Mapping[str, Any] | None:
    """The WAIT/HUMAN task waiting under reference name ``event_name``, if one is pending.

    Inside a DO_WHILE loop Conductor suffixes reference names with ``__<iteration>``; the
    event name matches the name without the suffix too, so a loop's wait is signalled the
    same way in every iteration.
    """
    for task in _tasks(workflow):
        if str(task.get("taskType")) not in EVENT_TASK_TYPES or is_timer(task):
            continue
        if task.get("status") not in ("SCHEDULED", "IN_PROGRESS"):
            continue
        ref = str(task.get("referenceTaskName", ""))
        base, sep, iteration = ref.rpartition("__")
        if ref == event_name or (sep and iteration.isdigit() and base == event_name):
            return task
    return None


def sub_workflow_ids(workflow: Mapping[str, Any]) -> list[str]:
    ids: list[str] = []
    for task in _tasks(workflow):
        if task.get("taskType") == "SUB_WORKFLOW":
            child = task.get("subWorkflowId") or (task.get("outputData") or {}).get("subWorkflowId")
            if child:
                ids.append(str(child))
    return ids


def event_output(serialized_data: str | None) -> dict[str, Any]:
    """Event data as a task output: a JSON object as it is, any other value under ``data``."""
    if serialized_data is None:
        return {}
    value = json.loads(serialized_data)
    return value if isinstance(value, dict) else {"data": value}


def workflow_input(serialized_input: str | None, trace: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Start input as a Conductor input map: an object as it is, any other value under ``input``;
    with the W3C ``trace`` context of the starting request under ``TRACE_CONTEXT_KEY``."""
    value = {} if serialized_input is None else json.loads(serialized_input)
    value = value if isinstance(value, dict) else {"input": value}
    return {**value, TRACE_CONTEXT_KEY: dict(trace)} if trace else value


def _shown_input(value: Any) -> Any:
    """The input as its caller gave it, without the trace context Flowport added."""
    if isinstance(value, dict) and TRACE_CONTEXT_KEY in value:
        return {key: item for key, item in value.items() if key != TRACE_CONTEXT_KEY}
    return value


def _input_text(text: object) -> str | None:
    shown = _json_text(text)
    if shown is None or TRACE_CONTEXT_KEY not in shown:
        return shown
    return _dumps(_shown_input(json.loads(shown)))


def _tasks(workflow: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    tasks = workflow.get("tasks")
    return [task for task in tasks if isinstance(task, dict)] if isinstance(tasks, list) else []


def _properties(
    *,
    workflow_id: object,
    version: object,
    correlation_id: object,
    status: str,
    reason: object,
    failed_tasks: object,
) -> dict[str, str]:
    properties = {"conductor.workflowId": str(workflow_id or ""), "conductor.status": status}
    if version is not None:
        properties["conductor.workflowVersion"] = str(version)
    if correlation_id:
        properties["conductor.correlationId"] = str(correlation_id)
    if reason:
        properties["conductor.reasonForIncompletion"] = str(reason)
    if isinstance(failed_tasks, list) and failed_tasks:
        properties["conductor.failedTaskNames"] = ",".join(str(name) for name in failed_tasks)
    return properties


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _json_text(text: object) -> str | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        json.loads(text)
    except ValueError:
        return None
    return text


def _from_millis(value: object) -> datetime | None:
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def _from_iso(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _epoch() -> datetime:
    return datetime.fromtimestamp(0, UTC)
