"""HTTP calls of declarative workflows (ASL ``http:invoke``, Serverless Workflow ``call: http``)
against a real HTTP server on loopback, through the REST API of a real gateway."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.rest import Workflows, failure, kinds, output


@dataclass
class Received:
    method: str
    path: str
    header: str | None
    body: Any


@dataclass
class EchoServer:
    """Answers every request with what it received, as JSON; ``/down`` answers 503."""

    url: str
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    received: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            seen = Received(self.command, self.path, self.headers.get("x-flowport"), body)
            received.append(seen)
            status = 503 if self.path.startswith("/down") else 200
            payload = json.dumps({"method": seen.method, "path": seen.path, "body": seen.body}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = answer  # http.server's names

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield EchoServer(f"http://127.0.0.1:{server.server_address[1]}", received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


ORDER = {"customer": "Ada", "items": [1, 2]}


def test_asl_http_invoke_sends_the_request_and_selects_from_the_answer(
    api: Workflows, echo: EchoServer
) -> None:
    body = api.wait_status(api.started("http", None, {"url": f"{echo.url}/orders", "order": ORDER}))
    echoed = {"method": "POST", "path": "/orders?page=2", "body": ORDER}
    assert output(body) == {"status": 200, "echo": echoed}
    assert echo.received == [Received("POST", "/orders?page=2", "asl", ORDER)]
    # made by an activity: recorded in the history under the state's name
    assert "ActivityCompleted" in kinds(api.history(body["instanceID"]))


def test_asl_http_error_status_is_a_states_error_to_catch(api: Workflows, echo: EchoServer) -> None:
    body = api.wait_status(api.started("http", None, {"url": f"{echo.url}/down", "order": ORDER}))
    assert output(body) == {"unavailable": "States.Http.StatusCode.503"}


def test_serverless_call_http_returns_the_response(api: Workflows, echo: EchoServer) -> None:
    body = api.wait_status(api.started("sw-http", None, {"url": f"{echo.url}/orders/7", "order": ORDER}))
    assert output(body) == {"status": 200, "echo": {"method": "PUT", "path": "/orders/7", "body": ORDER}}
    assert echo.received == [Received("PUT", "/orders/7", "sw", ORDER)]


def test_serverless_call_http_error_status_fails_with_a_communication_error(
    api: Workflows, echo: EchoServer
) -> None:
    details = failure(
        api.wait_status(api.started("sw-http", None, {"url": f"{echo.url}/down", "order": ORDER}))
    )
    assert details["type"] == "https://serverlessworkflow.io/spec/1.0.0/errors/communication"
    said = json.dumps({"method": "PUT", "path": "/down", "body": ORDER})
    assert details["message"] == f"PUT {echo.url}/down answered 503 Service Unavailable: {said}"


def test_an_unreachable_server_fails_the_instance_saying_so(api: Workflows, echo: EchoServer) -> None:
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback
    details = failure(api.wait_status(api.started("sw-http", None, {"url": closed, "order": ORDER})))
    assert details["type"] == "https://serverlessworkflow.io/spec/1.0.0/errors/communication"
    assert echo.received == []
