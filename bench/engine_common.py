"""Shared parts of the engine benchmarks: the workflows, an engine on a temp store, figures."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import builtin_engine as wf


def noop(ctx: wf.WorkflowActivityContext, value: Any) -> Any:
    return value


async def anoop(ctx: wf.WorkflowActivityContext, value: Any) -> Any:
    return value


def chain(ctx: wf.DaprWorkflowContext, spec: dict[str, Any]) -> Any:
    activity = anoop if spec.get("async") else noop
    value = 0
    for _ in range(spec["steps"]):
        value = yield ctx.call_activity(activity, input=value)
    return value


def waiting(ctx: wf.DaprWorkflowContext, _: Any = None) -> Any:
    return (yield ctx.wait_for_external_event("go"))


def register(host: wf.WorkflowRuntime) -> None:
    """Register the bench workflows and activities on ``host``."""
    for activity in (noop, anoop):
        host.register_activity(activity)
    for workflow in (chain, waiting):
        host.register_workflow(workflow)


#: the bench workflows, for engines the benchmarks build themselves
runtime = wf.WorkflowRuntime()
register(runtime)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a smoke run that finishes in seconds")
    return p


@asynccontextmanager
async def engine(**options: Any) -> AsyncIterator[wf.Engine]:
    """An engine with the bench workflows on a fresh SQLite file (full durability)."""
    with tempfile.TemporaryDirectory(prefix="flowport-bench-") as tmp:
        e = wf.Engine(wf.SQLiteStore(Path(tmp) / "bench.db"), runtime.registry, wf.EngineOptions(**options))
        await e.start()
        try:
            yield e
        finally:
            await e.stop()


def is_done(record: Any) -> bool:
    return record is None or record.status.is_terminal


async def run_all(e: wf.Engine, name: str, inputs: Sequence[Any], prefix: str) -> float:
    """Start one instance per input at once, wait for all; returns the seconds it took."""
    began = time.perf_counter()
    ids = [f"{prefix}-{i}" for i in range(len(inputs))]
    await asyncio.gather(*(e.schedule(name, wf_json(inp), iid) for iid, inp in zip(ids, inputs, strict=True)))
    records = await asyncio.gather(*(e.wait(iid, is_done, 600) for iid in ids))
    elapsed = time.perf_counter() - began
    bad = [r for r in records if r is None or r.status.value != "COMPLETED"]
    assert not bad, f"{len(bad)} instances did not complete: {bad[:1]}"
    return elapsed


def wf_json(value: Any) -> str | None:
    import json

    return None if value is None else json.dumps(value)


async def step_intervals(e: wf.Engine, instance_id: str) -> list[float]:
    """Seconds between consecutive ActivityScheduled events: one full step each."""
    times = [ev.timestamp for _, ev in await e.history(instance_id) if ev.type.title == "ActivityScheduled"]
    return [b - a for a, b in itertools.pairwise(times)]


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
