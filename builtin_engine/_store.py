"""The durable store behind the engine: a small interface, so that SQLite is one choice of many.

The engine owns the order of each instance's history; the store only persists what it is
given. Every write goes through ``write`` in batches (group commit): a batch is one
transaction, each ``WriteUnit`` in it succeeds or is skipped as a whole. Clients in other
processes use ``post`` to leave commands in the inbox, which the engine reads, and may
``purge`` terminal instances themselves.
"""

from __future__ import annotations

import abc
import enum
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from builtin_engine._errors import FailureDetails
from builtin_engine._history import Event, new_execution_id, started_event

if TYPE_CHECKING:
    from builtin_engine._commands import Command, InboxMessage


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


class InstanceRecord(NamedTuple):
    """The stored summary row of one instance; build it by keyword, change it with ``_replace``.

    (A named tuple rather than a frozen dataclass: the engine replaces an instance's record at
    every step, and ``_replace`` costs a quarter of ``dataclasses.replace``.)
    """

    instance_id: str
    name: str
    status: Status
    created_at: float
    updated_at: float
    input: str | None = None
    output: str | None = None
    custom_status: str | None = None
    failure: FailureDetails | None = None
    #: the instance that created this one as a child workflow, and the task waiting for it
    parent_id: str | None = None
    parent_task_id: int | None = None
    #: the current execution (a continue-as-new starts another)
    execution_id: str = ""

    def stepped(self, status: Status, updated_at: float, custom_status: str | None) -> InstanceRecord:
        """This record after a step: ``_replace`` of the three fields every step sets.

        Written out because it runs at every step of every instance, where ``_replace``'s
        keyword handling cost 8% of the engine's time (py-spy, bench.engine_throughput).
        """
        r = self
        return _new_record(
            (r[0], r[1], status, r[3], updated_at, r[5], r[6], custom_status, r[8], r[9], r[10], r[11])
        )


def _new_record(fields: tuple[Any, ...]) -> InstanceRecord:
    return tuple.__new__(InstanceRecord, fields)


def client_start(
    name: str,
    serialized_input: str | None,
    instance_id: str,
    start_at: float | None,
    trace: Mapping[str, str] | None,
) -> tuple[InstanceRecord, Event]:
    """What a client's start writes, in this process or through the store from another: the
    new instance's row (``PENDING``) and its ``WORKFLOW_STARTED`` event, dated ``start_at``
    when that is later than now (a delayed start)."""
    now = time.time()
    record = InstanceRecord(
        instance_id=instance_id,
        name=name,
        status=Status.PENDING,
        created_at=now,
        updated_at=now,
        input=serialized_input,
        execution_id=new_execution_id(),
    )
    started = started_event(name, serialized_input, max(now, start_at or now), record.execution_id, trace)
    return record, started


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
    #: instances to delete with their histories if they are (still) finished (retention)
    expire: list[str] = field(default_factory=list)
    #: a remote workflow's inputs not yet taken by a turn (``_remote``): all of the instance's
    #: dropped first (``pending_reset``), those up to a number dropped (``pending_done``:
    #: taken by a turn), new ones added (``pending_add``), in that order
    pending_reset: str | None = None
    pending_done: list[tuple[str, int]] = field(default_factory=list)
    pending_add: list[tuple[str, int, Event]] = field(default_factory=list)


class Stored(NamedTuple):
    """An unfinished instance as the store holds it: its row, its history, its pending inputs."""

    record: InstanceRecord
    history: list[tuple[int, Event]]
    pending: list[tuple[int, Event]]


@dataclass(frozen=True, slots=True)
class InstanceQuery:
    """Which instances a listing shows (every filter optional), and which page of them."""

    #: any of these (empty: any status)
    statuses: Sequence[Status] = ()
    name: str | None = None
    #: epoch seconds, inclusive
    created_after: float | None = None
    #: epoch seconds, exclusive
    created_before: float | None = None
    #: a case-sensitive start of the instance ID
    id_prefix: str | None = None
    page_size: int = 100
    #: where the previous page ended (``Page.token``)
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing, newest first; ``token`` continues it (``None`` on the last page)."""

    records: Sequence[InstanceRecord]
    token: str | None


class Store(abc.ABC):
    """Where instances, their histories and the inbox live. Methods are blocking and thread-safe."""

    @abc.abstractmethod
    def open(self) -> None:
        """Create or upgrade the schema if needed. Called once before anything else."""

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
    def load_active(self) -> list[Stored]:
        """Every non-terminal instance with its history and pending inputs (engine start-up)."""

    @abc.abstractmethod
    def pending(self, instance_id: str) -> list[tuple[int, Event]]:
        """A remote workflow's inputs not yet taken by a turn, with their numbers, in order."""

    @abc.abstractmethod
    def list_instances(self, query: InstanceQuery) -> Page:
        """One page of the instances ``query`` selects, newest first.

        ``InvalidContinuationTokenError`` for a token this store did not hand out.
        """

    @abc.abstractmethod
    def expired(self, cutoffs: Mapping[Status, float], limit: int) -> list[str]:
        """Up to ``limit`` finished top-level instances last updated before the cutoff of their
        status (epoch seconds), each followed by its finished descendants (the whole tree goes,
        as a recursive purge). A child whose parent is gone counts as top-level."""

    @abc.abstractmethod
    def read_inbox(self, after_id: int, limit: int) -> list[InboxMessage]:
        """Inbox messages with an ID above ``after_id``, oldest first."""

    @abc.abstractmethod
    def count_by_status(self) -> dict[Status, int]:
        """How many instances the store holds in each status (absent: none)."""

    @abc.abstractmethod
    def inbox_backlog(self, after_id: int) -> tuple[int, float | None]:
        """How many inbox messages have an ID above ``after_id``, and when the oldest of them
        was left (epoch seconds; ``None`` when there is none)."""

    @abc.abstractmethod
    def post(
        self, command: Command, create: InstanceRecord | None = None, started: Event | None = None
    ) -> None:
        """Leave a command for the engine; with ``create``, insert the new instance and its
        first event in the same transaction (``DuplicateInstanceError`` if the ID exists)."""

    @abc.abstractmethod
    def purge(self, instance_id: str, recursive: bool, protected: frozenset[str] = frozenset()) -> int:
        """Delete a terminal instance (and its terminal descendants); how many went.

        ``UnknownInstanceError`` if absent, ``InstanceStateError`` if not terminal. Instances in
        ``protected`` (live in an engine) are never deleted.
        """
