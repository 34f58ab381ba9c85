"""The sidecar service at the protocol level: what no real SDK can be made to send or show.

The real Dapr SDKs, unmodified, are tested in tests/integration/sidecar/. Here a test client
speaks the protocol itself (``ProtocolClient``: Dapr's generated messages over a plain gRPC
channel), against the real service over a real built-in engine on a temporary store, to hit
what an SDK never does on purpose: malformed and stale answers, answers for unknown
instances, payloads over the message limit, a stream that does or does not accept health
pings, the deltas of stateful history, and the refusals of the client methods.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.empty_pb2 import Empty
from google.protobuf.message import Message
from google.protobuf.wrappers_pb2 import StringValue
from google.rpc import error_details_pb2
from grpc_status import rpc_status

import contracts
from components.builtin import BuiltinComponent
from gateway.grpc_api import GrpcServerError, GrpcSettings
from gateway.grpc_api.hosting import RemoteWorkerHost, sidecar_host
from gateway.grpc_api.server import start_server
from gateway.grpc_api.stubs import SIDECAR_SERVICE
from gateway.grpc_api.stubs import actions as pa
from gateway.grpc_api.stubs import orchestration as po
from gateway.grpc_api.stubs import sidecar as ps
from gateway.registry import ComponentRegistry
from gateway.service import WorkflowService
from gateway.testing import free_port
from tests.unit.gateway.conftest import fake_component_yaml

LIMIT = 64 * 1024
PING_INTERVAL = 0.2
WAIT = 30.0

_RESPONSES: dict[str, type[Message]] = {
    "Hello": Empty,
    "StartInstance": ps.CreateInstanceResponse,
    "GetInstance": ps.GetInstanceResponse,
    "WaitForInstanceStart": ps.GetInstanceResponse,
    "WaitForInstanceCompletion": ps.GetInstanceResponse,
    "RaiseEvent": ps.RaiseEventResponse,
    "TerminateInstance": ps.TerminateResponse,
    "SuspendInstance": ps.SuspendResponse,
    "ResumeInstance": ps.ResumeResponse,
    "PurgeInstances": ps.PurgeInstancesResponse,
    "ListInstanceIDs": ps.ListInstanceIDsResponse,
    "GetInstanceHistory": ps.GetInstanceHistoryResponse,
    "RerunWorkflowFromEvent": ps.RerunWorkflowFromEventResponse,
    "CompleteOrchestratorTask": ps.CompleteTaskResponse,
    "CompleteWorkflowTask": ps.CompleteTaskResponse,
    "CompleteActivityTask": ps.CompleteTaskResponse,
}


class ProtocolClient:
    """Calls ``TaskHubSidecarService`` with Dapr's generated messages (a test client, not an SDK)."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.channel = channel

    async def call(self, method: str, request: Message) -> Any:
        response_type = _RESPONSES[method]
        callable_ = self.channel.unary_unary(
            f"/{SIDECAR_SERVICE}/{method}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_type.FromString,
        )
        return await callable_(request)

    def stream(self, *capabilities: int) -> Any:
        """A ``GetWorkItems`` call; iterate it for ``WorkItem`` messages."""
        callable_ = self.channel.unary_stream(
            f"/{SIDECAR_SERVICE}/GetWorkItems",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=ps.WorkItem.FromString,
        )
        return callable_(ps.GetWorkItemsRequest(capabilities=list(capabilities)))

    async def start(self, name: str, instance_id: str, value: Any = None, **fields: Any) -> None:
        data = None if value is None else StringValue(value=json.dumps(value))
        await self.call(
            "StartInstance", ps.CreateInstanceRequest(instanceId=instance_id, name=name, input=data, **fields)
        )

    async def state(self, instance_id: str) -> po.WorkflowState | None:
        response = await self.call(
            "GetInstance", ps.GetInstanceRequest(instanceId=instance_id, getInputsAndOutputs=True)
        )
        return response.workflowState if response.exists else None

    async def finished(self, instance_id: str) -> po.WorkflowState:
        request = ps.GetInstanceRequest(instanceId=instance_id, getInputsAndOutputs=True)
        response = await asyncio.wait_for(self.call("WaitForInstanceCompletion", request), WAIT)
        assert response.exists
        return response.workflowState

    async def answer(self, item: ps.WorkItem, *actions: pa.WorkflowAction, token: str | None = None) -> Any:
        request = item.workflowRequest
        return await self.call(
            "CompleteOrchestratorTask",
            ps.WorkflowResponse(
                instanceId=request.instanceId,
                actions=list(actions),
                completionToken=item.completionToken if token is None else token,
            ),
        )


