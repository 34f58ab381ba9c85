"""Five-step chain workflows per second at full durability, and the cost of one step.

    python -m bench.engine_throughput [--quick]

Through the engine API (no HTTP), on a SQLite store with synchronous=FULL:

1. N five-step chains of a no-op activity (sync, then async) started at once; then one long
   chain alone for per-step latency (the time between one activity's scheduling and the
   next's: run, record, replay step, schedule).
2. The way users drive it: ``DaprWorkflowClient`` from 16 threads, each looping schedule,
   then wait for completion, against a ``WorkflowRuntime`` started in the same process.

Targets (issue 9): >= 1,500 workflows/s with the sync activity and >= 2,500 with the async
one; per-step p50 of one chain alone no worse than 0.26 ms (sync); >= 1,000 workflows/s
through the client from 16 threads. Each figure also gives the process CPU time per
workflow, which a busy machine disturbs less than the wall clock.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path

import builtin_engine as wf
from bench.engine_common import engine, ms, parser, percentile, register, run_all, step_intervals

CLIENT_THREADS = 16


async def engine_figures(quick: bool) -> None:
    count = 300 if quick else 3000
    for label, is_async in (("sync", False), ("async", True)):
        async with engine() as e:  # each figure on a fresh store, so neither pays for the other's
            await run_all(e, "chain", [{"steps": 5, "async": is_async}] * 200, f"warm-{label}")
            batches_before = e.services.writer.batches
            cpu_before = time.process_time()
            elapsed = await run_all(e, "chain", [{"steps": 5, "async": is_async}] * count, f"tp-{label}")
            cpu = time.process_time() - cpu_before
            batches = e.services.writer.batches - batches_before
            intervals: list[float] = []
            for i in range(0, count, max(1, count // 50)):
                intervals += await step_intervals(e, f"tp-{label}-{i}")
            print(
                f"five-step chains ({label} no-op activity): {count} in {elapsed:.2f} s = "
                f"{count / elapsed:.0f} workflows/s ({count * 5 / elapsed:.0f} steps/s), "
                f"CPU {cpu / count * 1000:.3f} ms per workflow, {batches} commits "
                f"(~{count * 12 / max(batches, 1):.0f} rows per commit); "
                f"step under load p50 {ms(percentile(intervals, 0.5))}, p99 {ms(percentile(intervals, 0.99))}"
            )
    steps = 300 if quick else 2000
    for label, is_async in (("sync", False), ("async", True)):
        async with engine() as e:
            await run_all(e, "chain", [{"steps": steps, "async": is_async}], f"lat-{label}")
            intervals = await step_intervals(e, f"lat-{label}-0")
            print(
                f"per-step latency, one {steps}-step chain alone ({label} no-op activity): "
                f"p50 {ms(percentile(intervals, 0.5))}, p99 {ms(percentile(intervals, 0.99))}"
            )


def client_figures(quick: bool) -> None:
    """Schedule-then-wait loops from threads, through the synchronous DaprWorkflowClient."""
    count = 320 if quick else 3200
    with tempfile.TemporaryDirectory(prefix="flowport-bench-") as tmp:
        store = Path(tmp) / "bench.db"
        host = wf.WorkflowRuntime(store=store)
        register(host)
        host.start()
        try:
            client = wf.DaprWorkflowClient(store=store)

            def loop(prefix: str, n: int) -> None:
                for i in range(n):
                    iid = client.schedule_new_workflow(
                        "chain", input={"steps": 5}, instance_id=f"{prefix}-{i}"
                    )
                    state = client.wait_for_workflow_completion(iid, timeout_in_seconds=600)
                    assert state is not None, iid
                    assert state.runtime_status.name == "COMPLETED", state

            def run(label: str, total: int) -> tuple[float, float]:
                threads = [
                    threading.Thread(target=loop, args=(f"{label}-{k}", total // CLIENT_THREADS))
                    for k in range(CLIENT_THREADS)
                ]
                began, cpu_before = time.perf_counter(), time.process_time()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                return time.perf_counter() - began, time.process_time() - cpu_before

            run("warm", CLIENT_THREADS * 10)
            elapsed, cpu = run("client", count)
            print(
                f"five-step chains through DaprWorkflowClient from {CLIENT_THREADS} threads (schedule, "
                f"then wait for completion; sync no-op activity): {count} in {elapsed:.2f} s = "
                f"{count / elapsed:.0f} workflows/s, CPU {cpu / count * 1000:.3f} ms per workflow"
            )
        finally:
            host.shutdown()


def main(quick: bool) -> None:
    asyncio.run(engine_figures(quick))
    client_figures(quick)


if __name__ == "__main__":
    main(parser(__doc__ or "").parse_args().quick)
