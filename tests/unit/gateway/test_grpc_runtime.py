"""Dapr's runtime gRPC workflow API through a real gRPC server, a fake component behind it.

The client is Dapr's own generated stub (``DaprStub`` of the pinned ``dapr`` package) over a
real channel; the component is the in-memory fake, because only a fake can raise every
contract error on demand. The real SDK against real components is in
tests/integration/sidecar/.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from dapr.proto.runtime.v1 import dapr_pb2_grpc
from dapr.proto.runtime.v1 import workflow_pb2 as pb
from google.protobuf import empty_pb2
from google.rpc import error_details_pb2
from google.rpc.code_pb2 import Code
from grpc_status import rpc_status

from gateway.grpc_api import GrpcSettings
from gateway.grpc_api.server import MIN_CLIENT_PING_INTERVAL_MS, server_options, start_server
from gateway.problems import PROBLEMS
from gateway.registry import ComponentRegistry
from gateway.service import WorkflowService
from gateway.testing import free_port
from tests.unit.gateway.conftest import fake

pytestmark = pytest.mark.usefixtures("fake_plugins")

TOKEN = "s3cret"


@asynccontextmanager
async def channel_to(registry: ComponentRegistry, **settings: Any) -> AsyncIterator[grpc.aio.Channel]:
    """A channel to a gRPC server serving ``registry`` with ``settings``."""
    port = free_port()
    server = await start_server(WorkflowService(registry, 0.5), GrpcSettings(port=port, **settings))
    try:
        options = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
            yield channel
    finally:
        await server.stop(None)


@pytest.fixture
async def dapr(registry: ComponentRegistry) -> AsyncIterator[dapr_pb2_grpc.DaprStub]:
    async with channel_to(registry) as channel:
        yield dapr_pb2_grpc.DaprStub(channel)


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, "no rich status details"
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return info


async def fails(call: Any, request: Any, code: grpc.StatusCode, reason: str) -> str:
    """Call, expect the status ``code`` whose ErrorInfo reason is the Dapr code ``reason``."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(request)
    error = caught.value
    assert error.code() == code, error.details()
    info = error_info(error)
    assert info.reason == reason
    assert info.domain == "dapr.io"
    assert "Traceback" not in (error.details() or "")
    return error.details() or ""


@pytest.mark.parametrize("version", ["Beta1", "Alpha1"])
async def test_start_get_and_manage_on_both_versions(dapr: Any, version: str) -> None:
    def method(name: str) -> Any:
        return getattr(dapr, f"{name}Workflow{version}")

    started = await method("Start")(
        pb.StartWorkflowRequest(
            workflow_component="orders",
            workflow_name="OrderWorkflow",
            instance_id=f"order-{version}",
            input=json.dumps({"item": "tea"}).encode(),
            options={"taskQueue": "priority"},
        )
    )
    assert started.instance_id == f"order-{version}"
    target = {"workflow_component": "orders", "instance_id": started.instance_id}
    state = await method("Get")(pb.GetWorkflowRequest(**target))
    assert state.instance_id == started.instance_id
    assert state.workflow_name == "OrderWorkflow"
    assert state.runtime_status == "RUNNING"
    assert state.properties["dapr.workflow.input"] == '{"item": "tea"}'
    assert state.properties["fake.sequence"] == "0"
    assert state.created_at.ToDatetime() <= state.last_updated_at.ToDatetime()

    assert isinstance(await method("Pause")(pb.PauseWorkflowRequest(**target)), empty_pb2.Empty)
    assert (await method("Get")(pb.GetWorkflowRequest(**target))).runtime_status == "SUSPENDED"
    await method("Resume")(pb.ResumeWorkflowRequest(**target))
    await method("RaiseEvent")(
        pb.RaiseEventWorkflowRequest(**target, event_name="finish", event_data=b'"ok"')
    )
    done = await method("Get")(pb.GetWorkflowRequest(**target))
    assert done.runtime_status == "COMPLETED"
    assert done.properties["dapr.workflow.output"] == '"ok"'
    await method("Purge")(pb.PurgeWorkflowRequest(**target))
    await fails(
        method("Get"), pb.GetWorkflowRequest(**target), grpc.StatusCode.NOT_FOUND, "ERR_INSTANCE_ID_NOT_FOUND"
    )


async def test_start_generates_an_id_and_reads_start_time(dapr: Any, registry: ComponentRegistry) -> None:
    started = await dapr.StartWorkflowBeta1(
        pb.StartWorkflowRequest(
            workflow_component="orders",
            workflow_name="Later",
            options={"startTime": "2030-01-02T03:04:05Z"},
        )
    )
    assert len(started.instance_id) == 36  # a UUID
    request = fake(registry).starts[-1]
    assert request.start_at.isoformat() == "2030-01-02T03:04:05+00:00"
    assert request.serialized_input is None
    assert dict(request.options) == {}


