"""One gateway process: its components, the HTTP server and the gRPC server on one loop.

``flowport serve`` and the tests' ``running_gateway`` both run ``run_gateway``, so what the
tests serve is what users run.
"""

from __future__ import annotations

import gc
import logging
import socket

import uvicorn

from gateway.app import version
from gateway.grpc_api import GrpcSettings
from gateway.grpc_api.hosting import sidecar_host
from gateway.registry import ComponentRegistry
from gateway.service import WorkflowService
from gateway.telemetry.metrics import OperationMetrics

log = logging.getLogger("flowport")

#: seconds in-flight gRPC calls get to finish at shutdown
GRPC_SHUTDOWN_GRACE = 2.0


def freeze_startup_heap() -> None:
    """Move every object alive once the components run (modules, the app, the components'
    clients and caches: hundreds of thousands of objects) out of the garbage collector's reach.

    Its full collections scan every tracked object, and with these in the heap each took 40 to
    50 ms of holding the GIL, about once a second under load, which every request in flight
    waited out: they were the REST API's p99 (docs/rest-load.md). Frozen, a full collection
    scans only what was made since. The frozen objects live as long as the process anyway;
    a cycle among them that became garbage would not be collected, which is why this runs
    once, after start-up, in the serving process only.
    """
    gc.collect()
    gc.freeze()


async def run_gateway(
    registry: ComponentRegistry,
    http: uvicorn.Server,
    grpc_settings: GrpcSettings | None,
    service: WorkflowService,
    *,
    metrics: OperationMetrics | None = None,
    sockets: list[socket.socket] | None = None,
    freeze_heap: bool = False,
) -> None:
    """Initialise the components, serve HTTP (and gRPC over ``service``, the HTTP app's own,
    unless ``grpc_settings`` is None, recording its operations in ``metrics``, the app's own)
    until ``http`` is told to exit, then stop both and close the components. ``sockets``:
    already bound sockets for HTTP (tests bind theirs). ``freeze_heap`` (``flowport serve``):
    see ``freeze_startup_heap``.

    Components are initialised here, not in the ASGI lifespan, so that a failure is
    reported as one clear ``ResourcesError`` instead of a server traceback; a gRPC address
    that cannot be bound, or no clear choice of the built-in component the sidecar service
    drives, is a ``GrpcServerError``.
    """
    # The sidecar's component must know before it starts that it serves remote workers.
    host = sidecar_host(registry, grpc_settings.component) if grpc_settings is not None else None
    await registry.start()
    if freeze_heap:
        freeze_startup_heap()
    try:
        grpc_server = None
        if grpc_settings is not None:
            # Imported here: grpcio and the stubs load only when gRPC is on.
            from gateway.grpc_api.server import start_server

            grpc_server = await start_server(service, grpc_settings, host, metrics)
        try:
            names = ", ".join(slot.name for slot in registry.slots) or "none"
            log.info("flowport %s serving components: %s", version(), names)
            await http.serve(sockets)
        finally:
            if grpc_server is not None:
                await grpc_server.stop(GRPC_SHUTDOWN_GRACE)
    finally:
        await registry.close()
