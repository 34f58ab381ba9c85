"""Group commit: one writer thread turns many small writes into few transactions.

The engine's loop submits a ``WriteUnit`` per step and carries on. The writer thread takes
everything queued since its last commit and applies it in one transaction, so while one
fsync runs the next batch accumulates: the more instances progress at once, the bigger the
batches, and the number of commits per second stays near what the disk allows. After each
commit, on the loop, ``on_commit`` sees the whole batch, then the units' callbacks run in order.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from builtin_engine._store import Store, WriteUnit

log = logging.getLogger("builtin_engine")

#: called on the loop after the unit's batch committed, with the unit's error (or None)
Callback = Callable[[BaseException | None], None]
#: called on the loop after each commit with the units that landed (before their callbacks)
BatchHook = Callable[[Sequence[WriteUnit]], None]


@dataclass(slots=True)
class _Item:
    unit: WriteUnit | None  # None asks the thread to stop
    callback: Callback | None


class GroupCommitter:
    """Owns the writer thread for one store."""

    def __init__(
        self,
        store: Store,
        loop: asyncio.AbstractEventLoop,
        *,
        on_commit: BatchHook | None = None,
        max_batch: int = 2000,
    ) -> None:
        self._store = store
        self._loop = loop
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._max_batch = max_batch
        self._thread = threading.Thread(target=self._run, name="flowport-writer", daemon=True)
        #: transactions committed, the units they held, and the seconds they took, since start
        self.batches = 0
        self.units = 0
        self.commit_seconds = 0.0
        self.failure: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def submit(self, unit: WriteUnit, callback: Callback | None = None) -> None:
        """Queue ``unit``; ``callback`` runs on the loop once it is durable (or failed)."""
        self._queue.put(_Item(unit, callback))

    def submit_and_wait(self, unit: WriteUnit) -> asyncio.Future[None]:
        """Queue ``unit``; the future resolves once it is durable, or raises the unit's error."""
        future: asyncio.Future[None] = self._loop.create_future()
        self.submit(unit, future_callback(future))
        return future

    async def flush(self) -> None:
        """Wait until everything submitted so far is durable."""
        await self.submit_and_wait(WriteUnit())

    def stop(self) -> None:
        """Commit what is queued and end the thread (blocking)."""
        if self._thread.is_alive():
            self._queue.put(_Item(None, None))
            self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            items = [item for item in batch if item.unit is not None]
            stopping = len(items) != len(batch)
            if not items:
                continue
            units = [item.unit for item in items if item.unit is not None]
            began = time.perf_counter()
            try:
                errors = self._store.write(units)
            except BaseException as exc:  # the disk or the database failed: nothing of it is durable
                log.exception("writing %d units to the store failed", len(items))
                self.failure = exc
                errors = [exc] * len(items)
            self.batches += 1
            self.units += len(items)
            self.commit_seconds += time.perf_counter() - began
            landed = [unit for unit, error in zip(units, errors, strict=True) if error is None]
            callbacks = [
                (item.callback, error) for item, error in zip(items, errors, strict=True) if item.callback
            ]
            hook = self._on_commit if landed else None
            if callbacks or hook is not None:
                try:
                    self._loop.call_soon_threadsafe(_after_commit, hook, landed, callbacks)
                except RuntimeError:  # the loop is closed: nobody is waiting any more
                    return


def future_callback(future: asyncio.Future[None]) -> Callback:
    """A callback that resolves ``future`` (or fails it with the unit's error)."""

    def done(error: BaseException | None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)

    return done


def _after_commit(
    hook: BatchHook | None,
    landed: list[WriteUnit],
    callbacks: list[tuple[Callback, BaseException | None]],
) -> None:
    if hook is not None:
        try:
            hook(landed)
        except Exception:
            log.exception("the post-commit hook failed")
    for callback, error in callbacks:
        try:
            callback(error)
        except Exception:
            log.exception("a post-commit callback failed")
