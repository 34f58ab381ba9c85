"""The OpenAPI document: FastAPI's, corrected where FastAPI cannot say what the gateway does.

FastAPI documents every error under ``application/json`` and adds a 422 to each route; the
gateway answers ``application/problem+json`` and never 422 (a malformed request is a 400
problem). It cannot know which 202s carry no body, which headers an answer carries, which
components exist (the ``component`` path parameter is an enum of them: the document is built
once the components are loaded), that a token guards the routes, or how one operation leads
to the next (OpenAPI links, which let generated clients and stateful testers go from a
start to the instance it created). This module says all that, once, after FastAPI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from contracts import RuntimeStatus
from gateway.problems import PROBLEM_JSON, PROBLEMS
from gateway.queries import BULK_ROUTES

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_COMPONENT = "#/components/schemas/Component"
_RETRY_AFTER = {
    "description": "Seconds to wait before asking again.",
    "schema": {"type": "integer", "minimum": 0},
}
#: the answers that are a bare 202: the operation is accepted, there is nothing to return
_BODYLESS_202 = ("raiseWorkflowEvent", "pauseWorkflow", "resumeWorkflow", "terminateWorkflow")
#: where an instance's operations find their parameters after a start
_INSTANCE_LINKS = {
    "getWorkflow": "The started instance's state.",
    "getWorkflowHistory": "Its history.",
    "raiseWorkflowEvent": "Raise an event on it.",
    "pauseWorkflow": "Pause it.",
    "resumeWorkflow": "Resume it.",
    "terminateWorkflow": "Terminate it.",
    "purgeWorkflow": "Purge it (once it has ended).",
}
#: the statuses each bulk operation may act on (purge: ended; terminate: not ended)
_BULK_STATUSES = {
    "purgeWorkflows": [status.value for status in RuntimeStatus if status.is_terminal],
    "terminateWorkflows": ["RUNNING", "PENDING", "SUSPENDED"],
}
SECURITY_SCHEMES = {
    "daprApiToken": {
        "type": "apiKey",
        "in": "header",
        "name": "dapr-api-token",
        "description": "The gateway's API token, as Dapr sends it.",
    },
    "bearer": {"type": "http", "scheme": "bearer", "description": "The same token as a bearer token."},
}
_OPEN_OPERATIONS = frozenset({"healthz", "healthzOutbound", "readyz"})


def document(app: FastAPI, *, components: Sequence[str], secured: bool) -> dict[str, Any]:
    """The OpenAPI document of ``app`` whose component names are ``components``."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=(
            "Errors are RFC 9457 problem documents (application/problem+json) that also carry "
            "Dapr's errorCode and message. Every route is also served under /v1.0-beta1 and "
            "/v1.0-alpha1."
        ),
        routes=app.routes,
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    if components:
        schemas["Component"] = {
            "type": "string",
            "enum": list(components),
            "title": "Component",
            "description": "The workflow components this gateway serves.",
        }
    doc["components"]["securitySchemes"] = SECURITY_SCHEMES
    if secured:
        doc["security"] = [{"daprApiToken": []}, {"bearer": []}]
    for operations in doc["paths"].values():
        for operation in operations.values():
            _correct(operation, components, secured)
    return doc


def _correct(operation: dict[str, Any], components: Sequence[str], secured: bool) -> None:
    operation_id = operation.get("operationId", "")
    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)
    if secured and operation_id not in _OPEN_OPERATIONS:
        responses["401"] = {}
    if operation_id in _OPEN_OPERATIONS:
        operation["security"] = []
    if operation_id == "getWorkflow":
        responses["405"] = {}  # GET on /workflows/{component}/purge or /terminate (the bulk routes)
    for code, response in responses.items():
        if code.isdigit() and int(code) >= 400:
            response["description"] = _problem_description(int(code))
            response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM}}
            if code == "503":
                response["headers"] = {"Retry-After": _RETRY_AFTER}
    if operation_id in _BODYLESS_202:
        responses["202"] = {"description": "Accepted: the runtime has it (nothing is returned)."}
    if operation_id == "startWorkflow":
        accepted = responses["202"]
        accepted["description"] = "Started (or scheduled): the instance's ID."
        accepted["headers"] = {
            "Location": {
                "description": "The new instance's URL (GET it for its state).",
                "schema": {"type": "string", "format": "uri-reference"},
            },
            "Retry-After": {**_RETRY_AFTER, "description": "When to poll the Location first."},
        }
        accepted["links"] = {
            name[0].upper() + name[1:]: {
                "operationId": name,
                "parameters": {
                    "component": "$request.path.component",
                    "instanceID": "$response.body#/instanceID",
                },
                "description": description,
            }
            for name, description in _INSTANCE_LINKS.items()
        }
    for parameter in operation.get("parameters", []):
        _describe_parameter(parameter, components, operation_id)


def _describe_parameter(parameter: dict[str, Any], components: Sequence[str], operation_id: str) -> None:
    where, name = parameter.get("in"), parameter.get("name")
    if where == "path" and name == "component" and components:
        parameter["schema"] = {"$ref": _COMPONENT}
        parameter["description"] = "A configured workflow component."
    elif where == "query" and name == "component" and components:
        parameter["schema"] = {"anyOf": [{"type": "array", "items": {"$ref": _COMPONENT}}, {"type": "null"}]}
    elif where == "query" and name == "status":
        statuses = _BULK_STATUSES.get(operation_id)
        items = {"$ref": "#/components/schemas/RuntimeStatus"} if statuses is None else {"enum": statuses}
        parameter["schema"] = {"anyOf": [{"type": "array", "items": items}, {"type": "null"}]}
        parameter["description"] = "Runtime statuses to keep (repeat the parameter for several)."
    elif where == "query" and name in ("createdAfter", "createdBefore", "startTime"):
        parameter["schema"] = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}
    elif where == "path" and name == "instanceID":
        parameter["schema"] = {"type": "string", "minLength": 1, "title": "Instanceid"}
        if operation_id == "getWorkflow":  # those URLs are the bulk routes
            parameter["schema"]["not"] = {"enum": list(BULK_ROUTES)}
        parameter["example"] = "order-1"
    elif where == "path" and name == "workflowName":
        parameter["example"] = "order_processing"
    elif where == "path" and name == "eventName":
        parameter["example"] = "approval"


def _problem_description(status: int) -> str:
    types = sorted({problem.slug for problem in PROBLEMS.values() if problem.status == status})
    return f"A problem document ({', '.join(types)})." if types else "A problem document."
