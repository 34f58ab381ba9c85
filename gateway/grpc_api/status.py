"""Gateway failures as gRPC statuses, from the one table in ``gateway.problems``.

A failure is answered with the row's gRPC code, the same message a problem document would
carry, and rich status details (``grpc-status-details-bin``) holding a ``google.rpc.ErrorInfo``
whose ``reason`` is the Dapr error code (``ERR_INSTANCE_ID_NOT_FOUND``, ``ERR_START_WORKFLOW``
...), the way daprd reports its errors, with the problem type in its metadata.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc.code_pb2 import Code
from google.rpc.error_details_pb2 import ErrorInfo
from google.rpc.status_pb2 import Status
from grpc_status import rpc_status

from gateway.problems import PROBLEM_BASE, ApiError, Operation, OperationError, Problem, classify, dapr_code

#: ErrorInfo.domain of Dapr's own errors; the codes Flowport sends are Dapr's
ERROR_DOMAIN = "dapr.io"


def error_status(problem: Problem, message: str, operation: Operation | None) -> grpc.Status:
    """The status answering ``problem`` met during ``operation``."""
    info = ErrorInfo(
        reason=dapr_code(problem, operation),
        domain=ERROR_DOMAIN,
        metadata={"problemType": PROBLEM_BASE + problem.slug},
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    status = Status(code=Code.Value(problem.grpc_code), message=message, details=[detail])
    return rpc_status.to_status(status)


def failure_status(exc: ApiError | OperationError) -> grpc.Status:
    """The status answering a gateway failure."""
    problem, message, operation = classify(exc)
    return error_status(problem, message, operation)
