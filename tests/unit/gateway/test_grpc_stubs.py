"""The protocol facts Flowport takes from the pinned ``dapr`` package's generated stubs.

When ``dapr`` is bumped, these say at once whether the private module paths, the method
names and the field numbers the gRPC front end relies on still hold.
"""

from __future__ import annotations

from dapr.proto.runtime.v1 import dapr_pb2

from gateway.grpc_api import stubs
from gateway.grpc_api.runtime import VERSIONS

SIDECAR_METHODS = {
    "Hello",
    "GetWorkItems",
    "CompleteOrchestratorTask",
    "CompleteWorkflowTask",
    "CompleteActivityTask",
    "StartInstance",
    "GetInstance",
    "WaitForInstanceStart",
    "WaitForInstanceCompletion",
    "RaiseEvent",
    "TerminateInstance",
    "SuspendInstance",
    "ResumeInstance",
    "PurgeInstances",
    "ListInstanceIDs",
    "GetInstanceHistory",
    "RerunWorkflowFromEvent",
}
OPERATIONS = ("Start", "Get", "Purge", "Terminate", "Pause", "Resume", "RaiseEvent")


def test_the_runtime_service_has_the_workflow_methods_flowport_serves() -> None:
    service = dapr_pb2.DESCRIPTOR.services_by_name["Dapr"]
    assert service.full_name == stubs.RUNTIME_SERVICE
    served = {f"{operation}Workflow{version}" for operation in OPERATIONS for version in VERSIONS}
    workflow_methods = {method.name for method in service.methods if "Workflow" in method.name}
    assert workflow_methods == served
    start = service.methods_by_name["StartWorkflowBeta1"]
    assert start.input_type is stubs.runtime_workflow.StartWorkflowRequest.DESCRIPTOR


def test_the_sidecar_service_has_no_package_and_the_methods_sdks_call() -> None:
    service = stubs.sidecar.DESCRIPTOR.services_by_name[stubs.SIDECAR_SERVICE]
    assert service.full_name == "TaskHubSidecarService"
    assert {method.name for method in service.methods} == SIDECAR_METHODS
    assert service.methods_by_name["GetWorkItems"].server_streaming
    both = {
        service.methods_by_name[name].input_type
        for name in ("CompleteOrchestratorTask", "CompleteWorkflowTask")
    }
    assert len(both) == 1


def test_the_field_numbers_every_sdk_generation_shares() -> None:
    def numbers(message: type) -> dict[str, int]:
        return {field.name: field.number for field in message.DESCRIPTOR.fields}  # type: ignore[attr-defined]

    # healthPing only in 1.19 (a 1.18 worker drops a stream that receives one); the
    # completion token and the two work item kinds as in every generation.
    assert numbers(stubs.sidecar.WorkItem) == {
        "workflowRequest": 1,
        "activityRequest": 2,
        "healthPing": 6,
        "completionToken": 10,
    }
    assert numbers(stubs.sidecar.GetWorkItemsRequest) == {"capabilities": 4}
    assert stubs.sidecar.WORKER_CAPABILITY_HEALTH_PING == 3
    assert stubs.sidecar.WORKER_CAPABILITY_STATEFUL_HISTORY == 2
    assert numbers(stubs.sidecar.ActivityResponse)["completionToken"] == 5
    assert numbers(stubs.history_events.HistoryEvent)["eventId"] == 1
