"""The workflow operations, once, for every front end (the REST routes and the gRPC server).

A front end decodes its request (an HTTP path, query and body; a protobuf message) into
plain values and calls one method here; this layer finds the component, checks what Dapr
checks (instance IDs, names, start options, JSON payloads) and what the component can do,
calls it under the request timeout, and returns contract values. Payloads (workflow input,
event data, output) arrive as the bytes the client sent: JSON, or empty for "no value".
Every failure leaves as ``ApiError`` (a gateway-side problem) or ``OperationError`` (a
contract error during an operation); each front end answers those from the one table in
``gateway.problems``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

import contracts
from contracts import Capability
from gateway import listing, queries
from gateway.deadlines import Deadlines
from gateway.health import HealthWatch
from gateway.problems import ApiError, Operation, OperationError
from gateway.registry import ComponentRegistry
from gateway.telemetry.context import current_request, note_instance

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_INSTANCE_ID_LENGTH = 64
_INSTANCE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
#: the start option that asks for a delayed start; every other option is the component's
START_TIME_OPTION = "startTime"


class WorkflowService:
    """The operations, bound to one registry and one request timeout.

    With a ``health`` watch, each component call's outcome tells it whether the runtime
    answers; with a ``tracer``, each component call is a span.
    """

    def __init__(
        self,
        registry: ComponentRegistry,
        request_timeout: float,
        *,
        health: HealthWatch | None = None,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self._registry = registry
        self._deadlines = Deadlines(request_timeout)
        self._health = health
        self._tracer = tracer

    # --- one instance ---------------------------------------------------------------

    async def start(
        self,
        component: str,
        workflow_name: str,
        instance_id: str | None,
        raw_input: bytes,
        options: Mapping[str, str],
        start_at: datetime | None = None,
    ) -> str:
        """Start an instance and return its ID (a new UUID when none is given).

        ``options`` are the component's start options; one it does not accept is a
        malformed request. ``start_at``, or the option ``startTime`` (RFC 3339) for front
        ends that carry only a string map, asks for a delayed start.
        """
        _require(workflow_name, "workflow-name-missing", "no workflow name given", Capability.START)
        target = self._component(component, Capability.START)
        instance_id = instance_id or str(uuid.uuid4())
        note_instance(instance_id)
        check_instance_id(instance_id)
        options = dict(options)
        start_time = options.pop(START_TIME_OPTION, None)
        if start_time is not None:
            start_at = queries.moment(start_time, START_TIME_OPTION)
        unknown = sorted(set(options) - target.start_options)
        if unknown:
            accepted = ", ".join(sorted(target.start_options)) or "none"
            raise ApiError(
                "malformed-request",
                f"unknown start option(s) {', '.join(unknown)} for {target.spec.type}; accepted: {accepted}",
                operation=Capability.START,
            )
        request = contracts.StartRequest(
            workflow_name=workflow_name,
            instance_id=instance_id,
            serialized_input=_json_payload(raw_input, Capability.START, "the workflow input"),
            start_at=start_at,
            options=options,
        )
        await self._call(Capability.START, target, target.start(request), instance_id)
        return instance_id

    async def get(self, component: str, instance_id: str) -> contracts.InstanceState:
        """The instance's state."""
        target = self._instance_target(component, instance_id, Capability.GET)
        return await self._call(
            Capability.GET, target, target.get(contracts.GetRequest(instance_id)), instance_id
        )

    async def history(self, component: str, instance_id: str) -> Sequence[contracts.HistoryEvent]:
        """The instance's events, oldest first."""
        target = self._instance_target(component, instance_id, Capability.HISTORY)
        history = contracts.HistoryRequest(instance_id)
        return await self._call(Capability.HISTORY, target, target.history(history), instance_id)

    async def raise_event(self, component: str, instance_id: str, event_name: str, raw_data: bytes) -> None:
        """Deliver an event to the instance."""
        _require(event_name, "event-name-missing", "no event name given", Capability.RAISE_EVENT)
        target = self._instance_target(component, instance_id, Capability.RAISE_EVENT)
        data = _json_payload(raw_data, Capability.RAISE_EVENT, "the event data")
        request = contracts.RaiseEventRequest(instance_id, event_name, data)
        await self._call(Capability.RAISE_EVENT, target, target.raise_event(request), instance_id)

    async def pause(self, component: str, instance_id: str, reason: str | None = None) -> None:
        """Suspend the instance."""
        target = self._instance_target(component, instance_id, Capability.PAUSE)
        pause = contracts.PauseRequest(instance_id, reason)
        await self._call(Capability.PAUSE, target, target.pause(pause), instance_id)

    async def resume(self, component: str, instance_id: str, reason: str | None = None) -> None:
        """Resume a suspended instance."""
        target = self._instance_target(component, instance_id, Capability.RESUME)
        resume = contracts.ResumeRequest(instance_id, reason)
        await self._call(Capability.RESUME, target, target.resume(resume), instance_id)

    async def terminate(
        self,
        component: str,
        instance_id: str,
        reason: str | None = None,
        raw_output: bytes = b"",
        recursive: bool = True,
    ) -> None:
        """Terminate the instance (and its children when ``recursive``); ``raw_output``
        becomes its output."""
        target = self._instance_target(component, instance_id, Capability.TERMINATE)
        output = _json_payload(raw_output, Capability.TERMINATE, "the output")
        request = contracts.TerminateRequest(instance_id, reason, output, recursive)
        await self._call(Capability.TERMINATE, target, target.terminate(request), instance_id)

    async def purge(self, component: str, instance_id: str, recursive: bool = True) -> contracts.PurgeResult:
        """Delete a terminal instance and its history (and its children's when ``recursive``)."""
        target = self._instance_target(component, instance_id, Capability.PURGE)
        request = contracts.PurgeRequest(instance_id, recursive)
        return await self._call(Capability.PURGE, target, target.purge(request), instance_id)

    async def definition(self, component: str, workflow_name: str) -> contracts.WorkflowDefinition:
        """A declarative workflow definition (ASL, Serverless Workflow) and its graph."""
        target = self._component(component, "definition")
        request = contracts.DefinitionRequest(workflow_name)
        return await self._call("definition", target, target.definition(request))

    # --- many instances -------------------------------------------------------------

    async def list_instances(
        self, component: str, selection: contracts.InstanceFilter, page_size: int, token: str | None
    ) -> contracts.InstancePage:
        """One page of the component's instances matching ``selection``, newest first."""
        target = self._filtering(component, selection, Capability.LIST)
        request = queries.list_request(selection, page_size, token)
        return await self._call(Capability.LIST, target, target.list_instances(request))

    async def list_across(
        self,
        components: Sequence[str] | None,
        selection: contracts.InstanceFilter,
        page_size: int,
        token: str | None,
    ) -> listing.MergedPage:
        """One page of instances across ``components`` (all when None), newest first; a
        component that cannot answer is reported in the page's ``failures``."""
        names = list(dict.fromkeys(components or (slot.name for slot in self._registry.slots)))
        for name in names:
            if self._registry.slot(name) is None:
                raise ApiError("component-not-found", f"workflow component {name!r} is not configured")

        async def fetch(name: str, page_token: str | None, size: int) -> contracts.InstancePage:
            return await self.list_instances(name, selection, size, page_token)

        try:
            return await listing.merged_page(names, page_size, token, fetch)
        except listing.BadToken as exc:
            raise ApiError("malformed-request", str(exc), operation=Capability.LIST) from None

    async def purge_matching(
        self, component: str, selection: contracts.InstanceFilter, *, recursive: bool, dry_run: bool
    ) -> contracts.BulkResult:
        """Purge every terminal instance matching ``selection`` (every terminal status when
        it names none)."""
        statuses = queries.within(selection.statuses, queries.TERMINAL, "purge", Capability.PURGE)
        target = self._filtering(component, selection, Capability.PURGE, Capability.PURGE)
        bulk = contracts.BulkPurgeRequest(
            **queries.criteria(selection, statuses), recursive=recursive, dry_run=dry_run
        )
        return await self._call(Capability.PURGE, target, target.purge_instances(bulk), bounded=False)

    async def terminate_matching(
        self,
        component: str,
        selection: contracts.InstanceFilter,
        *,
        reason: str | None,
        recursive: bool,
        dry_run: bool,
    ) -> contracts.BulkResult:
        """Terminate every running, pending or suspended instance matching ``selection``."""
        statuses = queries.within(selection.statuses, queries.TERMINABLE, "terminate", Capability.TERMINATE)
        target = self._filtering(component, selection, Capability.TERMINATE, Capability.TERMINATE)
        bulk = contracts.BulkTerminateRequest(
            **queries.criteria(selection, statuses), reason=reason, recursive=recursive, dry_run=dry_run
        )
        return await self._call(Capability.TERMINATE, target, target.terminate_instances(bulk), bounded=False)

    # --- plumbing -------------------------------------------------------------------

    def _instance_target(
        self, component: str, instance_id: str, operation: Operation
    ) -> contracts.WorkflowComponent:
        target = self._component(component, operation)
        _require(instance_id, "instance-id-missing", "no instance ID given", operation)
        return target

    def has_component(self, name: str) -> bool:
        """Whether ``name`` is a configured component (initialised or not)."""
        return self._registry.slot(name) is not None

    def _component(self, name: str, operation: Operation) -> contracts.WorkflowComponent:
        _require(name, "component-missing", "no workflow component given", operation)
        slot = self._registry.slot(name)
        if slot is None:
            raise ApiError("component-not-found", f"workflow component {name!r} is not configured")
        if slot.component is None:
            raise ApiError(
                "component-failed", f"component {name!r} is not available: {slot.error}", operation=operation
            )
        component = slot.component
        if isinstance(operation, Capability):
            _require_capability(component, operation, operation)
        return component

    def _filtering(
        self, name: str, selection: contracts.InstanceFilter, operation: Operation, *also: Capability
    ) -> contracts.WorkflowComponent:
        """The component, if it can list with every filter ``selection`` uses (and do ``also``);
        a failure is reported as one of ``operation``."""
        component = self._component(name, operation)
        for capability in (Capability.LIST, *also):
            _require_capability(component, capability, operation)
        missing = selection.filters - component.list_filters
        if missing:
            names = ", ".join(sorted(item.value for item in missing))
            error = contracts.NotSupportedError(
                f"component {name!r} ({component.spec.type}) cannot filter instances by {names}"
            )
            raise OperationError(error, operation)
        return component

    async def _call(
        self,
        operation: Operation,
        target: contracts.WorkflowComponent,
        call: Awaitable[T],
        instance_id: str | None = None,
        *,
        bounded: bool = True,
    ) -> T:
        """Await one component call, its failures translated (in its span, if tracing).
        ``bounded``: under the request timeout; a bulk operation is not (it takes as long as
        its instances need, each runtime call inside it keeping the component's own timeout)."""
        with self._span(target, instance_id) if self._tracer is not None else contextlib.nullcontext():
            try:
                result = await (self._deadlines.run(call) if bounded else call)
            except contracts.BackendUnavailableError as exc:
                if self._health is not None:
                    self._health.observe(target.name, False, exc.message)
                raise OperationError(exc, operation) from exc
            except contracts.WorkflowError as exc:
                raise OperationError(exc, operation) from exc
            except TimeoutError:
                timeout = self._deadlines.timeout
                error = contracts.BackendTimeoutError(f"no answer from the component within {timeout:g}s")
                raise OperationError(error, operation) from None
            except Exception as exc:
                # A bug in the component: logged with its traceback here, never shown to the client.
                log.exception("component failed during %s", operation)
                raise ApiError(
                    "internal", f"the component failed: {type(exc).__name__}: {exc}", operation=operation
                ) from exc
        if self._health is not None:
            self._health.observe(target.name, True)
        return result

    @contextlib.contextmanager
    def _span(self, target: contracts.WorkflowComponent, instance_id: str | None) -> Iterator[None]:
        """The component operation's span, named like its metrics: ``create_workflow orders``."""
        assert self._tracer is not None
        request = current_request.get()
        operation = (request.operation if request else None) or "operation"
        attributes = {"flowport.component": target.name, "flowport.operation": operation}
        if instance_id is not None:
            attributes["flowport.instance_id"] = instance_id
        with self._tracer.start_as_current_span(
            f"{operation} {target.name}",
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield
            except (OperationError, ApiError) as exc:
                error = exc.error if isinstance(exc, OperationError) else exc
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, str(error)))
                raise


