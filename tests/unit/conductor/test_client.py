"""The component's HTTP client and REST layer: framing, keep-alive, failures as contract errors,
and Orkes authentication.

Answers come from ``FakeConductor``, a test double: a real loopback HTTP server that plays
back canned answers. The OSS server in the integration tests has no Orkes token endpoint and
cannot be made to answer every status, drop a connection, or stall on demand.
"""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from components.conductor import ConductorComponent
from components.conductor._client import ConductorClient
from components.conductor._http import HttpError, HttpPool
from contracts import (
    BackendTimeoutError,
    BackendUnavailableError,
    ComponentConfigError,
    ComponentSpec,
    InstanceNotFoundError,
    InvalidRequestError,
    InvalidStateError,
    WorkflowError,
)
from gateway.testing import refused_port


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: object = None
    chunked: bool = False
    close: bool = False  # answer with Connection: close and close
    drop: bool = False  # close the connection without answering
    stall: bool = False  # never answer


@dataclass
class FakeConductor:
    """A loopback HTTP/1.1 server (test double) answering from a queue of ``Reply``."""

    replies: list[Reply] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set by each request

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ")
                headers = {
                    k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.seen.append(Seen(method, target, headers, body))
                self.arrived.set()
                reply = self.replies.pop(0)
                if reply.drop:
                    return
                if reply.stall:
                    await asyncio.sleep(3600)
                writer.write(self.render(reply))
                await writer.drain()
                if reply.close:
                    return
        finally:
            writer.close()

    @staticmethod
    def render(reply: Reply) -> bytes:
        if isinstance(reply.body, str):
            payload, kind = reply.body.encode(), "text/plain"
        else:
            payload, kind = (
                (b"" if reply.body is None else json.dumps(reply.body).encode()),
                "application/json",
            )
        head = [f"HTTP/1.1 {reply.status} X", f"Content-Type: {kind}"]
        if reply.close:
            head.append("Connection: close")
        if reply.chunked:
            head.append("Transfer-Encoding: chunked")
            middle = len(payload) // 2
            parts = [payload[:middle], payload[middle:]]
            framed = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts if p) + b"0\r\n\r\n"
            return ("\r\n".join(head) + "\r\n\r\n").encode() + framed
        head.append(f"Content-Length: {len(payload)}")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


@pytest.fixture
async def fake() -> AsyncIterator[FakeConductor]:
    conductor = FakeConductor()
    server = await asyncio.start_server(conductor.handle, "127.0.0.1", 0)
    conductor.port = server.sockets[0].getsockname()[1]
    try:
        yield conductor
    finally:
        server.close()


def client_of(
    fake: FakeConductor, *, timeout: float = 5.0, auth: tuple[str, str] | None = None
) -> ConductorClient:
    return ConductorClient(f"http://127.0.0.1:{fake.port}/api", timeout=timeout, auth=auth)


async def test_json_answers_both_framings_over_one_connection(fake: FakeConductor) -> None:
    fake.replies = [Reply(body={"a": 1}), Reply(body={"b": [1, 2, 3]}, chunked=True), Reply(body="wf-id")]
    client = client_of(fake)
    assert await client.get_json("/workflow/x", {"includeTasks": "false"}) == {"a": 1}
    assert await client.get_json("/workflow/search", {"query": "correlationId = 'a b'"}) == {"b": [1, 2, 3]}
    assert await client.post_text("/workflow", {"name": "n"}) == "wf-id"
    assert fake.connections == 1
    assert [seen.target for seen in fake.seen] == [
        "/api/workflow/x?includeTasks=false",
        "/api/workflow/search?query=correlationId+%3D+%27a+b%27",
        "/api/workflow",
    ]
    assert json.loads(fake.seen[2].body) == {"name": "n"}
    assert fake.seen[2].headers["content-type"] == "application/json"
    await client.aclose()


async def test_connection_close_is_honoured(fake: FakeConductor) -> None:
    fake.replies = [Reply(body={"n": 1}, close=True), Reply(body={"n": 2})]
    client = client_of(fake)
    assert await client.get_json("/a") == {"n": 1}
    assert await client.get_json("/b") == {"n": 2}
    assert fake.connections == 2
    await client.aclose()


