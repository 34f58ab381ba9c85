"""The Durable Task protocol and the built-in engine, mapped both ways (the one place).

What an SDK worker reads and answers, in the engine's terms:

- **History events.** Each engine ``Event`` is one protocol ``HistoryEvent`` (``history_event``):
  the turn marker is ``workflowStarted`` (with the version and patches the worker ran it
  with), the engine's start is ``executionStarted`` (with the instance, its execution, its
  parent and trace context), and so on down the table in ``_MAPPERS``. Scheduling events keep
  their task ID as ``eventId``; input events have ``eventId = -1``; completions name their
  task in ``taskScheduledId`` / ``timerId``. Timestamps are epoch seconds inside, protobuf
  ``Timestamp`` outside; the far-future "optional" timers of indefinite waits go out exactly
  as the SDKs wrote them (9999-12-31T23:59:59.999999999Z), whatever float holds them inside.
- **Answers.** A ``WorkflowResponse``'s actions become the engine's ``TurnResult``
  (``turn_result``); a timer's origin (why the worker made it) is kept as JSON text and
  given back as it came. Anything the engine cannot carry out is ``MalformedAnswer``.
- **Work items** (``workflow_work_item``, ``activity_work_item``) and **instance states**
  (``workflow_state``), and failure details both ways.

Nothing here does I/O: the service modules call these functions and the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp
from google.protobuf.wrappers_pb2 import StringValue

import builtin_engine as wf
from builtin_engine._history import NEVER, Event, EventType
from builtin_engine._remote_items import (
    Action,
    ActivityWorkItem,
    CompleteWorkflow,
    CreateChild,
    CreateTimer,
    ScheduleActivity,
    SendEvent,
    Stall,
    TerminateOther,
    TurnResult,
    WorkflowWorkItem,
)
from builtin_engine._store import InstanceRecord, Status
from gateway.grpc_api.stubs import actions as pa
from gateway.grpc_api.stubs import history_events as ph
from gateway.grpc_api.stubs import orchestration as po
from gateway.grpc_api.stubs import sidecar as ps

#: how the SDKs write the fire time of the "optional" timer of an indefinite wait
OPTIONAL_TIMER_SECONDS = 253402300799
OPTIONAL_TIMER_NANOS = 999_999_999


class MalformedAnswer(ValueError):
    """A worker's answer the engine cannot carry out (the message says why)."""


class Origin(NamedTuple):
    """What every event of one instance's history shares: who it is, its parent, its trace."""

    instance_id: str
    parent_id: str | None = None
    parent_task_id: int | None = None
    trace: Mapping[str, str] | None = None


# -- values -------------------------------------------------------------------------------------


def timestamp(seconds: float) -> Timestamp:
    """Epoch seconds as a ``Timestamp``, to the microsecond: a float holds today's times to a
    quarter of a microsecond, and a time the worker sent (a timer's fire time, microseconds
    from a Python ``datetime``) must come back the same, not a hair earlier."""
    if seconds >= NEVER:
        return Timestamp(seconds=OPTIONAL_TIMER_SECONDS, nanos=OPTIONAL_TIMER_NANOS)
    whole, micros = divmod(round(seconds * 1_000_000), 1_000_000)
    return Timestamp(seconds=whole, nanos=micros * 1000)


def epoch_seconds(stamp: Timestamp) -> float:
    return stamp.seconds + stamp.nanos / 1e9


def _text(value: str | None) -> StringValue | None:
    return None if value is None else StringValue(value=value)


def text_of(message: StringValue, present: bool) -> str | None:
    """A ``StringValue`` field as text; unset or empty is no value (the JS SDK sends "")."""
    return message.value if present and message.value != "" else None


def failure_details(failure: wf.FailureDetails) -> po.TaskFailureDetails:
    return po.TaskFailureDetails(
        errorType=failure.error_type,
        errorMessage=failure.message,
        stackTrace=_text(failure.stack_trace),
        innerFailure=failure_details(failure.inner) if failure.inner is not None else None,
        isNonRetriable=failure.non_retriable,
    )


