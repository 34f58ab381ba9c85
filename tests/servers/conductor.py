"""A real Conductor OSS server (and the example worker) for tests and benchmarks.

The server is the boot jar that ``scripts/fetch-conductor.sh`` caches outside the repo,
run with a self-contained SQLite configuration (database, queues and search index in one
file) on a free loopback port. Booting takes 10 to 30 s, so pytest starts it once per
session (fixture ``conductor_server``; ``conductor_worker`` runs the example worker); ``ConductorServer.restart()`` stops it and starts it again
on the same port and database, for outage tests. Outside pytest (benchmarks)::

    with running_conductor() as server, running_worker(server):
        ...  # server.api_url is what conductor-python and the component call serverUrl
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.servers._process import ServerProcess, stop_group
from tests.servers.otlp import OtlpReceiver, tracing_env

REPO = Path(__file__).resolve().parents[2]
FETCH_SCRIPT = REPO / "scripts" / "fetch-conductor.sh"
EXAMPLES = REPO / "examples" / "conductor"
WORKER_SCRIPT = EXAMPLES / "worker.py"

#: generous: the first boot on a loaded 2-core machine has been seen to take ~30 s
BOOT_TIMEOUT = 300.0
STOP_TIMEOUT = 60.0

# Measured against the reference's settings: with a pool of one SQLite connection,
# 3.32.3 deadlocks on DELETE /workflow/{id}/remove (it waits 30 s for a second
# connection and answers 500, having already dropped the search-index row). Four
# connections avoid it; SQLite's busy_timeout serialises the writers.
# workflowOffsetTimeout (default 30 s) is how often the sweeper re-decides a running
# workflow; 5 s lets a workflow timeout show as TIMED_OUT within seconds in the tests.
_PROPERTIES = """\
conductor.db.type=sqlite
conductor.queue.type=sqlite
conductor.indexing.enabled=true
conductor.indexing.type=sqlite
conductor.elasticsearch.version=0
spring.datasource.url=jdbc:sqlite:{database}?busy_timeout=15000&journal_mode=WAL
spring.datasource.hikari.maximum-pool-size=4
conductor.app.ownerEmailMandatory=false
loadSample=false
server.address=127.0.0.1
server.port={port}
conductor.app.workflowOffsetTimeout=5s
"""


def fetch_conductor() -> tuple[Path, Path]:
    """The cached server jar (downloaded on first use) and the java binary to run it with."""
    jar = subprocess.run([str(FETCH_SCRIPT)], check=True, capture_output=True, text=True)
    java = subprocess.run([str(FETCH_SCRIPT), "--java"], check=True, capture_output=True, text=True)
    return Path(jar.stdout.strip()), Path(java.stdout.strip())


class ConductorServer(ServerProcess):
    """One Conductor server process with its own SQLite database under ``data_dir``."""

    start_timeout = BOOT_TIMEOUT
    stop_timeout = STOP_TIMEOUT

    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        super().__init__(data_dir, data_dir / "conductor.log", port=port)
        self.jar, self.java = fetch_conductor()
        self.boot_seconds: float | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The REST API root, as conductor-python's ``CONDUCTOR_SERVER_URL`` wants it."""
        return f"{self.base_url}/api"

    def start(self, timeout: float | None = None) -> None:
        """Start the process and wait until ``/health`` answers healthy."""
        if self.running:
            return
        began = time.monotonic()
        super().start(timeout)
        self.boot_seconds = time.monotonic() - began

    def command(self) -> list[str]:
        properties = self.data_dir / "application.properties"
        properties.write_text(
            _PROPERTIES.format(database=self.data_dir / "conductor.db", port=self.port), encoding="utf-8"
        )
        return [
            str(self.java),
            "-Xmx1g",
            "-jar",
            str(self.jar),
            f"--spring.config.additional-location=file:{properties}",
        ]

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5.0) as client:
            while True:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise RuntimeError(
                        f"the Conductor server exited with {self._process.returncode}; "
                        f"log {self.log_path}:\n{self.log_tail()}"
                    )
                try:
                    answer = client.get(f"{self.base_url}/health")
                    if answer.status_code == 200 and answer.json().get("healthy") is True:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the Conductor server was not healthy within {timeout:g}s; "
                        f"log {self.log_path}:\n{self.log_tail()}"
                    )
                time.sleep(0.25)


def component_yaml(server_url: str, definitions: Path | str, *, name: str = "conductor") -> str:
    """A component definition for the server at ``server_url`` (its ``/api`` root)."""
    return (
        "apiVersion: dapr.io/v1alpha1\nkind: Component\n"
        f"metadata:\n  name: {name}\n"
        "spec:\n  type: workflow.conductor\n  version: v1\n  initTimeout: 60s\n  metadata:\n"
        f"  - name: serverUrl\n    value: {server_url}\n"
        f"  - name: definitions\n    value: {definitions}\n"
    )


@contextmanager
def running_conductor(data_dir: Path | None = None) -> Iterator[ConductorServer]:
    """A started server; its temporary data directory is removed afterwards unless given."""
    owned = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="flowport-conductor-")) if data_dir is None else data_dir
    server = ConductorServer(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if owned:
            shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def running_worker(
    server: ConductorServer, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """The example worker (``examples/conductor/worker.py``) polling ``server`` in a subprocess,
    with ``env`` added to this process's environment."""
    log_path = server.data_dir / "worker.log"
    env = {**os.environ, **(env or {}), "CONDUCTOR_SERVER_URL": server.api_url}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        time.sleep(0.2)
        if process.poll() is not None:
            raise RuntimeError(f"the example worker exited at once; log {log_path}")
        yield process
    finally:
        # TaskHandler runs one child process per worker: stop the whole group.
        stop_group(process, signal.SIGTERM, STOP_TIMEOUT)


@pytest.fixture(scope="session")
def conductor_server() -> Iterator[ConductorServer]:
    """The session's Conductor server (started once; tests may ``restart()`` it)."""
    with running_conductor() as server:
        yield server


@pytest.fixture(scope="session")
def conductor_worker(
    conductor_server: ConductorServer, otlp_receiver: OtlpReceiver
) -> Iterator[subprocess.Popen[bytes]]:
    """The example worker, polling the session's server for the whole session; the spans of
    traced tasks go to the session's OTLP receiver."""
    with running_worker(conductor_server, tracing_env(otlp_receiver, "conductor-worker")) as process:
        yield process
