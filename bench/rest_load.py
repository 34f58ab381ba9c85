"""Load through the REST API: concurrent keep-alive clients on the built-in component.

    python -m bench.rest_load [--quick] [--clients 50] [--seconds 60] [--page-size 10]
                              [--profile FILE]
    python -m bench.rest_load --per-operation [--quick] [--page-size 10]

Serves ``bench.engine_common:runtime`` with ``flowport serve`` in a subprocess (fresh SQLite
store, full durability). Each client holds one keep-alive connection and loops, one request
at a time:

1. ``POST .../waiting/start?instanceID=<client>-<n>``: a workflow that waits for the event ``go``
2. ``GET .../<id>``
3. ``POST .../<id>/raiseEvent/go``: the workflow completes with the event's data
4. ``GET ...?pageSize=<page size>``: one page of the list, newest first

After a warm-up (not counted) the clients run for the measured window; then the benchmark
waits until no instance is RUNNING or PENDING and checks, by listing them all, that every
instance started (warm-up included) is COMPLETED with the data its event carried.

Printed: requests/s, latency p50/p99 over all requests and per operation, errors (any answer
other than the expected status), the gateway's CPU time per request (``/proc/<pid>/stat``
before and after the window) and the load client's own CPU (this process), so that a client
at its limit is seen rather than mistaken for the gateway's.

``--profile FILE`` records the gateway with py-spy during the window (``pip install
py-spy``; needs ptrace rights) and writes its collapsed stacks to FILE; the top of the
profile is printed, by own time and by cumulative time.

``--per-operation`` instead runs each operation alone (start, get, list, raise event) on 16
connections and prints the gateway's CPU per request for each.

Target (issue 14): p99 <= 50 ms at 50 clients, no errors, every instance completed.
Figures and the profile: docs/rest-load.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._gateway import Gateway, builtin_gateway
from bench._http import Connection
from bench.engine_common import ms, percentile

COMPONENT = "bench"
BASE = f"/v1.0/workflows/{COMPONENT}"
WORKFLOW = "waiting"  # bench.engine_common.waiting: returns the data of the event "go"
OPERATIONS = ("start", "get", "raise event", "list")


@dataclass
class Tally:
    """What the clients saw; latencies are kept only while ``recording``."""

    recording: bool = False
    stopping: bool = False
    started: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {op: [] for op in OPERATIONS})
    errors: collections.Counter[str] = field(default_factory=collections.Counter)


async def client(url: str, index: int, page_size: int, tally: Tally) -> None:
    conn = await Connection.open(url)
    steps = (
        ("start", "POST", "{base}/" + WORKFLOW + "/start?instanceID={id}", None, 202),
        ("get", "GET", "{base}/{id}", None, 200),
        ("raise event", "POST", "{base}/{id}/raiseEvent/go", "{id}", 202),
        ("list", "GET", "{base}?pageSize=" + str(page_size), None, 200),
    )
    n = 0
    try:
        while not tally.stopping:
            instance_id = f"c{index}-{n}"
            n += 1
            for operation, method, target, body, expected in steps:
                began = time.perf_counter()
                try:
                    status, answer = await conn.request(
                        method,
                        target.format(base=BASE, id=instance_id),
                        body.format(id=instance_id) if body else None,
                    )
                except (OSError, asyncio.IncompleteReadError) as exc:
                    tally.errors[f"{operation}: {type(exc).__name__}"] += 1
                    conn.close()
                    conn = await Connection.open(url)
                    break
                elapsed = time.perf_counter() - began
                if operation == "start" and status == expected:
                    tally.started += 1
                if status != expected:
                    tally.errors[f"{operation}: {status} {str(answer)[:200]}"] += 1
                    break
                if tally.recording:
                    tally.latencies[operation].append(elapsed)
    finally:
        conn.close()


async def check_all_completed(url: str, started: int) -> str:
    """Wait until nothing runs, then list every instance: all COMPLETED with their event's data."""
    conn = await Connection.open(url)
    try:
        deadline = time.monotonic() + 300
        while (await conn.get(f"{BASE}?status=RUNNING,PENDING&pageSize=1"))["instances"]:
            if time.monotonic() > deadline:
                raise RuntimeError("instances still running 300 s after the load stopped")
            await asyncio.sleep(0.1)
        statuses: collections.Counter[str] = collections.Counter()
        wrong_output: list[str] = []
        token = None
        while True:
            query = f"{BASE}?pageSize=1000" + (f"&continuationToken={token}" if token else "")
            page = await conn.get(query)
            for state in page["instances"]:
                statuses[state["runtimeStatus"]] += 1
                output = state["properties"].get("dapr.workflow.output")
                if output != f'"{state["instanceID"]}"':
                    wrong_output.append(state["instanceID"])
            token = page["continuationToken"]
            if not token:
                break
    finally:
        conn.close()
    total = sum(statuses.values())
    verdict = "every one COMPLETED with its event's data"
    if total != started or set(statuses) != {"COMPLETED"} or wrong_output:
        verdict = f"NOT ALL COMPLETED: {dict(statuses)}, wrong output on {wrong_output[:5]}"
    return f"{started} instances started, {total} listed, {verdict}"


