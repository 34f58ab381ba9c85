"""Caller-chosen instance IDs on top of Conductor's own workflow IDs.

Conductor picks every workflow's ID itself. The component starts each workflow with the
caller's instance ID as its ``correlationId`` and finds it again with a search on that
field, so the mapping lives in Conductor: it survives a gateway restart and is shared by
every gateway process talking to the same server, with nothing else to deploy or back up.
A process-local cache saves the search on later calls; an entry that Conductor no longer
knows (another gateway purged it) is dropped and looked up again.

Uniqueness, against other gateway processes: a start first searches for the ID, so a
retried start answers 409 without creating anything. Two starts of one ID at the same moment
can both pass that check, so each then starts its workflow and searches again: a start that
sees no other live workflow with the ID has won; one that sees another withdraws its own
(terminates it with the ``WITHDRAWN`` reason, then removes it), waits a random moment and
tries again from the first search, where it finds the winner and answers 409. Two starts
cannot both win: Conductor indexes a workflow before it answers the start call (measured:
indexing is synchronous), so whichever of two live workflows searched later sees the other.
If both lose, both withdraw, and the random wait lets one of them win the next round.
Comparing start times instead would not be safe: Conductor takes a workflow's start time
before it stores it, so a workflow can be indexed after one that started later.

An ID with no correlated workflow is tried as a Conductor workflow ID, so workflows started
outside the gateway can be read and managed too.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from components.conductor._client import ConductorClient

#: IDs that can go into a search query verbatim (the gateway admits only [A-Za-z0-9_-] on start)
_SEARCHABLE = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
_CACHE_SIZE = 100_000
#: the terminate reason of a workflow withdrawn by a start that lost its instance ID
WITHDRAWN = "flowport: withdrawn, another start claimed this instance ID at the same time"
_SEARCH_SIZE = 20


class InstanceIndex:
    """Resolves instance IDs to Conductor workflow IDs."""

    def __init__(self, client: ConductorClient) -> None:
        self._client = client
        self._known: OrderedDict[str, str] = OrderedDict()
        # per-ID lock and the number of coroutines holding or awaiting it
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    async def claimants(self, instance_id: str) -> list[Mapping[str, Any]]:
        """The live workflows whose correlation ID is ``instance_id``, earliest first."""
        if not _SEARCHABLE.match(instance_id):
            return []
        page = await self._client.get_json(
            "/workflow/search",
            {"query": f'correlationId="{instance_id}"', "size": _SEARCH_SIZE, "sort": "startTime:ASC"},
        )
        hits = page.get("results") if isinstance(page, dict) else None
        if not isinstance(hits, list):
            return []
        found: list[Mapping[str, Any]] = [
            hit
            for hit in hits
            if isinstance(hit, dict) and hit.get("correlationId") == instance_id and not _withdrawn(hit)
        ]
        found.sort(key=lambda hit: (str(hit.get("startTime", "")), str(hit.get("workflowId", ""))))
        return found

    async def resolve(self, instance_id: str) -> tuple[str, bool]:
        """The workflow ID to use for ``instance_id``, and whether it came from the cache."""
        known = self._known.get(instance_id)
        if known is not None:
            self._known.move_to_end(instance_id)
            return known, True
        hits = await self.claimants(instance_id)
        if hits:
            workflow_id = str(hits[0]["workflowId"])
            self.remember(instance_id, workflow_id)
            return workflow_id, False
        return instance_id, False

    def remember(self, instance_id: str, workflow_id: str) -> None:
        self._known[instance_id] = workflow_id
        self._known.move_to_end(instance_id)
        while len(self._known) > _CACHE_SIZE:
            self._known.popitem(last=False)

    def forget(self, instance_id: str) -> None:
        self._known.pop(instance_id, None)

    @asynccontextmanager
    async def exclusive(self, instance_id: str) -> AsyncIterator[None]:
        """Serialise starts of one ID within this process (across processes see ``claimants``)."""
        entry = self._locks.get(instance_id)
        if entry is None:
            entry = self._locks[instance_id] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[instance_id]


def _withdrawn(hit: Mapping[str, Any]) -> bool:
    return hit.get("status") == "TERMINATED" and hit.get("reasonForIncompletion") == WITHDRAWN