def failure_of(details: po.TaskFailureDetails) -> wf.FailureDetails:
    return wf.FailureDetails(
        details.errorMessage,
        details.errorType or "Error",
        text_of(details.stackTrace, details.HasField("stackTrace")),
        failure_of(details.innerFailure) if details.HasField("innerFailure") else None,
        details.isNonRetriable,
    )


def trace_context(trace: Mapping[str, str] | None) -> po.TraceContext | None:
    """The protocol's trace context from a W3C carrier (``traceparent``, ``tracestate``)."""
    if not trace or not trace.get("traceparent"):
        return None
    parent = trace["traceparent"]
    parts = parent.split("-")
    return po.TraceContext(
        traceParent=parent,
        spanID=parts[2] if len(parts) == 4 else "",
        traceState=_text(trace.get("tracestate")),
    )


def trace_carrier(context: po.TraceContext) -> dict[str, str] | None:
    """A W3C carrier from the protocol's trace context (``None`` when it carries none)."""
    if not context.traceParent:
        return None
    carrier = {"traceparent": context.traceParent}
    if context.HasField("traceState") and context.traceState.value:
        carrier["tracestate"] = context.traceState.value
    return carrier


# -- history events -----------------------------------------------------------------------------

_Mapper = Callable[[Event, Origin], ph.HistoryEvent]


def _event(event: Event, event_id: int = -1, **kind: object) -> ph.HistoryEvent:
    return ph.HistoryEvent(eventId=event_id, timestamp=timestamp(event.timestamp), **kind)  # type: ignore[arg-type]


def _turn_started(event: Event, _: Origin) -> ph.HistoryEvent:
    version = None
    if event.version or event.patches:
        version = po.WorkflowVersion(name=event.version or "", patches=event.patches or ())
    return _event(event, workflowStarted=ph.WorkflowStartedEvent(version=version))


def _execution_started(event: Event, origin: Origin) -> ph.HistoryEvent:
    parent = None
    if origin.parent_id is not None:
        parent = po.ParentInstanceInfo(
            taskScheduledId=origin.parent_task_id if origin.parent_task_id is not None else -1,
            workflowInstance=po.WorkflowInstance(instanceId=origin.parent_id),
        )
    started = ph.ExecutionStartedEvent(
        name=event.name or "",
        input=_text(event.data),
        workflowInstance=po.WorkflowInstance(
            instanceId=origin.instance_id, executionId=_text(event.execution_id)
        ),
        parentInstance=parent,
        parentTraceContext=trace_context(origin.trace),
    )
    return _event(event, executionStarted=started)


def _task_scheduled(event: Event, origin: Origin) -> ph.HistoryEvent:
    scheduled = ph.TaskScheduledEvent(
        name=event.name or "",
        input=_text(event.data),
        taskExecutionId=event.task_execution_id or "",
        parentTraceContext=trace_context(origin.trace),
    )
    return _event(event, _task_id(event), taskScheduled=scheduled)


def _task_completed(event: Event, _: Origin) -> ph.HistoryEvent:
    completed = ph.TaskCompletedEvent(taskScheduledId=_task_id(event), result=_text(event.data))
    return _event(event, taskCompleted=completed)


def _task_failed(event: Event, _: Origin) -> ph.HistoryEvent:
    failed = ph.TaskFailedEvent(taskScheduledId=_task_id(event), failureDetails=_failure(event))
    return _event(event, taskFailed=failed)


def _timer_created(event: Event, _: Origin) -> ph.HistoryEvent:
    created = ph.TimerCreatedEvent()
    if event.origin:
        json_format.Parse(event.origin, created)
    created.fireAt.CopyFrom(timestamp(event.fire_at if event.fire_at is not None else event.timestamp))
    return _event(event, _task_id(event), timerCreated=created)


def _timer_fired(event: Event, _: Origin) -> ph.HistoryEvent:
    fired = ph.TimerFiredEvent(
        timerId=_task_id(event),
        fireAt=timestamp(event.fire_at if event.fire_at is not None else event.timestamp),
    )
    return _event(event, timerFired=fired)


def _event_raised(event: Event, _: Origin) -> ph.HistoryEvent:
    return _event(event, eventRaised=ph.EventRaisedEvent(name=event.name or "", input=_text(event.data)))


