"""The abstract component every workflow backend implements."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar

import pydantic

from contracts import _bulk
from contracts._errors import ComponentConfigError, NotSupportedError
from contracts._types import (
    ALL_CAPABILITIES,
    BASIC_LIST_FILTERS,
    BulkPurgeRequest,
    BulkResult,
    BulkTerminateRequest,
    Capability,
    ComponentHealth,
    DefinitionRequest,
    GetRequest,
    HistoryEvent,
    HistoryRequest,
    InstancePage,
    InstanceState,
    ListFilter,
    ListRequest,
    PauseRequest,
    PurgeRequest,
    RaiseEventRequest,
    ResumeRequest,
    StartRequest,
    TerminateRequest,
    WorkflowDefinition,
)


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """A component definition as loaded from YAML, secrets already resolved.

    ``base_dir`` is the directory of the YAML file: resolve relative paths in metadata
    against it. ``source`` is the file, for error messages.
    """

    name: str
    type: str
    version: str = "v1"
    metadata: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    base_dir: Path = field(default_factory=Path.cwd)


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What a purge did: how many instances went (children included) and any caveat."""

    purged_instances: int
    detail: str | None = None


class WorkflowComponent(abc.ABC):
    """One workflow runtime behind the uniform API.

    Lifecycle: the gateway constructs the component with its ``ComponentSpec`` (parse and
    validate metadata here, raising ``ComponentConfigError``; do no I/O), awaits ``init()``
    within the component's ``initTimeout`` (connect, upsert definitions...), serves requests,
    and awaits ``close()`` at shutdown.

    Every operation takes one request dataclass. Operations the runtime cannot do are left
    out of ``capabilities`` and keep the default body, which raises ``NotSupportedError``.
    Expected failures are raised as the ``contracts`` errors; never as HTTP.
    """

    capabilities: ClassVar[frozenset[Capability]] = ALL_CAPABILITIES
    #: names of ``StartRequest.options`` this component understands
    start_options: ClassVar[frozenset[str]] = frozenset()
    #: the ``list`` filters this component applies (a request using another is answered 501)
    list_filters: ClassVar[frozenset[ListFilter]] = BASIC_LIST_FILTERS

    def __init__(self, spec: ComponentSpec) -> None:
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    async def init(self) -> None:  # noqa: B027 (a hook; most components need it)
        """Connect to the runtime. Raise ``ComponentConfigError`` or ``BackendUnavailableError``."""

    async def close(self) -> None:  # noqa: B027 (a hook)
        """Release connections and workers."""

    async def health(self) -> ComponentHealth:
        """Whether the runtime answers now; cheap enough to call per metadata request."""
        return ComponentHealth(healthy=True)

    async def workflow_names(self) -> Sequence[str] | None:
        """The workflow names this component knows, or ``None`` when it cannot tell."""
        return None

    @abc.abstractmethod
    async def start(self, request: StartRequest) -> None:
        """Schedule a new instance. Raise ``InstanceExistsError`` if the ID is taken."""

    @abc.abstractmethod
    async def get(self, request: GetRequest) -> InstanceState:
        """The instance's state. Raise ``InstanceNotFoundError`` for an unknown ID."""

    async def terminate(self, request: TerminateRequest) -> None:
        """Terminate a running or suspended instance; a no-op on a terminal one."""
        raise self._unsupported(Capability.TERMINATE)

    async def raise_event(self, request: RaiseEventRequest) -> None:
        """Deliver an external event to the instance."""
        raise self._unsupported(Capability.RAISE_EVENT)

    async def pause(self, request: PauseRequest) -> None:
        """Suspend the instance."""
        raise self._unsupported(Capability.PAUSE)

    async def resume(self, request: ResumeRequest) -> None:
        """Resume a suspended instance; ``InvalidStateError`` if it is not suspended."""
        raise self._unsupported(Capability.RESUME)

    async def purge(self, request: PurgeRequest) -> PurgeResult:
        """Delete a terminal instance; ``InvalidStateError`` if it is not terminal."""
        raise self._unsupported(Capability.PURGE)

    async def list_instances(self, request: ListRequest) -> InstancePage:
        """One page of instances matching the filters."""
        raise self._unsupported(Capability.LIST)

    async def history(self, request: HistoryRequest) -> Sequence[HistoryEvent]:
        """The instance's events, oldest first."""
        raise self._unsupported(Capability.HISTORY)

    def definitions(self) -> Sequence[WorkflowDefinition]:
        """The declarative workflow definitions this component serves (``flowport components`` lists them)."""
        return ()

    async def definition(self, request: DefinitionRequest) -> WorkflowDefinition:
        """One declarative definition and its graph; ``DefinitionNotFoundError`` for an unknown name.

        Optional: components without declarative definitions keep this body (answered 501).
        """
        raise NotSupportedError(f"component {self.name!r} ({self.spec.type}) serves no workflow definitions")

    async def purge_instances(self, request: BulkPurgeRequest) -> BulkResult:
        """Purge every instance matching the filter; failures are listed, not raised.

        The default lists every match with ``list_instances``, then calls ``purge`` on each
        (a few at a time). Override it where the runtime purges in batches.
        """
        ids = await _bulk.matching_ids(self.list_instances, request)
        if request.dry_run:
            return BulkResult(matched=len(ids))
        details: set[str] = set()

        async def purge(instance_id: str) -> int:
            result = await self.purge(PurgeRequest(instance_id, recursive=request.recursive))
            if result.detail:
                details.add(result.detail)
            return result.purged_instances

        outcome = await _bulk.act_on_each(ids, purge)
        return dataclasses.replace(outcome, detail=" ".join(sorted(details)) or None)

    async def terminate_instances(self, request: BulkTerminateRequest) -> BulkResult:
        """Terminate every instance matching the filter; failures are listed, not raised.

        The default lists every match with ``list_instances``, then calls ``terminate`` on
        each (a few at a time). Override it where the runtime terminates in batches.
        """
        ids = await _bulk.matching_ids(self.list_instances, request)
        if request.dry_run:
            return BulkResult(matched=len(ids))

        async def terminate(instance_id: str) -> int:
            terminate = TerminateRequest(instance_id, request.reason, recursive=request.recursive)
            await self.terminate(terminate)
            return 0

        return await _bulk.act_on_each(ids, terminate)

    def _unsupported(self, capability: Capability) -> NotSupportedError:
        return NotSupportedError(
            f"component {self.name!r} ({self.spec.type}) does not support {capability.value}"
        )


ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)


def parse_metadata(model: type[ModelT], spec: ComponentSpec) -> ModelT:
    """Validate ``spec.metadata`` against a pydantic model, the way Dapr reads metadata.

    Names match case-insensitively against each field's alias (or name). Unknown names are
    an error listing the known ones, so a typo is never silently ignored. Every problem
    becomes a ``ComponentConfigError`` naming ``spec.metadata.<name>``.
    """
    known = {(info.alias or name).lower(): info.alias or name for name, info in model.model_fields.items()}
    values: dict[str, str] = {}
    for key, value in spec.metadata.items():
        canonical = known.get(key.lower())
        if canonical is None:
            raise ComponentConfigError(
                f"unknown metadata {key!r} for {spec.type}; known: {', '.join(sorted(known.values()))}",
                field=f"spec.metadata.{key}",
                file=spec.source,
                component=spec.name,
            )
        values[canonical] = value
    try:
        return model.model_validate(values)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        # A model-level validator has no location: point at the metadata as a whole.
        field = f"spec.metadata.{where}" if where else "spec.metadata"
        raise ComponentConfigError(first["msg"], field=field, file=spec.source, component=spec.name) from None
