"""What every part of a running engine shares: its loop, its writer, its reads, its tasks.

The engine creates one ``Services`` when it starts and hands it to its parts (the cache, the
step, dispatch, the inbox), so that none of them needs the engine itself. It also carries
the committed state of instances to whoever waits for it: after every group commit the
writer hands the batch to ``committed``, which updates the live instances' last durable
record (what ``get`` answers from memory) and wakes the watchers of those instances.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from builtin_engine._store import InstanceRecord, Store, WriteUnit
from builtin_engine._tracing import WorkTracer
from builtin_engine._writer import GroupCommitter

if TYPE_CHECKING:
    from builtin_engine._cache import InstanceCache

log = logging.getLogger("builtin_engine")
R = TypeVar("R")

#: told every committed record of the instance it watches
Watcher = Callable[[InstanceRecord], None]


class Services:
    """The running engine's shared machinery (created by ``Engine.start``)."""

    def __init__(
        self,
        store: Store,
        loop: asyncio.AbstractEventLoop,
        cache: InstanceCache,
        tracer: WorkTracer | None = None,
    ) -> None:
        self.store = store
        self.loop = loop
        #: where the work of traced instances goes (see ``_tracing``)
        self.tracer = tracer
        self._cache = cache
        self.reads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="flowport-read")
        self.writer = GroupCommitter(store, loop, on_commit=self.committed)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.watchers: dict[str, list[Watcher]] = {}

    async def read(self, fn: Callable[..., R], *args: Any) -> R:
        """Run a blocking store read off the loop."""
        return await self.loop.run_in_executor(self.reads, fn, *args)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as a task that ``stop()`` cancels and awaits."""
        task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def committed(self, units: Sequence[WriteUnit]) -> None:
        """After a commit (on the loop): record each instance's durable row, wake its watchers."""
        known = self._cache.known
        watchers = self.watchers
        for unit in units:
            records = unit.instances if unit.create is None else [unit.create, *unit.instances]
            for record in records:
                inst = known.get(record.instance_id)
                if inst is not None:
                    inst.committed = record
                waiting = watchers.get(record.instance_id)
                if waiting:
                    for watcher in list(waiting):
                        try:
                            watcher(record)
                        except Exception:
                            log.exception("a watcher of %r failed", record.instance_id)

    def watch(self, instance_id: str, watcher: Watcher) -> Callable[[], None]:
        """Call ``watcher`` with every record of ``instance_id`` committed from now on; returns
        the function that stops it."""
        self.watchers.setdefault(instance_id, []).append(watcher)

        def stop() -> None:
            waiting = self.watchers.get(instance_id)
            if waiting is not None and watcher in waiting:
                waiting.remove(watcher)
                if not waiting:
                    del self.watchers[instance_id]

        return stop

    async def close(self) -> None:
        """Cancel the background tasks, commit what is queued, release the threads."""
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(None, self.writer.stop)
        await asyncio.get_running_loop().run_in_executor(None, self.store.close)
        self.reads.shutdown(wait=True)
