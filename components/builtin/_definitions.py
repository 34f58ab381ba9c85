"""The built-in component's ``definitions`` metadata: declarative workflows (ASL, Serverless Workflow).

Definitions are read and checked when the component is built (so ``flowport components``
reports every problem), installed in the engine's registry at ``init()`` (each becomes a
workflow name), shown by the definitions route, and named in history (each activity a state
calls is recorded as ``<activity>@<state>``; history shows ``name`` = the activity and
``details.state`` = the state).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import builtin_engine as wf
from builtin_engine import declarative
from contracts import (
    ComponentConfigError,
    ComponentConfigErrors,
    ComponentSpec,
    DefinitionEdge,
    DefinitionNode,
    DefinitionNotFoundError,
    EventKind,
    HistoryEvent,
    WorkflowDefinition,
)

_ACTIVITY_EVENTS = frozenset(
    {EventKind.ACTIVITY_SCHEDULED, EventKind.ACTIVITY_COMPLETED, EventKind.ACTIVITY_FAILED}
)


class Definitions:
    """The definitions one component serves, validated."""

    def __init__(self, text: str, spec: ComponentSpec, registries: Callable[[], list[wf.Registry]]) -> None:
        """Read every file ``text`` names (comma-separated, relative to the YAML file).

        ``registries`` gives the runtimes' registries so that called activities can be
        checked now; if they cannot be loaded, ``init()`` reports why and checks again.
        """
        self.spec = spec
        paths = [_resolve(part.strip(), spec.base_dir) for part in text.split(",") if part.strip()]
        self.definitions, problems = declarative.load_definitions(paths)
        try:
            loaded = registries()
        except ComponentConfigError:
            loaded = None
        if loaded is not None:
            names = {name for registry in loaded for name in registry.activities}
            problems += declarative.check_activities(self.definitions, names)
        self._raise(problems)
        self._contract = {d.name: _contract(d) for d in self.definitions}

    def _raise(self, problems: Sequence[declarative.Problem]) -> None:
        if problems:
            raise ComponentConfigErrors([_error(problem, self.spec) for problem in problems])

    def install(self, registry: wf.Registry) -> None:
        """Make each definition a workflow of ``registry`` (after a final check of its activities)."""
        self._raise(declarative.check_activities(self.definitions, set(registry.activities)))
        clashes = sorted(d.name for d in self.definitions if d.name in registry.workflows)
        if clashes:
            raise ComponentConfigError(
                f"definitions {', '.join(clashes)} have the names of code workflows of the runtimes",
                field="spec.metadata.definitions",
            )
        declarative.install(registry, self.definitions)

    def listed(self) -> list[WorkflowDefinition]:
        return list(self._contract.values())

    def get(self, name: str) -> WorkflowDefinition:
        definition = self._contract.get(name)
        if definition is None:
            known = ", ".join(sorted(self._contract)) or "none"
            raise DefinitionNotFoundError(
                f"component {self.spec.name!r} has no definition named {name!r} (known: {known})"
            )
        return definition

    def annotate(self, events: Sequence[HistoryEvent]) -> list[HistoryEvent]:
        """History with activity events named by activity and ``details.state`` set."""
        if not events or events[0].name not in self._contract:
            return list(events)
        annotated: list[HistoryEvent] = []
        for event in events:
            activity, state = declarative.split_alias(event.name)
            if event.kind in _ACTIVITY_EVENTS and state is not None:
                event = dataclasses.replace(event, name=activity, details={**event.details, "state": state})
            annotated.append(event)
        return annotated


def _resolve(text: str, base_dir: Path) -> Path:
    path = Path(text)
    return path if path.is_absolute() else base_dir / path


def _error(problem: declarative.Problem, spec: ComponentSpec) -> ComponentConfigError:
    return ComponentConfigError(
        f"{problem.message} (rule: {problem.rule})",
        field=problem.path,
        file=problem.file,
        component=spec.name,
    )


def _contract(definition: declarative.Definition) -> WorkflowDefinition:
    graph = definition.graph
    return WorkflowDefinition(
        name=definition.name,
        language=definition.language,
        source=Path(definition.source).name,
        serialized_document=json.dumps(definition.document),
        digest=definition.digest,
        nodes=tuple(DefinitionNode(n.id, n.label, n.kind, n.parent) for n in graph.nodes),
        edges=tuple(DefinitionEdge(e.source, e.target, e.label) for e in graph.edges),
    )
