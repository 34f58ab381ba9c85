"""What the gRPC server is told: where to listen, its limits, the token.

Kept apart from the server so that the command line can read the defaults without importing
grpcio and the protocol stubs (``flowport components`` and ``serve --grpc-port 0`` never do).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Dapr's gRPC port
DEFAULT_PORT = 50001
#: daprd's default message size limit (``--max-body-size 4Mi``)
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class GrpcServerError(Exception):
    """The gRPC server could not start (the port is taken, the host is not an address...)."""


#: seconds of quiet on a worker stream before it gets a health ping (if it accepts them)
DEFAULT_HEALTH_PING_INTERVAL = 30.0


@dataclass(frozen=True, slots=True)
class GrpcSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    api_token: str | None = None
    #: the built-in component the sidecar service drives (``--grpc-component``); ``None``:
    #: the only built-in one
    component: str | None = None
    health_ping_interval: float = DEFAULT_HEALTH_PING_INTERVAL

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"
