"""A gateway in its own process (``flowport serve``), to kill -9 and restart."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from tests.servers._process import ServerProcess, signal_group


class GatewayProcess(ServerProcess):
    """``flowport serve`` on the resources directory ``data_dir``."""

    start_timeout = 60.0

    def command(self) -> Sequence[str]:
        return [
            sys.executable, "-m", "gateway.cli", "serve",
            "--resources-path", str(self.data_dir), "--port", str(self.port), "--log-level", "warning",
            "--metrics-port", "0",  # no fixed port: other gateways may be up at the same time
        ]  # fmt: skip

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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
                raise TimeoutError(f"the gateway did not start:\n{self.log_tail()}")
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


def gateway(resources: Path, log: Path) -> GatewayProcess:
    return GatewayProcess(resources, log)