async def test_terminate_then_failure_details(dapr: Any) -> None:
    target = {"workflow_component": "orders", "instance_id": "t-1"}
    await dapr.StartWorkflowBeta1(pb.StartWorkflowRequest(workflow_name="W", **target))
    await dapr.TerminateWorkflowBeta1(pb.TerminateWorkflowRequest(**target))
    assert (await dapr.GetWorkflowBeta1(pb.GetWorkflowRequest(**target))).runtime_status == "TERMINATED"
    failed = {"workflow_component": "orders", "instance_id": "f-1"}
    await dapr.StartWorkflowBeta1(pb.StartWorkflowRequest(workflow_name="FakeFail", **failed))
    state = await dapr.GetWorkflowBeta1(pb.GetWorkflowRequest(**failed))
    assert state.runtime_status == "FAILED"
    assert state.properties["dapr.workflow.failure.error_type"] == "ValueError"
    assert state.properties["dapr.workflow.failure.error_message"] == "asked to fail"


@pytest.mark.parametrize(
    ("component", "code", "reason"),
    [
        ("nowhere", grpc.StatusCode.INVALID_ARGUMENT, "ERR_WORKFLOW_COMPONENT_NOT_FOUND"),
        ("", grpc.StatusCode.INVALID_ARGUMENT, "ERR_WORKFLOW_COMPONENT_MISSING"),
        ("down", grpc.StatusCode.UNAVAILABLE, "ERR_GET_WORKFLOW"),
        ("late", grpc.StatusCode.DEADLINE_EXCEEDED, "ERR_GET_WORKFLOW"),
        ("slow", grpc.StatusCode.DEADLINE_EXCEEDED, "ERR_GET_WORKFLOW"),
        ("buggy", grpc.StatusCode.INTERNAL, "ERR_GET_WORKFLOW"),
        ("ignored", grpc.StatusCode.UNAVAILABLE, "ERR_GET_WORKFLOW"),
        ("orders", grpc.StatusCode.NOT_FOUND, "ERR_INSTANCE_ID_NOT_FOUND"),
    ],
)
async def test_errors_map_to_grpc_codes_with_the_dapr_code(
    dapr: Any, component: str, code: grpc.StatusCode, reason: str
) -> None:
    request = pb.GetWorkflowRequest(workflow_component=component, instance_id="nobody")
    await fails(dapr.GetWorkflowBeta1, request, code, reason)


async def test_conflicts_and_unsupported_operations(dapr: Any) -> None:
    target = {"workflow_component": "orders", "instance_id": "dup"}
    await dapr.StartWorkflowBeta1(pb.StartWorkflowRequest(workflow_name="W", **target))
    again = pb.StartWorkflowRequest(workflow_name="W", **target)
    await fails(dapr.StartWorkflowBeta1, again, grpc.StatusCode.ALREADY_EXISTS, "ERR_START_WORKFLOW")
    not_suspended = pb.ResumeWorkflowRequest(**target)
    await fails(
        dapr.ResumeWorkflowBeta1, not_suspended, grpc.StatusCode.FAILED_PRECONDITION, "ERR_RESUME_WORKFLOW"
    )
    running = pb.PurgeWorkflowRequest(**target)
    await fails(dapr.PurgeWorkflowBeta1, running, grpc.StatusCode.FAILED_PRECONDITION, "ERR_PURGE_WORKFLOW")
    limited = pb.PauseWorkflowRequest(workflow_component="limited", instance_id="x")
    details = await fails(
        dapr.PauseWorkflowBeta1, limited, grpc.StatusCode.UNIMPLEMENTED, "ERR_PAUSE_WORKFLOW"
    )
    assert "does not support pause" in details


