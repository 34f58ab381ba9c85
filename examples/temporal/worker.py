"""A Temporal worker with the example workflows that Flowport's Temporal component drives.

Run it next to a Temporal server (two commands, from the repository root)::

    .venv/bin/temporal server start-dev --dynamic-config-value frontend.WorkflowPauseEnabled=true
    .venv/bin/python examples/temporal/worker.py

then serve ``examples/temporal/components`` with the gateway and start ``chain`` over HTTP.
Started before the server, the worker says so and waits for it (``--wait`` seconds, default
for ever) instead of failing.

The workflows take and return JSON values, because Flowport passes workflow input, event data
and output as JSON text. A workflow exposes a Dapr custom status by upserting the memo field
``customStatus`` (see ``progress``): the component reads it from the describe RPC, so it is
shown even when no worker is running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client, Interceptor
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

CUSTOM_STATUS_MEMO = "customStatus"
_ACTIVITY_TIMEOUT = timedelta(seconds=30)
RETRY_INTERVAL = 1.0  # seconds between connection attempts while the server is not up


@activity.defn(name="step")
async def step(value: Any) -> Any:
    """One link of ``chain``: records which step ran on the value it was given."""
    return {"step": value}


@activity.defn(name="reject")
async def reject(order: Any) -> None:
    raise ApplicationError(f"order {order!r} rejected", type="OrderRejected", non_retryable=True)


@workflow.defn(name="chain")
class Chain:
    """Chains three activities; the output lists each step's result."""

    @workflow.run
    async def run(self, value: Any = None) -> list[Any]:
        results: list[Any] = []
        for index in range(3):
            results.append(
                await workflow.execute_activity(
                    step, f"{value}-{index}", start_to_close_timeout=_ACTIVITY_TIMEOUT
                )
            )
        return results


@workflow.defn(name="approval")
class Approval:
    """Waits for the signal ``approve`` (raised as a Dapr event) and returns its data."""

    def __init__(self) -> None:
        self._decisions: list[Any] = []

    @workflow.signal(name="approve")
    def approve(self, decision: Any = None) -> None:
        self._decisions.append(decision)

    @workflow.run
    async def run(self, request: Any = None) -> dict[str, Any]:
        await workflow.wait_condition(lambda: bool(self._decisions))
        return {"request": request, "decision": self._decisions[0]}


@workflow.defn(name="fail")
class Fail:
    """Fails through a non-retryable activity error, so the workflow ends FAILED."""

    @workflow.run
    async def run(self, order: Any = None) -> None:
        try:
            await workflow.execute_activity(reject, order, start_to_close_timeout=_ACTIVITY_TIMEOUT)
        except Exception as exc:  # the ActivityError wrapping OrderRejected
            cause = exc.__cause__
            if isinstance(cause, ApplicationError):
                raise ApplicationError(cause.message, type=cause.type, non_retryable=True) from exc
            raise


@workflow.defn(name="countdown")
class Countdown:
    """Continues as new with ``n - 1`` until ``n`` reaches 0, then returns ``"liftoff"``."""

    @workflow.run
    async def run(self, n: int = 0) -> str:
        if n > 0:
            workflow.continue_as_new(n - 1)
        return "liftoff"


@workflow.defn(name="progress")
class Progress:
    """Exposes a custom status through the ``customStatus`` memo field, then waits to finish."""

    def __init__(self) -> None:
        self._finish = False

    @workflow.signal(name="finish")
    def finish(self, _data: Any = None) -> None:
        self._finish = True

    @workflow.run
    async def run(self, total: int = 2) -> int:
        for done in range(1, total + 1):
            await workflow.execute_activity(step, done, start_to_close_timeout=_ACTIVITY_TIMEOUT)
            workflow.upsert_memo({CUSTOM_STATUS_MEMO: f"{done}/{total} steps done"})
        await workflow.wait_condition(lambda: self._finish)
        workflow.upsert_memo({CUSTOM_STATUS_MEMO: "finished"})
        return total


@workflow.defn(name="parent")
class Parent:
    """Runs ``chain`` (or another type, given as ``{"child": ...}``) as a child workflow.

    ``{"depth": n}`` nests it: n - 1 generations of ``parent`` above the child at the bottom.
    """

    @workflow.run
    async def run(self, spec: Any = None) -> Any:
        spec = spec if isinstance(spec, dict) else {}
        depth = int(spec.get("depth", 1))
        child_id = f"{workflow.info().workflow_id}-child"
        if depth > 1:
            return await workflow.execute_child_workflow("parent", {**spec, "depth": depth - 1}, id=child_id)
        return await workflow.execute_child_workflow(spec.get("child", "chain"), "child", id=child_id)


WORKFLOWS = [Chain, Approval, Fail, Countdown, Progress, Parent]
ACTIVITIES = [step, reject]


def tracing() -> tuple[list[Interceptor], Callable[[], None]]:
    """temporalio's ``TracingInterceptor`` when OpenTelemetry export is configured (the standard
    ``OTEL_EXPORTER_OTLP_ENDPOINT``): workflows started or signalled through Flowport then
    continue the trace of the request that did it, with their activities as its children.
    Returns the client interceptors and what exports the last spans at exit."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return [], lambda: None
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from temporalio.contrib.opentelemetry import TracingInterceptor

    service = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "temporal-worker"}
    provider = TracerProvider(resource=Resource.create(service))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return [TracingInterceptor()], provider.shutdown


async def connect(
    address: str, namespace: str, wait: float, stop: asyncio.Event, interceptors: list[Interceptor]
) -> Client | None:
    """A client once the server answers; ``None`` if stopped first. Exits past ``wait`` (0: never)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait if wait else None
    waiting = False
    while not stop.is_set():
        try:
            return await Client.connect(address, namespace=namespace, interceptors=interceptors)
        except RuntimeError as exc:  # temporalio's "Failed client connect: ..."
            if deadline is not None and loop.time() > deadline:
                sys.exit(f"worker: no Temporal server at {address} after {wait:g} s: {exc}")
            if not waiting:
                # A test waits for this line before it starts the server.
                print(f"worker: waiting for the Temporal server at {address} ...", flush=True)
                waiting = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RETRY_INTERVAL)
    return None


async def serve(address: str, namespace: str, task_queue: str, wait: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    interceptors, flush = tracing()
    client = await connect(address, namespace, wait, stop, interceptors)
    if client is None:
        return
    try:
        async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES):
            # A test fixture waits for this line before it starts workflows.
            print(f"worker ready on task queue {task_queue!r} at {address}", flush=True)
            await stop.wait()
    finally:
        flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="localhost:7233", help="Temporal frontend host:port")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", default="flowport", help="must match the component's taskQueue")
    parser.add_argument(
        "--wait", type=float, default=0, help="seconds to wait for the server (default 0: for ever)"
    )
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.namespace, args.task_queue, args.wait))


if __name__ == "__main__":
    main()
