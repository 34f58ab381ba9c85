"""The API's operations as plain values: what to send and how to read the answer.

Nothing here does I/O, so the synchronous and the asynchronous client share every path,
parameter and parser and differ only in how they send.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import pydantic

from contracts import RuntimeStatus
from flowport_client import models
from flowport_client._errors import ProblemError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
API = "/v1.0"
#: a body of "no value": the request carries no body at all
NO_BODY: Any = object()


@dataclass(frozen=True, slots=True)
class Filter:
    """Which instances a listing or a bulk operation selects (every given filter must hold).

    ``created_after`` is inclusive, ``created_before`` exclusive; a naive time is UTC.
    """

    status: Sequence[RuntimeStatus | str] = ()
    workflow_name: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    instance_id_prefix: str | None = None

    def params(self) -> list[tuple[str, str]]:
        params = [("status", s.value if isinstance(s, RuntimeStatus) else s) for s in self.status]
        if self.workflow_name is not None:
            params.append(("workflowName", self.workflow_name))
        if self.created_after is not None:
            params.append(("createdAfter", rfc3339(self.created_after)))
        if self.created_before is not None:
            params.append(("createdBefore", rfc3339(self.created_before)))
        if self.instance_id_prefix:
            params.append(("instanceIDPrefix", self.instance_id_prefix))
        return params


@dataclass(frozen=True, slots=True)
class Call(Generic[T_co]):
    """One request and the parser of its successful answer. ``timeout`` ``None``: no limit."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T_co]
    params: Sequence[tuple[str, str]] = ()
    body: Any = NO_BODY
    #: no time limit (bulk operations take as long as their instances need)
    unlimited: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        content = None if self.body is NO_BODY else json.dumps(self.body).encode()
        headers = (
            {"content-type": "application/json", **self.headers} if content is not None else self.headers
        )
        extensions = {"timeout": httpx.Timeout(None).as_dict()} if self.unlimited else {}
        return http.build_request(
            self.method,
            self.path,
            params=list(self.params),
            content=content,
            headers=headers,
            extensions=extensions,
        )


#: no filter: every instance
ANY = Filter()


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def checked(response: httpx.Response) -> httpx.Response:
    """The response if it is a success; else ``ProblemError`` with its problem document."""
    if response.is_success:
        return response
    try:
        problem = models.Problem.model_validate_json(response.content)
    except pydantic.ValidationError:
        text = response.text.strip()[:300]
        problem = models.Problem(
            type="about:blank",
            title=response.reason_phrase or "HTTP error",
            status=response.status_code,
            detail=text or response.reason_phrase,
            instance=response.request.url.path,
            errorCode="",
            message=text,
        )
    raise ProblemError(problem, response.headers)


def _model(model: type[pydantic.BaseModel]) -> Callable[[httpx.Response], Any]:
    return lambda response: model.model_validate_json(checked(response).content)


def _nothing(response: httpx.Response) -> None:
    checked(response)


def _segment(value: str) -> str:
    if not value:
        raise ValueError("path segments (component, instance ID, names) must not be empty")
    return quote(value, safe="")


def _workflows(component: str, *rest: str) -> str:
    return "/".join([f"{API}/workflows", _segment(component), *(_segment(part) for part in rest)])


# --- the operations -------------------------------------------------------------------


def metadata() -> Call[models.Metadata]:
    return Call("GET", f"{API}/metadata", _model(models.Metadata))


def healthz() -> Call[None]:
    return Call("GET", f"{API}/healthz", _nothing)


def start(
    component: str,
    workflow_name: str,
    input: Any = NO_BODY,
    *,
    instance_id: str | None = None,
    start_time: datetime | None = None,
    options: Mapping[str, str] | None = None,
) -> Call[models.StartResponse]:
    params = [("instanceID", instance_id)] if instance_id else []
    if start_time is not None:
        params.append(("startTime", rfc3339(start_time)))
    params += list((options or {}).items())
    path = _workflows(component, workflow_name, "start")
    return Call("POST", path, _model(models.StartResponse), params, input)


def get(component: str, instance_id: str) -> Call[models.WorkflowState]:
    return Call("GET", _workflows(component, instance_id), _model(models.WorkflowState))


def history(component: str, instance_id: str) -> Call[models.History]:
    return Call("GET", _workflows(component, instance_id, "history"), _model(models.History))


def raise_event(component: str, instance_id: str, event_name: str, data: Any = NO_BODY) -> Call[None]:
    return Call("POST", _workflows(component, instance_id, "raiseEvent", event_name), _nothing, body=data)


def pause(component: str, instance_id: str, reason: str | None = None) -> Call[None]:
    params = [("reason", reason)] if reason else []
    return Call("POST", _workflows(component, instance_id, "pause"), _nothing, params)


def resume(component: str, instance_id: str, reason: str | None = None) -> Call[None]:
    params = [("reason", reason)] if reason else []
    return Call("POST", _workflows(component, instance_id, "resume"), _nothing, params)


def terminate(
    component: str,
    instance_id: str,
    reason: str | None = None,
    *,
    output: Any = NO_BODY,
    recursive: bool = True,
) -> Call[None]:
    params = [("reason", reason)] if reason else []
    params.append(("recursive", _flag(recursive)))
    return Call("POST", _workflows(component, instance_id, "terminate"), _nothing, params, output)


def purge(component: str, instance_id: str, *, recursive: bool = True) -> Call[models.PurgeResult]:
    params = [("recursive", _flag(recursive))]
    return Call("POST", _workflows(component, instance_id, "purge"), _model(models.PurgeResult), params)


def list_instances(
    component: str, where: Filter = ANY, *, page_size: int = 100, continuation_token: str | None = None
) -> Call[models.InstanceList]:
    params = [*where.params(), ("pageSize", str(page_size))]
    if continuation_token:
        params.append(("continuationToken", continuation_token))
    return Call("GET", _workflows(component), _model(models.InstanceList), params)


def list_across(
    components: Sequence[str] = (),
    where: Filter = ANY,
    *,
    page_size: int = 100,
    continuation_token: str | None = None,
) -> Call[models.MergedInstanceList]:
    params = [("component", name) for name in components]
    params += [*where.params(), ("pageSize", str(page_size))]
    if continuation_token:
        params.append(("continuationToken", continuation_token))
    return Call("GET", f"{API}/workflows", _model(models.MergedInstanceList), params)


def purge_matching(
    component: str, where: Filter = ANY, *, recursive: bool = True, dry_run: bool = False
) -> Call[models.BulkPurgeResult]:
    params = [*where.params(), ("recursive", _flag(recursive)), ("dryRun", _flag(dry_run))]
    path = _workflows(component, "purge")
    return Call("POST", path, _model(models.BulkPurgeResult), params, unlimited=True)


def terminate_matching(
    component: str,
    where: Filter = ANY,
    *,
    reason: str | None = None,
    recursive: bool = True,
    dry_run: bool = False,
) -> Call[models.BulkTerminateResult]:
    params = [*where.params(), ("recursive", _flag(recursive)), ("dryRun", _flag(dry_run))]
    if reason:
        params.append(("reason", reason))
    path = _workflows(component, "terminate")
    return Call("POST", path, _model(models.BulkTerminateResult), params, unlimited=True)


def _flag(value: bool) -> str:
    return "true" if value else "false"
