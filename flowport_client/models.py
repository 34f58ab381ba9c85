"""The JSON shapes of Flowport's REST API, as pydantic models.

One definition serves both ends: the gateway describes its answers with these in
``/openapi.json``, and the client parses every answer into them (so a test that goes
through the client also checks that the gateway keeps its documented shapes).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pydantic

from contracts import Capability, EventKind, ListFilter, RuntimeStatus

_INPUT = "dapr.workflow.input"
_OUTPUT = "dapr.workflow.output"
_CUSTOM_STATUS = "dapr.workflow.custom_status"
_FAILURE = "dapr.workflow.failure."

_STATE_EXAMPLE = {
    "instanceID": "order-1",
    "workflowName": "order_processing",
    "createdAt": "2026-11-21T05:55:45.979161Z",
    "lastUpdatedAt": "2026-11-21T05:55:45.992072Z",
    "runtimeStatus": "RUNNING",
    "properties": {
        _INPUT: '{"item_name": "cars", "quantity": 1, "total_cost": 6000}',
        _CUSTOM_STATUS: '"waiting for approval"',
    },
}


def _examples(*examples: dict[str, Any]) -> pydantic.ConfigDict:
    return pydantic.ConfigDict(json_schema_extra={"examples": list(examples)})


class StartResponse(pydantic.BaseModel):
    """The answer of start: the instance's ID (generated when none was given)."""

    model_config = _examples({"instanceID": "order-1"})

    instanceID: str


class Failure(pydantic.BaseModel):
    """Why an instance failed (read from its ``dapr.workflow.failure.*`` properties)."""

    error_type: str
    error_message: str
    stack_trace: str | None = None


class WorkflowState(pydantic.BaseModel):
    """An instance as Dapr shows it: payloads are JSON text in ``properties``."""

    model_config = _examples(_STATE_EXAMPLE)

    instanceID: str
    workflowName: str
    createdAt: datetime
    lastUpdatedAt: datetime
    runtimeStatus: RuntimeStatus
    properties: dict[str, str] = pydantic.Field(
        description="Dapr's dapr.workflow.* properties (JSON text for payloads) and any "
        "runtime-specific ones (temporal.*, conductor.*)."
    )

    def _decoded(self, name: str) -> Any:
        text = self.properties.get(name) or ""
        return json.loads(text) if text else None

    @property
    def input(self) -> Any:
        """The decoded workflow input (``None`` when absent)."""
        return self._decoded(_INPUT)

    @property
    def output(self) -> Any:
        """The decoded workflow output (``None`` when absent)."""
        return self._decoded(_OUTPUT)

    @property
    def custom_status(self) -> Any:
        """The decoded custom status (``None`` when absent)."""
        return self._decoded(_CUSTOM_STATUS)

    @property
    def failure(self) -> Failure | None:
        if _FAILURE + "error_type" not in self.properties:
            return None
        return Failure(
            error_type=self.properties[_FAILURE + "error_type"],
            error_message=self.properties.get(_FAILURE + "error_message", ""),
            stack_trace=self.properties.get(_FAILURE + "stack_trace"),
        )

    @property
    def runtime_properties(self) -> dict[str, str]:
        """The properties a runtime adds beside Dapr's own (``temporal.warning``...)."""
        return {k: v for k, v in self.properties.items() if not k.startswith("dapr.workflow.")}


class ListedWorkflowState(WorkflowState):
    """An instance in a listing across components: its state and its component."""

    model_config = _examples({**_STATE_EXAMPLE, "component": "dapr"})

    component: str


class InstanceList(pydantic.BaseModel):
    """One page of one component's instances, newest first."""

    instances: list[WorkflowState]
    continuationToken: str | None = pydantic.Field(
        description="The next page's token; null on the last page."
    )


class Problem(pydantic.BaseModel):
    """An RFC 9457 problem document that also carries Dapr's ``errorCode`` and ``message``."""

    model_config = _examples(
        {
            "type": "urn:flowport:problem:instance-not-found",
            "title": "Instance not found",
            "status": 404,
            "detail": "no instance with ID 'order-1'",
            "instance": "/v1.0/workflows/dapr/order-1",
            "errorCode": "ERR_INSTANCE_ID_NOT_FOUND",
            "message": "no instance with ID 'order-1'",
        }
    )

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errorCode: str
    message: str


