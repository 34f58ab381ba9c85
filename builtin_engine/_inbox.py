"""The inbox: commands that clients in other processes left in the store.

A client without an engine in its process (``DaprWorkflowClient`` in a script, the gateway
in front of a store another process hosts) writes its command to the store's inbox table.
The engine reads the inbox every ``poll_interval`` (and at once when a client of its own
process asks about an instance it does not know yet), in order, and hands each message to
the engine, which carries it out like a command from its own process and marks it done in
the same write.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from builtin_engine._commands import InboxMessage
from builtin_engine._services import Services

log = logging.getLogger("builtin_engine")


class Inbox:
    """Reads the inbox and hands each message to ``handle``, oldest first, once."""

    def __init__(
        self,
        services: Services,
        poll_interval: float,
        handle: Callable[[InboxMessage], Awaitable[None]],
    ) -> None:
        self.services = services
        self.poll_interval = poll_interval
        self._handle = handle
        #: the ID of the last message taken
        self.cursor = 0
        self._lock = asyncio.Lock()
        #: when the last poll ran and how many messages it took (for operators)
        self.last_poll = 0.0
        self.last_batch = 0

    async def run(self, running: Callable[[], bool]) -> None:
        """Poll until ``running()`` turns false (or the task is cancelled)."""
        while running():
            await asyncio.sleep(self.poll_interval)
            try:
                await self.poll()
            except Exception:
                log.exception("reading the inbox failed")

    async def poll(self) -> None:
        """Take every message not taken yet."""
        async with self._lock:
            store = self.services.store
            messages = await self.services.read(store.read_inbox, self.cursor, 1000)
            self.last_poll = time.time()
            self.last_batch = len(messages)
            for message in messages:
                self.cursor = max(self.cursor, message.id)
                await self._handle(message)
