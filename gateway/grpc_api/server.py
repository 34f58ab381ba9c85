"""The gRPC server beside the HTTP one: Dapr's port, Dapr's limits, Dapr's token.

One ``grpc.aio`` server on the gateway's event loop serves Dapr's runtime workflow API
(``gateway.grpc_api.runtime``) and the Durable Task sidecar service that Dapr SDK workers
and clients use (``gateway.grpc_api.sidecar``); every other method of any service answers
UNIMPLEMENTED saying that Flowport serves workflows only. Its settings follow daprd:

- messages up to 4 MiB each way by default (daprd's ``--max-body-size``), configurable;
- clients may ping every 30 s without calls in flight (Dapr's SDKs keep their channel alive
  that way), so pings are permitted without calls down to a 10 s interval;
- with an API token configured, every call must carry it in the ``dapr-api-token`` metadata
  (or ``authorization: Bearer``), else UNAUTHENTICATED.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

import grpc

from gateway.auth import token_accepted
from gateway.grpc_api.handlers import refusing
from gateway.grpc_api.hosting import RemoteWorkerHost
from gateway.grpc_api.runtime import RuntimeWorkflowApi
from gateway.grpc_api.settings import GrpcServerError, GrpcSettings
from gateway.grpc_api.sidecar import SidecarService
from gateway.grpc_api.status import error_status
from gateway.problems import PROBLEMS
from gateway.service import WorkflowService
from gateway.telemetry.metrics import OperationMetrics

log = logging.getLogger(__name__)

#: the shortest ping interval without calls that clients may use (Dapr's SDKs use 30 s)
MIN_CLIENT_PING_INTERVAL_MS = 10_000
#: the server pings an idle connection this often to find dead peers, and waits this long
SERVER_PING_INTERVAL_MS = 60_000
SERVER_PING_TIMEOUT_MS = 20_000


def server_options(settings: GrpcSettings) -> list[tuple[str, int]]:
    """The channel arguments of the server (see the module docstring)."""
    return [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", MIN_CLIENT_PING_INTERVAL_MS),
        ("grpc.keepalive_time_ms", SERVER_PING_INTERVAL_MS),
        ("grpc.keepalive_timeout_ms", SERVER_PING_TIMEOUT_MS),
        # A second gateway on the same port must fail to start, not share the port silently.
        ("grpc.so_reuseport", 0),
    ]


async def start_server(
    service: WorkflowService,
    settings: GrpcSettings,
    host: RemoteWorkerHost | None = None,
    metrics: OperationMetrics | None = None,
) -> grpc.aio.Server:
    """A started server on ``settings.address``, the sidecar service driving ``host``'s engine,
    the runtime API's calls recorded in ``metrics``; raises ``GrpcServerError`` if it cannot bind."""
    interceptors = [_TokenCheck(settings.api_token)] if settings.api_token else []
    server = grpc.aio.server(options=server_options(settings), interceptors=interceptors)
    handlers = (
        RuntimeWorkflowApi(service, metrics).handler(),
        SidecarService(host, settings).handler(),
        _WorkflowsOnly(),
    )
    server.add_generic_rpc_handlers(handlers)
    try:
        server.add_insecure_port(settings.address)
    except RuntimeError as exc:
        raise GrpcServerError(f"cannot serve gRPC on {settings.address}: {exc}") from None
    await server.start()
    log.info("serving gRPC on %s", settings.address)
    return server


class _WorkflowsOnly(grpc.GenericRpcHandler):
    """The last handler: every method no other handler serves."""

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[bytes, bytes]:
        method = handler_call_details.method
        message = f"Flowport serves workflows only: {method} is not served"
        return refusing(error_status(PROBLEMS["not-found"], message, None))


_UNAUTHENTICATED = refusing(
    error_status(PROBLEMS["unauthorized"], "a valid API token is required (dapr-api-token metadata)", None)
)

_RequestT = TypeVar("_RequestT")
_ResponseT = TypeVar("_ResponseT")


class _TokenCheck(grpc.aio.ServerInterceptor):
    def __init__(self, expected: str) -> None:
        self._expected = expected

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[_RequestT, _ResponseT] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[_RequestT, _ResponseT] | None:
        metadata = dict(handler_call_details.invocation_metadata or ())
        if token_accepted(_text_reader(metadata), self._expected):
            return await continuation(handler_call_details)
        # The refusal reads no request and writes no response, whatever their types.
        return cast("grpc.RpcMethodHandler[_RequestT, _ResponseT]", _UNAUTHENTICATED)


def _text_reader(metadata: dict[str, str | bytes]) -> Callable[[str], str | None]:
    def read(key: str) -> str | None:
        value = metadata.get(key)
        return value if isinstance(value, str) else None

    return read
