"""Conductor's REST API over a pooled HTTP/1.1 client, failures as contract errors.

Why not conductor-python here: its clients are synchronous (each call would need a worker
thread to keep the event loop free), and several of its calls answer 404 against the OSS
server (see docs/conductor.md). The REST API itself is small and stable, so the component
speaks it directly (``_http`` says why not through httpx); the example worker uses
conductor-python, which is what Conductor users write workers with.

Translation of failures:

- cannot connect, or the connection breaks  -> ``BackendUnavailableError`` (503)
- no answer within ``requestTimeout``        -> ``BackendTimeoutError`` (504)
- Conductor's error body ``{"status", "message"}`` -> ``ConductorError``, which
  ``contract_error`` turns into the contract error for its status, keeping Conductor's
  message: 400 invalid request, 404 the caller's ``not_found`` class, 409 invalid state,
  502/503/504 unavailable, anything else a plain ``WorkflowError`` (answered with 500).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from components.conductor._http import HttpConnectError, HttpError, HttpPool, HttpResponse, HttpTimeout
from contracts import (
    BackendTimeoutError,
    BackendUnavailableError,
    InstanceNotFoundError,
    InvalidRequestError,
    InvalidStateError,
    WorkflowError,
)

_MAX_MESSAGE = 500
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/plain"}


class ConductorError(Exception):
    """An error answer from Conductor; ``status`` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ConductorClient:
    """Calls to one Conductor server; safe to share between concurrent requests."""

    def __init__(self, api_url: str, *, timeout: float, auth: tuple[str, str] | None = None) -> None:
        self.api_url = api_url
        parts = urlsplit(api_url)
        self._prefix = parts.path.rstrip("/")
        self._pool = HttpPool(f"{parts.scheme}://{parts.netloc}", timeout=timeout)
        self._timeout = timeout
        self._auth = auth
        self._token: str | None = None
        self._token_lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return _decode(await self._send("GET", path, params=params), path)

    async def post_json(self, path: str, body: Any, params: Mapping[str, Any] | None = None) -> Any:
        return _decode(await self._send("POST", path, params=params, body=body), path)

    async def post_text(self, path: str, body: Any) -> str:
        return (await self._send("POST", path, body=body)).text

    async def put(self, path: str, body: Any = None, params: Mapping[str, Any] | None = None) -> None:
        await self._send("PUT", path, params=params, body=body)

    async def delete(self, path: str, params: Mapping[str, Any] | None = None) -> None:
        await self._send("DELETE", path, params=params)

    async def probe(self, path: str) -> HttpResponse:
        """A plain GET of a path on the server's origin (``/health``), failures translated."""
        return await self._exchange("GET", path, body=None, auth=False)

    async def _send(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> HttpResponse:
        target = self._prefix + path + (f"?{urlencode(params)}" if params else "")
        content = None if body is None else json.dumps(body).encode()
        answer = await self._exchange(method, target, body=content, auth=True)
        if answer.status == 401 and self._auth is not None:
            # Orkes tokens expire: fetch a new one once and repeat the call.
            self._token = None
            answer = await self._exchange(method, target, body=content, auth=True)
        if answer.status >= 400:
            raise ConductorError(answer.status, _error_message(answer))
        return answer

    async def _exchange(self, method: str, target: str, *, body: bytes | None, auth: bool) -> HttpResponse:
        headers = dict(_HEADERS)
        if auth and self._auth is not None:
            headers["X-Authorization"] = await self._access_token()
        try:
            return await self._pool.request(method, target, headers=headers, body=body)
        except HttpConnectError as exc:
            raise BackendUnavailableError(f"Conductor at {self.api_url} is unreachable: {exc}") from None
        except HttpTimeout:
            raise BackendTimeoutError(
                f"Conductor at {self.api_url} did not answer {method} within {self._timeout:g}s"
            ) from None
        except HttpError as exc:
            raise BackendUnavailableError(f"Conductor at {self.api_url} is unreachable: {exc}") from None

    async def _access_token(self) -> str:
        async with self._token_lock:
            if self._token is None:
                assert self._auth is not None
                key, secret = self._auth
                credentials = json.dumps({"keyId": key, "keySecret": secret}).encode()
                answer = await self._exchange("POST", f"{self._prefix}/token", body=credentials, auth=False)
                if answer.status >= 400:
                    refusal = _error_message(answer)
                    raise WorkflowError(f"Conductor refused authKey/authSecret ({answer.status}): {refusal}")
                token = _decode(answer, "/token") if answer.body else None
                token = token.get("token") if isinstance(token, dict) else None
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


def _decode(answer: HttpResponse, path: str) -> Any:
    if not answer.body:
        return None
    try:
        return json.loads(answer.body)
    except ValueError:
        raise WorkflowError(
            f"Conductor answered {path} with non-JSON: {answer.text[:_MAX_MESSAGE]!r}"
        ) from None


def _error_message(answer: HttpResponse) -> str:
    """Conductor's ``message`` (and validation errors), else the body text, else the reason."""
    text = answer.text
    try:
        body = json.loads(answer.body) if answer.body else None
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
    return (text.strip() or answer.reason.strip() or f"HTTP {answer.status}")[:_MAX_MESSAGE]
