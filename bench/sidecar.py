"""Dapr SDK workers on Flowport's sidecar service, against the in-process engine and Temporal.

    python -m bench.sidecar [--quick]

In one run, on this machine, the same chain of five no-op activities three ways, each
measured twice: N chains started at once (workflows/s), and chains run one at a time (the
step interval of a chain alone: consecutive ``ActivityScheduled`` events of its history, that
is run the activity, record its result, replay the workflow, schedule the next):

1. **Over gRPC**: an unmodified Dapr Python SDK app (``bench/programs/sdk_chain.py``,
   dapr[workflow] 1.19.0, its own process, only ``DAPR_GRPC_PORT`` set) against ``flowport
   serve`` (its own process, one built-in component without runtimes, SQLite at full
   durability). The app starts the chains with the SDK's client and its worker runs them.
   Also the CPU seconds the app and the gateway spent per workflow.
2. **In-process**: the built-in engine hosting the workflow itself.
3. **Temporal**: a Temporal dev server with a Python worker (temporalio, in this process).

Then **a 1,000-step chain** over gRPC, with the worker's stateful history on (1.19's default)
and off: total time, CPU on each side, and the mean step interval per tenth of the chain
(the SDK replays the whole history on every turn).

Target (issue 10): >= 300 five-step workflows/s over gRPC. The SDK environment comes from
scripts/sdk-envs.sh (installed on first use).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow

import builtin_engine as wf
from bench._gateway import builtin_gateway
from bench._temporal import temporal_worker
from bench.engine_common import engine, ms, parser, percentile, run_all, step_intervals
from gateway.testing import free_port

REPO = Path(__file__).resolve().parents[1]
PROGRAM = REPO / "bench" / "programs" / "sdk_chain.py"
STEPS = 5


@dataclass
class Run:
    seconds: float
    worker_cpu: float
    gateway_cpu: float
    intervals: list[float]


def sdk_python() -> Path:
    listed = subprocess.run(
        [str(REPO / "scripts" / "sdk-envs.sh"), "py-dapr-1.19.0"], capture_output=True, text=True, check=True
    ).stdout.split()
    return Path(listed[1]) / "bin" / "python"


def run_app(python: Path, grpc_port: int, *arguments: str) -> tuple[dict[str, float], float]:
    """Run the SDK app; its JSON answer and the CPU seconds it used."""
    process = subprocess.Popen(
        [str(python), str(PROGRAM), *arguments],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DAPR_GRPC_PORT": str(grpc_port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=PROGRAM.parent,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, f"sdk_chain.py {' '.join(arguments)} failed: {output!r}"
    answer: dict[str, float] = json.loads(output.decode().strip().splitlines()[-1])
    return answer, usage.ru_utime + usage.ru_stime


def history_intervals(store: Path, instance_ids: Sequence[str]) -> list[float]:
    """Seconds between consecutive ActivityScheduled events of each instance."""
    sqlite = wf.SQLiteStore(store)
    sqlite.open()
    try:
        intervals: list[float] = []
        for instance_id in instance_ids:
            times = [
                e.timestamp for _, e in sqlite.history(instance_id) if e.type.title == "ActivityScheduled"
            ]
            intervals.extend(b - a for a, b in itertools.pairwise(times))
        return intervals
    finally:
        sqlite.close()


def over_grpc(python: Path, mode: str, count: int, steps: int, *flags: str) -> Run:
    grpc_port = free_port()
    with builtin_gateway("", grpc_port=grpc_port, metrics=False) as gateway:
        prefix = f"b{uuid.uuid4().hex[:6]}"
        before = gateway.cpu_seconds()
        answer, worker_cpu = run_app(python, grpc_port, mode, str(count), str(steps), prefix, *flags)
        gateway_cpu = gateway.cpu_seconds() - before
        assert gateway.store is not None
        intervals = history_intervals(gateway.store, [f"{prefix}-{i}" for i in range(min(count, 300))])
    return Run(answer["seconds"], worker_cpu, gateway_cpu, intervals)


# -- Temporal -----------------------------------------------------------------------------------


@activity.defn(name="noop")
def temporal_noop(value: int) -> int:
    return value + 1


@workflow.defn(name="chain")
class TemporalChain:
    @workflow.run
    async def run(self, steps: int) -> int:
        value = 0
        for _ in range(steps):
            value = await workflow.execute_activity(
                "noop", value, start_to_close_timeout=timedelta(seconds=60), result_type=int
            )
        return value


async def on_temporal(count: int, alone: int) -> tuple[float, list[float], list[float]]:
    """Seconds for ``count`` chains at once, their step intervals, and those of ``alone``
    chains run one at a time."""
    async with temporal_worker([TemporalChain], [temporal_noop]) as (client, queue):

        async def one(workflow_id: str) -> int:
            return await client.execute_workflow(TemporalChain.run, STEPS, id=workflow_id, task_queue=queue)

        async def intervals(ids: Sequence[str]) -> list[float]:
            found: list[float] = []
            for workflow_id in ids:
                handle = client.get_workflow_handle(workflow_id)
                times = [
                    event.event_time.ToDatetime().timestamp()
                    async for event in handle.fetch_history_events()
                    if event.activity_task_scheduled_event_attributes.activity_type.name
                ]
                found.extend(b - a for a, b in itertools.pairwise(times))
            return found

        await asyncio.gather(*(one(f"{queue}-warm-{i}") for i in range(20)))
        ids = [f"{queue}-{i}" for i in range(count)]
        began = time.perf_counter()
        results = await asyncio.gather(*(one(workflow_id) for workflow_id in ids))
        elapsed = time.perf_counter() - began
        assert results == [STEPS] * count
        alone_ids = [f"{queue}-alone-{i}" for i in range(alone)]
        for workflow_id in alone_ids:
            await one(workflow_id)
        return elapsed, await intervals(ids[:50]), await intervals(alone_ids)


# -- the run ------------------------------------------------------------------------------------


def steps_text(intervals: list[float]) -> str:
    return f"p50 {ms(percentile(intervals, 0.5))}, p99 {ms(percentile(intervals, 0.99))}"


def describe(
    name: str, count: int, seconds: float, loaded: list[float], alone: list[float], extra: str = ""
) -> None:
    print(
        f"{name}: {count / seconds:.0f} five-step workflows/s ({count} at once, {seconds:.1f} s){extra}; "
        f"step alone {steps_text(alone)}; step under that load {steps_text(loaded)}"
    )


def curve(intervals: list[float]) -> str:
    """Mean step interval per tenth of the chain, in ms."""
    tenth = max(1, len(intervals) // 10)
    means = [statistics.fmean(intervals[i : i + tenth]) * 1000 for i in range(0, len(intervals), tenth)]
    return " ".join(f"{m:.1f}" for m in means[:10])


async def main(quick: bool) -> None:
    python = sdk_python()
    grpc_count, local_count, temporal_count = (200, 300, 40) if quick else (1000, 3000, 300)
    alone = 10 if quick else 50
    long_steps = 200 if quick else 1000

    grpc = over_grpc(python, "throughput", grpc_count, STEPS)
    grpc_alone = over_grpc(python, "alone", alone, STEPS)
    cpu = (
        f"; CPU per workflow: SDK app {grpc.worker_cpu / grpc_count * 1000:.1f} ms, "
        f"gateway {grpc.gateway_cpu / grpc_count * 1000:.1f} ms"
    )
    describe(
        "over gRPC (dapr 1.19 Python SDK app, one process)",
        grpc_count,
        grpc.seconds,
        grpc.intervals,
        grpc_alone.intervals,
        cpu,
    )

    async with engine() as e:
        await run_all(e, "chain", [{"steps": STEPS}] * 50, "warm")
        seconds = await run_all(e, "chain", [{"steps": STEPS}] * local_count, "local")
        loaded = [i for n in range(min(local_count, 300)) for i in await step_intervals(e, f"local-{n}")]
        for n in range(alone):
            await run_all(e, "chain", [{"steps": STEPS}], f"alone{n}")
        lone = [i for n in range(alone) for i in await step_intervals(e, f"alone{n}-0")]
    describe("in-process (the engine hosting the workflow)", local_count, seconds, loaded, lone)

    seconds, loaded, lone = await on_temporal(temporal_count, alone)
    describe("Temporal dev server + Python worker", temporal_count, seconds, loaded, lone)

    for label, flags in (
        ("stateful history (1.19 default)", ()),
        ("full history every turn", ("--stateless",)),
    ):
        run = over_grpc(python, "alone", 1, long_steps, *flags)
        print(
            f"{long_steps}-step chain over gRPC, {label}: {run.seconds:.1f} s "
            f"({run.seconds / long_steps * 1000:.1f} ms per step); CPU: SDK app {run.worker_cpu:.1f} s, "
            f"gateway {run.gateway_cpu:.1f} s; mean step per tenth of the chain (ms): {curve(run.intervals)}"
        )


if __name__ == "__main__":
    asyncio.run(main(parser(__doc__ or "").parse_args().quick))
    sys.stdout.flush()
    os._exit(0)  # the Temporal SDK's core threads can abort at interpreter exit (see engine_vs_temporal)
