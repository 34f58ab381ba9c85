"""A gateway in its own process (``flowport serve``): to kill -9 and restart, or to run beside
the test process's own gateway on the same runtime.

(A gateway inside the test process is ``gateway.testing.running_gateway``.)
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from tests.servers._process import ServerProcess, free_port, signal_group

REPO = Path(__file__).resolve().parents[2]


class GatewayProcess(ServerProcess):
    """``flowport serve`` on the resources in ``resources``; its log in ``log_path``.

    ``args`` go to ``serve``; ``env`` replaces the environment (default: this process's);
    ``metrics`` serves Prometheus metrics on a port of its own (``metrics_url``), else none;
    ``log_level`` ``None`` keeps the command's own default.
    """

    #: generous for a loaded 2-core machine: a gateway is up in a second or two when it is quiet
    start_timeout = 120.0

    def __init__(
        self,
        resources: Path | Sequence[Path],
        log_path: Path,
        *,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        metrics: bool = False,
        log_level: str | None = "warning",
    ) -> None:
        super().__init__(REPO, log_path)
        self.resources = [resources] if isinstance(resources, Path) else list(resources)
        self.args = list(args)
        self.env = dict(env) if env is not None else None
        self.metrics_port = free_port() if metrics else 0
        self.log_level = log_level

    def command(self) -> Sequence[str]:
        command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(self.port)]
        command += ["--metrics-port", str(self.metrics_port), "--grpc-port", "0", *self.args]
        if self.log_level is not None:
            command += ["--log-level", self.log_level]
        for path in self.resources:
            command += ["--resources-path", str(path)]
        return command

    def environment(self) -> Mapping[str, str] | None:
        return self.env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise RuntimeError(f"the gateway exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/v1.0/healthz", timeout=2).status_code == 204:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the gateway did not start within {timeout:g}s:\n{self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush or close anything."""
        process, self._process = self._process, None
        if process is not None:
            signal_group(process, signal.SIGKILL)
            process.wait(timeout=self.stop_timeout)

    def crash_and_restart(self) -> None:
        self.kill()
        self.start()


def without_telemetry(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without ``OTEL_*`` settings, plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}, **(extra or {})}
