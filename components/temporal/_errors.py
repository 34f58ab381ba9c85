"""Temporal's gRPC failures translated into the contract's errors, in one place.

The SDK raises ``RPCError`` with a gRPC status for a server's answer, and a bare
``RuntimeError("Failed client connect: ...")`` when a lazily connected client has never
reached the server; both must end up as one contract error so the gateway answers 4xx/5xx
instead of 500. A user's configuration slips are told apart from an outage, so the 503 says
what to fix: a namespace that does not exist, credentials refused, or a ``hostport`` where
something other than Temporal's gRPC frontend answers (an HTTP port, another gRPC service).
"""

from __future__ import annotations

import re

from temporalio.service import RPCError, RPCStatusCode

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

#: The server setting that enables pause/unpause, named in the 501 a user gets without it.
PAUSE_SETTING = "frontend.WorkflowPauseEnabled"

_UNAVAILABLE = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
        RPCStatusCode.INTERNAL,
        RPCStatusCode.UNKNOWN,
        RPCStatusCode.DATA_LOSS,
    }
)


# What the core client reports when something at hostport accepts the connection but does not
# speak gRPC over HTTP/2: an HTTP/1 server answers the HTTP/2 preface with an error (h2
# protocol error) or hangs up (broken pipe, connection closed, or "connection was not ready"
# when it hangs up before the HTTP/2 handshake ends). A server that is down refuses the
# connection instead, and one that never answers runs into the call's deadline.
_AFTER_CONNECTION = "after connection"
_NOT_GRPC = (
    "h2 protocol error",
    "broken pipe",
    "connection closed",
    "connection was not ready",
    "frame_size_error",
    "http version",
)
_STATUS_MESSAGE = re.compile(r'message: "([^"]*)"')
_WRONG_PORT_HINT = "check hostport (Temporal's frontend gRPC port, 7233 by default, not an HTTP port) and tls"


def is_namespace_missing(exc: BaseException) -> bool:
    # Temporal answers NOT_FOUND "Namespace x is not found." for any call in a missing namespace.
    if not isinstance(exc, RPCError) or exc.status != RPCStatusCode.NOT_FOUND:
        return False
    message = exc.message.lower()
    return message.startswith("namespace") and "not found" in message


def is_connect_failure(exc: BaseException) -> bool:
    """The lazy client's "never connected" error, which is not an ``RPCError``."""
    return isinstance(exc, RuntimeError) and str(exc).startswith("Failed client connect")


def _connect_failure(exc: BaseException, where: str, instance_id: str | None) -> WorkflowError:
    text = str(exc)
    lowered = text.lower()
    if _AFTER_CONNECTION in lowered and any(sign in lowered for sign in _NOT_GRPC):
        found = _STATUS_MESSAGE.search(text)
        why = found.group(1) if found else text
        return BackendUnavailableError(
            f"{where} does not answer as a Temporal frontend ({why}): {_WRONG_PORT_HINT}",
            instance_id=instance_id,
        )
    return BackendUnavailableError(f"{where} is unreachable: {text}", instance_id=instance_id)


def translate(exc: BaseException, *, operation: str, instance_id: str | None, target: str) -> WorkflowError:
    """The contract error for a failed call, or raise ``exc`` again when it is not Temporal's.

    ``NOT_FOUND`` becomes ``InstanceNotFoundError`` here; callers that can tell "closed" from
    "unknown" check that themselves before calling this.
    """
    where = f"Temporal at {target}"
    if is_connect_failure(exc):
        return _connect_failure(exc, where, instance_id)
    if not isinstance(exc, RPCError):
        raise exc
    status, message = exc.status, exc.message
    if is_namespace_missing(exc):
        return BackendUnavailableError(
            f"{where} has no such namespace ({message}): check the component's namespace metadata",
            instance_id=instance_id,
        )
    if status == RPCStatusCode.UNIMPLEMENTED and "unknown service" in message.lower():
        return BackendUnavailableError(
            f"{where} is a gRPC server without Temporal's workflow service ({message}): {_WRONG_PORT_HINT}",
            instance_id=instance_id,
        )
    if status == RPCStatusCode.NOT_FOUND:
        return InstanceNotFoundError(
            f"no workflow instance {instance_id!r}: {message}", instance_id=instance_id
        )
    if status == RPCStatusCode.ALREADY_EXISTS:
        return InstanceExistsError(
            f"workflow instance {instance_id!r} already exists: {message}", instance_id=instance_id
        )
    if status == RPCStatusCode.UNIMPLEMENTED:
        if operation in {"pause", "resume"}:
            return NotSupportedError(
                f"{operation} is disabled on {where} ({message}); enable it with the server's "
                f"dynamic config {PAUSE_SETTING}=true",
                instance_id=instance_id,
            )
        return NotSupportedError(f"{where} does not support {operation}: {message}", instance_id=instance_id)
    if status == RPCStatusCode.INVALID_ARGUMENT:
        return InvalidRequestError(f"{where} rejected {operation}: {message}", instance_id=instance_id)
    if status in {RPCStatusCode.FAILED_PRECONDITION, RPCStatusCode.OUT_OF_RANGE}:
        return InvalidStateError(f"cannot {operation} {instance_id!r}: {message}", instance_id=instance_id)
    if status == RPCStatusCode.DEADLINE_EXCEEDED:
        return BackendTimeoutError(f"{where} did not answer {operation} in time", instance_id=instance_id)
    if status in {RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.UNAUTHENTICATED}:
        return BackendUnavailableError(
            f"{where} refused the component's credentials for {operation}: {message} "
            "(check apiKey, TLS client certificate and namespace)",
            instance_id=instance_id,
        )
    if status in _UNAVAILABLE:
        return BackendUnavailableError(f"{where} failed {operation}: {message}", instance_id=instance_id)
    return BackendUnavailableError(
        f"{where} answered {operation} with {status.name}: {message}", instance_id=instance_id
    )
