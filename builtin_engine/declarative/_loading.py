"""Reading definition files: ASL state machines and Serverless Workflow documents, told apart by content.

A definition is data. Loading reads every file, validates it against its specification's JSON
schema and the rules a schema cannot say, and collects every problem (file, path inside the
document, rule) instead of stopping at the first, so that a user fixes a directory in one pass.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

Language = Literal["asl", "serverless-workflow"]
_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a definition: where (file, path inside the document) and which rule it breaks."""

    file: str
    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message} (rule: {self.rule})"


@dataclass(frozen=True, slots=True)
class Node:
    """One node of a definition's graph: a state or task, ``parent`` the node that contains it."""

    id: str
    label: str
    kind: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """A transition between two nodes; ``label`` says which (next, choice, catch, default...)."""

    source: str
    target: str
    label: str = "next"


@dataclass(frozen=True, slots=True)
class Graph:
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()


@dataclass(frozen=True, slots=True)
class Definition:
    """A validated definition: the workflow name it serves, its document, and what it needs."""

    name: str
    language: Language
    source: str
    document: dict[str, Any]
    #: activity names the definition calls, each with the path of the first state that calls it
    activities: dict[str, str] = field(default_factory=dict)
    graph: Graph = field(default_factory=Graph)

    @property
    def digest(self) -> str:
        """The content hash that identifies this version of the definition."""
        return document_digest(self.document)


def document_digest(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def definition_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Every definition file under ``paths`` (files, or directories read in name order)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "", "file", "no such file or directory"))
    return files, problems


def read_document(file: Path) -> tuple[Any, Problem | None]:
    """The parsed JSON or YAML document of ``file``, or the problem that stops reading it."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem(str(file), "", "file", f"cannot read the file: {exc}")
    try:
        if file.suffix == ".json":
            return json.loads(text), None
        return yaml.safe_load(text), None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        return None, Problem(str(file), where, "syntax", f"invalid JSON: {exc.msg}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, Problem(str(file), where, "syntax", f"invalid YAML: {getattr(exc, 'problem', exc)}")


def language_of(document: Any) -> Language | None:
    """ASL has ``StartAt`` and ``States``; Serverless Workflow has ``document`` and ``do``."""
    if not isinstance(document, dict):
        return None
    if "States" in document or "StartAt" in document:
        return "asl"
    if "document" in document or "do" in document:
        return "serverless-workflow"
    return None


def asl_name(file: Path) -> str:
    """An ASL state machine has no name field: it is named after its file, up to the first dot."""
    return file.name.split(".", 1)[0]


def json_path(parts: Sequence[str | int]) -> str:
    """``States.Charge.Next``, ``do[1].charge.call``: a readable path inside a document."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"
