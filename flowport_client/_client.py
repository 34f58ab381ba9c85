"""The synchronous and asynchronous clients: one method per API operation.

Both send the ``Call`` values of ``_calls`` (which hold every path, parameter and parser) and
differ only in how they send. Every answer is parsed into the models of
``flowport_client.models``; an error answer raises ``ProblemError`` with its problem document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from flowport_client import _calls, models
from flowport_client._calls import ANY, NO_BODY, Call, Filter
from flowport_client._errors import GatewayUnreachableError

T = TypeVar("T")
DEFAULT_ADDRESS = "http://127.0.0.1:3500"
DEFAULT_TIMEOUT = 60.0


def _options(address: str, api_token: str | None, timeout: float) -> dict[str, Any]:
    """What both httpx clients are built with."""
    headers = {"dapr-api-token": api_token} if api_token else {}
    return {"base_url": address, "headers": headers, "timeout": timeout}


def _unreachable(address: object, exc: httpx.TransportError) -> GatewayUnreachableError:
    return GatewayUnreachableError(
        f"cannot reach the Flowport gateway at {address}: {exc or type(exc).__name__}"
    )


class FlowportClient:
    """A blocking client for one gateway.

    ``address`` is the gateway's base URL; ``api_token`` is sent as ``dapr-api-token``.
    ``transport`` is httpx's (for an in-process app, pass ``httpx.ASGITransport``-like ones).
    Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        api_token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.address = address
        self.http = httpx.Client(transport=transport, **_options(address, api_token, timeout))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def send(self, call: Call[T]) -> T:
        """Send one operation and parse its answer."""
        try:
            response = self.http.send(call.request(self.http))
        except httpx.TransportError as exc:
            raise _unreachable(self.address, exc) from exc
        return call.parse(response)

    # --- operations (see _calls for what each sends) ----------------------------------

    def metadata(self) -> models.Metadata:
        return self.send(_calls.metadata())

    def healthz(self) -> None:
        self.send(_calls.healthz())

    def start(
        self,
        component: str,
        workflow_name: str,
        input: Any = NO_BODY,
        *,
        instance_id: str | None = None,
        start_time: datetime | None = None,
        options: Mapping[str, str] | None = None,
    ) -> models.StartResponse:
        call = _calls.start(
            component, workflow_name, input, instance_id=instance_id, start_time=start_time, options=options
        )
        return self.send(call)

    def get(self, component: str, instance_id: str) -> models.WorkflowState:
        return self.send(_calls.get(component, instance_id))

    def history(self, component: str, instance_id: str) -> models.History:
        return self.send(_calls.history(component, instance_id))

    def raise_event(self, component: str, instance_id: str, event_name: str, data: Any = NO_BODY) -> None:
        self.send(_calls.raise_event(component, instance_id, event_name, data))

    def pause(self, component: str, instance_id: str, reason: str | None = None) -> None:
        self.send(_calls.pause(component, instance_id, reason))

    def resume(self, component: str, instance_id: str, reason: str | None = None) -> None:
        self.send(_calls.resume(component, instance_id, reason))

    def terminate(
        self,
        component: str,
        instance_id: str,
        reason: str | None = None,
        *,
        output: Any = NO_BODY,
        recursive: bool = True,
    ) -> None:
        self.send(_calls.terminate(component, instance_id, reason, output=output, recursive=recursive))

    def purge(self, component: str, instance_id: str, *, recursive: bool = True) -> models.PurgeResult:
        return self.send(_calls.purge(component, instance_id, recursive=recursive))

    def list(
        self,
        component: str,
        where: Filter = ANY,
        *,
        page_size: int = 100,
        continuation_token: str | None = None,
    ) -> models.InstanceList:
        call = _calls.list_instances(
            component, where, page_size=page_size, continuation_token=continuation_token
        )
        return self.send(call)

    def list_across(
        self,
        components: Sequence[str] = (),
        where: Filter = ANY,
        *,
        page_size: int = 100,
        continuation_token: str | None = None,
    ) -> models.MergedInstanceList:
        call = _calls.list_across(
            components, where, page_size=page_size, continuation_token=continuation_token
        )
        return self.send(call)

    def iterate(
        self, component: str, where: Filter = ANY, *, page_size: int = 100
    ) -> Iterator[models.WorkflowState]:
        """Every matching instance of one component, following the continuation tokens."""
        token: str | None = None
        while True:
            page = self.list(component, where, page_size=page_size, continuation_token=token)
            yield from page.instances
            token = page.continuationToken
            if not token:
                return

    def purge_matching(
        self, component: str, where: Filter = ANY, *, recursive: bool = True, dry_run: bool = False
    ) -> models.BulkPurgeResult:
        return self.send(_calls.purge_matching(component, where, recursive=recursive, dry_run=dry_run))

    def terminate_matching(
        self,
        component: str,
        where: Filter = ANY,
        *,
        reason: str | None = None,
        recursive: bool = True,
        dry_run: bool = False,
    ) -> models.BulkTerminateResult:
        call = _calls.terminate_matching(
            component, where, reason=reason, recursive=recursive, dry_run=dry_run
        )
        return self.send(call)


class AsyncFlowportClient:
    """The same client for asyncio code: every operation is a coroutine."""

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        api_token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.address = address
        self.http = httpx.AsyncClient(transport=transport, **_options(address, api_token, timeout))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, call: Call[T]) -> T:
        """Send one operation and parse its answer."""
        try:
            response = await self.http.send(call.request(self.http))
        except httpx.TransportError as exc:
            raise _unreachable(self.address, exc) from exc
        return call.parse(response)

    async def metadata(self) -> models.Metadata:
        return await self.send(_calls.metadata())

    async def start(
        self,
        component: str,
        workflow_name: str,
        input: Any = NO_BODY,
        *,
        instance_id: str | None = None,
        start_time: datetime | None = None,
        options: Mapping[str, str] | None = None,
    ) -> models.StartResponse:
        call = _calls.start(
            component, workflow_name, input, instance_id=instance_id, start_time=start_time, options=options
        )
        return await self.send(call)

    async def get(self, component: str, instance_id: str) -> models.WorkflowState:
        return await self.send(_calls.get(component, instance_id))

    async def history(self, component: str, instance_id: str) -> models.History:
        return await self.send(_calls.history(component, instance_id))

    async def list_across(
        self,
        components: Sequence[str] = (),
        where: Filter = ANY,
        *,
        page_size: int = 100,
        continuation_token: str | None = None,
    ) -> models.MergedInstanceList:
        call = _calls.list_across(
            components, where, page_size=page_size, continuation_token=continuation_token
        )
        return await self.send(call)

    async def iterate(
        self, component: str, where: Filter = ANY, *, page_size: int = 100
    ) -> AsyncIterator[models.WorkflowState]:
        """Every matching instance of one component, following the continuation tokens."""
        token: str | None = None
        while True:
            call = _calls.list_instances(component, where, page_size=page_size, continuation_token=token)
            page = await self.send(call)
            for state in page.instances:
                yield state
            token = page.continuationToken
            if not token:
                return
