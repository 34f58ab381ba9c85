"""How the REST client turns transport failures and Conductor's error answers into contract
errors, and how it authenticates with Orkes.

The error bodies and the Orkes token endpoint come from ``FakeConductor``, a test double
(an ``httpx.MockTransport``): the OSS server used by the integration tests has no token
endpoint and cannot be made to answer every status on demand. Unreachable servers are real.
"""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from components.conductor._client import ConductorClient, ConductorError, contract_error
from contracts import (
    BackendTimeoutError,
    BackendUnavailableError,
    InstanceNotFoundError,
    InvalidRequestError,
    InvalidStateError,
    WorkflowError,
)


class FakeConductor:
    """Answers like Conductor (test double): a queue of (status, body) and the requests seen."""

    def __init__(self, *answers: tuple[int, object]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body = self.answers.pop(0)
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    def client(self, auth: tuple[str, str] | None = None) -> ConductorClient:
        return ConductorClient(
            "http://conductor.test/api", timeout=5.0, auth=auth, transport=httpx.MockTransport(self)
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_error_body_becomes_a_conductor_error_with_its_message() -> None:
    fake = FakeConductor(
        (404, {"status": 404, "message": "No such workflow found by id: x", "retryable": False})
    )
    client = fake.client()
    with pytest.raises(ConductorError) as caught:
        await client.get_json("/workflow/x")
    assert (caught.value.status, caught.value.message) == (404, "No such workflow found by id: x")
    await client.aclose()


async def test_validation_errors_are_part_of_the_message() -> None:
    body = {
        "status": 400,
        "message": "Validation failed",
        "validationErrors": [{"path": "name", "message": "empty"}],
    }
    client = FakeConductor((400, body)).client()
    with pytest.raises(ConductorError) as caught:
        await client.post_text("/workflow", {})
    assert caught.value.message == "Validation failed (name: empty)"
    await client.aclose()


async def test_a_plain_text_error() -> None:
    client = FakeConductor((502, "Bad Gateway from the proxy")).client()
    with pytest.raises(ConductorError) as caught:
        await client.get_json("/workflow/x")
    assert caught.value.message == "Bad Gateway from the proxy"
    await client.aclose()


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, InvalidRequestError),
        (404, InstanceNotFoundError),
        (409, InvalidStateError),
        (503, BackendUnavailableError),
        (500, WorkflowError),
    ],
)
def test_statuses_map_to_contract_errors(status: int, error_class: type[WorkflowError]) -> None:
    error = contract_error(ConductorError(status, "why"), instance_id="i")
    assert type(error) is error_class
    assert "why" in error.message
    assert error.instance_id == "i"


def test_the_caller_says_what_a_404_means() -> None:
    error = contract_error(ConductorError(404, "No such workflow defined"), not_found=InvalidRequestError)
    assert isinstance(error, InvalidRequestError)


async def test_unreachable_server_is_unavailable() -> None:
    client = ConductorClient(f"http://127.0.0.1:{free_port()}/api", timeout=5.0)
    with pytest.raises(BackendUnavailableError, match="unreachable"):
        await client.get_json("/workflow/x")
    await client.aclose()


async def test_no_answer_in_time_is_a_timeout() -> None:
    # A listening socket that never accepts: the connection queues, the answer never comes.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        client = ConductorClient(f"http://127.0.0.1:{server.getsockname()[1]}/api", timeout=0.3)
        with pytest.raises(BackendTimeoutError, match="did not answer"):
            await client.get_json("/workflow/x")
        await client.aclose()


async def test_orkes_token_is_fetched_sent_and_renewed() -> None:
    fake = FakeConductor(
        (200, {"token": "first"}),
        (200, {"ok": 1}),
        (401, {"status": 401, "message": "expired"}),
        (200, {"token": "second"}),
        (200, {"ok": 2}),
    )
    client = fake.client(auth=("key", "secret"))
    assert await client.get_json("/workflow/a") == {"ok": 1}
    assert await client.get_json("/workflow/b") == {"ok": 2}
    token_request = fake.requests[0]
    assert token_request.url.path == "/api/token"
    assert json.loads(token_request.content) == {"keyId": "key", "keySecret": "secret"}
    sent = [request.headers.get("x-authorization") for request in fake.requests]
    assert sent == [None, "first", "first", None, "second"]
    await client.aclose()


async def test_refused_credentials() -> None:
    client = FakeConductor((401, {"status": 401, "message": "bad key"})).client(auth=("key", "wrong"))
    with pytest.raises(WorkflowError, match=r"refused authKey/authSecret.*bad key"):
        await client.get_json("/workflow/a")
    await client.aclose()
