"""Tracing hooks: the engine reports each piece of a traced instance's work after it happened.

An instance is traced when whoever started it passed a W3C trace context (``traceparent``...)
to ``schedule`` (in this process or, through the store, in another); the engine keeps it with
the instance and in the instance's ``WORKFLOW_STARTED`` event, so that its work is traced after
a restart too, and each continue-as-new carries it on. For such an instance, every workflow turn
(one event applied and the workflow run up to its next yield), every activity execution (each
retry is one) and every durable timer is handed, once done, to the ``WorkTracer`` the host
gave the engine, which makes spans of them. The engine depends on no tracing library; an
untraced instance, or an engine without a tracer, costs one test per piece of work.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class WorkKind(enum.Enum):
    TURN = "turn"
    ACTIVITY = "activity"
    TIMER = "timer"


@dataclass(frozen=True, slots=True)
class Work:
    """One finished piece of an instance's work; times are epoch seconds."""

    kind: WorkKind
    instance_id: str
    workflow_name: str
    #: a turn: the event it applied (``ACTIVITY_COMPLETED``...); an activity: its name; a timer: ``timer``
    name: str
    #: the activity's or timer's task ID in the workflow
    task_id: int | None
    #: the W3C trace context the instance was started with
    trace_context: Mapping[str, str]
    started_at: float
    ended_at: float
    #: why an activity failed, or a turn ended the workflow as failed
    error: str | None = None


class WorkTracer(Protocol):
    """Receives the work of traced instances, on the engine's loop: it must not block."""

    def record(self, work: Work) -> None: ...