def _event_sent(event: Event, _: Origin) -> ph.HistoryEvent:
    sent = ph.EventSentEvent(instanceId=event.target_id or "", name=event.name or "", input=_text(event.data))
    return _event(event, _task_id(event), eventSent=sent)


def _child_created(event: Event, _: Origin) -> ph.HistoryEvent:
    created = ph.ChildWorkflowInstanceCreatedEvent(
        instanceId=event.child_id or "", name=event.name or "", input=_text(event.data)
    )
    return _event(event, _task_id(event), childWorkflowInstanceCreated=created)


def _child_completed(event: Event, _: Origin) -> ph.HistoryEvent:
    completed = ph.ChildWorkflowInstanceCompletedEvent(
        taskScheduledId=_task_id(event), result=_text(event.data)
    )
    return _event(event, childWorkflowInstanceCompleted=completed)


def _child_failed(event: Event, _: Origin) -> ph.HistoryEvent:
    failed = ph.ChildWorkflowInstanceFailedEvent(
        taskScheduledId=_task_id(event), failureDetails=_failure(event)
    )
    return _event(event, childWorkflowInstanceFailed=failed)


def _suspended(event: Event, _: Origin) -> ph.HistoryEvent:
    return _event(event, executionSuspended=ph.ExecutionSuspendedEvent(input=_text(event.data)))


def _resumed(event: Event, _: Origin) -> ph.HistoryEvent:
    return _event(event, executionResumed=ph.ExecutionResumedEvent(input=_text(event.data)))


def _ended(status: int) -> _Mapper:
    def mapper(event: Event, _: Origin) -> ph.HistoryEvent:
        completed = ph.ExecutionCompletedEvent(
            workflowStatus=status,  # type: ignore[arg-type]
            result=_text(event.data),
            failureDetails=_failure(event) if event.failure is not None else None,
        )
        return _event(event, executionCompleted=completed)

    return mapper


def _continued(event: Event, _: Origin) -> ph.HistoryEvent:
    return _event(event, continueAsNew=ph.ContinueAsNewEvent(input=_text(event.data)))


def _stalled(event: Event, _: Origin) -> ph.HistoryEvent:
    stalled = ph.ExecutionStalledEvent(reason=po.VERSION_NOT_AVAILABLE, description=event.data or "")
    return _event(event, executionStalled=stalled)


def _task_id(event: Event) -> int:
    return event.task_id if event.task_id is not None else -1


def _failure(event: Event) -> po.TaskFailureDetails:
    failure = event.failure or wf.FailureDetails("unknown failure", "Error")
    return failure_details(failure)


_MAPPERS: dict[EventType, _Mapper] = {
    EventType.TURN_STARTED: _turn_started,
    EventType.WORKFLOW_STARTED: _execution_started,
    EventType.ACTIVITY_SCHEDULED: _task_scheduled,
    EventType.ACTIVITY_COMPLETED: _task_completed,
    EventType.ACTIVITY_FAILED: _task_failed,
    EventType.TIMER_CREATED: _timer_created,
    EventType.TIMER_FIRED: _timer_fired,
    EventType.EVENT_RAISED: _event_raised,
    EventType.EVENT_SENT: _event_sent,
    EventType.CHILD_WORKFLOW_SCHEDULED: _child_created,
    EventType.CHILD_WORKFLOW_COMPLETED: _child_completed,
    EventType.CHILD_WORKFLOW_FAILED: _child_failed,
    EventType.WORKFLOW_SUSPENDED: _suspended,
    EventType.WORKFLOW_RESUMED: _resumed,
    EventType.WORKFLOW_COMPLETED: _ended(po.ORCHESTRATION_STATUS_COMPLETED),
    EventType.WORKFLOW_FAILED: _ended(po.ORCHESTRATION_STATUS_FAILED),
    EventType.WORKFLOW_TERMINATED: _ended(po.ORCHESTRATION_STATUS_TERMINATED),
    EventType.CONTINUED_AS_NEW: _continued,
    EventType.EXECUTION_STALLED: _stalled,
}


def history_event(event: Event, origin: Origin) -> ph.HistoryEvent:
    return _MAPPERS[event.type](event, origin)


