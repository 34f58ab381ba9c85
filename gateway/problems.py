"""Errors as RFC 9457 problem documents that Dapr clients also understand.

Every error a user can see is one row of ``PROBLEMS``: an HTTP status, a problem type, a
title, a Dapr error code, and the gRPC status code of the gRPC front end (whose status
details carry the same Dapr error code, see ``gateway.grpc_api.status``). Where Dapr has a
code of its own for the case it is used; where Dapr would answer the operation's generic code
(``ERR_START_WORKFLOW``...) with a 500, we keep that code for Dapr clients but answer the
true status (409, 501, 503, 504; over gRPC ALREADY_EXISTS, FAILED_PRECONDITION, ...).
The body carries both views: ``type``/``title``/``status``/``detail``/``instance`` for RFC
9457 and ``errorCode``/``message`` for Dapr.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

import contracts
from gateway.telemetry.context import note_problem

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:flowport:problem:"


#: What a route does: one of the component operations (``Capability``), or the read of a
#: declarative definition, which every component answers (501 when it serves none).
Operation = contracts.Capability | Literal["definition"]

#: The Dapr code of each operation's generic failure, used where Dapr has no specific code.
OPERATION_CODES: dict[Operation, str] = {
    contracts.Capability.START: "ERR_START_WORKFLOW",
    contracts.Capability.GET: "ERR_GET_WORKFLOW",
    contracts.Capability.TERMINATE: "ERR_TERMINATE_WORKFLOW",
    contracts.Capability.RAISE_EVENT: "ERR_RAISE_EVENT_WORKFLOW",
    contracts.Capability.PAUSE: "ERR_PAUSE_WORKFLOW",
    contracts.Capability.RESUME: "ERR_RESUME_WORKFLOW",
    contracts.Capability.PURGE: "ERR_PURGE_WORKFLOW",
    contracts.Capability.LIST: "ERR_LIST_WORKFLOWS",
    contracts.Capability.HISTORY: "ERR_GET_WORKFLOW_HISTORY",
    "definition": "ERR_GET_WORKFLOW_DEFINITION",
}


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    slug: str
    title: str
    #: a Dapr error code, or None for "the failing operation's own code"
    code: str | None
    #: the gRPC status code (a ``grpc.StatusCode`` name) the gRPC front end answers with
    grpc_code: str


# The one table. Keys are contract error classes or gateway-side problem names.
PROBLEMS: dict[type[contracts.WorkflowError] | str, Problem] = {
    contracts.InvalidRequestError: Problem(
        400, "invalid-request", "Invalid request", None, "INVALID_ARGUMENT"
    ),
    contracts.InstanceNotFoundError: Problem(
        404, "instance-not-found", "Instance not found", "ERR_INSTANCE_ID_NOT_FOUND", "NOT_FOUND"
    ),
    contracts.DefinitionNotFoundError: Problem(
        404, "definition-not-found", "Definition not found", None, "NOT_FOUND"
    ),
    contracts.InstanceExistsError: Problem(
        409, "instance-exists", "Instance already exists", None, "ALREADY_EXISTS"
    ),
    contracts.InvalidStateError: Problem(
        409, "invalid-state", "Invalid instance state", None, "FAILED_PRECONDITION"
    ),
    contracts.NotSupportedError: Problem(
        501, "not-supported", "Operation not supported", None, "UNIMPLEMENTED"
    ),
    contracts.BackendUnavailableError: Problem(
        503, "backend-unavailable", "Backend unavailable", None, "UNAVAILABLE"
    ),
    contracts.BackendTimeoutError: Problem(
        504, "backend-timeout", "Backend timed out", None, "DEADLINE_EXCEEDED"
    ),
    "component-missing": Problem(
        400, "component-missing", "Component missing", "ERR_WORKFLOW_COMPONENT_MISSING", "INVALID_ARGUMENT"
    ),
    "component-not-found": Problem(
        400,
        "component-not-found",
        "Component not found",
        "ERR_WORKFLOW_COMPONENT_NOT_FOUND",
        "INVALID_ARGUMENT",
    ),
    "component-failed": Problem(
        503, "component-failed", "Component failed to initialise", None, "UNAVAILABLE"
    ),
    "workflow-name-missing": Problem(
        400, "workflow-name-missing", "Workflow name missing", "ERR_WORKFLOW_NAME_MISSING", "INVALID_ARGUMENT"
    ),
    "event-name-missing": Problem(
        400, "event-name-missing", "Event name missing", "ERR_WORKFLOW_EVENT_NAME_MISSING", "INVALID_ARGUMENT"
    ),
    "instance-id-missing": Problem(
        400,
        "instance-id-missing",
        "Instance ID missing",
        "ERR_INSTANCE_ID_PROVIDED_MISSING",
        "INVALID_ARGUMENT",
    ),
    "instance-id-invalid": Problem(
        400, "instance-id-invalid", "Invalid instance ID", "ERR_INSTANCE_ID_INVALID", "INVALID_ARGUMENT"
    ),
    "instance-id-too-long": Problem(
        400, "instance-id-too-long", "Instance ID too long", "ERR_INSTANCE_ID_TOO_LONG", "INVALID_ARGUMENT"
    ),
    "malformed-request": Problem(
        400, "malformed-request", "Malformed request", "ERR_MALFORMED_REQUEST", "INVALID_ARGUMENT"
    ),
    "unauthorized": Problem(401, "unauthorized", "Unauthorized", "ERR_UNAUTHORIZED", "UNAUTHENTICATED"),
    "not-found": Problem(404, "route-not-found", "Not found", "ERR_NOT_FOUND", "UNIMPLEMENTED"),
    "method-not-allowed": Problem(
        405, "method-not-allowed", "Method not allowed", "ERR_METHOD_NOT_ALLOWED", "UNIMPLEMENTED"
    ),
    "internal": Problem(500, "internal", "Internal error", None, "INTERNAL"),
    "not-ready": Problem(503, "not-ready", "Not ready", "ERR_HEALTH_NOT_READY", "UNAVAILABLE"),
}

_INTERNAL_CODE = "ERR_INTERNAL"


class ApiError(Exception):
    """A gateway-side failure answered as the problem named ``key``."""

    def __init__(self, key: str, message: str, *, operation: Operation | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.operation = operation


class OperationError(Exception):
    """A contract error raised by a component during ``operation``."""

    def __init__(self, error: contracts.WorkflowError, operation: Operation) -> None:
        super().__init__(error.message)
        self.error = error
        self.operation = operation


def problem_for(error: contracts.WorkflowError) -> Problem:
    for cls in type(error).__mro__:
        problem = PROBLEMS.get(cls)
        if problem is not None:
            return problem
    return PROBLEMS["internal"]


def dapr_code(problem: Problem, operation: Operation | None) -> str:
    """The Dapr error code of ``problem`` met during ``operation``."""
    return problem.code or (OPERATION_CODES[operation] if operation else _INTERNAL_CODE)


def classify(exc: ApiError | OperationError) -> tuple[Problem, str, Operation | None]:
    """The problem a gateway failure is answered as, its message, and its operation."""
    if isinstance(exc, ApiError):
        return PROBLEMS[exc.key], exc.message, exc.operation
    return problem_for(exc.error), exc.error.message, exc.operation


def problem_body(
    problem: Problem, message: str, path: str, operation: Operation | None = None
) -> dict[str, Any]:
    """The problem document: RFC 9457's members and Dapr's ``errorCode``/``message``."""
    return {
        "type": PROBLEM_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": message,
        "instance": path,
        "errorCode": dapr_code(problem, operation),
        "message": message,
    }


def problem_of(error: Exception, path: str, operation: Operation | None = None) -> dict[str, Any]:
    """The problem document for an error met inside a larger answer (a listing, a bulk run)."""
    if isinstance(error, OperationError):
        return problem_body(problem_for(error.error), error.error.message, path, error.operation)
    if isinstance(error, ApiError):
        return problem_body(PROBLEMS[error.key], error.message, path, error.operation or operation)
    if isinstance(error, contracts.WorkflowError):
        return problem_body(problem_for(error), error.message, path, operation)
    return problem_body(PROBLEMS["internal"], f"unexpected {type(error).__name__}; see the gateway log", path)


def problem_response(
    problem: Problem,
    message: str,
    *,
    path: str,
    operation: Operation | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    note_problem(problem.slug)
    body = {**problem_body(problem, message, path, operation), **(extra or {})}
    return Response(json.dumps(body), status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


async def handle_gateway_error(request: Request, exc: Exception) -> Response:
    """``ApiError`` and ``OperationError`` as problem documents (a 503 from a component says
    when to retry)."""
    assert isinstance(exc, ApiError | OperationError)
    problem, message, operation = classify(exc)
    headers = {"Retry-After": "5"} if isinstance(exc, OperationError) and problem.status == 503 else None
    return problem_response(problem, message, path=request.url.path, operation=operation, headers=headers)


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        details.append(f"{where}: {error.get('msg', 'invalid')}")
    return problem_response(PROBLEMS["malformed-request"], "; ".join(details), path=request.url.path)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    key = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code)
    if key is None:
        problem = Problem(exc.status_code, "http-error", str(exc.detail), "ERR_HTTP", "UNKNOWN")
        return problem_response(problem, str(exc.detail), path=request.url.path)
    message = f"no route for {request.method} {request.url.path}" if key == "not-found" else str(exc.detail)
    if key == "not-found":
        key, message = _missing_segment(request.url.path) or (key, message)
        return problem_response(PROBLEMS[key], message, path=request.url.path)
    allowed = _allowed_methods(request)
    message = f"{request.method} is not allowed on {request.url.path}; allowed: {', '.join(allowed)}"
    return problem_response(
        PROBLEMS[key], message, path=request.url.path, headers={"Allow": ", ".join(allowed)}
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path (RFC 9110's Allow): several routes may
    share a path pattern (GET an instance, POST a bulk operation), so Starlette's own header,
    which names the first route's methods only, is not enough."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    # Logged with its traceback by the caller's logger; the client never sees one.
    return problem_response(
        PROBLEMS["internal"], f"unexpected {type(exc).__name__}; see the gateway log", path=request.url.path
    )


def _missing_segment(path: str) -> tuple[str, str] | None:
    """Dapr's specific codes for workflow routes with an empty path segment."""
    parts = path.split("/")
    # ['', 'v1.0', 'workflows', component, ...]
    if len(parts) < 4 or parts[2] != "workflows":
        return None
    if parts[3] == "":
        return "component-missing", "no workflow component given in the path"
    if len(parts) == 5 and parts[4] == "":
        component = parts[3]
        return (
            "instance-id-missing",
            f"no instance ID given in the path; GET /{parts[1]}/workflows/{component} lists the instances",
        )
    if len(parts) >= 6 and parts[4] == "" and parts[5] == "start":
        return "workflow-name-missing", "no workflow name given in the path"
    if len(parts) >= 6 and parts[4] == "":
        return "instance-id-missing", "no instance ID given in the path"
    if len(parts) >= 6 and parts[5] == "raiseEvent":
        return "event-name-missing", "no event name given in the path"
    return None
