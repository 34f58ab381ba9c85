"""The durable store behind the engine: a small interface, so that SQLite is one choice of many.

The engine owns the order of each instance's history; the store only persists what it is
given. Every write goes through ``write`` in batches (group commit): a batch is one
transaction, each ``WriteUnit`` in it succeeds or is skipped as a whole. Other processes
(clients without an engine) use ``post`` to leave requests in the inbox, which the engine
polls, and may ``purge`` terminal instances themselves.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from builtin_engine._errors import FailureDetails
from builtin_engine._history import Event


class Status(enum.Enum):
    """The stored status of an instance."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    TERMINATED = "TERMINATED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.TERMINATED})
ACTIVE_STATUSES = tuple(s for s in Status if not s.is_terminal)


@dataclass(frozen=True, slots=True)
class InstanceRecord:
    """The stored summary row of one instance."""

    instance_id: str
    name: str
    status: Status
    created_at: float
    updated_at: float
    input: str | None = None
    output: str | None = None
    custom_status: str | None = None
    failure: FailureDetails | None = None
    parent_id: str | None = None
    parent_task_id: int = -1
    execution_id: str = ""


@dataclass(frozen=True, slots=True)
class InboxMessage:
    """A request left by a client in another process: ``kind`` is one of ``INBOX_KINDS``."""

    id: int
    instance_id: str
    kind: str
    name: str | None = None
    data: str | None = None


#: start (the client created the instance), event, terminate (name = "recursive" or ""),
#: suspend, resume
INBOX_KINDS = frozenset({"start", "event", "terminate", "suspend", "resume"})


@dataclass(slots=True)
class WriteUnit:
    """Writes that must land together. Applied in field order.

    ``create`` inserts a new instance and fails the unit (``DuplicateInstanceError``) when the
    ID exists, unless ``replace_terminal`` allows replacing a terminal one (child workflows
    re-created under a deterministic ID after a continue-as-new).
    """

    create: InstanceRecord | None = None
    replace_terminal: bool = False
    reset_history: str | None = None
    events: list[tuple[str, int, Event]] = field(default_factory=list)
    instances: list[InstanceRecord] = field(default_factory=list)
    inbox_done: list[int] = field(default_factory=list)
    purge: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing, newest first; ``token`` continues it (``None`` on the last page)."""

    records: Sequence[InstanceRecord]
    token: str | None


class Store(abc.ABC):
    """Where instances, their histories and the inbox live. Methods are blocking and thread-safe."""

    @abc.abstractmethod
    def open(self) -> None:
        """Create the schema if needed. Called once before anything else."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""

    @property
    @abc.abstractmethod
    def identity(self) -> str:
        """A string naming the store's location; equal for two handles on the same data."""

    @abc.abstractmethod
    def write(self, units: Sequence[WriteUnit]) -> list[BaseException | None]:
        """Apply ``units`` in one durable transaction; the error of each skipped unit, in order."""

    @abc.abstractmethod
    def get(self, instance_id: str) -> InstanceRecord | None:
        """One instance's row."""

    @abc.abstractmethod
    def history(self, instance_id: str) -> list[tuple[int, Event]]:
        """An instance's events with their sequence numbers, oldest first."""

    @abc.abstractmethod
    def load_active(self) -> list[tuple[InstanceRecord, list[tuple[int, Event]]]]:
        """Every non-terminal instance with its history (engine start-up)."""

    @abc.abstractmethod
    def children(self, instance_id: str) -> list[str]:
        """The IDs of the instances whose parent is ``instance_id``."""

    @abc.abstractmethod
    def list_instances(
        self,
        statuses: Sequence[Status],
        name: str | None,
        page_size: int,
        token: str | None,
        *,
        created_after: float | None = None,
        created_before: float | None = None,
        id_prefix: str | None = None,
    ) -> Page:
        """Instances matching the filters, newest first (empty ``statuses`` = any).

        ``created_after`` (inclusive) and ``created_before`` (exclusive) are epoch seconds;
        ``id_prefix`` matches the start of the instance ID, case-sensitively.
        """

    @abc.abstractmethod
    def read_inbox(self, after_id: int, limit: int) -> list[InboxMessage]:
        """Inbox messages with an ID above ``after_id``, oldest first."""

    @abc.abstractmethod
    def post(
        self, message: InboxMessage, create: InstanceRecord | None = None, started: Event | None = None
    ) -> None:
        """Leave a message for the engine; with ``create``, insert the new instance and its
        first event in the same transaction (``DuplicateInstanceError`` if the ID exists)."""

    @abc.abstractmethod
    def purge(self, instance_id: str, recursive: bool, protected: frozenset[str] = frozenset()) -> int:
        """Delete a terminal instance (and its terminal descendants); how many went.

        ``UnknownInstanceError`` if absent, ``InstanceStateError`` if not terminal. Instances in
        ``protected`` (live in an engine) are never deleted.
        """
