"""Resident memory with 10,000 instances waiting on an event.

    python -m bench.engine_memory [--quick]

Starts the instances (each waits for an external event), reads this process's RSS, then
raises the events and times the completions. Target: < 300 MB RSS.
"""

from __future__ import annotations

import asyncio
import gc
import time

import builtin_engine as wf
from bench.engine_common import engine, is_done, parser, rss_mb


async def main(quick: bool) -> None:
    count = 1000 if quick else 10_000
    baseline = rss_mb()
    async with engine() as e:
        admin = wf.WorkflowAdmin(e.store)
        began = time.perf_counter()
        ids = [f"w{i}" for i in range(count)]
        for start in range(0, count, 500):
            await asyncio.gather(*(e.schedule("waiting", None, iid) for iid in ids[start : start + 500]))
        await e.services.writer.flush()
        started = time.perf_counter() - began
        gc.collect()
        waiting_rss = rss_mb()
        print(
            f"{count} instances waiting on an event: RSS {waiting_rss:.0f} MB "
            f"(process before the engine: {baseline:.0f} MB; "
            f"~{(waiting_rss - baseline) * 1024 / count:.1f} KB per instance); started in {started:.2f} s"
        )
        began = time.perf_counter()
        for start in range(0, count, 500):
            await asyncio.gather(*(admin.raise_event(iid, "go", "1") for iid in ids[start : start + 500]))
        for start in range(0, count, 500):
            await asyncio.gather(*(e.wait(iid, is_done, 600) for iid in ids[start : start + 500]))
        print(f"raising the {count} events and completing them: {time.perf_counter() - began:.2f} s")


if __name__ == "__main__":
    asyncio.run(main(parser(__doc__ or "").parse_args().quick))
