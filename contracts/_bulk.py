"""The default bulk operations: list every match, then act on each instance.

A component whose runtime has a native batch operation may override
``WorkflowComponent.purge_instances`` / ``terminate_instances``; every other one gets these,
built only on its own ``list_instances`` and per-instance operation.

The matches are collected before anything is changed: acting while paging would move the
pages under the listing (offset-based tokens skip instances, a terminated instance leaves a
RUNNING filter), so each match is visited exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import fields

from contracts._errors import InstanceNotFoundError, WorkflowError
from contracts._types import BulkFailure, BulkResult, InstanceFilter, InstancePage, ListRequest

#: instances acted on at once; enough to hide a remote runtime's latency, gentle on it
CONCURRENCY = 8
#: the page size used to collect the matches (the largest ``list`` allows)
PAGE_SIZE = 1000


async def matching_ids(
    list_instances: Callable[[ListRequest], Awaitable[InstancePage]], selection: InstanceFilter
) -> list[str]:
    """Every instance ID ``selection`` matches, following continuation tokens to the end."""
    criteria = {f.name: getattr(selection, f.name) for f in fields(InstanceFilter)}
    found: dict[str, None] = {}  # ordered and free of duplicates if a page repeats one
    token: str | None = None
    while True:
        page = await list_instances(ListRequest(**criteria, page_size=PAGE_SIZE, continuation_token=token))
        found.update((state.instance_id, None) for state in page.instances)
        token = page.continuation_token
        if not token or not page.instances:
            return list(found)


async def act_on_each(
    instance_ids: list[str], act: Callable[[str], Awaitable[int]], *, detail: str | None = None
) -> BulkResult:
    """Run ``act`` on each instance (a few at a time) and count: ``act`` returns how many
    instances it removed (a purge's count, 0 for anything else)."""
    gate = asyncio.Semaphore(CONCURRENCY)
    failures: list[BulkFailure] = []
    removed = 0
    succeeded = 0

    async def one(instance_id: str) -> None:
        nonlocal removed, succeeded
        async with gate:
            try:
                count = await act(instance_id)  # not `removed += await ...`: that reads first
            except InstanceNotFoundError:
                pass  # gone meanwhile (a parent's recursive purge took it): the goal is met
            except WorkflowError as exc:
                failures.append(BulkFailure(instance_id, exc))
                return
            else:
                removed += count
            succeeded += 1

    async with asyncio.TaskGroup() as group:
        for instance_id in instance_ids:
            group.create_task(one(instance_id))
    order = {instance_id: index for index, instance_id in enumerate(instance_ids)}
    failures.sort(key=lambda failure: order[failure.instance_id])
    return BulkResult(
        matched=len(instance_ids),
        succeeded=succeeded,
        failures=failures,
        purged_instances=removed,
        detail=detail,
    )
