"""Retention: finished instances are purged once they are older than their status allows.

Like Dapr's ``stateRetentionPolicy``: a time to keep per terminal status (completed, failed,
terminated), each falling back to one for any terminal status. A sweep runs periodically
(a tenth of the shortest time, between 1 s and 60 s): it reads which finished top-level
instances are past their time, with their finished descendants (a purge is recursive), off
the loop, and hands the deletion to the group committer as one more write. The engine's
steps never wait for it: they keep going into the next batch, and no other connection takes
the database's write lock. A deletion re-checks that the instance is still finished.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from builtin_engine._services import Services
from builtin_engine._store import Status, WriteUnit

log = logging.getLogger("builtin_engine")

#: instances purged by one write, at most (a sweep takes as many writes as it needs)
_BATCH = 500


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Seconds to keep finished instances, per terminal status (``None``: forever)."""

    completed: float | None = None
    failed: float | None = None
    terminated: float | None = None

    @classmethod
    def of(
        cls,
        *,
        any_terminal: float | None = None,
        completed: float | None = None,
        failed: float | None = None,
        terminated: float | None = None,
    ) -> RetentionPolicy:
        """A policy where each unset status takes ``any_terminal``."""

        def pick(value: float | None) -> float | None:
            return any_terminal if value is None else value

        return cls(pick(completed), pick(failed), pick(terminated))

    def keep(self) -> dict[Status, float]:
        """The time to keep each status that has one."""
        times = {
            Status.COMPLETED: self.completed,
            Status.FAILED: self.failed,
            Status.TERMINATED: self.terminated,
        }
        return {status: seconds for status, seconds in times.items() if seconds is not None}

    @property
    def sweep_interval(self) -> float:
        shortest = min(self.keep().values(), default=60.0)
        return min(60.0, max(1.0, shortest / 10))


class Retention:
    """The engine's periodic purge of expired instances."""

    def __init__(self, policy: RetentionPolicy, services: Services) -> None:
        self.policy = policy
        self.services = services
        #: instances purged since start
        self.purged = 0

    async def run(self, running: Callable[[], bool]) -> None:
        """Sweep every ``sweep_interval`` until ``running()`` turns false (or cancelled)."""
        while running():
            await asyncio.sleep(self.policy.sweep_interval)
            try:
                await self.sweep()
            except Exception:
                log.exception("purging expired instances failed")

    async def sweep(self, now: float | None = None) -> int:
        """Purge every instance past its time; how many went."""
        keep = self.policy.keep()
        if not keep:
            return 0
        at = time.time() if now is None else now
        cutoffs = {status: at - seconds for status, seconds in keep.items()}
        store = self.services.store
        total = 0
        while True:
            doomed = await self.services.read(store.expired, cutoffs, _BATCH)
            if not doomed:
                return total
            await self.services.writer.submit_and_wait(WriteUnit(expire=doomed))
            total += len(doomed)
            self.purged += len(doomed)
            if len(doomed) < _BATCH:
                return total
