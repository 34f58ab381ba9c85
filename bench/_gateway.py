"""The gateway under test, as users run it: ``flowport serve`` in its own process.

A subprocess, so that the benchmark's load generator does not share the gateway's interpreter,
and so that the gateway's own CPU time can be read from ``/proc/<pid>/stat``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gateway.testing import free_port

REPO = Path(__file__).resolve().parents[1]
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Gateway:
    url: str
    pid: int
    #: the component's SQLite store (``builtin_gateway``), to read histories from
    store: Path | None = None

    def cpu_seconds(self) -> float:
        """User plus system CPU time the gateway process has used so far, all threads."""
        return _cpu_seconds(Path(f"/proc/{self.pid}/stat"))

    def loop_cpu_seconds(self) -> float:
        """The same for its main thread alone, the one running the event loop."""
        return _cpu_seconds(Path(f"/proc/{self.pid}/task/{self.pid}/stat"))


def _cpu_seconds(stat: Path) -> float:
    # Fields 14 and 15 of a /proc stat file (utime, stime), counted after the ")" that ends
    # the command name, which may itself hold spaces.
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


@contextmanager
def gateway_process(
    resources: Path,
    log: Path,
    *,
    metrics: bool = True,
    env: dict[str, str] | None = None,
    start_timeout: float = 120,
    grpc_port: int = 0,
    store: Path | None = None,
) -> Iterator[Gateway]:
    """``flowport serve --resources-path resources`` on a free loopback port, run from the
    repository root (so that component metadata can name ``bench.*`` modules); yields it once
    ``/v1.0/healthz`` answers, stops it at the end. Its output goes to ``log``.

    Metrics are served as by default, but on a free port (``metrics=False``: none); tracing
    only through ``OTEL_*`` variables in ``env``, never this process's own; gRPC only on
    ``grpc_port`` (0: off)."""
    port = free_port()
    command = [sys.executable, "-c", "import sys; from gateway.cli import main; sys.exit(main())"]
    command += ["serve", "--resources-path", str(resources), "--port", str(port), "--log-level", "warning"]
    command += ["--metrics-port", str(free_port() if metrics else 0), "--grpc-port", str(grpc_port)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env={**environment, **(env or {})}
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while not _healthy(url):
            if process.poll() is not None:
                raise RuntimeError(f"the gateway exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the gateway did not start within {start_timeout:g}s; see {log}")
            time.sleep(0.05)
        yield Gateway(url, process.pid, store)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def builtin_gateway(
    runtimes: str,
    component: str = "bench",
    *,
    metrics: bool = True,
    env: dict[str, str] | None = None,
    grpc_port: int = 0,
) -> Iterator[Gateway]:
    """A gateway whose one ``workflow.builtin`` component, ``component``, hosts the
    ``module:attribute`` runtimes given (none: ``""``), on a fresh SQLite store at full
    durability; with ``grpc_port``, its engine also runs Dapr SDK workers' workflows."""
    with tempfile.TemporaryDirectory(prefix="flowport-bench-") as tmp:
        resources = Path(tmp) / "resources"
        resources.mkdir()
        store = Path(tmp) / "store.db"
        hosted = f'\n  - {{name: runtimes, value: "{runtimes}"}}' if runtimes else ""
        (resources / f"{component}.yaml").write_text(
            textwrap.dedent(
                f"""\
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata: {{name: {component}}}
                spec:
                  type: workflow.builtin
                  version: v1
                  metadata:
                  - {{name: store, value: "{store}"}}"""
            )
            + hosted
            + "\n"
        )
        log = Path(tmp) / "gateway.log"
        with gateway_process(
            resources, log, metrics=metrics, env=env, grpc_port=grpc_port, store=store
        ) as gateway:
            yield gateway


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/v1.0/healthz", timeout=1) as answer:
            return bool(answer.status == 204)
    except (urllib.error.URLError, OSError):
        return False
