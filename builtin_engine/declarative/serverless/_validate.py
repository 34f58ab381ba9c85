"""Load-time checks of a Serverless Workflow document (placeholder until the interpreter lands)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from builtin_engine.declarative._loading import Graph, Problem


@dataclass(slots=True)
class Checked:
    problems: list[Problem]
    activities: dict[str, str] = field(default_factory=dict)
    graph: Graph = field(default_factory=Graph)


def check(document: Any, file: str) -> Checked:
    return Checked(
        [Problem(file, "(document)", "language", "Serverless Workflow documents are not supported yet")]
    )
