"""Rendering the REST API's answers.

Routes build the JSON dictionaries directly (``*_body`` functions) rather than validating
pydantic models on every response: the shapes are fixed, and the hot path stays cheap. The
shapes themselves are the pydantic models of ``flowport_client.models``, which the OpenAPI
document shows and the typed client parses.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from contracts import HistoryEvent, InstanceState, WorkflowDefinition


def rfc3339(moment: datetime) -> str:
    """UTC with a ``Z``, as Dapr writes timestamps; naive times are taken as UTC."""
    if moment.tzinfo is None:
        return f"{moment.isoformat(timespec='microseconds')}Z"
    if moment.tzinfo is not UTC:  # already UTC is the usual case, and a list's hot path
        moment = moment.astimezone(UTC)
    return f"{moment.isoformat(timespec='microseconds')[:-6]}Z"  # "+00:00" -> "Z"


def state_body(state: InstanceState) -> dict[str, Any]:
    return {
        "instanceID": state.instance_id,
        "workflowName": state.workflow_name,
        "createdAt": rfc3339(state.created_at),
        "lastUpdatedAt": rfc3339(state.last_updated_at),
        "runtimeStatus": state.runtime_status.value,
        "properties": state_properties(state),
    }


def state_properties(state: InstanceState) -> dict[str, str]:
    """Dapr's ``properties`` of an instance (input, custom status, output, failure) and the
    component's own, as the REST and gRPC get answers carry them."""
    properties = {
        "dapr.workflow.input": state.serialized_input or "",
        "dapr.workflow.custom_status": state.serialized_custom_status or "",
    }
    if state.serialized_output is not None:
        properties["dapr.workflow.output"] = state.serialized_output
    if state.failure is not None:
        properties["dapr.workflow.failure.error_type"] = state.failure.error_type
        properties["dapr.workflow.failure.error_message"] = state.failure.message
        if state.failure.stack_trace:
            properties["dapr.workflow.failure.stack_trace"] = state.failure.stack_trace
    properties.update(state.properties)
    return properties


def event_body(event: HistoryEvent) -> dict[str, Any]:
    data: Any = None
    if event.serialized_data is not None:
        try:
            data = json.loads(event.serialized_data)
        except ValueError:
            data = event.serialized_data  # a runtime's non-JSON payload is shown as text
    return {
        "sequence": event.sequence,
        "kind": event.kind.value,
        "timestamp": rfc3339(event.timestamp),
        "name": event.name,
        "data": data,
        "details": dict(event.details),
    }


def definition_body(definition: WorkflowDefinition) -> dict[str, Any]:
    return {
        "name": definition.name,
        "language": definition.language,
        "source": definition.source,
        "digest": definition.digest,
        "definition": json.loads(definition.serialized_document),
        "graph": {
            "nodes": [
                {"id": n.id, "label": n.label, "kind": n.kind, "parent": n.parent} for n in definition.nodes
            ],
            "edges": [{"source": e.source, "target": e.target, "label": e.label} for e in definition.edges],
        },
    }
