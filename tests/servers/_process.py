"""What the real-server fixtures share: a server subprocess in its own process group.

Each server (Temporal, Conductor) says how to start itself and how to tell it is healthy;
this base starts it with its output in a log file, stops it (SIGTERM, then SIGKILL) and
restarts it on the same port and data, and stops every live one when the interpreter exits,
so an interrupted test session never leaves a server listening.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path

from gateway.testing import free_port

__all__ = ["ServerProcess", "free_port", "signal_group", "stop_group"]


class ServerProcess:
    """One server process with its data under ``data_dir``."""

    #: seconds to wait for health on start, and for exit on stop
    start_timeout = 120.0
    stop_timeout = 30.0

    def __init__(self, data_dir: Path, log_path: Path, *, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float | None = None) -> None:
        """Start the process and wait until it is healthy (no-op if running)."""
        if self.running:
            return
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(),
                cwd=self.data_dir,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _LIVE.add(self)
        try:
            self.wait_healthy(self.start_timeout if timeout is None else timeout)
        except BaseException:
            self.stop()
            raise

    def command(self) -> Sequence[str]:
        raise NotImplementedError

    def environment(self) -> Mapping[str, str] | None:
        """The process's environment; ``None``: this process's own."""
        return None

    def wait_healthy(self, timeout: float) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL); the data stays for a restart."""
        process, self._process = self._process, None
        _LIVE.discard(self)
        if process is not None:
            stop_group(process, signal.SIGTERM, self.stop_timeout)

    def restart(self, timeout: float | None = None) -> None:
        """Stop and start again on the same port and data."""
        self.stop()
        self.start(timeout)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def stop_group(process: subprocess.Popen[bytes], first: signal.Signals, timeout: float) -> None:
    """Stop a process group: ``first`` (SIGTERM, or SIGINT for a graceful worker), then SIGKILL."""
    if process.poll() is not None:
        return
    signal_group(process, first)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        process.wait(timeout=timeout)


def signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the process and its children (it leads its own session)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


_LIVE: set[ServerProcess] = set()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_LIVE):
        server.stop()
