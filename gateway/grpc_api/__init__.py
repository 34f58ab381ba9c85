"""Flowport's gRPC front end: Dapr's runtime workflow API (and, later, the sidecar service).

Data flows as over REST: a gRPC call -> ``gateway.service.WorkflowService`` -> the component
contract -> a component. ``gateway.grpc_api.server.start_server`` runs it beside the HTTP
server (imported only when gRPC is on); docs/sidecar.md describes what is served and how the
protocol stubs are obtained.
"""

from gateway.grpc_api.settings import DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_PORT, GrpcServerError, GrpcSettings

__all__ = ["DEFAULT_MAX_MESSAGE_BYTES", "DEFAULT_PORT", "GrpcServerError", "GrpcSettings"]
