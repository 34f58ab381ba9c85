"""Conductor's REST API over a pooled HTTP/1.1 client: every failure becomes a contract error here.

Why not conductor-python here: its clients are synchronous (each call would need a worker
thread to keep the event loop free), and several of its calls answer 404 against the OSS
server (see docs/conductor.md). The REST API itself is small and stable, so the component
speaks it directly (``_http`` says why not through httpx); the example worker uses
conductor-python, which is what Conductor users write workers with.

This module is the one place where Conductor's failures are translated (``_translate``):

- cannot connect, or the connection breaks       -> ``BackendUnavailableError`` (503)
- no answer within ``requestTimeout``             -> ``BackendTimeoutError`` (504)
- an answer that is not Conductor's API (HTML...) -> ``BackendUnavailableError``, naming ``serverUrl``
- Conductor's error body ``{"status", "message"}``, by status, keeping Conductor's message:
  400 invalid request; 404 what the caller says a missing target means (``missing``: an
  unknown instance by default, an unknown definition on start...; or ``None`` from
  ``find_json``); 409 invalid state; 401/403 refused credentials and 502/503/504 unavailable;
  a 500 that says the workflow is not paused (Conductor's answer to resuming a running one)
  invalid state; anything else a plain ``WorkflowError`` (answered with 500).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from components.conductor._http import (
    HttpError,
    HttpPool,
    HttpProtocolError,
    HttpResponse,
    HttpTimeout,
)
from contracts import (
    BackendTimeoutError,
    BackendUnavailableError,
    ComponentConfigError,
    InstanceNotFoundError,
    InvalidRequestError,
    InvalidStateError,
    WorkflowError,
    backend_call,
)

_MAX_MESSAGE = 500
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/plain"}
#: a workflow ID no server holds: reading it shows whether Conductor's API answers at ``serverUrl``
_PROBE_ID = "00000000-0000-0000-0000-000000000000"


class ConductorClient:
    """Calls to one Conductor server; safe to share between concurrent requests.

    Every method raises contract errors only. ``instance_id`` goes into them; ``missing`` says
    what Conductor's 404 means for the call.
    """

    def __init__(
        self, api_url: str, *, timeout: float, auth: tuple[str, str] | None = None, component: str = ""
    ) -> None:
        self.api_url = api_url
        self._component = component
        parts = urlsplit(api_url)
        self._prefix = parts.path.rstrip("/")
        self._pool = HttpPool(f"{parts.scheme}://{parts.netloc}", timeout=timeout)
        self._timeout = timeout
        self._auth = auth
        self._token: str | None = None
        self._token_lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        instance_id: str | None = None,
        missing: type[WorkflowError] = InstanceNotFoundError,
    ) -> Any:
        answer = await self._send("GET", path, params=params, instance_id=instance_id, missing=missing)
        return self._decode(answer, path, instance_id)

    async def find_json(
        self, path: str, params: Mapping[str, Any] | None = None, *, instance_id: str | None = None
    ) -> Any:
        """Like ``get_json``, but ``None`` when Conductor answers 404."""
        answer = await self._send("GET", path, params=params, instance_id=instance_id, missing=None)
        return None if answer is None else self._decode(answer, path, instance_id)

    async def post_json(
        self,
        path: str,
        body: Any,
        *,
        instance_id: str | None = None,
        missing: type[WorkflowError] = InstanceNotFoundError,
    ) -> Any:
        answer = await self._send("POST", path, body=body, instance_id=instance_id, missing=missing)
        return self._decode(answer, path, instance_id)

    async def post_text(
        self,
        path: str,
        body: Any,
        *,
        instance_id: str | None = None,
        missing: type[WorkflowError] = InstanceNotFoundError,
    ) -> str:
        answer = await self._send("POST", path, body=body, instance_id=instance_id, missing=missing)
        assert answer is not None
        return answer.text

    async def put(
        self,
        path: str,
        body: Any = None,
        *,
        instance_id: str | None = None,
        missing: type[WorkflowError] = InstanceNotFoundError,
    ) -> None:
        await self._send("PUT", path, body=body, instance_id=instance_id, missing=missing)

    async def delete(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        instance_id: str | None = None,
        missing: type[WorkflowError] = InstanceNotFoundError,
    ) -> None:
        await self._send("DELETE", path, params=params, instance_id=instance_id, missing=missing)

    async def probe(self, path: str) -> HttpResponse:
        """A plain GET of a path on the server's origin (``/health``), failures translated."""
        return await self._exchange("GET", path, body=None, auth=False)

    async def check_api(self) -> None:
        """Make sure ``serverUrl`` is Conductor's REST API, not its UI or another server.

        Conductor's UI answers every path on the server's root with its HTML page, so a
        ``serverUrl`` without ``/api`` would otherwise fail only on the first request. Raises
        ``ComponentConfigError`` for that field, or the contract error of an unreachable server.
        """
        target = f"{self._prefix}/workflow/{_PROBE_ID}?includeTasks=false"
        try:
            answer = await self._pool.request("GET", target, headers=await self._headers(auth=True))
        except HttpProtocolError as exc:
            raise self._not_the_api(f"it does not answer HTTP/1.1 ({exc})") from None
        except HttpError as exc:
            raise self._network_error(exc, "GET", None) from None
        if answer.status in (401, 403) or _is_error_document(answer):
            return  # Conductor's API (refusing the credentials, each call will say so with a 503)
        raise self._not_the_api(f"GET {target} answered {answer.status} with {_describe(answer)}")

    def _not_the_api(self, why: str) -> ComponentConfigError:
        hint = ""
        if not self._prefix.endswith("/api"):
            hint = f"; the API root ends in /api ({self.api_url.rstrip('/')}/api), the UI answers on the root"
        return ComponentConfigError(
            f"{self.api_url} is not Conductor's REST API: {why}{hint}", field="spec.metadata.serverUrl"
        )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        instance_id: str | None,
        missing: type[WorkflowError] | None,
    ) -> HttpResponse | None:
        target = self._prefix + path + (f"?{urlencode(params)}" if params else "")
        content = None if body is None else json.dumps(body).encode()
        answer = await self._exchange(method, target, body=content, auth=True, instance_id=instance_id)
        if answer.status == 401 and self._auth is not None:
            # Orkes tokens expire: fetch a new one once and repeat the call.
            self._token = None
            answer = await self._exchange(method, target, body=content, auth=True, instance_id=instance_id)
        if answer.status == 404 and missing is None:
            return None
        if answer.status >= 400:
            raise _translate(answer, instance_id=instance_id, missing=missing or InstanceNotFoundError)
        return answer

    async def _exchange(
        self, method: str, target: str, *, body: bytes | None, auth: bool, instance_id: str | None = None
    ) -> HttpResponse:
        # Timed as "METHOD /path/{}" (no IDs in the label); in a traced request, a span whose
        # W3C context goes along as the traceparent header.
        with backend_call(self._component, _call_name(method, target, self._prefix)) as traced:
            headers = {**await self._headers(auth), **traced.trace_context()}
            try:
                return await self._pool.request(method, target, headers=headers, body=body)
            except HttpError as exc:
                raise self._network_error(exc, method, instance_id) from None

    async def _headers(self, auth: bool) -> dict[str, str]:
        headers = dict(_HEADERS)
        if auth and self._auth is not None:
            headers["X-Authorization"] = await self._access_token()
        return headers

    def _network_error(self, exc: HttpError, method: str, instance_id: str | None) -> WorkflowError:
        if isinstance(exc, HttpTimeout):
            return BackendTimeoutError(
                f"Conductor at {self.api_url} did not answer {method} within {self._timeout:g}s",
                instance_id=instance_id,
            )
        if isinstance(exc, HttpProtocolError):
            return BackendUnavailableError(
                f"{self.api_url} does not answer HTTP/1.1 ({exc}): is serverUrl Conductor's address?",
                instance_id=instance_id,
            )
        return BackendUnavailableError(
            f"Conductor at {self.api_url} is unreachable: {exc}", instance_id=instance_id
        )

    async def _access_token(self) -> str:
        async with self._token_lock:
            if self._token is None:
                assert self._auth is not None
                key, secret = self._auth
                credentials = json.dumps({"keyId": key, "keySecret": secret}).encode()
                answer = await self._exchange("POST", f"{self._prefix}/token", body=credentials, auth=False)
                if answer.status >= 400:
                    raise BackendUnavailableError(
                        f"Conductor at {self.api_url} refused authKey/authSecret "
                        f"({answer.status}): {_error_message(answer)}"
                    )
                token = _json_or_none(answer)
                token = token.get("token") if isinstance(token, dict) else None
                if not isinstance(token, str) or not token:
                    raise BackendUnavailableError(f"Conductor at {self.api_url}: its /token answer held none")
                self._token = token
            return self._token

    def _decode(self, answer: HttpResponse | None, path: str, instance_id: str | None) -> Any:
        if answer is None or not answer.body:
            return None
        decoded = _json_or_none(answer)
        if decoded is None:
            raise BackendUnavailableError(
                f"{self.api_url} answered {path} with {_describe(answer)}, not Conductor's JSON: "
                "is serverUrl Conductor's REST API root (ending in /api)?",
                instance_id=instance_id,
            )
        return decoded


