"""What the gateway adds to a Temporal call: get and start, through Flowport vs temporalio direct.

Both paths run in the same process against the same dev server, interleaved call by call so
that machine noise lands on both alike. The gateway runs as its own process (``flowport serve``),
as it would in production, and is called over HTTP with a keep-alive client.

- start: ``POST .../start?instanceID=`` vs ``Client.start_workflow`` (one StartWorkflowExecution RPC).
- get: ``GET .../{id}`` vs the same reads the component makes, through the same SDK client: the
  describe RPC and the first and last history events (input, output), concurrently.
- The component called in-process (no HTTP) separates the adapter's own cost from the HTTP
  hop; ``/v1.0/healthz`` shows the floor of one HTTP round trip to the gateway.
  ``handle.describe()`` alone is printed too, for reference.

Workflows use a task queue no worker polls, so they stay RUNNING and nothing else loads the
server while measuring. Run from the repository root::

    .venv/bin/python -m bench.temporal_overhead           # 1000 calls of each kind
    .venv/bin/python -m bench.temporal_overhead --quick   # 150 calls, well under a minute
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionRequest,
    GetWorkflowExecutionHistoryRequest,
    GetWorkflowExecutionHistoryReverseRequest,
)
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy

from bench._http import Connection
from components.temporal import TemporalComponent
from contracts import ComponentSpec, GetRequest, StartRequest
from gateway.testing import free_port
from tests.servers.temporal import component_yaml, running_temporal

TASK_QUEUE = "bench-no-worker"
WORKFLOW = "bench"


async def direct_get(client: Client, instance_id: str) -> None:
    svc = client.workflow_service
    namespace = client.namespace
    current = WorkflowExecution(workflow_id=instance_id)
    await asyncio.gather(
        svc.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(namespace=namespace, execution=current)
        ),
        svc.get_workflow_execution_history(
            GetWorkflowExecutionHistoryRequest(namespace=namespace, execution=current, maximum_page_size=1)
        ),
        svc.get_workflow_execution_history_reverse(
            GetWorkflowExecutionHistoryReverseRequest(
                namespace=namespace, execution=current, maximum_page_size=1
            )
        ),
    )


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    began = time.perf_counter()
    await call()
    return (time.perf_counter() - began) * 1000.0


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return f"median {statistics.median(ordered):6.2f} ms   p90 {p90:6.2f} ms   (n={len(ordered)})"


def start_gateway(resources: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "flowport"),
        "serve",
        "--resources-path",
        str(resources),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--metrics-port",
        "0",
        "--grpc-port",
        "0",
        "--log-level",
        "warning",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


async def wait_ready(http: httpx.AsyncClient, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited with {process.returncode}; see {log}")
        try:
            if (await http.get("/v1.0/healthz")).status_code == 204:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the gateway did not start")
        await asyncio.sleep(0.1)


async def measure(
    address: str, base_url: str, component: TemporalComponent, calls: int, warmup: int
) -> dict[str, list[float]]:
    client = await Client.connect(address)
    names = ("start gw", "start sdk", "start comp", "get gw", "get sdk", "get comp", "describe", "healthz")
    samples: dict[str, list[float]] = {name: [] for name in names}
    run = uuid.uuid4().hex[:6]
    http = await Connection.open(base_url)
    try:
        for index in range(warmup + calls):
            keep = index >= warmup
            gw_id, sdk_id, comp_id = f"gw-{run}-{index}", f"sdk-{run}-{index}", f"comp-{run}-{index}"

            async def start_gw(instance: str = gw_id) -> None:
                target = f"/v1.0/workflows/temporal/{WORKFLOW}/start?instanceID={instance}"
                status, body = await http.request("POST", target, {"n": 1})
                assert status == 202, body

            async def start_sdk(instance: str = sdk_id) -> None:
                await client.start_workflow(
                    WORKFLOW,
                    {"n": 1},
                    id=instance,
                    task_queue=TASK_QUEUE,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )

            async def get_gw(instance: str = sdk_id) -> None:
                await http.get(f"/v1.0/workflows/temporal/{instance}")

            async def start_comp(instance: str = comp_id) -> None:
                await component.start(StartRequest(WORKFLOW, instance, '{"n": 1}'))

            async def get_comp(instance: str = gw_id) -> None:
                await component.get(GetRequest(instance))

            async def healthz() -> None:
                status, _ = await http.request("GET", "/v1.0/healthz")
                assert status == 204

            async def describe(instance: str = gw_id) -> None:
                await client.get_workflow_handle(instance).describe()

            # alternate which path goes first, so neither always gets the warmer caches
            starts: list[tuple[str, Callable[[], Awaitable[object]]]] = [
                ("start gw", start_gw),
                ("start sdk", start_sdk),
                ("start comp", start_comp),
            ]
            gets: list[tuple[str, Callable[[], Awaitable[object]]]] = [
                ("get gw", get_gw),
                ("get sdk", lambda instance=gw_id: direct_get(client, instance)),
                ("get comp", get_comp),
            ]
            # rotate which path goes first, so none always gets the warmer caches
            shift = index % 3
            starts = starts[shift:] + starts[:shift]
            gets = gets[shift:] + gets[:shift]
            for name, call in [*starts, *gets, ("describe", describe), ("healthz", healthz)]:
                elapsed = await timed(call)
                if keep:
                    samples[name].append(elapsed)
    finally:
        http.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description="Flowport's overhead over direct temporalio calls")
    parser.add_argument("--quick", action="store_true", help="150 calls of each kind (under a minute)")
    parser.add_argument("--calls", type=int, default=None)
    args = parser.parse_args()
    calls = args.calls or (150 if args.quick else 1000)
    warmup = 20

    with running_temporal() as server, tempfile.TemporaryDirectory(prefix="flowport-bench-") as scratch:
        resources = Path(scratch) / "components"
        resources.mkdir()
        (resources / "temporal.yaml").write_text(component_yaml(server, task_queue=TASK_QUEUE))
        port = free_port()
        log = Path(scratch) / "gateway.log"
        gateway = start_gateway(resources, port, log)
        try:

            async def run() -> dict[str, list[float]]:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                    await wait_ready(http, gateway, log)
                spec = ComponentSpec(
                    name="temporal",
                    type="workflow.temporal",
                    metadata={"hostport": server.address, "taskQueue": TASK_QUEUE},
                )
                component = TemporalComponent(spec)
                await component.init()
                return await measure(server.address, f"http://127.0.0.1:{port}", component, calls, warmup)

            samples = asyncio.run(run())
        finally:
            gateway.terminate()
            gateway.wait(timeout=30)

    print(f"Temporal gateway overhead ({calls} calls each, {os.cpu_count()} CPUs, server {server.address})")
    labels = {
        "start gw": "start  via gateway (HTTP)",
        "start comp": "start  component in-process",
        "start sdk": "start  temporalio direct",
        "get gw": "get    via gateway (HTTP)",
        "get comp": "get    component in-process",
        "get sdk": "get    temporalio direct",
        "describe": "handle.describe() alone",
        "healthz": "gateway /v1.0/healthz",
    }
    for name, label in labels.items():
        print(f"  {label:28s} {summary(samples[name])}")
    for op in ("start", "get"):
        gateway_added = statistics.median(samples[f"{op} gw"]) - statistics.median(samples[f"{op} sdk"])
        component_added = statistics.median(samples[f"{op} comp"]) - statistics.median(samples[f"{op} sdk"])
        paired = statistics.median(
            g - d for g, d in zip(samples[f"{op} gw"], samples[f"{op} sdk"], strict=True)
        )
        print(
            f"  added median latency, {op}: gateway {gateway_added:+.2f} ms (paired {paired:+.2f} ms; "
            f"target <= 1 ms), component alone {component_added:+.2f} ms"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
    # The Temporal SDK can abort at interpreter exit (PyGILState_Release); the figures are out.
    os._exit(0)