def history_events(events: Sequence[Event], origin: Origin) -> list[ph.HistoryEvent]:
    mappers = _MAPPERS
    return [mappers[event.type](event, origin) for event in events]


# -- work items ---------------------------------------------------------------------------------


def workflow_work_item(item: WorkflowWorkItem, cached: int = 0) -> ps.WorkItem:
    """A turn as a work item; ``cached``: how many leading past events the worker holds (then
    only the rest is sent, with ``cachedHistory``)."""
    origin = Origin(item.instance_id, item.parent_id, item.parent_task_id, item.trace)
    request = ps.WorkflowRequest(
        instanceId=item.instance_id,
        executionId=StringValue(value=item.execution_id),
        pastEvents=history_events(item.past[cached:] if cached else item.past, origin),
        newEvents=history_events(item.new, origin),
        cachedHistory=ps.CachedHistory(eventCount=cached) if cached else None,
    )
    return ps.WorkItem(workflowRequest=request, completionToken=item.token)


def activity_work_item(item: ActivityWorkItem) -> ps.WorkItem:
    request = ps.ActivityRequest(
        name=item.name,
        input=_text(item.input),
        workflowInstance=po.WorkflowInstance(
            instanceId=item.instance_id, executionId=StringValue(value=item.execution_id)
        ),
        taskId=item.task_id,
        parentTraceContext=trace_context(item.trace),
        taskExecutionId=item.task_execution_id or "",
    )
    return ps.WorkItem(activityRequest=request, completionToken=item.token)


# -- answers ------------------------------------------------------------------------------------

_ENDINGS: dict[int, Status | None] = {
    po.ORCHESTRATION_STATUS_COMPLETED: Status.COMPLETED,
    po.ORCHESTRATION_STATUS_FAILED: Status.FAILED,
    po.ORCHESTRATION_STATUS_TERMINATED: Status.TERMINATED,
    po.ORCHESTRATION_STATUS_CONTINUED_AS_NEW: None,
}


def turn_result(response: ps.WorkflowResponse) -> TurnResult:
    """A turn's answer in the engine's terms; ``MalformedAnswer`` for what cannot be done."""
    actions: list[Action] = []
    ids: set[int] = set()
    for action in response.actions:
        kind = action.WhichOneof("workflowActionType")
        if action.HasField("router") and action.router.targetAppID:
            raise MalformedAnswer(
                f"action {action.id} targets app {action.router.targetAppID!r}: multi-app workflows "
                "are not supported"
            )
        if kind != "completeWorkflow":
            if action.id in ids:
                raise MalformedAnswer(f"two actions have the ID {action.id}")
            ids.add(action.id)
        actions.append(_action(action, kind))
    custom_status = text_of(response.customStatus, response.HasField("customStatus"))
    version = response.version if response.HasField("version") else None
    return TurnResult(
        actions,
        custom_status,
        version.name or None if version is not None else None,
        tuple(version.patches) or None if version is not None else None,
    )


def _action(action: pa.WorkflowAction, kind: str | None) -> Action:
    aid = action.id
    if kind == "scheduleTask":
        task = action.scheduleTask
        _named(task.name, aid, "scheduleTask")
        return ScheduleActivity(
            aid, task.name, text_of(task.input, task.HasField("input")), task.taskExecutionId or None
        )
    if kind == "createTimer":
        timer = action.createTimer
        if not timer.HasField("fireAt"):
            raise MalformedAnswer(f"action {aid}: createTimer has no fireAt")
        return CreateTimer(aid, epoch_seconds(timer.fireAt), _timer_origin(timer))
    if kind == "createChildWorkflow":
        child = action.createChildWorkflow
        _named(child.name, aid, "createChildWorkflow")
        return CreateChild(
            aid, child.name, text_of(child.input, child.HasField("input")), child.instanceId or None
        )
    if kind == "sendEvent":
        send = action.sendEvent
        if not send.instance.instanceId:
            raise MalformedAnswer(f"action {aid}: sendEvent names no target instance")
        _named(send.name, aid, "sendEvent")
        return SendEvent(aid, send.instance.instanceId, send.name, text_of(send.data, send.HasField("data")))
    if kind == "terminateWorkflow":
        terminate = action.terminateWorkflow
        if not terminate.instanceId:
            raise MalformedAnswer(f"action {aid}: terminateWorkflow names no instance")
        reason = text_of(terminate.reason, terminate.HasField("reason"))
        return TerminateOther(aid, terminate.instanceId, reason, terminate.recurse)
    if kind == "completeWorkflow":
        return _completion(action.completeWorkflow, aid)
    if kind == "workflowVersionNotAvailable":
        return Stall(aid, "the worker has no version of this workflow that can run its history")
    if kind is None:
        raise MalformedAnswer(f"action {aid} has no action type")
    raise MalformedAnswer(f"action {aid}: {kind} is not supported")