@pytest.mark.parametrize(
    ("method", "request_message", "reason", "says"),
    [
        (
            "StartWorkflowBeta1",
            pb.StartWorkflowRequest(workflow_component="orders", workflow_name="W", input=b"{not json"),
            "ERR_MALFORMED_REQUEST",
            "the workflow input is not valid JSON",
        ),
        (
            "StartWorkflowBeta1",
            pb.StartWorkflowRequest(workflow_component="orders", workflow_name=""),
            "ERR_WORKFLOW_NAME_MISSING",
            "no workflow name",
        ),
        (
            "StartWorkflowBeta1",
            pb.StartWorkflowRequest(workflow_component="orders", workflow_name="W", instance_id="a b"),
            "ERR_INSTANCE_ID_INVALID",
            "may hold only",
        ),
        (
            "StartWorkflowBeta1",
            pb.StartWorkflowRequest(workflow_component="orders", workflow_name="W", instance_id="x" * 65),
            "ERR_INSTANCE_ID_TOO_LONG",
            "at most 64",
        ),
        (
            "StartWorkflowBeta1",
            pb.StartWorkflowRequest(
                workflow_component="orders", workflow_name="W", options={"tasqQueue": "q"}
            ),
            "ERR_MALFORMED_REQUEST",
            "accepted: taskQueue",
        ),
        (
            "StartWorkflowBeta1",
            pb.StartWorkflowRequest(
                workflow_component="orders", workflow_name="W", options={"startTime": "soon"}
            ),
            "ERR_MALFORMED_REQUEST",
            "not an RFC 3339 time",
        ),
        (
            "GetWorkflowBeta1",
            pb.GetWorkflowRequest(workflow_component="orders", instance_id=""),
            "ERR_INSTANCE_ID_PROVIDED_MISSING",
            "no instance ID",
        ),
        (
            "GetWorkflowBeta1",
            pb.GetWorkflowRequest(workflow_component="orders", instance_id="x", app_id="billing"),
            "ERR_MALFORMED_REQUEST",
            "leave app_id empty",
        ),
        (
            "RaiseEventWorkflowBeta1",
            pb.RaiseEventWorkflowRequest(workflow_component="orders", instance_id="x", event_name=""),
            "ERR_WORKFLOW_EVENT_NAME_MISSING",
            "no event name",
        ),
        (
            "RaiseEventWorkflowBeta1",
            pb.RaiseEventWorkflowRequest(
                workflow_component="orders", instance_id="x", event_name="e", event_data=b"\xff"
            ),
            "ERR_MALFORMED_REQUEST",
            "the event data is not valid JSON",
        ),
    ],
)
async def test_malformed_requests_are_invalid_argument(
    dapr: Any, method: str, request_message: Any, reason: str, says: str
) -> None:
    details = await fails(getattr(dapr, method), request_message, grpc.StatusCode.INVALID_ARGUMENT, reason)
    assert says in details


async def test_bytes_that_are_not_the_message_are_invalid_argument(registry: ComponentRegistry) -> None:
    async with channel_to(registry) as channel:
        raw = channel.unary_unary("/dapr.proto.runtime.v1.Dapr/StartWorkflowBeta1")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await raw(b"\x0a\xff\xff\xff")  # field 1, a length far past the end
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(caught.value).reason == "ERR_MALFORMED_REQUEST"
        # the server is unharmed
        stub = dapr_pb2_grpc.DaprStub(channel)
        await stub.StartWorkflowBeta1(pb.StartWorkflowRequest(workflow_component="orders", workflow_name="W"))


@pytest.mark.parametrize(
    "method",
    ["/dapr.proto.runtime.v1.Dapr/GetState", "/dapr.proto.runtime.v1.Dapr/GetMetadata", "/other.Svc/Do"],
)
@pytest.mark.parametrize("kind", ["unary_unary", "unary_stream", "stream_stream"])
async def test_other_methods_say_workflows_only(registry: ComponentRegistry, method: str, kind: str) -> None:
    async def call(channel: grpc.aio.Channel) -> None:
        multicallable = getattr(channel, kind)(method)
        if kind == "unary_unary":
            await multicallable(b"")
        else:
            # A stream-stream call writes nothing: a request written after the server's answer
            # fails in the client itself (INTERNAL, "Failed execute_batch"), a race of the test.
            async for _ in multicallable(b"") if kind == "unary_stream" else multicallable():
                pass

    async with channel_to(registry) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(channel)
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert caught.value.details() == f"Flowport serves workflows only: {method} is not served"


async def test_the_api_token_is_required_when_configured(registry: ComponentRegistry) -> None:
    request = pb.StartWorkflowRequest(workflow_component="orders", workflow_name="W", instance_id="tok")
    async with channel_to(registry, api_token=TOKEN) as channel:
        stub = dapr_pb2_grpc.DaprStub(channel)
        for metadata in [(), (("dapr-api-token", "wrong"),)]:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.StartWorkflowBeta1(request, metadata=metadata)
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert error_info(caught.value).reason == "ERR_UNAUTHORIZED"
        with pytest.raises(grpc.aio.AioRpcError) as caught:  # refused before the method is looked up
            await channel.unary_unary("/dapr.proto.runtime.v1.Dapr/GetState")(b"")
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        started = await stub.StartWorkflowBeta1(request, metadata=(("dapr-api-token", TOKEN),))
        assert started.instance_id == "tok"
        bearer = pb.GetWorkflowRequest(workflow_component="orders", instance_id="tok")
        state = await stub.GetWorkflowBeta1(bearer, metadata=(("authorization", f"Bearer {TOKEN}"),))
        assert state.runtime_status == "RUNNING"