async def next_item(stream: Any) -> ps.WorkItem:
    """The next work item that is not a health ping."""
    while True:
        item: ps.WorkItem = await asyncio.wait_for(stream.read(), WAIT)
        if not item.HasField("healthPing"):
            return item


def schedule(action_id: int, name: str, value: Any) -> pa.WorkflowAction:
    return pa.WorkflowAction(
        id=action_id,
        scheduleTask=pa.ScheduleTaskAction(name=name, input=StringValue(value=json.dumps(value))),
    )


def complete(value: Any, status: int = po.ORCHESTRATION_STATUS_COMPLETED) -> pa.WorkflowAction:
    return pa.WorkflowAction(
        id=-1,
        completeWorkflow=pa.CompleteWorkflowAction(
            workflowStatus=status, result=StringValue(value=json.dumps(value))
        ),  # type: ignore[arg-type]
    )


def kind(event: Any) -> str:
    return str(event.WhichOneof("eventType"))


@contextmanager
def resources(tmp_path: Path, *names: str) -> Iterator[ComponentRegistry]:
    folder = tmp_path / "resources"
    folder.mkdir(exist_ok=True)
    for name in names:
        store = f"  metadata:\n  - {{name: store, value: {tmp_path / name}.db}}\n"
        (folder / f"{name}.yaml").write_text(fake_component_yaml(name, "workflow.builtin", store))
    yield ComponentRegistry.from_resources([folder])


@asynccontextmanager
async def serving(
    registry: ComponentRegistry, **settings: Any
) -> AsyncIterator[tuple[ProtocolClient, RemoteWorkerHost | None]]:
    grpc_settings = GrpcSettings(
        port=free_port(), max_message_bytes=LIMIT, health_ping_interval=PING_INTERVAL, **settings
    )
    host = sidecar_host(registry, grpc_settings.component)
    await registry.start()
    server = await start_server(WorkflowService(registry, 5.0), grpc_settings, host)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_settings.port}") as channel:
            yield ProtocolClient(channel), host
    finally:
        await server.stop(None)
        await registry.close()


@pytest.fixture
async def sidecar(tmp_path: Path) -> AsyncIterator[tuple[ProtocolClient, RemoteWorkerHost]]:
    with resources(tmp_path, "wf") as registry:
        async with serving(registry) as (client, host):
            assert host is not None
            yield client, host


@pytest.fixture
def client(sidecar: tuple[ProtocolClient, RemoteWorkerHost]) -> ProtocolClient:
    return sidecar[0]


async def fails(call: Any, code: grpc.StatusCode, reason: str | None = None) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    error = caught.value
    assert error.code() == code, error.details()
    if reason is not None:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
        assert status is not None
        info = error_details_pb2.ErrorInfo()
        assert status.details[0].Unpack(info)
        assert info.reason == reason
    return error.details() or ""


# -- turns, activities, history ----------------------------------------------------------------