#: the literal segments of the paths the component calls; any other segment is an ID or a name
_LITERAL_SEGMENTS = frozenset(
    {
        "workflow",
        "search",
        "pause",
        "resume",
        "remove",
        "tasks",
        "metadata",
        "taskdefs",
        "names-and-versions",
        "token",
        "health",
        "bulk",
        "terminate",
        "restart",
        "retry",
        "rerun",
    }
)


def _call_name(method: str, target: str, prefix: str) -> str:
    """``GET /workflow/{}`` for ``GET /api/workflow/8f2c...?includeTasks=false``."""
    path = target.split("?", 1)[0].removeprefix(prefix)
    segments = [s if s in _LITERAL_SEGMENTS else "{}" for s in path.strip("/").split("/") if s]
    return f"{method} /{'/'.join(segments)}"


def _translate(
    answer: HttpResponse, *, instance_id: str | None, missing: type[WorkflowError]
) -> WorkflowError:
    """The contract error for an error answer, keeping Conductor's message."""
    status, reason = answer.status, _error_message(answer)
    message = f"Conductor: {reason}"
    if status == 400:
        return InvalidRequestError(message, instance_id=instance_id)
    if status == 404:
        return missing(message, instance_id=instance_id)
    if status == 409 or (status == 500 and "not PAUSED" in reason):
        # Conductor answers 500 to resuming a workflow that is not paused (any more)
        return InvalidStateError(message, instance_id=instance_id)
    if status in (401, 403):
        return BackendUnavailableError(
            f"Conductor refused the component's credentials ({status}): {reason}", instance_id=instance_id
        )
    if status in (502, 503, 504):
        return BackendUnavailableError(message, instance_id=instance_id)
    return WorkflowError(f"Conductor answered {status}: {reason}", instance_id=instance_id)


def _is_error_document(answer: HttpResponse) -> bool:
    """Whether the answer is Conductor's ``ErrorResponse`` (``status``, ``message``, ``retryable``...)."""
    body = _json_or_none(answer)
    return isinstance(body, dict) and isinstance(body.get("message"), str) and "retryable" in body


def _json_or_none(answer: HttpResponse) -> Any:
    try:
        return json.loads(answer.body) if answer.body else None
    except ValueError:
        return None


def _describe(answer: HttpResponse) -> str:
    """What an unexpected answer holds, in a few words for a one-line message."""
    text = answer.text.strip()
    if not text:
        return "an empty body"
    if text[:1] == "<":
        return "an HTML page"
    return repr(text[:80])


def _error_message(answer: HttpResponse) -> str:
    """Conductor's ``message`` (and validation errors), else the body text, else the reason."""
    body = _json_or_none(answer)
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
    text = answer.text.strip()
    if text[:1] == "<":
        return f"HTTP {answer.status} with an HTML page"
    return (text or answer.reason.strip() or f"HTTP {answer.status}")[:_MAX_MESSAGE]
