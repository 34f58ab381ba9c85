"""Which component the sidecar service drives, chosen before the components start.

The Durable Task sidecar service (``TaskHubSidecarService``) runs Dapr SDK workers' code on the
built-in engine of one component: the one ``--grpc-component`` names, else the only component
that can host remote workers. That component is told so before it initialises
(``serve_remote_workers``), because its engine must know from its start which instances run
remotely (the unfinished ones it recovers from its store included).

No grpcio import here: the command line resolves the choice before any server starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from gateway.grpc_api.settings import GrpcServerError

if TYPE_CHECKING:
    import builtin_engine as wf
    from gateway.registry import ComponentRegistry


@runtime_checkable
class RemoteWorkerHost(Protocol):
    """A component whose built-in engine can run workflows on remote SDK workers."""

    @property
    def name(self) -> str: ...

    @property
    def engine(self) -> wf.Engine | None: ...

    def serve_remote_workers(self) -> None: ...


def sidecar_host(registry: ComponentRegistry, chosen: str | None) -> RemoteWorkerHost | None:
    """The component the sidecar service drives, told so; ``None`` when there is none to drive.

    ``GrpcServerError`` when ``chosen`` is not such a component, or when several are and none
    is chosen (the message names them).
    """
    hosts: dict[str, RemoteWorkerHost] = {}
    for slot in registry.slots:
        component = slot.component
        # (``is not None`` first: mypy cannot narrow an optional to a protocol in one step)
        if component is not None and isinstance(component, RemoteWorkerHost):
            hosts[slot.name] = component
    names = ", ".join(sorted(hosts)) or "none"
    host: RemoteWorkerHost | None
    if chosen is not None:
        host = hosts.get(chosen)
        if host is None:
            raise GrpcServerError(
                f"--grpc-component {chosen!r} is not a built-in workflow component (built-in ones: {names})"
            )
    elif len(hosts) > 1:
        raise GrpcServerError(
            f"several built-in workflow components ({names}) could serve the Dapr SDK workers; "
            "choose one with --grpc-component"
        )
    elif hosts:
        (host,) = hosts.values()
    else:
        return None
    host.serve_remote_workers()
    return host
