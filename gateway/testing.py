"""Serving a real gateway inside a test process, and loopback ports for tests.

``running_gateway`` runs the gateway (uvicorn, and the gRPC server when asked) in a thread
with its own event loop, exactly as ``flowport serve`` would, and yields the base URL. Tests
then talk HTTP (and gRPC) to it like any client. uvicorn is
handed a socket already bound to a free loopback port, so no other process can take the port
between choosing it and listening on it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from gateway.app import DEFAULT_REQUEST_TIMEOUT, create_app
from gateway.grpc_api import GrpcSettings
from gateway.registry import ComponentRegistry
from gateway.runner import run_gateway

#: the coroutine a served gateway runs: given uvicorn's server and its bound sockets
Main = Callable[[uvicorn.Server, list[socket.socket]], Coroutine[Any, Any, None]]


def free_port() -> int:
    """A loopback port free now, for a server in another process that must be told a number.

    Another process may take it before that server listens; in this process, bind a socket
    instead (``serving`` does, ``refused_port`` too).
    """
    with _bound() as sock:
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections while the block runs: bound, never listening.

    A server that is down, without the race of a port that was free a moment ago.
    """
    with _bound() as sock:
        port: int = sock.getsockname()[1]
        yield port


def _bound() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(app: FastAPI, *, start_timeout: float = 60.0, main: Main | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a background thread; yield its base URL.

    ``main`` is the thread's coroutine around the server (default: ``server.serve``).
    """
    with _bound() as sock:
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
                    runner.run(main(server, [sock]) if main else server.serve(sockets=[sock]))
            except BaseException as exc:  # surfaced to the test thread below
                failure.append(exc)

        thread = threading.Thread(target=run, name=f"gateway-{port}", daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + start_timeout
            while not server.started:
                if failure or not thread.is_alive():
                    reason = failure[0] if failure else "see the log"
                    raise RuntimeError(f"the gateway failed to start: {reason}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the gateway did not start within {start_timeout:g}s")
                time.sleep(0.01)
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
    grpc: GrpcSettings | None = None,
) -> Iterator[str]:
    """A real gateway serving the components in ``resources_paths``, as ``flowport serve``
    runs it; yields its base URL. With ``grpc`` (whose ``api_token`` is set to this one) the
    gRPC server runs too, on ``grpc.port``."""
    registry = ComponentRegistry.from_resources([Path(path) for path in resources_paths])
    app = create_app(registry, api_token=api_token, request_timeout=request_timeout, manage_components=False)
    if grpc is not None:
        grpc = dataclasses.replace(grpc, api_token=api_token)

    def main(server: uvicorn.Server, sockets: list[socket.socket]) -> Coroutine[Any, Any, None]:
        return run_gateway(
            registry,
            server,
            grpc,
            app.state.workflow_service,
            metrics=app.state.operation_metrics,
            sockets=sockets,
        )

    with serving(app, main=main) as base_url:
        yield base_url
