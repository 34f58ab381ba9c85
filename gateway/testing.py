"""Serving a real gateway inside a test process.

``running_gateway`` runs uvicorn on a free loopback port in a thread with its own event
loop, exactly as ``flowport serve`` would, and yields the base URL. Tests then talk HTTP to
it like any client.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from gateway.app import DEFAULT_REQUEST_TIMEOUT, create_app
from gateway.registry import ComponentRegistry


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(app: FastAPI, *, start_timeout: float = 60.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a background thread; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run()
        except BaseException as exc:  # surfaced to the test thread below
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"gateway-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if failure or not thread.is_alive():
            raise RuntimeError(f"the gateway failed to start: {failure[0] if failure else 'see the log'}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f"the gateway did not start within {start_timeout:g}s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@contextmanager
def running_gateway(
    resources_paths: Sequence[Path],
    *,
    api_token: str | None = None,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
) -> Iterator[str]:
    """A real gateway serving the components in ``resources_paths``; yields its base URL."""
    registry = ComponentRegistry.from_resources([Path(path) for path in resources_paths])
    app = create_app(registry, api_token=api_token, request_timeout=request_timeout)
    with serving(app) as base_url:
        yield base_url
