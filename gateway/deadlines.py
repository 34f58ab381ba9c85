"""The request timeout: a component call still running past it is cancelled.

One watcher for every call in flight rather than a timer per call: ``asyncio.timeout`` cost
about 15 µs a request here, a fifth of the gateway's own work on a get
(``python -m bench.rest_load``), where this costs a dictionary insert and delete. The watcher
runs only while calls are in flight, and cancels a call within a tenth of the timeout (at
most 0.1 s) after its deadline; the caller sees ``TimeoutError``, as with ``asyncio.timeout``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


class Deadlines:
    """Runs awaitables under one timeout, ``timeout`` seconds each."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._period = min(timeout / 10, 0.1)
        self._deadlines: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._watcher: asyncio.Task[None] | None = None

    @property
    def watching(self) -> bool:
        """Whether the watcher runs (only while some call is in flight)."""
        return self._watcher is not None

    async def run(self, call: Awaitable[T]) -> T:
        """Await ``call`` in the current task; ``TimeoutError`` if it outlives the timeout."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Deadlines.run must be awaited in a task")
        self._deadlines[task] = task.get_loop().time() + self.timeout
        if self._watcher is None:
            self._watcher = task.get_loop().create_task(self._watch(), name="flowport-deadlines")
        cancelling = task.cancelling()
        try:
            return await call
        except asyncio.CancelledError:
            # Ours only if nobody else also cancelled the task (as asyncio.timeout decides).
            if task in self._expired and task.uncancel() <= cancelling:
                raise TimeoutError from None
            raise
        finally:
            del self._deadlines[task]
            self._expired.discard(task)

    async def _watch(self) -> None:
        try:
            while self._deadlines:
                await asyncio.sleep(self._period)
                now = asyncio.get_running_loop().time()
                for task, deadline in list(self._deadlines.items()):
                    if deadline <= now and task not in self._expired:
                        self._expired.add(task)
                        task.cancel()
        finally:
            self._watcher = None
