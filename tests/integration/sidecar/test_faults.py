"""Faults with real SDK workers: a worker killed mid-activity, a gateway killed mid-flight.

The worker is programs/chain_worker.py (dapr 1.19.0, unmodified SDK code, its own process,
only ``DAPR_GRPC_PORT`` set), which logs every activity execution it starts and finishes.
Instances are started over REST: the same instances the workers run.

- ``kill -9`` a worker while it runs an activity: its stream ends, the activity goes back to
  the queue, another worker runs it, and the instance completes.
- ``kill -9`` the gateway while instances are in flight, then restart it on the same ports
  and store: the worker reconnects by itself (its process is never touched), every instance
  completes, and no activity whose completion the store had recorded runs again.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

import builtin_engine as wf
from builtin_engine._history import EventType
from tests.integration.sidecar.conftest import Sidecar, Worker, builtin_resources, executions, sdk_environment
from tests.rest import Workflows, new_id, output
from tests.servers._process import free_port
from tests.servers.gateway import GatewayProcess

WAIT = 120.0


def wait_for(condition: Any, what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"never saw {what} within {timeout:g}s"
        time.sleep(0.05)
    return value


@pytest.fixture(scope="module")
def dapr_119() -> Path:
    return sdk_environment("py-dapr-1.19.0")


def test_a_worker_killed_mid_activity_hands_it_to_another(
    sdk_sidecar: Sidecar, dapr_119: Path, workers: list[Worker], tmp_path: Path
) -> None:
    log = tmp_path / "activities.jsonl"
    hanging = Worker(dapr_119, "hanging", sdk_sidecar.grpc_port, log, "--hang")
    workers.append(hanging)
    with httpx.Client(base_url=sdk_sidecar.base_url, timeout=60) as client:
        rest = Workflows(client, "dapr")
        instance = rest.started("steps", new_id("kill-worker"), {"steps": 2, "pause": 0})
        wait_for(
            lambda: any(e["instance"] == instance and e["worker"] == "hanging" for e in executions(log)),
            "the hanging worker start the activity",
        )
        hanging.kill()
        workers.append(Worker(dapr_119, "healthy", sdk_sidecar.grpc_port, log))
        state = rest.wait_status(instance, "COMPLETED", "FAILED", timeout=WAIT)
        assert state["runtimeStatus"] == "COMPLETED", state
        assert output(state) == [0, 1]
    ran = [(e["worker"], e["what"], e["step"]) for e in executions(log) if e["instance"] == instance]
    assert ran == [
        ("hanging", "start", 0),  # killed in the middle of it
        ("healthy", "start", 0),  # given to the other worker
        ("healthy", "done", 0),
        ("healthy", "start", 1),
        ("healthy", "done", 1),
    ]


def test_a_gateway_killed_mid_flight_loses_nothing_and_reruns_no_recorded_activity(
    dapr_119: Path, workers: list[Worker], tmp_path: Path
) -> None:
    (tmp_path / "resources").mkdir()
    resources = builtin_resources(tmp_path / "resources")
    store = resources / "state" / "builtin.db"
    grpc_port = free_port()
    gateway = GatewayProcess(resources, tmp_path / "gateway.log", args=["--grpc-port", str(grpc_port)])
    gateway.start()
    try:
        log = tmp_path / "activities.jsonl"
        worker = Worker(dapr_119, "survivor", grpc_port, log)
        workers.append(worker)
        with httpx.Client(base_url=gateway.url, timeout=60) as client:
            rest = Workflows(client, "dapr")
            instances = [
                rest.started("steps", new_id(f"kill-gateway-{n}"), {"steps": 5, "pause": 0.2})
                for n in range(4)
            ]
            wait_for(lambda: sum(e["what"] == "done" for e in executions(log)) >= 6, "six activities done")
            gateway.kill()
            recorded = _recorded_steps(store, instances)
            assert recorded, "nothing was recorded before the crash"
            assert sum(len(steps) for steps in recorded.values()) < 4 * 5, (
                "everything finished before the crash"
            )
            gateway.start()
            for instance in instances:
                state = rest.wait_status(instance, "COMPLETED", "FAILED", timeout=WAIT)
                assert state["runtimeStatus"] == "COMPLETED", state
                assert output(state) == [0, 1, 2, 3, 4]
        assert worker.alive  # it reconnected by itself: nobody restarted it
        starts = Counter((e["instance"], e["step"]) for e in executions(log) if e["what"] == "start")
        for instance, steps in recorded.items():
            for step in steps:
                assert starts[(instance, step)] == 1, f"{instance} step {step} ran again"
    finally:
        gateway.stop()


def _recorded_steps(store: Path, instances: list[str]) -> dict[str, set[int]]:
    """The steps whose completion the store holds, per instance (read with the gateway dead)."""
    sqlite = wf.SQLiteStore(store)
    sqlite.open()
    try:
        recorded: dict[str, set[int]] = {}
        for instance in instances:
            history = [event for _, event in sqlite.history(instance)]
            steps = {
                e.task_id: json.loads(e.data or "{}")["step"]
                for e in history
                if e.type is EventType.ACTIVITY_SCHEDULED
            }
            recorded[instance] = {
                steps[e.task_id]
                for e in history
                if e.type is EventType.ACTIVITY_COMPLETED and e.task_id in steps
            }
        return recorded
    finally:
        sqlite.close()
