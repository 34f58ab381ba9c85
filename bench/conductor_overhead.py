"""What the gateway adds to a Conductor call: get and start, through Flowport vs Conductor's REST API.

Both paths run in the same process against the same Conductor server, interleaved call by
call (alternating which goes first) so that machine noise lands on both alike. The gateway
runs as its own process (``flowport serve``), as it would in production; both are called
with keep-alive ``httpx`` clients.

- get: ``GET /v1.0/workflows/conductor/{id}`` vs ``GET /api/workflow/{workflowId}?includeTasks=false``,
  which is the one call the component makes once it knows the instance's workflow ID.
- gateway healthz: ``GET /v1.0/healthz``, a route that does nothing: the floor of any call
  through the gateway (HTTP hop, uvicorn, FastAPI), which the component cannot lower.
- start: ``POST .../start?instanceID=`` vs ``POST /api/workflow`` with the same correlation ID.
  The gateway's start also guarantees the ID is unique: it searches for the ID before and
  after starting (see docs/conductor.md), so "direct start + 2 searches" is printed as well:
  that is the same work done by hand, and the fair base for the gateway's own overhead.

The benchmark workflow is one SET_VARIABLE task, which Conductor runs inside the start call,
so no worker is needed and nothing stays running. Run from the repository root::

    .venv/bin/python -m bench.conductor_overhead            # 1000 calls of each kind
    .venv/bin/python -m bench.conductor_overhead --quick    # 150 calls, under a minute
    .venv/bin/python -m bench.conductor_overhead --server-url http://127.0.0.1:8080/api
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from gateway.testing import free_port
from tests.servers.conductor import component_yaml, running_conductor

WORKFLOW = "flowport_bench_noop"
DEFINITION = {
    "name": WORKFLOW,
    "version": 1,
    "schemaVersion": 2,
    "ownerEmail": "bench@flowport.invalid",
    "tasks": [
        {
            "name": "remember",
            "taskReferenceName": "remember",
            "type": "SET_VARIABLE",
            "inputParameters": {"n": "${workflow.input.n}"},
        }
    ],
    "outputParameters": {"n": "${workflow.input.n}"},
}


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[max(int(len(ordered) * 0.9) - 1, 0)]
    return f"median {statistics.median(ordered):7.2f} ms   p90 {p90:7.2f} ms   (n={len(ordered)})"


@contextmanager
def gateway_process(resources: Path, scratch: Path) -> Iterator[str]:
    """``flowport serve`` on a free port; yields its base URL once it answers."""
    port = free_port()
    log = scratch / "gateway.log"
    command = [sys.executable, "-m", "gateway.cli", "serve", "--resources-path", str(resources)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--metrics-port", "0", "--grpc-port", "0"]
    command += ["--log-level", "warning"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        with httpx.Client(base_url=base_url) as probe:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the gateway exited with {process.returncode}: {log.read_text()}")
                try:
                    if probe.get("/v1.0/healthz").status_code == 204:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("the gateway did not start")
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=60)


def measure(server_url: str, gateway_url: str, calls: int, warmup: int) -> dict[str, list[float]]:
    names = (
        "start gateway",
        "start direct",
        "start direct + 2 searches",
        "get gateway",
        "get direct",
        "gateway healthz",
    )
    samples: dict[str, list[float]] = {name: [] for name in names}
    run = uuid.uuid4().hex[:6]
    gateway_base = "/v1.0/workflows/conductor"
    with (
        httpx.Client(base_url=gateway_url, timeout=60.0) as gateway,
        httpx.Client(base_url=server_url, timeout=60.0) as conductor,
    ):

        def search(instance_id: str) -> None:
            query = {"query": f'correlationId="{instance_id}"', "size": 20, "sort": "startTime:ASC"}
            assert conductor.get("/workflow/search", params=query).status_code == 200

        workflow_ids: dict[str, str] = {}
        for index in range(warmup + calls):
            keep = index >= warmup
            gw_id, direct_id, checked_id = f"gw-{run}-{index}", f"direct-{run}-{index}", f"chk-{run}-{index}"

            def start_gateway(instance_id: str = gw_id, n: int = index) -> None:
                answer = gateway.post(
                    f"{gateway_base}/{WORKFLOW}/start", params={"instanceID": instance_id}, json={"n": n}
                )
                assert answer.status_code == 202, answer.text

            def start_direct(instance_id: str = direct_id, n: int = index) -> None:
                body = {"name": WORKFLOW, "correlationId": instance_id, "input": {"n": n}}
                answer = conductor.post("/workflow", json=body)
                assert answer.status_code == 200, answer.text
                workflow_ids[instance_id] = answer.text

            def start_checked(instance_id: str = checked_id) -> None:
                search(instance_id)
                start_direct(instance_id)
                search(instance_id)

            def get_gateway(instance_id: str = gw_id) -> None:
                answer = gateway.get(f"{gateway_base}/{instance_id}")
                assert answer.status_code == 200, answer.text

            def get_direct(instance_id: str = direct_id) -> None:
                answer = conductor.get(
                    f"/workflow/{workflow_ids[instance_id]}", params={"includeTasks": "false"}
                )
                assert answer.status_code == 200, answer.text

            def healthz() -> None:
                assert gateway.get("/v1.0/healthz").status_code == 204

            calls_in_order: list[tuple[str, Callable[[], None]]] = [
                ("start gateway", start_gateway),
                ("start direct", start_direct),
                ("start direct + 2 searches", start_checked),
                ("get gateway", get_gateway),
                ("get direct", get_direct),
                ("gateway healthz", healthz),
            ]
            if index % 2:  # alternate which path goes first
                calls_in_order = [calls_in_order[i] for i in (1, 2, 0, 4, 3, 5)]
            for name, call in calls_in_order:
                began = time.perf_counter()
                call()
                elapsed = (time.perf_counter() - began) * 1000.0
                if keep:
                    samples[name].append(elapsed)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description="Flowport's overhead over direct Conductor REST calls")
    parser.add_argument("--quick", action="store_true", help="150 calls of each kind (under a minute)")
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--server-url", help="an already running Conductor API (default: start one)")
    args = parser.parse_args()
    calls = args.calls or (150 if args.quick else 1000)
    warmup = 20

    with tempfile.TemporaryDirectory(prefix="flowport-bench-") as scratch_name:
        scratch = Path(scratch_name)
        began = time.monotonic()
        with (
            _started(scratch / "conductor") if args.server_url is None else _existing(args.server_url)
        ) as server_url:
            boot = time.monotonic() - began
            resources = scratch / "components"
            resources.mkdir()
            (resources / "bench-definitions.json").write_text(json.dumps(DEFINITION))
            (resources / "conductor.yaml").write_text(component_yaml(server_url, "bench-definitions.json"))
            with gateway_process(resources, scratch) as gateway_url:
                samples = measure(server_url, gateway_url, calls, warmup)

    print(f"Conductor gateway overhead ({calls} calls each after {warmup} warm-up, {os.cpu_count()} CPUs)")
    if args.server_url is None:
        print(f"  Conductor server boot to healthy: {boot:.1f} s")
    for name, values in samples.items():
        print(f"  {name:<27} {summary(values)}")
    median = {name: statistics.median(values) for name, values in samples.items()}
    print(
        f"  added median, get:                       {median['get gateway'] - median['get direct']:+7.2f} ms"
    )
    component_get = median["get gateway"] - median["get direct"] - median["gateway healthz"]
    print(f"  of which beyond the gateway's floor:      {component_get:+7.2f} ms (get - direct - healthz)")
    print(
        "  added median, start vs direct start:     "
        f"{median['start gateway'] - median['start direct']:+7.2f} ms (includes the two ID searches)"
    )
    print(
        "  added median, start vs start + searches: "
        f"{median['start gateway'] - median['start direct + 2 searches']:+7.2f} ms"
    )


@contextmanager
def _existing(server_url: str) -> Iterator[str]:
    yield server_url.rstrip("/")


@contextmanager
def _started(scratch: Path) -> Iterator[str]:
    scratch.mkdir(parents=True, exist_ok=True)
    with running_conductor(scratch) as server:
        yield server.api_url


if __name__ == "__main__":
    main()
