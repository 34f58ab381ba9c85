"""Declarative workflows on the built-in engine: ASL state machines and Serverless Workflow documents.

``load_definitions(paths)`` reads and validates definition files (every problem, at once);
``install(registry, definitions)`` registers each definition as a workflow that interprets it,
using only the engine's public authoring API. See ``docs/declarative.md``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import builtin_engine as wf
from builtin_engine.declarative import _runtime, asl
from builtin_engine.declarative._loading import (
    Definition,
    Edge,
    Graph,
    Language,
    Node,
    Problem,
    asl_name,
    definition_files,
    language_of,
    read_document,
)
from builtin_engine.declarative._runtime import split_alias

__all__ = [
    "Definition",
    "Edge",
    "Graph",
    "Language",
    "Node",
    "Problem",
    "check_activities",
    "install",
    "load_definitions",
    "split_alias",
]


def load_definitions(paths: Iterable[Path]) -> tuple[list[Definition], list[Problem]]:
    """Every valid definition under ``paths``, and every problem found in the others."""
    files, problems = definition_files(paths)
    definitions: list[Definition] = []
    names: dict[str, str] = {}
    for file in files:
        document, problem = read_document(file)
        if problem is not None:
            problems.append(problem)
            continue
        definition, found = _check(document, file)
        problems.extend(found)
        if definition is None:
            continue
        if definition.name in names:
            problems.append(
                Problem(
                    str(file),
                    "",
                    "unique-names",
                    f"the workflow name {definition.name!r} is also defined in {names[definition.name]}",
                )
            )
            continue
        names[definition.name] = str(file)
        definitions.append(definition)
    return definitions, problems


def _check(document: Any, file: Path) -> tuple[Definition | None, list[Problem]]:
    language = language_of(document)
    if language == "asl":
        checked = asl.check(document, str(file))
        if checked.problems:
            return None, checked.problems
        definition = Definition(asl_name(file), "asl", str(file), document, checked.activities, checked.graph)
        return definition, []
    from builtin_engine.declarative import serverless

    if language == "serverless-workflow":
        checked_sw = serverless.check(document, str(file))
        if checked_sw.problems:
            return None, checked_sw.problems
        name = document["document"]["name"]
        definition = Definition(
            name, "serverless-workflow", str(file), document, checked_sw.activities, checked_sw.graph
        )
        return definition, []
    reason = (
        "neither an ASL state machine (StartAt, States) nor a Serverless Workflow document (document, do)"
    )
    return None, [Problem(str(file), "(document)", "language", reason)]


def check_activities(definitions: Sequence[Definition], registered: Collection[str]) -> list[Problem]:
    """A problem for each activity a definition calls that ``registered`` does not hold."""
    problems: list[Problem] = []
    known = ", ".join(sorted(name for name in registered if not name.startswith("flowport."))) or "none"
    for definition in definitions:
        for activity, where in sorted(definition.activities.items()):
            if activity in registered:
                continue
            problems.append(
                Problem(
                    definition.source,
                    where,
                    "activity-registered",
                    f"activity {activity!r} is not registered by the component's runtimes (known: {known})",
                )
            )
    return problems


def install(registry: wf.Registry, definitions: Sequence[Definition]) -> None:
    """Register each definition as a workflow of ``registry`` (and the activities they use)."""
    from builtin_engine.declarative import serverless

    compilers: dict[str, _runtime.Compiler] = {
        "asl": asl.AslProgram,
        "serverless-workflow": serverless.SwProgram,
    }
    _runtime.install(registry, definitions, compilers)