async def test_messages_over_the_limit_are_refused_and_nothing_else_is_harmed(
    registry: ComponentRegistry,
) -> None:
    big = json.dumps("x" * (70 * 1024)).encode()
    fits = json.dumps("x" * (60 * 1024)).encode()
    async with channel_to(registry, max_message_bytes=64 * 1024) as channel:
        stub = dapr_pb2_grpc.DaprStub(channel)
        request = pb.StartWorkflowRequest(workflow_component="orders", workflow_name="W", instance_id="big")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.StartWorkflowBeta1(pb.StartWorkflowRequest(input=big, **_fields(request)))
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "larger than max" in (caught.value.details() or "")
        await stub.StartWorkflowBeta1(pb.StartWorkflowRequest(input=fits, **_fields(request)))
        state = await stub.GetWorkflowBeta1(
            pb.GetWorkflowRequest(workflow_component="orders", instance_id="big")
        )
        assert len(state.properties["dapr.workflow.input"]) == len(fits)


def test_clients_may_ping_every_30_seconds_without_calls() -> None:
    options = dict(server_options(GrpcSettings()))
    assert options["grpc.keepalive_permit_without_calls"] == 1
    assert options["grpc.http2.min_ping_interval_without_data_ms"] == MIN_CLIENT_PING_INTERVAL_MS <= 30_000
    assert options["grpc.max_receive_message_length"] == 4 * 1024 * 1024


class Http2Tap:
    """A TCP proxy between one gRPC client and the server that reads the HTTP/2 frame headers
    going each way: what pings the client sent, which the server acknowledged, and whether
    the server sent GOAWAY. (Python's gRPC API shows none of these.)"""

    PING, GOAWAY, ACK = 0x6, 0x7, 0x1
    PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.pings_sent = 0
        self.pings_acknowledged = 0
        self.goaway = False
        self.changed = asyncio.Event()

    async def serve(self) -> asyncio.Server:
        return await asyncio.start_server(self._connection, "127.0.0.1", 0)

    async def _connection(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        await asyncio.gather(
            self._pipe(client_reader, server_writer, from_client=True),
            self._pipe(server_reader, client_writer, from_client=False),
            return_exceptions=True,
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, from_client: bool
    ) -> None:
        try:
            if from_client:
                writer.write(await reader.readexactly(len(self.PREFACE)))
            while True:
                header = await reader.readexactly(9)
                length = int.from_bytes(header[:3], "big")
                kind, flags = header[3], header[4]
                writer.write(header + await reader.readexactly(length))
                await writer.drain()
                if kind == self.PING and from_client and not flags & self.ACK:
                    self.pings_sent += 1
                elif kind == self.PING and not from_client and flags & self.ACK:
                    self.pings_acknowledged += 1
                elif kind == self.GOAWAY and not from_client:
                    self.goaway = True
                self.changed.set()
        finally:
            writer.close()


async def test_an_idle_client_pinging_keeps_its_connection(registry: ComponentRegistry) -> None:
    """The Dapr SDKs' channel keepalive (durabletask's options: pings with no call in flight),
    at the shortest interval the server permits (about 40 s); gRPC's default server policy
    answers the fourth such ping with GOAWAY (too_many_pings) and the connection drops."""
    port = free_port()
    server = await start_server(WorkflowService(registry, 0.5), GrpcSettings(port=port))
    tap = Http2Tap(port)
    proxy = await tap.serve()
    keepalive = [
        ("grpc.keepalive_time_ms", MIN_CLIENT_PING_INTERVAL_MS),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.keepalive_permit_without_calls", 1),
    ]
    address = f"127.0.0.1:{proxy.sockets[0].getsockname()[1]}"
    try:
        async with grpc.aio.insecure_channel(address, options=keepalive) as channel:
            await channel.channel_ready()
            # Four pings answered while idle, and no GOAWAY (that policy sends it for the fourth).
            while tap.pings_acknowledged < 4 and not tap.goaway:
                tap.changed.clear()
                # a frame comes every 10 s at most; none in 60 s means the client stopped pinging
                await asyncio.wait_for(tap.changed.wait(), timeout=60)
            assert not tap.goaway
            assert channel.get_state() is grpc.ChannelConnectivity.READY
            stub = dapr_pb2_grpc.DaprStub(channel)
            await stub.StartWorkflowBeta1(
                pb.StartWorkflowRequest(workflow_component="orders", workflow_name="W")
            )
            assert not tap.goaway
    finally:
        proxy.close()
        await server.stop(None)


def test_every_problem_has_a_grpc_code() -> None:
    for problem in PROBLEMS.values():
        code = grpc.StatusCode[problem.grpc_code]
        assert code is not grpc.StatusCode.OK
        assert code.value[0] == Code.Value(problem.grpc_code)  # google.rpc.Code agrees


def _fields(message: Any) -> dict[str, Any]:
    return {field.name: value for field, value in message.ListFields()}