def _completion(complete: pa.CompleteWorkflowAction, aid: int) -> CompleteWorkflow:
    status = complete.workflowStatus
    if status not in _ENDINGS:
        name = (
            po.OrchestrationStatus.Name(status) if status in po.OrchestrationStatus.values() else str(status)
        )
        raise MalformedAnswer(f"action {aid}: a workflow cannot complete as {name}")
    ending = _ENDINGS[status]
    failure = failure_of(complete.failureDetails) if complete.HasField("failureDetails") else None
    if ending is Status.FAILED and failure is None:
        failure = wf.FailureDetails("the workflow failed (the worker gave no details)", "WorkflowFailed")
    carryover = [
        (event.eventRaised.name, text_of(event.eventRaised.input, event.eventRaised.HasField("input")))
        for event in complete.carryoverEvents
        if event.HasField("eventRaised")
    ]
    result = text_of(complete.result, complete.HasField("result"))
    return CompleteWorkflow(aid, ending, result, failure, carryover)


def _timer_origin(timer: pa.CreateTimerAction) -> str | None:
    """Why the worker made the timer, as JSON text of a ``TimerCreatedEvent`` without its time."""
    origin = ph.TimerCreatedEvent(name=timer.name)
    which = timer.WhichOneof("origin")
    if which is not None:
        getattr(origin, which).CopyFrom(getattr(timer, which))
    if origin.ByteSize() == 0:
        return None
    return json_format.MessageToJson(origin, indent=None)


def _named(name: str, aid: int, kind: str) -> None:
    if not name:
        raise MalformedAnswer(f"action {aid}: {kind} has no name")


def activity_outcome(response: ps.ActivityResponse) -> tuple[str | None, wf.FailureDetails | None]:
    """An activity's result (JSON text) or its failure."""
    if response.HasField("failureDetails"):
        return None, failure_of(response.failureDetails)
    return text_of(response.result, response.HasField("result")), None


# -- instance states ----------------------------------------------------------------------------

STATUSES: dict[Status, int] = {
    Status.PENDING: po.ORCHESTRATION_STATUS_PENDING,
    Status.RUNNING: po.ORCHESTRATION_STATUS_RUNNING,
    Status.SUSPENDED: po.ORCHESTRATION_STATUS_SUSPENDED,
    Status.COMPLETED: po.ORCHESTRATION_STATUS_COMPLETED,
    Status.FAILED: po.ORCHESTRATION_STATUS_FAILED,
    Status.TERMINATED: po.ORCHESTRATION_STATUS_TERMINATED,
}


def workflow_state(record: InstanceRecord, *, payloads: bool) -> po.WorkflowState:
    """An instance's state; inputs and outputs only with ``payloads`` (``getInputsAndOutputs``)."""
    return po.WorkflowState(
        instanceId=record.instance_id,
        name=record.name,
        workflowStatus=STATUSES[record.status],  # type: ignore[arg-type]
        createdTimestamp=timestamp(record.created_at),
        lastUpdatedTimestamp=timestamp(record.updated_at),
        completedTimestamp=timestamp(record.updated_at) if record.status.is_terminal else None,
        input=_text(record.input) if payloads else None,
        output=_text(record.output) if payloads else None,
        customStatus=_text(record.custom_status),
        failureDetails=failure_details(record.failure) if record.failure is not None else None,
        executionId=_text(record.execution_id or None),
        parentInstanceId=_text(record.parent_id),
    )
