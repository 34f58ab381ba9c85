"""The Serverless Workflow interpreter (placeholder)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import builtin_engine as wf
from builtin_engine.declarative._runtime import Activities


class SwProgram:
    def __init__(self, name: str, document: dict[str, Any], activities: Activities) -> None:
        self.name = name

    def run(self, ctx: wf.DaprWorkflowContext, value: Any) -> Generator[wf.Task[Any], Any, Any]:
        yield from ()
        raise NotImplementedError