def check_instance_id(instance_id: str) -> None:
    """Dapr's rule for new instance IDs: letters, digits, ``-`` and ``_``, at most 64."""
    if len(instance_id) > MAX_INSTANCE_ID_LENGTH:
        raise ApiError(
            "instance-id-too-long",
            f"instance ID has {len(instance_id)} characters; at most {MAX_INSTANCE_ID_LENGTH} are allowed",
            operation=Capability.START,
        )
    if not _INSTANCE_ID.match(instance_id):
        raise ApiError(
            "instance-id-invalid",
            f"instance ID {instance_id!r} may hold only letters, digits, '-' and '_'",
            operation=Capability.START,
        )
    if instance_id in queries.BULK_ROUTES:
        raise ApiError(
            "instance-id-invalid",
            f"instance ID {instance_id!r} is reserved: /workflows/{{component}}/{instance_id} is the bulk "
            f"{instance_id} route",
            operation=Capability.START,
        )


def _json_payload(raw: bytes, operation: Operation, what: str) -> str | None:
    """A payload as JSON text, ``None`` when empty; anything that is not JSON is malformed."""
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
        json.loads(text)
    except ValueError as exc:
        raise ApiError("malformed-request", f"{what} is not valid JSON: {exc}", operation=operation) from None
    return text


def _require_capability(
    component: contracts.WorkflowComponent, capability: Capability, operation: Operation
) -> None:
    if capability not in component.capabilities:
        error = contracts.NotSupportedError(
            f"component {component.name!r} ({component.spec.type}) does not support {capability.value}"
        )
        raise OperationError(error, operation)


def _require(value: str, key: str, message: str, operation: Operation) -> None:
    if not value:
        raise ApiError(key, message, operation=operation)