async def test_a_turn_carries_the_protocols_history_and_its_answer_is_applied(client: ProtocolClient) -> None:
    stream = client.stream()
    await client.start("flow", "f1", {"n": 1})
    first = await next_item(stream)
    request = first.workflowRequest
    assert first.completionToken
    assert request.instanceId == "f1"
    assert list(request.pastEvents) == []
    assert [kind(e) for e in request.newEvents] == ["workflowStarted", "executionStarted"]
    started = request.newEvents[1]
    assert started.executionStarted.name == "flow"
    assert json.loads(started.executionStarted.input.value) == {"n": 1}
    assert started.executionStarted.workflowInstance.executionId.value == request.executionId.value
    await client.answer(first, schedule(0, "act", 41))

    activity = await next_item(stream)
    assert activity.activityRequest.name == "act"
    assert activity.activityRequest.taskId == 0
    assert activity.activityRequest.workflowInstance.instanceId == "f1"
    await client.call(
        "CompleteActivityTask",
        ps.ActivityResponse(
            instanceId="f1",
            taskId=0,
            result=StringValue(value="42"),
            completionToken=activity.completionToken,
        ),
    )
    second = (await next_item(stream)).workflowRequest
    assert [kind(e) for e in second.pastEvents] == ["workflowStarted", "executionStarted", "taskScheduled"]
    assert second.pastEvents[2].eventId == 0
    assert [kind(e) for e in second.newEvents] == ["workflowStarted", "taskCompleted"]
    assert second.newEvents[1].taskCompleted.taskScheduledId == 0
    history = await client.call("GetInstanceHistory", ps.GetInstanceHistoryRequest(instanceId="f1"))
    assert list(history.events) == list(second.pastEvents)  # what a turn replays, exactly
    stream.cancel()


async def test_a_stateful_stream_gets_only_the_events_it_lacks(client: ProtocolClient) -> None:
    stream = client.stream(ps.WORKER_CAPABILITY_STATEFUL_HISTORY)
    await client.start("flow", "delta")
    turns = []
    for step in range(3):
        item = await next_item(stream)
        turns.append(item.workflowRequest)
        if step < 2:
            fire_at = item.workflowRequest.newEvents[0].timestamp
            await client.answer(
                item, pa.WorkflowAction(id=step, createTimer=pa.CreateTimerAction(fireAt=fire_at))
            )
    full = await client.call("GetInstanceHistory", ps.GetInstanceHistoryRequest(instanceId="delta"))
    assert not turns[0].HasField("cachedHistory")
    assert not turns[1].HasField("cachedHistory")  # nothing was held yet: a full send
    assert len(turns[1].pastEvents) == 3
    assert turns[2].cachedHistory.eventCount == 3
    assert [kind(e) for e in turns[2].pastEvents] == ["workflowStarted", "timerFired", "timerCreated"]
    assert list(full.events) == [*turns[1].pastEvents, *turns[2].pastEvents]
    stream.cancel()


async def test_health_pings_go_only_to_streams_that_accept_them(client: ProtocolClient) -> None:
    pinged = client.stream(ps.WORKER_CAPABILITY_HEALTH_PING)
    plain = client.stream()
    for _ in range(2):  # two quiet intervals: a plain stream would have had one by now
        assert (await asyncio.wait_for(pinged.read(), WAIT)).HasField("healthPing")
    pinged.cancel()
    await client.start("flow", "after-pings")
    first = await asyncio.wait_for(plain.read(), WAIT)
    assert first.HasField("workflowRequest")  # its first message ever: no ping came before
    plain.cancel()


async def test_an_optional_timer_goes_back_exactly_as_the_sdk_wrote_it(client: ProtocolClient) -> None:
    stream = client.stream()
    await client.start("flow", "forever")
    item = await next_item(stream)
    never = pa.CreateTimerAction(externalEvent=ph_origin("approve"))
    never.fireAt.seconds, never.fireAt.nanos = 253402300799, 999999999
    await client.answer(item, pa.WorkflowAction(id=0, createTimer=never))
    await client.call("RaiseEvent", ps.RaiseEventRequest(instanceId="forever", name="approve"))
    turn = (await next_item(stream)).workflowRequest
    created = turn.pastEvents[2].timerCreated
    assert (created.fireAt.seconds, created.fireAt.nanos) == (253402300799, 999999999)
    assert created.externalEvent.name == "approve"
    assert [kind(e) for e in turn.newEvents] == ["workflowStarted", "eventRaised"]
    stream.cancel()


def ph_origin(name: str) -> Any:
    from gateway.grpc_api.stubs import history_events

    return history_events.TimerOriginExternalEvent(name=name)


