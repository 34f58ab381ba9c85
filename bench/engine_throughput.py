"""Five-step chain workflows per second at full durability, and the cost of one step.

    python -m bench.engine_throughput [--quick]

Through the engine API (no HTTP): N five-step chains of a no-op activity started at once on a
SQLite store with synchronous=FULL; then one long chain alone for per-step latency (the time
between one activity's scheduling and the next's: run, record, replay step, schedule).
Targets (issue 3): >= 300 workflows/s, per-step p50 <= 1.5 ms.
"""

from __future__ import annotations

import asyncio

from bench.engine_common import engine, ms, parser, percentile, run_all, step_intervals


async def main(quick: bool) -> None:
    count = 300 if quick else 2000
    async with engine() as e:
        for label, is_async in (("sync", False), ("async", True)):
            await run_all(e, "chain", [{"steps": 5, "async": is_async}] * 50, f"warm-{label}")
            batches_before = e._writer.batches if e._writer else 0
            elapsed = await run_all(e, "chain", [{"steps": 5, "async": is_async}] * count, f"tp-{label}")
            batches = (e._writer.batches if e._writer else 0) - batches_before
            intervals: list[float] = []
            for i in range(0, count, max(1, count // 50)):
                intervals += await step_intervals(e, f"tp-{label}-{i}")
            print(
                f"five-step chains ({label} no-op activity): {count} in {elapsed:.2f} s = "
                f"{count / elapsed:.0f} workflows/s ({count * 5 / elapsed:.0f} steps/s), "
                f"{batches} commits (~{count * 12 / max(batches, 1):.0f} rows per commit); "
                f"step under load p50 {ms(percentile(intervals, 0.5))}, p99 {ms(percentile(intervals, 0.99))}"
            )
        steps = 300 if quick else 2000
        for label, is_async in (("sync", False), ("async", True)):
            await run_all(e, "chain", [{"steps": steps, "async": is_async}], f"lat-{label}")
            intervals = await step_intervals(e, f"lat-{label}-0")
            print(
                f"per-step latency, one {steps}-step chain alone ({label} no-op activity): "
                f"p50 {ms(percentile(intervals, 0.5))}, p99 {ms(percentile(intervals, 0.99))}"
            )


if __name__ == "__main__":
    asyncio.run(main(parser(__doc__ or "").parse_args().quick))
