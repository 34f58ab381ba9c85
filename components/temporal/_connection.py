"""The one Temporal client a component shares, and how every call through it is made.

The client is created lazily (``Client.connect(lazy=True)`` opens no socket), so a gateway
starts even while Temporal is down. Temporal's core client reconnects by itself after an
outage; this module only has to bound each call by the configured timeout and turn failures
into contract errors. Calls are never retried here: while the server is down a caller should
get a prompt 503 rather than wait out a retry budget.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio.api.common.v1 import Header
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.converter import PayloadConverter
from temporalio.service import RPCError, WorkflowService

from components.temporal._errors import is_connect_failure, translate
from components.temporal._metadata import ConnectionSettings
from contracts import (
    BackendUnavailableError,
    ComponentConfigError,
    ComponentHealth,
    WorkflowError,
    backend_call,
)

_log = logging.getLogger(__name__)
T = TypeVar("T")

# Headroom over the RPC deadline for the outer guard below. The core client bounds an RPC on
# an open connection by its deadline, but not a lazy connection attempt to a server that
# accepts TCP and never answers; the guard bounds that, and such a server is unreachable.
_GUARD_SLACK = timedelta(milliseconds=500)
_PROBE_LIMIT = timedelta(seconds=2)
#: the header temporalio.contrib.opentelemetry.TracingInterceptor reads the trace context from
TRACE_HEADER = "_tracer-data"


class Connection:
    """A lazily connected client plus the component's namespace, identity and timeouts."""

    def __init__(self, settings: ConnectionSettings, component: str, source: str | None = None) -> None:
        self.settings = settings
        self._component = component
        self._source = source
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    @property
    def target(self) -> str:
        return self.settings.target_host

    @property
    def namespace(self) -> str:
        return self.settings.namespace

    @property
    def identity(self) -> str:
        return self._client.identity if self._client is not None else (self.settings.identity or "flowport")

    async def open(self) -> Client:
        """The shared client, created on first use; a bad TLS or key setting is a config error."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await Client.connect(
                        self.settings.target_host,
                        namespace=self.settings.namespace,
                        api_key=self.settings.api_key,
                        tls=self.settings.tls,
                        identity=self.settings.identity,
                        connect_timeout=self.settings.connect_timeout,
                        lazy=True,
                    )
                except (ValueError, TypeError, RuntimeError) as exc:
                    if is_connect_failure(exc):
                        raise
                    raise ComponentConfigError(
                        f"cannot create a Temporal client for {self.target}: {exc}", component=self._component
                    ) from exc
            return self._client

    async def call(
        self,
        operation: str,
        instance_id: str | None,
        rpc: Callable[[WorkflowService, timedelta], Awaitable[T]],
        *,
        name: str,
        header: Header | None = None,
    ) -> T:
        """Run one RPC (given the service and its deadline) and translate its failure.

        ``name`` is the RPC's, for its latency metric and span. With ``header`` (the request's
        own, on start and signal) the trace context goes to the workers, where temporalio's
        ``TracingInterceptor`` continues the trace: the component calls raw RPCs, which client
        interceptors never see, so it writes the interceptor's header itself.
        """
        client = await self.open()
        timeout = self.settings.rpc_timeout
        guard = (timeout + _GUARD_SLACK).total_seconds()
        with backend_call(self._component, name) as traced:
            if header is not None:
                carrier = traced.trace_context()
                if carrier:
                    header.fields[TRACE_HEADER].CopyFrom(PayloadConverter.default.to_payloads([carrier])[0])
            try:
                return await asyncio.wait_for(rpc(client.workflow_service, timeout), guard)
            except TimeoutError:
                raise BackendUnavailableError(
                    f"Temporal at {self.target} is unreachable: no answer to {operation} within {guard:g} s",
                    instance_id=instance_id,
                ) from None
            except (RPCError, RuntimeError) as exc:
                raise self.error(exc, operation, instance_id) from exc

    def error(self, exc: BaseException, operation: str, instance_id: str | None) -> WorkflowError:
        return translate(exc, operation=operation, instance_id=instance_id, target=self.target)

    async def health(self, limit: timedelta | None = None) -> ComponentHealth:
        """Whether the server answers its gRPC health check within ``limit`` (the connect timeout)."""
        limit = min(limit, self.settings.connect_timeout) if limit else self.settings.connect_timeout
        try:
            client = await self.open()
            serving = await asyncio.wait_for(
                client.service_client.check_health(timeout=limit), (limit + _GUARD_SLACK).total_seconds()
            )
        except TimeoutError:
            return ComponentHealth(
                healthy=False,
                detail=f"Temporal at {self.target} did not answer within {limit.total_seconds():g} s",
            )
        except ComponentConfigError as exc:
            return ComponentHealth(healthy=False, detail=f"Temporal at {self.target}: {exc}")
        except (RPCError, RuntimeError) as exc:
            return self._unhealthy(exc)
        if not serving:
            return ComponentHealth(healthy=False, detail=f"Temporal at {self.target} is not serving")
        try:
            await asyncio.wait_for(
                client.workflow_service.describe_namespace(
                    DescribeNamespaceRequest(namespace=self.namespace), timeout=limit
                ),
                (limit + _GUARD_SLACK).total_seconds(),
            )
        except TimeoutError:
            return ComponentHealth(
                healthy=False,
                detail=f"Temporal at {self.target} did not answer within {limit.total_seconds():g} s",
            )
        except (RPCError, RuntimeError) as exc:
            return self._unhealthy(exc)
        return ComponentHealth(healthy=True, detail=f"Temporal at {self.target}, namespace {self.namespace}")

    def _unhealthy(self, exc: RPCError | RuntimeError) -> ComponentHealth:
        try:
            detail = self.error(exc, "health", None).message
        except RuntimeError:  # not one of Temporal's failures: show it as it is
            detail = f"Temporal at {self.target}: {exc}"
        return ComponentHealth(healthy=False, detail=detail)

    async def probe(self) -> None:
        """Log, without failing, when the server is not reachable at start-up.

        Bounded well inside the gateway's default ``initTimeout`` (5 s), so a server that is
        down never turns into a failed component.
        """
        health = await self.health(_PROBE_LIMIT)
        if not health.healthy:
            # One line in the loader's format: file, component, then what is wrong.
            where = ComponentConfigError("", file=self._source, component=self._component)
            _log.warning("%s%s; its requests answer 503 meanwhile", where, health.detail)

    def close(self) -> None:
        # The SDK client has no close(): dropping it releases the core client's channel.
        self._client = None
