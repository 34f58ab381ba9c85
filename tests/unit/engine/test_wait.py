"""``Engine.wait`` against a commit that lands while its first look is still at the store."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import builtin_engine as wf
from builtin_engine._store import InstanceRecord, Status

runtime = wf.WorkflowRuntime()


@runtime.workflow(name="instant")
def instant(ctx: wf.DaprWorkflowContext, _: Any) -> str:
    return "done"


def finished(record: InstanceRecord | None) -> bool:
    return record is not None and record.status.is_terminal


async def test_a_wait_sees_a_commit_that_lands_during_its_first_read(tmp_path: Path) -> None:
    engine = wf.Engine(wf.SQLiteStore(tmp_path / "wait.db"), runtime.registry)
    await engine.start()
    try:
        store_get = engine.store.get
        reads: list[InstanceRecord | None] = []
        completed = threading.Event()
        engine.services.watch("w-1", lambda record: completed.set() if finished(record) else None)

        def slow_get(instance_id: str) -> InstanceRecord | None:
            # What the store held when the read began; it answers only once the instance has
            # finished in the meantime (a read that raced the commits).
            stale = store_get(instance_id)
            reads.append(stale)
            assert completed.wait(30), "the instance never finished"
            return stale

        engine.store.get = slow_get  # type: ignore[method-assign]
        scheduling = asyncio.create_task(engine.schedule("instant", None, "w-1"))
        await asyncio.sleep(0)  # the instance is known, not yet committed: wait reads the store
        record = await engine.wait("w-1", finished, 30)
        await scheduling
        assert record is not None
        assert record.status is Status.COMPLETED
        # Woken by the commit it would have missed, not by its next look a second later.
        assert len(reads) == 1
    finally:
        await engine.stop()
