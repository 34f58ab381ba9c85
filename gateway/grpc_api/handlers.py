"""How one gRPC call becomes one gateway call, and how it is refused.

``unary`` wraps an async function of a decoded request into a method handler that decodes
the request itself (``decoded``: bytes that are not the message answer INVALID_ARGUMENT, not
a bare INTERNAL), answers gateway failures with the status of ``gateway.grpc_api.status``,
and answers any other exception as INTERNAL with the traceback in the log only.
``refusing`` answers every call to a method, of any streaming kind, with one status.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, Protocol, TypeVar

import grpc
from google.protobuf.message import DecodeError, Message

from gateway.grpc_api.status import error_status, failure_status
from gateway.problems import PROBLEMS, ApiError, OperationError

log = logging.getLogger(__name__)

RequestT = TypeVar("RequestT", bound=Message)
_DecodedT = TypeVar("_DecodedT", bound=Message, covariant=True)


class _Decodable(Protocol[_DecodedT]):
    """A protobuf message class, as far as decoding goes."""

    def FromString(self, data: bytes, /) -> _DecodedT: ...


def unary(
    call: Callable[[RequestT], Awaitable[Message]], request_type: _Decodable[RequestT], method: str
) -> grpc.RpcMethodHandler[bytes, bytes]:
    """A unary-unary method handler running ``call`` on the decoded request."""

    async def behavior(raw: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        try:
            response = await call(decoded(request_type, raw, method))
        except (ApiError, OperationError) as exc:
            await _abort(context, failure_status(exc))
        except Exception as exc:
            log.exception("unexpected error in %s", method)
            status = error_status(PROBLEMS["internal"], f"unexpected {type(exc).__name__}; see the log", None)
            await _abort(context, status)
        return response.SerializeToString()

    return grpc.unary_unary_rpc_method_handler(behavior)


def decoded(request_type: _Decodable[RequestT], raw: bytes, method: str) -> RequestT:
    """The request message; bytes that are not one are a malformed request."""
    try:
        return request_type.FromString(raw)
    except DecodeError as exc:
        raise ApiError("malformed-request", f"{method}: {exc}") from None


def refusing(status: grpc.Status) -> grpc.RpcMethodHandler[bytes, bytes]:
    """A handler answering ``status`` at once, whatever the method's streaming kind.

    A stream-stream handler serves every kind: it reads nothing and ends the call before
    the client would wait for an answer. (grpc.aio lets a streaming behaviour be a plain
    coroutine that would write with ``context.write``.)
    """

    async def behavior(_requests: Any, context: grpc.aio.ServicerContext[bytes, bytes]) -> None:
        await _abort(context, status)

    return grpc.stream_stream_rpc_method_handler(behavior)


async def _abort(context: grpc.aio.ServicerContext[Any, Any], status: grpc.Status) -> NoReturn:
    await context.abort(status.code, status.details, status.trailing_metadata)
