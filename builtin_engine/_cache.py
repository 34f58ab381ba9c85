"""The instance cache: every unfinished instance the engine drives, and which of them are live.

Every non-terminal instance has an ``Instance`` here (``known``) for as long as it runs: its
record, its place in its history, its timers. Only some also hold a live ``Execution`` (the
workflow's generator, resumed event by event): those are ``live``, kept in least-recently-used
order and bounded by ``capacity``. Past it, idle executions are dropped (evicted); the next
event for such an instance is held in its backlog while its history is read back and replayed
(a cold replay), then delivered. Children are indexed by parent for recursive terminate.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from builtin_engine._history import Event
from builtin_engine._store import InstanceRecord, Stored
from builtin_engine._writer import Callback

if TYPE_CHECKING:
    from builtin_engine._remote import RemoteExecution
    from builtin_engine._replay import Execution

log = logging.getLogger("builtin_engine")

#: an event waiting for its instance to be replayed: the event, its ack, its inbox messages
Held = tuple[Event, Callback | None, Sequence[int]]


class Instance:
    """One instance the engine drives.

    ``record`` is its current row (ahead of the store while writes are queued), ``committed``
    the last row known durable (what readers are shown). ``created`` is set while the write
    that creates it is in flight; ``deferred`` holds the start event of a delayed start until
    it is due.
    """

    __slots__ = (
        "backlog", "committed", "created", "deferred", "execution", "inflight", "loading", "next_seq",
        "record", "remote", "start_timer", "timers", "trace",
    )  # fmt: skip

    def __init__(
        self, record: InstanceRecord, *, next_seq: int = 0, committed: bool = False, remote: bool = False
    ) -> None:
        self.record = record
        #: run by a remote worker (``_remote``), not by an in-process runtime
        self.remote = remote
        self.committed: InstanceRecord | None = record if committed else None
        self.next_seq = next_seq
        self.execution: Execution | RemoteExecution | None = None
        #: activities running for it (an instance with work in flight is never evicted)
        self.inflight = 0
        self.loading = False
        self.backlog: list[Held] = []
        self.created: asyncio.Future[None] | None = None
        self.deferred: Event | None = None
        self.start_timer: asyncio.TimerHandle | None = None
        self.timers: dict[int, asyncio.TimerHandle] | None = None
        #: the W3C trace context it was started with, when traced (see ``_tracing``)
        self.trace: Mapping[str, str] | None = None

    @property
    def instance_id(self) -> str:
        return self.record.instance_id

    @property
    def execution_id(self) -> str:
        return self.record.execution_id


class InstanceCache:
    """Known instances by ID, live executions in LRU order, children by parent."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.known: dict[str, Instance] = {}
        self.live: OrderedDict[str, Instance] = OrderedDict()
        self.children: dict[str, set[str]] = {}
        #: events that found their instance live / evicted, and evictions, since start
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self._read: Callable[[str], Awaitable[Stored]] | None = None
        self._replay: Callable[[Instance, Stored], None] | None = None
        self._deliver: Callable[[Instance, Event, Callback | None, Sequence[int]], None] | None = None

    def bind(
        self,
        read: Callable[[str], Awaitable[Stored]],
        replay: Callable[[Instance, Stored], None],
        deliver: Callable[[Instance, Event, Callback | None, Sequence[int]], None],
    ) -> None:
        """How a cold replay reads an instance back, replays it, and delivers the held events."""
        self._read = read
        self._replay = replay
        self._deliver = deliver

    def add(self, inst: Instance) -> None:
        self.known[inst.instance_id] = inst
        parent = inst.record.parent_id
        if parent is not None:
            self.children.setdefault(parent, set()).add(inst.instance_id)

    def is_current(self, inst: Instance) -> bool:
        """Whether ``inst`` is still the one the engine drives under its ID (not ended or replaced)."""
        return self.known.get(inst.instance_id) is inst

    def activate(self, inst: Instance, execution: Execution | RemoteExecution) -> None:
        inst.execution = execution
        self.live[inst.instance_id] = inst

    def touch(self, inst: Instance) -> None:
        """Mark ``inst`` most recently used; evict idle executions beyond the capacity."""
        live = self.live
        if inst.instance_id in live:
            live.move_to_end(inst.instance_id)
            if len(live) > self.capacity:
                self._evict(keep=inst)

    def forget(self, inst: Instance) -> None:
        """Drop a finished instance from memory (its row and history stay in the store)."""
        instance_id = inst.instance_id
        self.known.pop(instance_id, None)
        self.live.pop(instance_id, None)
        inst.execution = None
        inst.deferred = None
        parent = inst.record.parent_id
        if parent is not None:
            siblings = self.children.get(parent)
            if siblings is not None:
                siblings.discard(instance_id)
                if not siblings:
                    del self.children[parent]

    def take_children(self, parent_id: str) -> list[Instance]:
        """The running children of ``parent_id``, unindexed (they are being terminated)."""
        ids = self.children.pop(parent_id, set())
        return [child for child_id in sorted(ids) if (child := self.known.get(child_id)) is not None]

    def hold(self, inst: Instance, held: Held, spawn: Callable[[Coroutine[Any, Any, None]], None]) -> bool:
        """Keep ``held`` for an evicted instance and start its cold replay; False if it is live."""
        if inst.execution is not None:
            self.hits += 1
            return False
        self.misses += 1
        inst.backlog.append(held)
        if not inst.loading:
            inst.loading = True
            spawn(self._reload(inst))
        return True

    def clear(self) -> list[Instance]:
        """Forget everything (the engine stops); the instances that were known."""
        instances = list(self.known.values())
        self.known.clear()
        self.live.clear()
        self.children.clear()
        return instances

    def _evict(self, keep: Instance) -> None:
        """Drop the least recently used idle executions (never ``keep``, the one just stepped)."""
        excess = len(self.live) - self.capacity
        for instance_id in list(self.live):
            if excess <= 0:
                break
            inst = self.live[instance_id]
            execution = inst.execution
            if (
                inst is keep
                or inst.inflight
                or inst.deferred is not None
                or execution is None
                or not execution.idle
            ):
                continue
            execution.close()
            inst.execution = None
            del self.live[instance_id]
            self.evictions += 1
            excess -= 1

    async def _reload(self, inst: Instance) -> None:
        """Rebuild an evicted instance from its stored history, then deliver its held events."""
        assert self._read is not None
        assert self._replay is not None
        assert self._deliver is not None
        try:
            stored = await self._read(inst.instance_id)
        except Exception:
            log.exception("reloading instance %r failed", inst.instance_id)
            inst.loading = False
            return
        if not self.is_current(inst):
            return
        self._replay(inst, stored)
        inst.loading = False
        backlog, inst.backlog = inst.backlog, []
        for event, ack, ids in backlog:
            self._deliver(inst, event, ack, ids)