async def test_a_dead_reused_connection_is_retried_for_get_not_post(fake: FakeConductor) -> None:
    fake.replies = [Reply(body={"n": 1}), Reply(drop=True), Reply(body={"n": 2})]
    client = client_of(fake)
    assert await client.get_json("/a") == {"n": 1}
    assert await client.get_json("/b") == {"n": 2}  # dropped on the reused one, sent again
    assert fake.connections == 2
    fake.replies = [Reply(drop=True)]
    with pytest.raises(BackendUnavailableError, match="closed before Conductor answered"):
        await client.post_text("/workflow", {})
    await client.aclose()


def conductor_error(status: int, message: str) -> dict[str, object]:
    return {"status": status, "message": message, "instance": "vm", "retryable": False}


async def test_an_error_answer_is_a_contract_error_with_conductors_message(fake: FakeConductor) -> None:
    fake.replies = [Reply(404, conductor_error(404, "No such workflow found by id: x"))]
    client = client_of(fake)
    with pytest.raises(InstanceNotFoundError) as caught:
        await client.get_json("/workflow/x", instance_id="i")
    assert caught.value.message == "Conductor: No such workflow found by id: x"
    assert caught.value.instance_id == "i"
    await client.aclose()


async def test_validation_errors_and_plain_text_errors(fake: FakeConductor) -> None:
    body = {
        "status": 400,
        "message": "Validation failed",
        "validationErrors": [{"path": "name", "message": "empty"}],
    }
    fake.replies = [Reply(400, body), Reply(502, "Bad Gateway from the proxy")]
    client = client_of(fake)
    with pytest.raises(InvalidRequestError, match=r"Validation failed \(name: empty\)"):
        await client.post_text("/workflow", {})
    with pytest.raises(BackendUnavailableError, match="Bad Gateway from the proxy"):
        await client.get_json("/workflow/x")
    await client.aclose()


@pytest.mark.parametrize(
    ("status", "message", "error_class"),
    [
        (400, "why", InvalidRequestError),
        (404, "why", InstanceNotFoundError),
        (409, "why", InvalidStateError),
        (500, "The workflow x is not PAUSED so cannot resume", InvalidStateError),
        (401, "why", BackendUnavailableError),
        (503, "why", BackendUnavailableError),
        (500, "why", WorkflowError),
    ],
)
async def test_statuses_map_to_contract_errors(
    fake: FakeConductor, status: int, message: str, error_class: type[WorkflowError]
) -> None:
    fake.replies = [Reply(status, conductor_error(status, message))]
    client = client_of(fake)
    with pytest.raises(WorkflowError) as caught:
        await client.put("/workflow/x/resume", instance_id="i")
    assert type(caught.value) is error_class
    assert message in caught.value.message
    assert caught.value.instance_id == "i"
    await client.aclose()


async def test_the_caller_says_what_a_404_means(fake: FakeConductor) -> None:
    fake.replies = [
        Reply(404, conductor_error(404, "No such workflow defined")),
        Reply(404, conductor_error(404, "gone")),
    ]
    client = client_of(fake)
    with pytest.raises(InvalidRequestError, match="No such workflow defined"):
        await client.post_text("/workflow", {"name": "nope"}, missing=InvalidRequestError)
    assert await client.find_json("/workflow/x") is None
    await client.aclose()


async def test_an_answer_that_is_not_json_names_the_server_url(fake: FakeConductor) -> None:
    fake.replies = [Reply(200, "<!doctype html><html>Conductor UI</html>")]
    client = client_of(fake)
    with pytest.raises(BackendUnavailableError, match="an HTML page, not Conductor's JSON: is serverUrl"):
        await client.get_json("/workflow/x")
    await client.aclose()


async def test_the_api_check_knows_conductor_from_its_ui_and_other_servers(fake: FakeConductor) -> None:
    fake.replies = [
        Reply(404, conductor_error(404, "No such workflow found by id: 0")),
        Reply(200, "<!doctype html><html>Conductor UI</html>"),
        Reply(404, {"detail": "Not Found"}),
    ]
    api, root = client_of(fake), ConductorClient(f"http://127.0.0.1:{fake.port}", timeout=5.0)
    try:
        assert await api.check_api() is None
        with pytest.raises(ComponentConfigError) as caught:
            await root.check_api()
        assert caught.value.field == "spec.metadata.serverUrl"
        assert "answered 200 with an HTML page" in caught.value.reason
        assert f"(http://127.0.0.1:{fake.port}/api)" in caught.value.reason
        with pytest.raises(ComponentConfigError, match="is not Conductor's REST API"):
            await api.check_api()
    finally:
        await api.aclose()
        await root.aclose()


