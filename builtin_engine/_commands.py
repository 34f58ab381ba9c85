"""Commands: what clients ask of an instance, whichever way the request reaches the engine.

A client in the engine's process hands a ``Command`` to the engine directly; a client in
another process leaves it in the store's inbox, which the engine reads (``_inbox``). Both
kinds of client, and the engine, judge a command against the instance's state with the one
rule here (``admit``), so the two paths cannot drift apart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from builtin_engine._errors import InstanceStateError, UnknownInstanceError
from builtin_engine._store import InstanceRecord, Status


class CommandKind(enum.Enum):
    """What a command asks for (the value is what the inbox stores)."""

    #: a client in another process created the instance: the engine must adopt and run it
    START = "start"
    RAISE_EVENT = "event"
    TERMINATE = "terminate"
    SUSPEND = "suspend"
    RESUME = "resume"


@dataclass(frozen=True, slots=True)
class Command:
    """One request for an instance."""

    kind: CommandKind
    instance_id: str
    #: the event name (RAISE_EVENT)
    name: str | None = None
    #: JSON text: the event data (RAISE_EVENT) or the output (TERMINATE)
    data: str | None = None
    #: why (SUSPEND, RESUME), recorded in the history
    reason: str | None = None
    #: terminate the instance's children too (TERMINATE)
    recursive: bool = False


@dataclass(frozen=True, slots=True)
class InboxMessage:
    """A command left in the store by a client in another process; ``id`` orders the inbox."""

    id: int
    command: Command


def admit(command: Command, record: InstanceRecord | None) -> bool:
    """Whether ``command`` has an effect on the instance in ``record``.

    ``UnknownInstanceError`` when there is no instance; ``InstanceStateError`` when its state
    forbids the command (suspend a finished instance, resume one that is not suspended).
    ``False`` for a command that is accepted but moot, as in Dapr: an event or a terminate for
    a finished instance, a suspend of a suspended one.
    """
    instance_id = command.instance_id
    if record is None:
        raise UnknownInstanceError(f"no instance with ID {instance_id!r}", instance_id=instance_id)
    status = record.status
    kind = command.kind
    if kind is CommandKind.SUSPEND:
        if status.is_terminal:
            raise InstanceStateError(
                f"instance {instance_id!r} has finished; it cannot be suspended", instance_id=instance_id
            )
        return status is not Status.SUSPENDED
    if kind is CommandKind.RESUME:
        if status is not Status.SUSPENDED:
            raise InstanceStateError(f"instance {instance_id!r} is not suspended", instance_id=instance_id)
        return True
    return not status.is_terminal
