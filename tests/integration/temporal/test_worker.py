"""The example worker, started before its Temporal server, waits for it and then serves."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.servers.temporal import (
    WORKER_READY_LINE,
    TemporalServer,
    start_worker,
    stop_worker,
    wait_for_output,
)

WAITING_LINE = "waiting for the Temporal server"


def test_worker_started_before_the_server_waits_then_serves(tmp_path: Path) -> None:
    # Its own server, not the session's: this one must start after the worker.
    server = TemporalServer(tmp_path)
    worker, log_path = start_worker(server, "before-server")
    try:
        wait_for_output(worker, log_path, WAITING_LINE)
        server.start()
        wait_for_output(worker, log_path, WORKER_READY_LINE)
        execute = ["workflow", "execute", "--address", server.address, "--task-queue", "before-server"]
        answer = subprocess.run(
            [str(server.binary), *execute, "--type", "chain", "--input", '"order"', "--output", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        result = json.loads(answer.stdout)["result"]
        assert result == [{"step": "order-0"}, {"step": "order-1"}, {"step": "order-2"}]
    finally:
        stop_worker(worker)
        server.stop()
    assert "Traceback" not in log_path.read_text(encoding="utf-8")