async def test_a_traced_start_hands_its_trace_context_to_the_workers(client: ProtocolClient) -> None:
    stream = client.stream()
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    context = po.TraceContext(traceParent=parent, traceState=StringValue(value="vendor=1"))
    await client.start("flow", "traced", parentTraceContext=context)
    turn = await next_item(stream)
    started = turn.workflowRequest.newEvents[1].executionStarted.parentTraceContext
    assert started.traceParent == parent
    assert started.spanID == "b7ad6b7169203331"
    assert started.traceState.value == "vendor=1"
    await client.answer(turn, schedule(0, "act", 1))
    activity = await next_item(stream)
    assert activity.activityRequest.parentTraceContext.traceParent == parent
    stream.cancel()


# -- bad answers ------------------------------------------------------------------------------


async def test_a_malformed_answer_fails_its_instance_and_nothing_else(client: ProtocolClient) -> None:
    stream = client.stream()
    await client.start("flow", "bad")
    await client.start("flow", "good")
    items = {}
    for _ in range(2):
        item = await next_item(stream)
        items[item.workflowRequest.instanceId] = item
    message = await fails(
        client.answer(items["bad"], pa.WorkflowAction(id=3)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "ERR_MALFORMED_REQUEST",
    )
    assert "action 3 has no action type" in message
    state = await client.finished("bad")
    assert state.workflowStatus == po.ORCHESTRATION_STATUS_FAILED
    assert state.failureDetails.errorType == "MalformedAnswer"
    assert "action 3 has no action type" in state.failureDetails.errorMessage
    running = pa.WorkflowAction(
        id=-1, completeWorkflow=pa.CompleteWorkflowAction(workflowStatus=po.ORCHESTRATION_STATUS_RUNNING)
    )
    message = await fails(client.answer(items["bad"], running), grpc.StatusCode.INVALID_ARGUMENT)
    assert "cannot complete as ORCHESTRATION_STATUS_RUNNING" in message
    assert "ignored" in message  # the instance had already ended: nothing more happened

    await client.answer(items["good"], complete("fine"))  # the other instance is unharmed
    assert (await client.finished("good")).output.value == '"fine"'
    stream.cancel()


async def test_a_stale_answer_is_ignored_and_an_empty_token_is_accepted(client: ProtocolClient) -> None:
    stream = client.stream()
    await client.start("flow", "tokens")
    item = await next_item(stream)
    await client.answer(item, complete("late"), token="not-the-token")  # OK, ignored
    assert (await client.state("tokens")).workflowStatus == po.ORCHESTRATION_STATUS_RUNNING  # type: ignore[union-attr]
    await client.answer(item, complete("js"), token="")  # the JavaScript SDK sends no token
    assert (await client.finished("tokens")).output.value == '"js"'
    await client.answer(item, complete("again"))  # the turn is over: stale, ignored
    assert (await client.finished("tokens")).output.value == '"js"'
    stream.cancel()


async def test_answers_for_an_unknown_instance_are_not_found(client: ProtocolClient) -> None:
    response = ps.WorkflowResponse(instanceId="nobody", completionToken="x")
    await fails(
        client.call("CompleteOrchestratorTask", response),
        grpc.StatusCode.NOT_FOUND,
        "ERR_INSTANCE_ID_NOT_FOUND",
    )
    activity = ps.ActivityResponse(instanceId="nobody", taskId=0, completionToken="x")
    await fails(client.call("CompleteActivityTask", activity), grpc.StatusCode.NOT_FOUND)
    raw = client.channel.unary_unary(f"/{SIDECAR_SERVICE}/CompleteOrchestratorTask")
    message = await fails(raw(b"\xff\xff"), grpc.StatusCode.INVALID_ARGUMENT, "ERR_MALFORMED_REQUEST")
    assert message.startswith("/TaskHubSidecarService/CompleteOrchestratorTask: Error parsing message")


async def test_a_payload_over_the_limit_is_refused_or_fails_its_instance(client: ProtocolClient) -> None:
    stream = client.stream()
    await client.start("flow", "huge")
    big = "x" * (LIMIT // 2 + 1000)
    await fails(
        client.call(
            "RaiseEvent",
            ps.RaiseEventRequest(instanceId="huge", name="e", input=StringValue(value=json.dumps(big * 2))),
        ),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    item = await next_item(stream)
    await client.answer(item, schedule(0, "act", big))
    activity = await next_item(stream)
    await client.call(
        "CompleteActivityTask",
        ps.ActivityResponse(
            instanceId="huge",
            taskId=0,
            result=StringValue(value=json.dumps(big)),
            completionToken=activity.completionToken,
        ),
    )
    state = await client.finished("huge")  # the next turn would carry both halves: too large
    assert state.workflowStatus == po.ORCHESTRATION_STATUS_FAILED
    assert state.failureDetails.errorType == "PayloadSizeExceeded"
    assert f"over the gRPC message limit of {LIMIT} bytes" in state.failureDetails.errorMessage
    await client.start("flow", "small")  # the same stream goes on
    assert (await next_item(stream)).workflowRequest.instanceId == "small"
    stream.cancel()


# -- client methods ---------------------------------------------------------------------------


async def test_client_methods_refuse_what_they_cannot_do(client: ProtocolClient) -> None:
    assert await client.state("nobody") is None  # exists=false: the SDKs return None
    for method, request in [
        ("RaiseEvent", ps.RaiseEventRequest(instanceId="nobody", name="e")),
        ("TerminateInstance", ps.TerminateRequest(instanceId="nobody")),
        ("SuspendInstance", ps.SuspendRequest(instanceId="nobody")),
        ("ResumeInstance", ps.ResumeRequest(instanceId="nobody")),
        ("PurgeInstances", ps.PurgeInstancesRequest(instanceId="nobody")),
        ("GetInstanceHistory", ps.GetInstanceHistoryRequest(instanceId="nobody")),
    ]:
        message = await fails(
            client.call(method, request), grpc.StatusCode.NOT_FOUND, "ERR_INSTANCE_ID_NOT_FOUND"
        )
        assert "nobody" in message

    await client.start("flow", "once")
    await fails(client.start("flow", "once"), grpc.StatusCode.ALREADY_EXISTS)
    await client.call(
        "TerminateInstance", ps.TerminateRequest(instanceId="once", output=StringValue(value='"stop"'))
    )
    assert (await client.state("once")).workflowStatus == po.ORCHESTRATION_STATUS_TERMINATED  # type: ignore[union-attr]
    message = await fails(
        client.call("RaiseEvent", ps.RaiseEventRequest(instanceId="once", name="late")),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert "has finished (TERMINATED); the event 'late' would never be delivered" in message
    await fails(
        client.call("ResumeInstance", ps.ResumeRequest(instanceId="once")),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    await fails(client.start("flow", "once", enforceUniqueInstanceId=True), grpc.StatusCode.ALREADY_EXISTS)
    await client.start("flow", "once")  # a finished ID may be reused
    assert (await client.state("once")).workflowStatus == po.ORCHESTRATION_STATUS_RUNNING  # type: ignore[union-attr]

    await fails(
        client.call("PurgeInstances", ps.PurgeInstancesRequest(instanceId="once")),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    message = await fails(
        client.call("PurgeInstances", ps.PurgeInstancesRequest(purgeInstanceFilter=ps.PurgeInstanceFilter())),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "purging by filter is not supported" in message
    await fails(client.start("", "no-name"), grpc.StatusCode.INVALID_ARGUMENT, "ERR_WORKFLOW_NAME_MISSING")
    await fails(client.start("flow", "bad id!"), grpc.StatusCode.INVALID_ARGUMENT, "ERR_INSTANCE_ID_INVALID")
    await fails(client.start("flow", "tagged", tags={"a": "b"}), grpc.StatusCode.INVALID_ARGUMENT)
    routed = ps.CreateInstanceRequest(instanceId="r", name="flow", router=po.TaskRouter(targetAppID="other"))
    assert "Flowport serves one app's workflows" in await fails(
        client.call("StartInstance", routed), grpc.StatusCode.INVALID_ARGUMENT
    )
    rerun = ps.RerunWorkflowFromEventRequest(sourceInstanceID="once", eventID=0, newInstanceID="again")
    await fails(client.call("RerunWorkflowFromEvent", rerun), grpc.StatusCode.FAILED_PRECONDITION)


async def test_list_pages_and_a_scheduled_start_waits(client: ProtocolClient) -> None:
    for n in range(5):
        await client.start("flow", f"page-{n}")
    ids: list[str] = []
    token = ""
    while True:
        page = await client.call(
            "ListInstanceIDs", ps.ListInstanceIDsRequest(pageSize=2, continuationToken=token)
        )
        assert len(page.instanceIds) <= 2
        ids.extend(page.instanceIds)
        token = page.continuationToken
        if not token:
            break
    assert sorted(ids) == [f"page-{n}" for n in range(5)]
    later = ps.CreateInstanceRequest(instanceId="later", name="flow")
    later.scheduledStartTimestamp.GetCurrentTime()
    later.scheduledStartTimestamp.seconds += 1
    await client.call("StartInstance", later)
    assert (await client.state("later")).workflowStatus == po.ORCHESTRATION_STATUS_PENDING  # type: ignore[union-attr]
    started = await asyncio.wait_for(
        client.call("WaitForInstanceStart", ps.GetInstanceRequest(instanceId="later")), WAIT
    )
    assert started.workflowState.workflowStatus == po.ORCHESTRATION_STATUS_RUNNING


async def test_with_no_worker_connected_get_and_health_say_so(
    sidecar: tuple[ProtocolClient, RemoteWorkerHost],
) -> None:
    client, host = sidecar
    await client.start("flow", "alone")
    assert isinstance(host, contracts.WorkflowComponent)
    state = await host.get(contracts.GetRequest("alone"))
    assert state.runtime_status is contracts.RuntimeStatus.RUNNING
    assert "no remote worker is connected" in state.properties["flowport.warning"]
    health = await host.health()
    assert health.healthy
    assert (
        health.detail
        == "no remote worker is connected; 1 workflow turn(s) and 0 activity(ies) wait for a worker"
    )
    stream = client.stream()
    await next_item(stream)
    assert "flowport.warning" not in (await host.get(contracts.GetRequest("alone"))).properties
    assert (await host.health()).detail == (
        "1 remote worker stream(s) connected; 0 workflow turn(s) and 0 activity(ies) wait for a worker"
    )
    stream.cancel()


# -- which component, and none ----------------------------------------------------------------


def test_the_sidecar_component_is_the_only_built_in_one_or_the_named_one(tmp_path: Path) -> None:
    with resources(tmp_path, "one", "two") as registry:
        with pytest.raises(GrpcServerError, match=r"several built-in workflow components \(one, two\)"):
            sidecar_host(registry, None)
        with pytest.raises(
            GrpcServerError, match=r"'three' is not a built-in workflow component \(built-in ones: one, two\)"
        ):
            sidecar_host(registry, "three")
        host = sidecar_host(registry, "two")
        assert isinstance(host, BuiltinComponent)
        assert host.name == "two"
        assert host.remote_workers is True


async def test_without_a_built_in_component_the_sidecar_service_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    async with serving(ComponentRegistry.from_resources([folder])) as (client, host):
        assert host is None
        message = await fails(client.call("Hello", Empty()), grpc.StatusCode.UNIMPLEMENTED)
        assert "no built-in workflow component is configured" in message
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.stream().read()
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_the_api_token_guards_the_sidecar_service(tmp_path: Path) -> None:
    with resources(tmp_path, "wf") as registry:
        async with serving(registry, api_token="s3cret") as (client, _):
            await fails(client.call("Hello", Empty()), grpc.StatusCode.UNAUTHENTICATED, "ERR_UNAUTHORIZED")
            hello = client.channel.unary_unary(
                f"/{SIDECAR_SERVICE}/Hello",
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=Empty.FromString,
            )
            assert await hello(Empty(), metadata=(("dapr-api-token", "s3cret"),)) == Empty()
