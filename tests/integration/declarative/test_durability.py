"""Interpreted instances survive kill -9 and replay to the same result (gateway in a subprocess)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.declarative.conftest import COMPONENT, write_component
from tests.servers.gateway import GatewayProcess

REPO = Path(__file__).resolve().parents[3]
DURABLE = Path(__file__).resolve().parent / "durable"
BASE = f"/v1.0/workflows/{COMPONENT}"
WAIT = 60.0


@pytest.fixture
def make_gateway(
    tmp_path: Path, side_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], GatewayProcess]]:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    started: list[GatewayProcess] = []

    def make(name: str) -> GatewayProcess:
        resources = write_component(tmp_path / name, DURABLE, tmp_path / f"{name}.db")
        process = GatewayProcess(resources, tmp_path / f"{name}.log")
        started.append(process)
        process.start()
        return process

    yield make
    for process in started:
        process.stop()


def poll(what: str, check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


def state(url: str, instance_id: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(f"{url}{BASE}/{instance_id}", timeout=10)
    except httpx.TransportError:
        return None
    return response.json() if response.status_code == 200 else None


def finished(url: str, instance_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body = state(url, instance_id)
        return body if body and body["runtimeStatus"] in ("COMPLETED", "FAILED") else None

    result: dict[str, Any] = poll("the instance finished", done)
    return result


def events(url: str, instance_id: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}{BASE}/{instance_id}/history", timeout=10)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["events"]
    return result


def test_kill_9_in_the_middle_of_a_map_with_a_retry_pending(
    make_gateway: Callable[[str], GatewayProcess], side_dir: Path
) -> None:
    gateway = make_gateway("crash")
    keys = [f"crash-{i}" for i in range(5)]
    response = httpx.post(f"{gateway.url}{BASE}/crashmap/start?instanceID=crashmap-1", json={"keys": keys})
    assert response.status_code == 202, response.text
    poll(
        "a retry timer is recorded",
        lambda: any(e["kind"] == "TimerCreated" for e in events(gateway.url, "crashmap-1")),
    )
    gateway.crash_and_restart()
    body = finished(gateway.url, "crashmap-1")
    assert body["runtimeStatus"] == "COMPLETED", body
    result = json.loads(body["properties"]["dapr.workflow.output"])
    assert result == [{"label": key, "attempts": 2} for key in keys]
    recorded = Counter((side_dir / "executions.log").read_text().split())
    assert all(recorded[key] >= 1 for key in keys)  # at least once, through the crash


def answer_gates(
    gateway: GatewayProcess, side_dir: Path, instance_id: str, keys: list[str], crash: bool
) -> Any:
    for key in keys:
        token_file = side_dir / f"token-{key}"
        token = poll(f"token {key} handed out", lambda f=token_file: f.exists() and f.read_text())
        if crash:
            gateway.crash_and_restart()
        response = httpx.post(f"{gateway.url}{BASE}/{instance_id}/raiseEvent/{token}", json={"key": key})
        assert response.status_code == 202, response.text
        if crash:
            poll(
                f"gate {key} passed",
                lambda t=token: any(e["name"] == t for e in events(gateway.url, instance_id)),
            )
            gateway.crash_and_restart()
    body = finished(gateway.url, instance_id)
    assert body["runtimeStatus"] == "COMPLETED", body
    for key in keys:
        (side_dir / f"token-{key}").unlink()
    return json.loads(body["properties"]["dapr.workflow.output"])


def test_replay_after_a_crash_at_every_step_gives_the_same_result(
    make_gateway: Callable[[str], GatewayProcess], side_dir: Path
) -> None:
    keys = [f"gate-{i}" for i in range(4)]
    calm = make_gateway("calm")
    start = {"keys": keys}
    assert httpx.post(f"{calm.url}{BASE}/long/start?instanceID=long-1", json=start).status_code == 202
    expected = answer_gates(calm, side_dir, "long-1", keys, crash=False)
    calm.stop()
    stormy = make_gateway("stormy")
    assert httpx.post(f"{stormy.url}{BASE}/long/start?instanceID=long-1", json=start).status_code == 202
    assert answer_gates(stormy, side_dir, "long-1", keys, crash=True) == expected
