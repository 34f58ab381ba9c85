"""The built-in engine through the REST API: chain workflows per second, and the cost of a step.

    python -m bench.rest_engine [--quick] [--async-activity]
    python -m bench.rest_engine --telemetry [--quick] [--rounds 3]

Serves this module's ``runtime`` with a real gateway (``flowport serve`` in a subprocess, so the
client's load generator does not share its interpreter) on a fresh SQLite store at full
durability (WAL, synchronous=FULL), then, over HTTP only:

1. throughput: N five-step chains of a no-op activity, started through ``POST .../start``
   (32 requests in flight, on 32 keep-alive connections); the clock stops when listing
   ``RUNNING``/``PENDING`` instances answers none. Also the start requests' latency, and the
   step intervals under that load;
2. per-step latency of one long chain alone: the time between consecutive
   ``ActivityScheduled`` events of its history (``GET .../history``), i.e. run the activity,
   record its result, resume the workflow, schedule the next;
3. one five-step chain at a time: start-to-completion as the instance's own timestamps show it
   (``lastUpdatedAt - createdAt``), and the round trip of start and get requests.

Targets (issue 3, engine API): >= 300 workflows/s, per-step p50 <= 1.5 ms.

``--telemetry`` instead compares the throughput phase with metrics and traces off, metrics on,
and traces on as well (OTLP/HTTP to a receiver in this process), alternated ``--rounds`` times.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import builtin_engine as wf
from bench._gateway import Gateway, builtin_gateway
from bench._http import Connection
from tests.servers.otlp import running_otlp_receiver

REPO = Path(__file__).resolve().parents[1]
COMPONENT = "bench"
BASE = f"/v1.0/workflows/{COMPONENT}"
IN_FLIGHT = 32

runtime = wf.WorkflowRuntime()


@runtime.activity(name="rest_noop")
def noop(ctx: wf.WorkflowActivityContext, value: Any) -> Any:
    return value


@runtime.activity(name="rest_anoop")
async def anoop(ctx: wf.WorkflowActivityContext, value: Any) -> Any:
    return value


@runtime.workflow(name="rest_chain")
def chain(ctx: wf.DaprWorkflowContext, spec: dict[str, Any]) -> Any:
    activity = anoop if spec.get("async") else noop
    value = 0
    for _ in range(spec["steps"]):
        value = yield ctx.call_activity(activity, input=value)
    return value


# --- the gateway -------------------------------------------------------------------------------


@contextmanager
def serving_gateway(metrics: bool = False, env: dict[str, str] | None = None) -> Iterator[Gateway]:
    """``flowport serve`` in a subprocess hosting ``runtime`` on a fresh store.

    Metrics off unless ``metrics``; tracing only through ``OTEL_*`` variables in ``env``."""
    with builtin_gateway("bench.rest_engine:runtime", COMPONENT, metrics=metrics, env=env) as gateway:
        yield gateway


# --- figures -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def p50_p99(values: Sequence[float]) -> str:
    return f"p50 {ms(percentile(values, 0.5))}, p99 {ms(percentile(values, 0.99))}"


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# --- the runs ----------------------------------------------------------------------------------


async def start(conn: Connection, instance_id: str, spec: dict[str, Any]) -> float:
    """Start one chain; returns the request's round trip in seconds."""
    began = time.perf_counter()
    status, body = await conn.request("POST", f"{BASE}/rest_chain/start?instanceID={instance_id}", spec)
    elapsed = time.perf_counter() - began
    if status != 202:
        raise RuntimeError(f"start {instance_id}: {status} {body}")
    return elapsed


async def start_all(pool: Sequence[Connection], ids: Sequence[str], spec: dict[str, Any]) -> list[float]:
    """Start every instance, one request in flight per connection of ``pool``."""
    queue = iter(ids)
    latencies: list[float] = []

    async def worker(conn: Connection) -> None:
        for instance_id in queue:
            latencies.append(await start(conn, instance_id, spec))

    await asyncio.gather(*(worker(conn) for conn in pool))
    return latencies


