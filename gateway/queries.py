"""What the query strings of the workflow routes mean: the instance filter, statuses, times,
and the two-segment paths that belong to the bulk routes.

Everything here turns text from the URL into contract values, or refuses it with a 400
problem document that says what was expected; nothing is guessed at or dropped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from starlette import convertors

import contracts
from contracts import RuntimeStatus
from gateway.problems import ApiError, Operation

#: POST /workflows/{component}/<name>: the operations by filter
BULK_ROUTES = ("purge", "terminate")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?$")
TERMINAL = frozenset(status for status in RuntimeStatus if status.is_terminal)
TERMINABLE = frozenset({RuntimeStatus.RUNNING, RuntimeStatus.PENDING, RuntimeStatus.SUSPENDED})


def instance_filter(
    status: Annotated[
        list[str] | None, Query(description="Runtime statuses to keep (repeat or comma-separate).")
    ] = None,
    workflowName: Annotated[str | None, Query(description="Only instances of this workflow.")] = None,
    createdAfter: Annotated[
        str | None, Query(description="Only instances created at or after this RFC 3339 time.")
    ] = None,
    createdBefore: Annotated[
        str | None, Query(description="Only instances created before this RFC 3339 time.")
    ] = None,
    instanceIDPrefix: Annotated[
        str | None, Query(description="Only instances whose ID starts with this (case-sensitive).")
    ] = None,
) -> contracts.InstanceFilter:
    """The filter query parameters shared by the listings and the bulk operations."""
    return contracts.InstanceFilter(
        statuses=frozenset(
            runtime_status(name) for value in status or () for name in value.split(",") if name
        ),
        workflow_name=workflowName or None,
        created_after=moment(createdAfter, "createdAfter"),
        created_before=moment(createdBefore, "createdBefore"),
        instance_id_prefix=instanceIDPrefix or None,
    )


class _InstanceConvertor(convertors.Convertor[str]):
    """An instance ID in a two-segment path: anything but the names of the bulk routes."""

    regex = "(?!(?:" + "|".join(BULK_ROUTES) + ")$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


convertors.register_url_convertor("instance", _InstanceConvertor())


def runtime_status(name: str) -> RuntimeStatus:
    try:
        return RuntimeStatus[name.strip().upper()]
    except KeyError:
        known = ", ".join(status.value for status in RuntimeStatus)
        raise ApiError("malformed-request", f"unknown status {name!r}; known: {known}") from None


def moment(text: str | None, name: str) -> datetime | None:
    """An RFC 3339 time from the query; one without an offset is taken as UTC. Anything else
    (a bare number, a date alone) is a 400, never guessed at."""
    if text is None:
        return None
    if not _RFC3339.match(text):
        raise ApiError(
            "malformed-request", f"{name}: {text!r} is not an RFC 3339 time like 2026-01-31T12:00:00Z"
        )
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError as exc:
        raise ApiError("malformed-request", f"{name}: {text!r} is not a valid time: {exc}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def criteria(selection: contracts.InstanceFilter, statuses: frozenset[RuntimeStatus]) -> dict[str, Any]:
    return {
        "statuses": statuses,
        "workflow_name": selection.workflow_name,
        "created_after": selection.created_after,
        "created_before": selection.created_before,
        "instance_id_prefix": selection.instance_id_prefix,
    }


def list_request(selection: contracts.InstanceFilter, size: int, token: str | None) -> contracts.ListRequest:
    return contracts.ListRequest(
        **criteria(selection, selection.statuses), page_size=size, continuation_token=token
    )


def within(
    asked: frozenset[RuntimeStatus], allowed: frozenset[RuntimeStatus], action: str, operation: Operation
) -> frozenset[RuntimeStatus]:
    """The statuses a bulk operation acts on: those asked for, all ``allowed`` when none."""
    outside = sorted(status.value for status in asked - allowed)
    if outside:
        accepted = ", ".join(sorted(status.value for status in allowed))
        raise ApiError(
            "malformed-request",
            f"{action} acts only on instances that are {accepted}; not on {', '.join(outside)}",
            operation=operation,
        )
    return asked or allowed