def start_profiler(gateway: Gateway, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [py_spy, "record", "--pid", str(gateway.pid), "--duration", str(int(seconds))]
    command += ["--format", "raw", "--output", str(output), "--nonblocking", "--threads", "--rate", "200"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def profile_top(collapsed: Path, lines: int = 25) -> str:
    """The frames with the most samples, by own time and by cumulative time."""
    own: collections.Counter[str] = collections.Counter()
    cumulative: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            cumulative[frame] += count
    out = [f"  profile: {total} samples"]
    for title, counter in (("own time", own), ("cumulative", cumulative)):
        out.append(f"  top by {title}:")
        out += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in counter.most_common(lines)]
    return "\n".join(out)


@dataclass
class Usage:
    """CPU seconds used during the window: the gateway, its event-loop thread, the client."""

    gateway: float
    loop: float
    client: float


def report(tally: Tally, window: float, cpu: Usage) -> None:
    everything = [value for values in tally.latencies.values() for value in values]
    count = len(everything)
    print(
        f"  {count} requests in {window:.1f} s = {count / window:,.0f} requests/s; "
        f"latency p50 {ms(percentile(everything, 0.5))}, p99 {ms(percentile(everything, 0.99))}",
        flush=True,
    )
    for operation, values in tally.latencies.items():
        print(
            f"    {operation:<12} n={len(values):<7} p50 {ms(percentile(values, 0.5))}, "
            f"p99 {ms(percentile(values, 0.99))}, max {ms(max(values, default=float('nan')))}",
            flush=True,
        )
    errors = sum(tally.errors.values())
    print(f"  errors: {errors}" + "".join(f"\n    {n} x {e}" for e, n in tally.errors.most_common(5)))
    per_request = 1e3 / max(count, 1)
    print(
        f"  gateway CPU: {cpu.gateway / window:.2f} cores, {cpu.gateway * per_request:.3f} ms per request "
        f"(its event-loop thread: {cpu.loop / window:.2f} cores, {cpu.loop * per_request:.3f} ms); "
        f"load client CPU: {cpu.client / window:.2f} cores, {cpu.client * per_request:.3f} ms per request",
        flush=True,
    )


async def main(
    clients: int, seconds: float, warmup: float, page_size: int, profile: Path | None
) -> subprocess.Popen[bytes] | None:
    """Run the load; returns the profiler still finishing its file, if one was asked for."""
    print(
        f"REST load, built-in engine (SQLite WAL, synchronous=FULL): {clients} keep-alive clients, "
        f"{warmup:g} s warm-up + {seconds:g} s measured, each looping start, get, raise event, "
        f"list (pageSize={page_size}); {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} before",
        flush=True,
    )
    with builtin_gateway("bench.engine_common:runtime", COMPONENT) as gateway:
        tally = Tally()
        tasks = [asyncio.create_task(client(gateway.url, i, page_size, tally)) for i in range(clients)]
        await asyncio.sleep(warmup)
        profiler = start_profiler(gateway, seconds, profile) if profile else None
        tally.recording = True
        before = Usage(gateway.cpu_seconds(), gateway.loop_cpu_seconds(), time.process_time())
        began = time.perf_counter()
        await asyncio.sleep(seconds)
        tally.recording = False
        window = time.perf_counter() - began
        after = Usage(gateway.cpu_seconds(), gateway.loop_cpu_seconds(), time.process_time())
        tally.stopping = True
        await asyncio.gather(*tasks)
        cpu = Usage(after.gateway - before.gateway, after.loop - before.loop, after.client - before.client)
        report(tally, window, cpu)
        print(f"  {await check_all_completed(gateway.url, tally.started)}", flush=True)
    return profiler


Request = tuple[str, str, Any, int]  # method, target, body, expected status


async def repeat(conn: Connection, count: int, requests: Callable[[], Request]) -> None:
    for _ in range(count):
        method, target, body, expected = requests()
        status, answer = await conn.request(method, target, body)
        if status != expected:
            raise RuntimeError(f"{method} {target}: {status} {answer}")


async def per_operation(page_size: int, requests: int, connections: int = 16) -> None:
    """Each operation alone, ``requests`` times over ``connections`` keep-alive connections:
    the gateway's CPU per request (process and event-loop thread), apart from the mix."""
    print(
        f"Each operation alone: {requests} requests on {connections} keep-alive connections "
        f"(list: pageSize={page_size}); load average {os.getloadavg()[0]:.2f} before",
        flush=True,
    )
    numbers = itertools.count()
    started: list[str] = []

    def start() -> Request:
        started.append(f"alone-{next(numbers)}")
        return "POST", f"{BASE}/{WORKFLOW}/start?instanceID={started[-1]}", None, 202

    operations: dict[str, Callable[[], Request]] = {
        "start": start,
        "get": lambda: ("GET", f"{BASE}/{started[0]}", None, 200),
        "list": lambda: ("GET", f"{BASE}?pageSize={page_size}", None, 200),
        "raise event": lambda: ("POST", f"{BASE}/{started.pop()}/raiseEvent/go", "data", 202),
    }
    with builtin_gateway("bench.engine_common:runtime", COMPONENT) as gateway:
        pool = [await Connection.open(gateway.url) for _ in range(connections)]
        try:
            for name, make in operations.items():
                cpu, loop_cpu = gateway.cpu_seconds(), gateway.loop_cpu_seconds()
                began = time.perf_counter()
                await asyncio.gather(*(repeat(conn, requests // connections, make) for conn in pool))
                elapsed = time.perf_counter() - began
                per_request = 1e3 / requests
                print(
                    f"  {name:<12} {requests / elapsed:7,.0f} requests/s; gateway CPU "
                    f"{(gateway.cpu_seconds() - cpu) * per_request:.3f} ms per request (event-loop "
                    f"thread {(gateway.loop_cpu_seconds() - loop_cpu) * per_request:.3f} ms)",
                    flush=True,
                )
        finally:
            for conn in pool:
                conn.close()


def run(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 s warm-up, 5 s measured")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="the measured window")
    parser.add_argument("--page-size", type=int, default=10, help="pageSize of the list request")
    parser.add_argument("--profile", type=Path, help="record the gateway with py-spy into this file")
    parser.add_argument(
        "--per-operation", action="store_true", help="instead: each operation alone, its CPU per request"
    )
    args = parser.parse_args(argv)
    seconds, warmup = (5.0, 1.0) if args.quick else (args.seconds, 5.0)
    # The client on uvloop, as the gateway is: the load generator must not be the bottleneck.
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        if args.per_operation:
            runner.run(per_operation(args.page_size, 1600 if args.quick else 16000))
            return
        profiler = runner.run(main(args.clients, seconds, warmup, args.page_size, args.profile))
    if profiler is not None:
        _, stderr = profiler.communicate(timeout=120)
        if profiler.returncode != 0 or not args.profile.exists():
            print(f"  py-spy failed: {stderr.decode().strip()[-500:]}")
        else:
            print(profile_top(args.profile), flush=True)


if __name__ == "__main__":
    run()