class ComponentProblem(Problem):
    """Why one component is missing from a listing across components."""

    component: str


class InstanceProblem(Problem):
    """Why a bulk operation could not act on one instance."""

    instanceID: str


class MergedInstanceList(pydantic.BaseModel):
    """One page of instances across components, newest first."""

    instances: list[ListedWorkflowState]
    continuationToken: str | None = pydantic.Field(
        description="The next page's token; null on the last page."
    )
    failures: list[ComponentProblem] = pydantic.Field(
        description="Components that could not answer (down, or unable to apply a filter)."
    )


class HistoryEvent(pydantic.BaseModel):
    """One event of an instance's history, normalised across runtimes."""

    sequence: int
    kind: EventKind
    timestamp: datetime
    name: str | None = pydantic.Field(description="The activity, timer, event or child workflow name.")
    data: Any = pydantic.Field(description="The event's payload, decoded from JSON.")
    details: dict[str, str] = pydantic.Field(description="Other facts (task IDs, failure, reason...).")


class History(pydantic.BaseModel):
    """An instance's events, oldest first."""

    model_config = _examples(
        {
            "instanceID": "order-1",
            "events": [
                {
                    "sequence": 0,
                    "kind": "WorkflowStarted",
                    "timestamp": "2026-11-21T05:55:45.979161Z",
                    "name": "order_processing",
                    "data": {"item_name": "cars", "quantity": 1, "total_cost": 6000},
                    "details": {},
                }
            ],
        }
    )

    instanceID: str
    events: list[HistoryEvent]


class PurgeResult(pydantic.BaseModel):
    """What a purge did: instances removed (children included) and any caveat."""

    model_config = _examples({"purgedInstances": 1, "detail": None})

    purgedInstances: int
    detail: str | None


class BulkTerminateResult(pydantic.BaseModel):
    """What a terminate by filter did: matches, successes and each failure."""

    model_config = _examples({"dryRun": False, "matched": 3, "succeeded": 3, "failed": []})

    dryRun: bool
    matched: int = pydantic.Field(description="Instances the filters selected.")
    succeeded: int = pydantic.Field(description="Of those, instances done (or already gone).")
    failed: list[InstanceProblem]


class BulkPurgeResult(BulkTerminateResult):
    """What a purge by filter did; ``purgedInstances`` counts children too."""

    model_config = _examples(
        {"dryRun": False, "matched": 3, "succeeded": 3, "failed": [], "purgedInstances": 3, "detail": None}
    )

    purgedInstances: int
    detail: str | None


class DefinitionNode(pydantic.BaseModel):
    id: str
    label: str
    kind: str
    parent: str | None


class DefinitionEdge(pydantic.BaseModel):
    source: str
    target: str
    label: str


class DefinitionGraph(pydantic.BaseModel):
    nodes: list[DefinitionNode]
    edges: list[DefinitionEdge]


class Definition(pydantic.BaseModel):
    """A declarative workflow definition (ASL, Serverless Workflow) and its graph."""

    name: str
    language: str = pydantic.Field(description="asl or serverless-workflow")
    source: str | None = pydantic.Field(description="the file the definition was read from")
    digest: str = pydantic.Field(description="content hash of this version of the definition")
    definition: Any = pydantic.Field(description="the definition document")
    graph: DefinitionGraph


class PluginInfo(pydantic.BaseModel):
    distribution: str | None
    version: str | None


class ComponentInfo(pydantic.BaseModel):
    """One configured workflow component."""

    name: str
    type: str
    version: str
    capabilities: list[Capability]
    listFilters: list[ListFilter] = pydantic.Field(description="The list filters the component applies.")
    startOptions: list[str] = pydantic.Field(description="The start options (query parameters) it accepts.")
    healthy: bool
    detail: str | None = pydantic.Field(description="Why it is unhealthy.")
    workflows: list[str] | None = pydantic.Field(description="Known workflow names; null when unknown.")
    plugin: PluginInfo
    uiUrl: str | None = pydantic.Field(description="The runtime's own UI, from the uiUrl metadata.")


class Metadata(pydantic.BaseModel):
    """The gateway and its components."""

    id: str
    runtimeVersion: str
    components: list[ComponentInfo]
