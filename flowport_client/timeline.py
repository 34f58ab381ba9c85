"""An instance's history as a timeline: spans for activities (with their retries), timers and
child workflows, instants for events, on rows a person can read.

Pure functions over ``models.HistoryEvent``: the command line draws the result as text, the
console as a Gantt chart. A completion is paired with what it completes by the runtime's own
link (``taskId`` on the built-in engine and Conductor, ``scheduledEventId`` on Temporal, the
child's instance ID), falling back to the name. An activity scheduled again after a failed
attempt is a retry: it goes on the same row.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contracts import EventKind
from flowport_client.models import HistoryEvent


class Outcome(enum.Enum):
    OK = "ok"
    FAILED = "failed"
    RUNNING = "running"
    #: still open when the instance ended (a timer that lost a race, a cancelled activity)
    ABANDONED = "abandoned"
    INSTANT = "instant"


@dataclass(slots=True)
class Span:
    kind: str  # workflow, activity, timer, child, event
    label: str
    start: datetime
    end: datetime | None
    outcome: Outcome
    attempt: int = 1
    detail: str = ""
    child_instance_id: str | None = None


@dataclass(slots=True)
class Row:
    label: str
    kind: str
    spans: list[Span] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Timeline:
    start: datetime
    end: datetime
    rows: Sequence[Row]
    finished: bool

    @property
    def seconds(self) -> float:
        return max((self.end - self.start).total_seconds(), 1e-3)

    def offset(self, moment: datetime) -> float:
        """Where ``moment`` falls, from 0 (start) to 1 (end)."""
        return min(max((moment - self.start).total_seconds() / self.seconds, 0.0), 1.0)


_OPENS = {
    EventKind.ACTIVITY_SCHEDULED: "activity",
    EventKind.TIMER_CREATED: "timer",
    EventKind.CHILD_WORKFLOW_SCHEDULED: "child",
}
_CLOSES = {
    EventKind.ACTIVITY_COMPLETED: ("activity", Outcome.OK),
    EventKind.ACTIVITY_FAILED: ("activity", Outcome.FAILED),
    EventKind.TIMER_FIRED: ("timer", Outcome.OK),
    EventKind.CHILD_WORKFLOW_COMPLETED: ("child", Outcome.OK),
    EventKind.CHILD_WORKFLOW_FAILED: ("child", Outcome.FAILED),
}
_ENDS = {
    EventKind.WORKFLOW_COMPLETED: Outcome.OK,
    EventKind.WORKFLOW_FAILED: Outcome.FAILED,
    EventKind.WORKFLOW_TERMINATED: Outcome.FAILED,
    EventKind.WORKFLOW_CANCELED: Outcome.FAILED,
    EventKind.CONTINUED_AS_NEW: Outcome.OK,
}


def _child(event: HistoryEvent) -> str | None:
    return event.details.get("childInstanceId") or event.details.get("subWorkflowId")


def _keys(event: HistoryEvent, family: str, *, opening: bool) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    if event.details.get("taskId"):
        keys.append(("task", event.details["taskId"]))
    if opening:
        keys.append(("event", str(event.sequence)))
    elif event.details.get("scheduledEventId"):
        keys.append(("event", event.details["scheduledEventId"]))
    if _child(event):
        keys.append(("child", str(_child(event))))
    keys.append(("name", f"{family}:{event.name or ''}"))
    return keys


def _detail(event: HistoryEvent) -> str:
    facts = [f"{key}: {value}" for key, value in sorted(event.details.items()) if key != "taskId"]
    return "; ".join(facts)


def build(events: Sequence[HistoryEvent], now: datetime) -> Timeline | None:
    """The timeline of ``events`` (oldest first); ``now`` ends it while the instance runs."""
    if not events:
        return None
    start = events[0].timestamp
    last = events[-1]
    finished = last.kind in _ENDS
    end = last.timestamp if finished else max(now, last.timestamp)
    workflow = Row(f"workflow {events[0].name or ''}".strip(), "workflow")
    instants = Row("events", "event")
    rows: list[Row] = [workflow]
    open_spans: dict[tuple[str, str], tuple[Span, Row]] = {}
    for event in events:
        if event.kind in _OPENS:
            family = _OPENS[event.kind]
            label = event.name or _timer_label(event) or family
            row = _row_for(rows, family, label)
            previous = row.spans[-1] if row.spans else None
            span = Span(
                family,
                label,
                event.timestamp,
                None,
                Outcome.RUNNING,
                attempt=previous.attempt + 1 if previous else 1,
                detail=_detail(event),
                child_instance_id=_child(event),
            )
            row.spans.append(span)
            for key in _keys(event, family, opening=True):
                open_spans.setdefault(key, (span, row))
        elif event.kind in _CLOSES:
            family, outcome = _CLOSES[event.kind]
            found = next(
                (open_spans[key] for key in _keys(event, family, opening=False) if key in open_spans), None
            )
            if found is None:
                continue
            span, _ = found
            span.end, span.outcome = event.timestamp, outcome
            if _detail(event):
                span.detail = "; ".join(part for part in (span.detail, _detail(event)) if part)
            for key in [key for key, (other, _) in open_spans.items() if other is span]:
                del open_spans[key]
        elif event.kind in _ENDS or event.kind in (EventKind.WORKFLOW_STARTED, EventKind.OTHER):
            continue  # OTHER is a runtime's bookkeeping (Temporal's workflow tasks): table only
        else:
            label = event.name or event.kind.value
            instants.spans.append(
                Span(
                    "event", f"{event.kind.value} {label}", event.timestamp, event.timestamp, Outcome.INSTANT
                )
            )
    workflow.spans.append(
        Span(
            "workflow",
            workflow.label,
            start,
            end if finished else None,
            _ENDS.get(last.kind, Outcome.RUNNING),
            detail=_detail(last) if finished else "",
        )
    )
    for row in rows:
        for span in row.spans:
            if span.end is None and finished:
                span.end, span.outcome = end, Outcome.ABANDONED
    if instants.spans:
        rows.append(instants)
    return Timeline(start, end, rows, finished)


def _timer_label(event: HistoryEvent) -> str | None:
    """An unnamed timer is told apart by when it fires."""
    fire_at = event.details.get("fireAt")
    if event.kind is not EventKind.TIMER_CREATED or not fire_at:
        return None
    return "until " + fire_at.replace("T", " ")[:19]


def _row_for(rows: list[Row], family: str, label: str) -> Row:
    """A retry (same activity after a failed attempt) shares its row; anything else gets one."""
    for row in reversed(rows):
        if row.kind == family and row.label == label:
            if row.spans and row.spans[-1].outcome is Outcome.FAILED:
                return row
            break
    row = Row(label, family)
    rows.append(row)
    return row
