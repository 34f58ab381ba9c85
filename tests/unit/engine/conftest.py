"""A fresh engine (a ``WorkflowRuntime`` on a temporary SQLite file) per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import builtin_engine as wf
from tests.unit.engine import flows

Start = Callable[..., tuple[wf.WorkflowRuntime, wf.DaprWorkflowClient]]


@pytest.fixture
def start_runtime(tmp_path: Path) -> Iterator[Start]:
    """Start a runtime with the test workflows; every runtime started is shut down after the test."""
    runtimes: list[wf.WorkflowRuntime] = []

    def start(store: Path | None = None, **options: Any) -> tuple[wf.WorkflowRuntime, wf.DaprWorkflowClient]:
        path = store or tmp_path / "engine.db"
        runtime = wf.WorkflowRuntime(store=path, **options)
        flows.register(runtime)
        runtime.start()
        runtimes.append(runtime)
        return runtime, wf.DaprWorkflowClient(store=path)

    yield start
    for runtime in runtimes:
        runtime.shutdown()
    flows.reset()


@pytest.fixture
def client(start_runtime: Start) -> wf.DaprWorkflowClient:
    return start_runtime()[1]
