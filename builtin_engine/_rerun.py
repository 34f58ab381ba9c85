"""Rerun from an event: a new instance whose history is a finished one's, cut at a task.

Dapr's ``RerunWorkflowFromEvent`` (1.16): given a finished instance and the ID of one of its
scheduling events (an activity, a timer or a child workflow), start a new instance whose
history is the source's up to and including that event, and carry on from there. The cut
works on the engine's own events, so it serves in-process and remote workflows alike:

- every event before the target is kept in place; a task scheduled before the cut and
  completed only after it has no completion in the new history, so it runs again (recovery
  re-dispatches open tasks), as the target itself does;
- the target keeps its event, with the new input when one is given (activities and child
  workflows; a timer has no input); a child workflow gets a new ID (``<new>:<id as 4 hex
  digits>``, Dapr's default, or the one given), as does every other open child;
- everything after the target is dropped: the workflow's code issues those commands again
  when it replays.
"""

from __future__ import annotations

from collections.abc import Sequence

from builtin_engine._errors import InvalidRerunError
from builtin_engine._history import CLOSING_TASKS, SCHEDULING, Event, EventType


def forked_history(
    history: Sequence[Event],
    event_id: int,
    new_instance_id: str,
    new_execution_id: str,
    *,
    overwrite_input: bool = False,
    new_input: str | None = None,
    new_child_id: str | None = None,
) -> list[Event]:
    """The new instance's history (see the module docstring); ``InvalidRerunError`` when
    ``event_id`` names no scheduling event or the options do not fit its kind."""
    cut = next(
        (i for i, e in enumerate(history) if e.task_id == event_id and e.type in SCHEDULING),
        None,
    )
    if cut is None:
        kinds = sorted(e.type.title for e in history if e.task_id == event_id)
        what = f"it is a {', '.join(kinds)} event" if kinds else "there is no such event"
        raise InvalidRerunError(
            f"cannot rerun from event {event_id}: {what}; a rerun starts from an activity, timer or "
            "child workflow event"
        )
    target = history[cut]
    if target.type is EventType.TIMER_CREATED and overwrite_input:
        raise InvalidRerunError(f"cannot write input to timer event {event_id}")
    if target.type is not EventType.CHILD_WORKFLOW_SCHEDULED and new_child_id:
        raise InvalidRerunError(
            f"cannot set a new child workflow instance ID on {target.type.title} event {event_id}"
        )
    closed = {e.task_id for e in history[:cut] if e.type in CLOSING_TASKS}
    kept: list[Event] = []
    for event in history[:cut]:
        if event.type is EventType.WORKFLOW_STARTED:
            event = event._replace(execution_id=new_execution_id)
        elif event.type is EventType.CHILD_WORKFLOW_SCHEDULED and event.task_id not in closed:
            event = event._replace(child_id=_default_child_id(new_instance_id, event.task_id))
        kept.append(event)
    if overwrite_input:
        target = target._replace(data=new_input)
    if target.type is EventType.CHILD_WORKFLOW_SCHEDULED:
        target = target._replace(child_id=new_child_id or _default_child_id(new_instance_id, event_id))
    kept.append(target)
    return kept


def _default_child_id(parent_id: str, task_id: int | None) -> str:
    return f"{parent_id}:{task_id or 0:04x}"
