"""The API token check, shared by the HTTP and gRPC front ends.

A client presents the token as Dapr's SDKs do, in the ``dapr-api-token`` header (gRPC
metadata), or as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

TOKEN_HEADER = "dapr-api-token"


def token_accepted(header: Callable[[str], str | None], expected: str) -> bool:
    """Whether the request whose headers ``header`` reads carries ``expected``."""
    given = header(TOKEN_HEADER)
    if given is None:
        scheme, _, credentials = (header("authorization") or "").partition(" ")
        given = credentials if scheme.lower() == "bearer" else None
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
