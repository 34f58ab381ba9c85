"""The instance-ID index: live workflows holding an ID (withdrawn ones ignored), the cache,
per-ID locking.

``FakeSearch`` is a test double for the one client call the index makes (the search), so
that the order Conductor returns hits in can be chosen.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from components.conductor._client import ConductorClient
from components.conductor._instances import WITHDRAWN, InstanceIndex


class FakeSearch:
    """Answers ``GET /workflow/search`` from a list of summaries (test double)."""

    def __init__(self, *hits: dict[str, Any]) -> None:
        self.hits = list(hits)
        self.queries: list[str] = []

    async def get_json(self, path: str, params: dict[str, Any]) -> Any:
        assert path == "/workflow/search"
        self.queries.append(params["query"])
        return {"totalHits": len(self.hits), "results": self.hits}


def index_of(search: FakeSearch) -> InstanceIndex:
    return InstanceIndex(cast(ConductorClient, search))


async def test_the_earliest_exact_match_owns_the_id() -> None:
    search = FakeSearch(
        {"workflowId": "b", "correlationId": "order-1", "startTime": "2026-01-01T00:00:01.000Z"},
        {"workflowId": "z", "correlationId": "order-10", "startTime": "2026-01-01T00:00:00.000Z"},
        {"workflowId": "c", "correlationId": "order-1", "startTime": "2026-01-01T00:00:00.500Z"},
        {"workflowId": "a", "correlationId": "order-1", "startTime": "2026-01-01T00:00:01.000Z"},
        {
            "workflowId": "w",
            "correlationId": "order-1",
            "startTime": "2026-01-01T00:00:00.000Z",
            "status": "TERMINATED",
            "reasonForIncompletion": WITHDRAWN,
        },
    )
    index = index_of(search)
    assert [hit["workflowId"] for hit in await index.claimants("order-1")] == ["c", "a", "b"]
    assert search.queries == ['correlationId="order-1"']


async def test_resolve_caches_and_falls_back_to_the_id_itself() -> None:
    search = FakeSearch({"workflowId": "wf-1", "correlationId": "order-1", "startTime": "x"})
    index = index_of(search)
    assert await index.resolve("order-1") == ("wf-1", False)
    assert await index.resolve("order-1") == ("wf-1", True)
    assert len(search.queries) == 1
    index.forget("order-1")
    assert await index.resolve("order-1") == ("wf-1", False)
    search.hits = []
    assert await index.resolve("7d0f2d84-0000-4000-8000-000000000000") == (
        "7d0f2d84-0000-4000-8000-000000000000",
        False,
    )


async def test_ids_that_cannot_be_searched_are_not() -> None:
    search = FakeSearch()
    assert await index_of(search).claimants('bad"id') == []
    assert search.queries == []


async def test_exclusive_serialises_one_id_and_cleans_up() -> None:
    index = index_of(FakeSearch())
    order: list[str] = []

    async def hold(name: str, instance_id: str) -> None:
        async with index.exclusive(instance_id):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(hold("a", "x"), hold("b", "x"), hold("c", "y"))
    assert order.index("a out") < order.index("b in")
    assert order.index("c in") < order.index("a out")  # another ID does not wait
    assert index._locks == {}
