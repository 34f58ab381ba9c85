"""The request being served, visible to everything that runs on its behalf.

The middleware sets one ``RequestContext`` per request in a context variable; the log filter,
the problem handlers and the routes read it. Everything in it is derived lazily from the ASGI
scope, so a request that logs nothing pays only for the context variable.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

#: the header a caller (or a proxy) may send to name its request; made up when absent
REQUEST_ID_HEADER = b"x-request-id"

#: Each workflow route (by OpenAPI operation ID) as metrics and spans name its operation:
#: Dapr's name where Dapr has one. ``gateway.routes`` names each route so, which is how the
#: telemetry middleware knows, after routing, what a request was.
OPERATION_NAMES = {
    "startWorkflow": "create_workflow",
    "getWorkflow": "get_workflow",
    "raiseWorkflowEvent": "add_event",
    "pauseWorkflow": "pause_workflow",
    "resumeWorkflow": "resume_workflow",
    "terminateWorkflow": "terminate_workflow",
    "purgeWorkflow": "purge_workflow",
    "listWorkflows": "list_workflows",
    "getWorkflowHistory": "get_workflow_history",
    "purgeWorkflows": "purge_workflows",
    "terminateWorkflows": "terminate_workflows",
    "getWorkflowDefinition": "get_workflow_definition",
    "listAllWorkflows": "list_all_workflows",
}
_OPERATIONS = frozenset(OPERATION_NAMES.values())


@dataclass(slots=True)
class RequestContext:
    """One HTTP request: who it is for, as far as the gateway knows yet."""

    scope: MutableMapping[str, Any]
    #: set by a route whose instance ID is not a path parameter (start)
    instance_id: str | None = None
    #: the problem type slug of the answer, set by the problem handlers
    problem: str | None = None
    _request_id: str | None = field(default=None, repr=False)

    @property
    def request_id(self) -> str:
        if self._request_id is None:
            given = next((v for k, v in self.scope["headers"] if k == REQUEST_ID_HEADER), None)
            self._request_id = given.decode("latin-1") if given else secrets.token_hex(8)
        return self._request_id

    @property
    def operation(self) -> str | None:
        """The workflow operation of the matched route (``None`` before routing or elsewhere)."""
        name = getattr(self.scope.get("route"), "name", None)
        return name if name in _OPERATIONS else None

    def path_param(self, name: str) -> str | None:
        """A path parameter of the matched route (``None`` before routing or when absent)."""
        value = self.scope.get("path_params", {}).get(name)
        return value if isinstance(value, str) else None

    @property
    def component(self) -> str | None:
        return self.path_param("component")

    @property
    def instance(self) -> str | None:
        return self.instance_id or self.path_param("instanceID")


current_request: ContextVar[RequestContext | None] = ContextVar("flowport_request", default=None)


def note_problem(slug: str) -> None:
    """Record the problem type the current request is answered with (its metrics' outcome)."""
    request = current_request.get()
    if request is not None:
        request.problem = slug


def note_instance(instance_id: str) -> None:
    """Record the instance ID of the current request when its path does not hold it."""
    request = current_request.get()
    if request is not None:
        request.instance_id = instance_id