async def wait_idle(conn: Connection, deadline_seconds: float = 600) -> None:
    """Until no instance is RUNNING or PENDING (one cheap list request per poll)."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        page = await conn.get(f"{BASE}?status=RUNNING,PENDING&pageSize=1")
        if not page["instances"]:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"instances still running: {page['instances'][0]['instanceID']}")
        await asyncio.sleep(0.005)


async def check_completed(conn: Connection, ids: Sequence[str]) -> None:
    for instance_id in (ids[0], ids[-1]):
        body = await conn.get(f"{BASE}/{instance_id}")
        if body["runtimeStatus"] != "COMPLETED":
            raise RuntimeError(f"{instance_id} is {body['runtimeStatus']}: {body}")


async def step_intervals(conn: Connection, instance_id: str) -> list[float]:
    """Seconds between consecutive ActivityScheduled events: one full step each."""
    events = (await conn.get(f"{BASE}/{instance_id}/history"))["events"]
    times = [_time(e["timestamp"]) for e in events if e["kind"] == "ActivityScheduled"]
    return [b - a for a, b in itertools.pairwise(times)]


async def throughput(
    pool: Sequence[Connection], count: int, spec: dict[str, Any], prefix: str
) -> tuple[float, float]:
    """Runs and prints the throughput phase; returns workflows/s and the start request's p50."""
    conn = pool[0]
    ids = [f"{prefix}-{i}" for i in range(count)]
    began = time.perf_counter()
    latencies = await start_all(pool, ids, spec)
    started = time.perf_counter() - began
    await wait_idle(conn)
    elapsed = time.perf_counter() - began
    await check_completed(conn, ids)
    intervals: list[float] = []
    for i in range(0, count, max(1, count // 50)):
        intervals += await step_intervals(conn, ids[i])
    print(
        f"  throughput: {count} five-step chains in {elapsed:.2f} s = {count / elapsed:.0f} workflows/s "
        f"({count * 5 / elapsed:.0f} steps/s); starts took {started:.2f} s "
        f"({count / started:.0f} starts/s, {len(pool)} in flight), start request {p50_p99(latencies)}",
        flush=True,
    )
    print(f"  step interval under that load: {p50_p99(intervals)}", flush=True)
    return count / elapsed, percentile(latencies, 0.5)


async def long_chain(conn: Connection, steps: int, spec: dict[str, Any], instance_id: str) -> None:
    await start(conn, instance_id, {**spec, "steps": steps})
    await wait_idle(conn)
    await check_completed(conn, [instance_id])
    intervals = await step_intervals(conn, instance_id)
    print(f"  per-step latency, one {steps}-step chain alone: {p50_p99(intervals)}", flush=True)


async def one_at_a_time(conn: Connection, runs: int, spec: dict[str, Any], prefix: str) -> None:
    durations: list[float] = []
    starts: list[float] = []
    gets: list[float] = []
    for i in range(runs):
        instance_id = f"{prefix}-{i}"
        starts.append(await start(conn, instance_id, spec))
        while True:
            began = time.perf_counter()
            body = await conn.get(f"{BASE}/{instance_id}")
            gets.append(time.perf_counter() - began)
            if body["runtimeStatus"] == "COMPLETED":
                break
            await asyncio.sleep(0.001)
        durations.append(_time(body["lastUpdatedAt"]) - _time(body["createdAt"]))
    per_step = [d / 5 for d in durations]
    print(
        f"  one five-step chain at a time ({runs} runs): start to completion {p50_p99(durations)} "
        f"= per step {p50_p99(per_step)}; start request {p50_p99(starts)}, get request {p50_p99(gets)}",
        flush=True,
    )


async def main(quick: bool, async_activity: bool) -> None:
    count = 300 if quick else 3000
    steps = 300 if quick else 2000
    runs = 30 if quick else 200
    spec = {"steps": 5, "async": async_activity}
    label = "async" if async_activity else "sync"
    print(
        f"REST API, built-in engine, SQLite WAL synchronous=FULL, {label} no-op activity"
        f"{' (quick)' if quick else ''}:",
        flush=True,
    )
    with serving_gateway() as gateway:
        pool = [await Connection.open(gateway.url) for _ in range(IN_FLIGHT)]
        try:
            await throughput(pool, 50, spec, "warm")  # imports, caches, connections
            await throughput(pool, count, spec, "tp")
            await long_chain(pool[0], steps, spec, "long")
            await one_at_a_time(pool[0], runs, spec, "single")
        finally:
            for conn in pool:
                conn.close()


async def telemetry(quick: bool, rounds: int) -> None:
    """The throughput phase on three gateways, alternated ``rounds`` times in one run: metrics
    and traces off; metrics on (scraped by nobody: recording is the cost); metrics on and
    traces exported over OTLP/HTTP to a receiver in this process."""
    count = 300 if quick else 3000
    spec = {"steps": 5, "async": False}
    results: dict[str, list[tuple[float, float, float]]] = {}
    with running_otlp_receiver() as receiver:
        configurations = {
            "metrics off, traces off": (False, None),
            "metrics on, traces off": (True, None),
            "metrics on, traces on (OTLP)": (
                True,
                {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint},
            ),
        }
        for round_ in range(rounds):
            for label, (metrics, env) in configurations.items():
                print(f"round {round_ + 1}, {label}:", flush=True)
                with serving_gateway(metrics, env) as gateway:
                    pool = [await Connection.open(gateway.url) for _ in range(IN_FLIGHT)]
                    try:
                        await throughput(pool, 50, spec, "warm")
                        cpu = gateway.cpu_seconds()
                        rate, start_p50 = await throughput(pool, count, spec, "tp")
                        cpu_per_workflow = (gateway.cpu_seconds() - cpu) / count
                        results.setdefault(label, []).append((rate, start_p50, cpu_per_workflow))
                    finally:
                        for conn in pool:
                            conn.close()
        spans = len(receiver.spans())
    base_rate, _, base_cpu = (
        statistics.median(v) for v in zip(*results["metrics off, traces off"], strict=True)
    )
    print(f"telemetry cost, median of {rounds} alternated rounds of {count} five-step chains:")
    for label, runs in results.items():
        rate, start_p50, cpu = (statistics.median(v) for v in zip(*runs, strict=True))
        print(
            f"  {label:30} {rate:6.0f} workflows/s ({(rate / base_rate - 1) * 100:+5.1f}%), "
            f"gateway CPU {ms(cpu)} per workflow ({(cpu / base_cpu - 1) * 100:+5.1f}%), "
            f"start request p50 {ms(start_p50)}"
        )
    print(f"  ({spans} spans reached the OTLP receiver)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run that finishes in seconds")
    parser.add_argument("--async-activity", action="store_true", help="use an async def no-op activity")
    parser.add_argument(
        "--telemetry",
        action="store_true",
        help="instead: throughput with metrics and traces off, metrics on, and traces on too",
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds of --telemetry")
    arguments = parser.parse_args()
    if arguments.telemetry:
        asyncio.run(telemetry(arguments.quick, arguments.rounds))
    else:
        asyncio.run(main(arguments.quick, arguments.async_activity))
