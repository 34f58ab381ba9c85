"""The console's login: a cookie that proves the API token was given, never the token itself."""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request

from gateway.auth import token_accepted

COOKIE = "flowport_session"


def session_value(token: str) -> str:
    """What the cookie holds for ``token``: a keyed hash, so the cookie never carries the token."""
    return hmac.new(token.encode(), b"flowport console session", hashlib.sha256).hexdigest()


def has_session(request: Request, token: str) -> bool:
    given = request.cookies.get(COOKIE)
    return given is not None and hmac.compare_digest(given.encode(), session_value(token).encode())


def has_token(request: Request, token: str) -> bool:
    """The token in Dapr's ``dapr-api-token`` header or as ``Authorization: Bearer``."""
    return token_accepted(request.headers.get, token)