async def test_unreachable_server_is_unavailable() -> None:
    with refused_port() as port:
        client = ConductorClient(f"http://127.0.0.1:{port}/api", timeout=5.0)
        with pytest.raises(BackendUnavailableError, match="unreachable"):
            await client.get_json("/workflow/x")
        await client.aclose()


async def test_no_answer_in_time_is_a_timeout(fake: FakeConductor) -> None:
    fake.replies = [Reply(stall=True)]
    client = client_of(fake, timeout=0.3)
    with pytest.raises(BackendTimeoutError, match=r"did not answer GET within 0\.3s"):
        await client.get_json("/workflow/x")
    await client.aclose()


async def test_health_probe_is_on_the_origin(fake: FakeConductor) -> None:
    fake.replies = [Reply(body={"healthy": True})]
    client = client_of(fake)
    assert (await client.probe("/health")).status == 200
    assert fake.seen[0].target == "/health"
    await client.aclose()


async def test_orkes_token_is_fetched_sent_and_renewed(fake: FakeConductor) -> None:
    fake.replies = [
        Reply(body={"token": "first"}),
        Reply(body={"ok": 1}),
        Reply(401, {"status": 401, "message": "expired"}),
        Reply(body={"token": "second"}),
        Reply(body={"ok": 2}),
    ]
    client = client_of(fake, auth=("key", "secret"))
    assert await client.get_json("/workflow/a") == {"ok": 1}
    assert await client.get_json("/workflow/b") == {"ok": 2}
    assert fake.seen[0].target == "/api/token"
    assert json.loads(fake.seen[0].body) == {"keyId": "key", "keySecret": "secret"}
    sent = [seen.headers.get("x-authorization") for seen in fake.seen]
    assert sent == [None, "first", "first", None, "second"]
    await client.aclose()


async def test_refused_credentials(fake: FakeConductor) -> None:
    fake.replies = [Reply(401, {"status": 401, "message": "bad key"})]
    client = client_of(fake, auth=("key", "wrong"))
    with pytest.raises(WorkflowError, match=r"refused authKey/authSecret.*bad key"):
        await client.get_json("/workflow/a")
    await client.aclose()


async def test_a_broken_answer_is_an_error(fake: FakeConductor) -> None:
    pool = HttpPool(f"http://127.0.0.1:{fake.port}", timeout=5.0)
    fake.replies = [Reply(body={"n": 1})]
    assert (await pool.request("GET", "/x", headers={})).status == 200

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    broken = HttpPool(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", timeout=5.0)
    with pytest.raises(HttpError, match="closed in the middle of an answer"):
        await broken.request("GET", "/x", headers={})
    server.close()
    await pool.aclose()
    await broken.aclose()


async def test_a_cancelled_call_closes_its_connection(fake: FakeConductor) -> None:
    fake.replies = [Reply(stall=True)]
    client = client_of(fake)
    call = asyncio.create_task(client.get_json("/workflow/x"))
    await fake.arrived.wait()  # the request is out; the answer never comes
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    await client.aclose()


async def test_definitions_conductor_rejects_stop_start_up_naming_the_field(
    fake: FakeConductor, tmp_path: Path
) -> None:
    (tmp_path / "flow.json").write_text(json.dumps({"name": "flow", "tasks": []}))
    fake.replies = [
        Reply(404, conductor_error(404, "No such workflow found by id: 0")),  # the API check
        Reply(200, {"healthy": True}),  # /health
        Reply(400, conductor_error(400, "Validation failed")),  # PUT /metadata/workflow
    ]
    spec = ComponentSpec(
        name="conductor",
        type="workflow.conductor",
        metadata={"serverUrl": f"http://127.0.0.1:{fake.port}/api", "definitions": "flow.json"},
        base_dir=tmp_path,
    )
    component = ConductorComponent(spec)
    with pytest.raises(ComponentConfigError) as caught:
        await component.init()
    await component.close()
    assert caught.value.field == "spec.metadata.definitions"
    assert "Conductor rejected the definitions: Conductor: Validation failed" in caught.value.reason
