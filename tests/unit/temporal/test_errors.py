"""Temporal's gRPC failures translated to the contract's errors: built errors, no server."""

from __future__ import annotations

import pytest
from temporalio.service import RPCError, RPCStatusCode

from components.temporal._errors import translate
from contracts import (
    BackendTimeoutError,
    BackendUnavailableError,
    InstanceExistsError,
    InstanceNotFoundError,
    InvalidRequestError,
    InvalidStateError,
    NotSupportedError,
    WorkflowError,
)


def rpc(status: RPCStatusCode, message: str = "msg") -> RPCError:
    return RPCError(message, status, b"")


def convert(exc: BaseException, operation: str = "get") -> WorkflowError:
    return translate(exc, operation=operation, instance_id="i-1", target="temporal:7233")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (RPCStatusCode.NOT_FOUND, InstanceNotFoundError),
        (RPCStatusCode.ALREADY_EXISTS, InstanceExistsError),
        (RPCStatusCode.INVALID_ARGUMENT, InvalidRequestError),
        (RPCStatusCode.FAILED_PRECONDITION, InvalidStateError),
        (RPCStatusCode.UNIMPLEMENTED, NotSupportedError),
        (RPCStatusCode.DEADLINE_EXCEEDED, BackendTimeoutError),
        (RPCStatusCode.UNAVAILABLE, BackendUnavailableError),
        (RPCStatusCode.RESOURCE_EXHAUSTED, BackendUnavailableError),
        (RPCStatusCode.INTERNAL, BackendUnavailableError),
        (RPCStatusCode.PERMISSION_DENIED, BackendUnavailableError),
        (RPCStatusCode.UNAUTHENTICATED, BackendUnavailableError),
    ],
)
def test_status_codes(status: RPCStatusCode, expected: type[WorkflowError]) -> None:
    error = convert(rpc(status))
    assert type(error) is expected
    assert error.instance_id == "i-1"


def test_pause_disabled_names_the_server_setting() -> None:
    error = convert(rpc(RPCStatusCode.UNIMPLEMENTED, "workflow pause is not enabled for namespace"), "pause")
    assert isinstance(error, NotSupportedError)
    assert "frontend.WorkflowPauseEnabled=true" in error.message


def test_credentials_refused_says_what_to_check() -> None:
    error = convert(rpc(RPCStatusCode.UNAUTHENTICATED, "bad key"))
    assert "apiKey" in error.message
    assert "temporal:7233" in error.message


def test_missing_namespace_is_not_a_missing_instance() -> None:
    error = convert(rpc(RPCStatusCode.NOT_FOUND, "Namespace orders is not found."))
    assert isinstance(error, BackendUnavailableError)
    assert "namespace" in error.message
    assert isinstance(
        convert(rpc(RPCStatusCode.NOT_FOUND, "workflow not found for ID: x")), InstanceNotFoundError
    )


def test_never_connected_client_is_unavailable() -> None:
    error = convert(RuntimeError("Failed client connect: Server connection error: tcp connect error"))
    assert isinstance(error, BackendUnavailableError)
    assert "unreachable" in error.message


def test_a_server_that_is_not_a_temporal_frontend_says_which_setting_to_check() -> None:
    http_server = RuntimeError(
        "Failed client connect: `get_system_info` call error after connection: Status { code: Internal, "
        'message: "h2 protocol error: http2 error", source: None }'
    )
    error = convert(http_server)
    assert isinstance(error, BackendUnavailableError)
    assert error.message == (
        "Temporal at temporal:7233 does not answer as a Temporal frontend (h2 protocol error: http2 error): "
        "check hostport (Temporal's frontend gRPC port, 7233 by default, not an HTTP port) and tls"
    )
    hung_up = RuntimeError(
        "Failed client connect: `get_system_info` call error after connection: Status { code: Cancelled, "
        'message: "operation was canceled", source: Some(hyper::Error(Canceled, "connection closed")) }'
    )
    assert "does not answer as a Temporal frontend" in convert(hung_up).message
    hung_up_in_handshake = RuntimeError(  # seen once in 3 runs against Temporal's HTTP port
        "Failed client connect: `get_system_info` call error after connection: Status { code: Unavailable, "
        'message: "operation was canceled", source: Some(tonic::transport::Error(Transport, '
        'hyper::Error(Canceled, "connection was not ready"))) }'
    )
    assert "does not answer as a Temporal frontend" in convert(hung_up_in_handshake).message
    refused = RuntimeError(
        "Failed client connect: Server connection error: tcp connect error: Connection refused"
    )
    assert "is unreachable" in convert(refused).message
    other_grpc = convert(rpc(RPCStatusCode.UNIMPLEMENTED, "unknown service temporal.api.workflowservice.v1"))
    assert isinstance(other_grpc, BackendUnavailableError)
    assert "check hostport" in other_grpc.message


def test_other_exceptions_are_not_swallowed() -> None:
    with pytest.raises(RuntimeError, match="a bug"):
        convert(RuntimeError("a bug"))
