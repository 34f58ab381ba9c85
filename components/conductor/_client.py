"""Conductor's REST API over one pooled ``httpx.AsyncClient``, failures as contract errors.

Why httpx rather than conductor-python here: conductor-python's clients are synchronous
(each call would need a worker thread to keep the event loop free), and several of its
calls answer 404 against the OSS server (see docs/conductor.md). The REST API itself is
small and stable, so the component speaks it directly; the example worker uses
conductor-python, which is what Conductor users write workers with.

Translation of failures:

- cannot connect, or the connection breaks  -> ``BackendUnavailableError`` (503)
- no answer within ``requestTimeout``        -> ``BackendTimeoutError`` (504)
- Conductor's error body ``{"status", "message"}`` -> the contract error for its status,
  carrying Conductor's message: 400 invalid request, 404 the caller's ``not_found`` class,
  409 invalid state, 502/503/504 unavailable, anything else a plain ``WorkflowError``
  (the gateway answers it with 500 and the message).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx

from contracts import (
    BackendTimeoutError,
    BackendUnavailableError,
    InstanceNotFoundError,
    InvalidRequestError,
    InvalidStateError,
    WorkflowError,
)

_MAX_MESSAGE = 500
_JSON = {"content-type": "application/json", "accept": "application/json, text/plain"}


class ConductorError(Exception):
    """An error answer from Conductor; ``status`` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ConductorClient:
    """Calls to one Conductor server; safe to share between concurrent requests."""

    def __init__(
        self,
        api_url: str,
        *,
        timeout: float,
        auth: tuple[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api_url = api_url
        self._timeout = timeout
        self._auth = auth
        self._token: str | None = None
        self._token_lock = asyncio.Lock()
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return _decode(await self._send("GET", path, params=params))

    async def post_json(self, path: str, body: Any, params: Mapping[str, Any] | None = None) -> Any:
        return _decode(await self._send("POST", path, params=params, body=body))

    async def post_text(self, path: str, body: Any) -> str:
        return (await self._send("POST", path, body=body)).text

    async def put(self, path: str, body: Any = None, params: Mapping[str, Any] | None = None) -> None:
        await self._send("PUT", path, params=params, body=body)

    async def delete(self, path: str, params: Mapping[str, Any] | None = None) -> None:
        await self._send("DELETE", path, params=params)

    async def probe(self, url: str) -> httpx.Response:
        """A plain GET of an absolute URL (the health endpoint), failures translated."""
        return await self._exchange("GET", url, params=None, body=None)

    async def _send(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        url = self.api_url + path
        answer = await self._exchange(method, url, params=params, body=body)
        if answer.status_code == 401 and self._auth is not None:
            # Orkes tokens expire: fetch a new one once and repeat the call.
            self._token = None
            answer = await self._exchange(method, url, params=params, body=body)
        if answer.status_code >= 400:
            raise ConductorError(answer.status_code, _error_message(answer))
        return answer

    async def _exchange(
        self, method: str, url: str, *, params: Mapping[str, Any] | None, body: Any
    ) -> httpx.Response:
        headers = dict(_JSON)
        if self._auth is not None:
            headers["X-Authorization"] = await self._access_token()
        content = None if body is None else json.dumps(body)
        try:
            return await self._http.request(method, url, params=params, content=content, headers=headers)
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                raise BackendUnavailableError(
                    f"Conductor at {self.api_url} is unreachable: no connection within {self._timeout:g}s"
                ) from None
            raise BackendTimeoutError(
                f"Conductor at {self.api_url} did not answer {method} within {self._timeout:g}s"
            ) from None
        except httpx.TransportError as exc:
            raise BackendUnavailableError(
                f"Conductor at {self.api_url} is unreachable: {type(exc).__name__}: {exc}"
            ) from None

    async def _access_token(self) -> str:
        async with self._token_lock:
            if self._token is None:
                assert self._auth is not None
                key, secret = self._auth
                headers = dict(_JSON)
                try:
                    answer = await self._http.post(
                        self.api_url + "/token",
                        content=json.dumps({"keyId": key, "keySecret": secret}),
                        headers=headers,
                    )
                except httpx.TransportError as exc:
                    raise BackendUnavailableError(
                        f"Conductor at {self.api_url} is unreachable: {type(exc).__name__}: {exc}"
                    ) from None
                if answer.status_code >= 400:
                    refusal = _error_message(answer)
                    raise WorkflowError(
                        f"Conductor refused authKey/authSecret ({answer.status_code}): {refusal}"
                    )
                token = _decode(answer).get("token") if answer.content else None
                if not isinstance(token, str) or not token:
                    raise WorkflowError("Conductor's /token answer held no token")
                self._token = token
            return self._token


def contract_error(
    error: ConductorError,
    *,
    instance_id: str | None = None,
    not_found: type[WorkflowError] = InstanceNotFoundError,
) -> WorkflowError:
    """The contract error for a Conductor error answer, keeping Conductor's message."""
    message = f"Conductor: {error.message}"
    if error.status == 400:
        return InvalidRequestError(message, instance_id=instance_id)
    if error.status == 404:
        return not_found(message, instance_id=instance_id)
    if error.status == 409:
        return InvalidStateError(message, instance_id=instance_id)
    if error.status in (502, 503, 504):
        return BackendUnavailableError(message, instance_id=instance_id)
    return WorkflowError(f"Conductor answered {error.status}: {error.message}", instance_id=instance_id)


def _decode(answer: httpx.Response) -> Any:
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        raise WorkflowError(
            f"Conductor answered {answer.request.method} {answer.request.url.path} with non-JSON: "
            f"{answer.text[:_MAX_MESSAGE]!r}"
        ) from None


def _error_message(answer: httpx.Response) -> str:
    """Conductor's ``message`` (and validation errors), else the body text, else the reason."""
    text = answer.text
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message: str = body["message"]
        errors = body.get("validationErrors")
        if isinstance(errors, list) and errors:
            details = "; ".join(
                f"{item.get('path', '?')}: {item.get('message', '?')}"
                for item in errors
                if isinstance(item, dict)
            )
            message = f"{message} ({details})"
        return message[:_MAX_MESSAGE]
    return (text.strip() or answer.reason_phrase or f"HTTP {answer.status_code}")[:_MAX_MESSAGE]
