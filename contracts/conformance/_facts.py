"""What the conformance kit needs to know about a backend: its component and its workflows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml


@dataclass(frozen=True, slots=True)
class WorkflowFact:
    """A workflow the backend runs: its name, an input, and what it answers.

    ``output`` is the expected output (``None``: do not check it). For the waiting workflow,
    ``event`` is the event it waits for and ``data`` the event data to send.
    """

    name: str
    input: Any = None
    output: Any = None
    event: str | None = None
    data: Any = None


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the kit needs; build it in code or load it with ``Facts.from_file``.

    - ``resources``: directory of the component YAML (what ``flowport serve`` would read);
    - ``component``: the component's name in that YAML;
    - ``completes``: a workflow that completes on its own with ``output``;
    - ``fails``: a workflow that fails;
    - ``waits``: a workflow that waits for ``event`` and then completes with ``output``;
    - ``start_options``: query parameters every start needs (``taskQueue`` on Temporal);
    - ``timeout``: seconds to wait for an instance to reach a status;
    - ``purge_visible_after``: seconds a purge may take to show as 404 (Temporal's delay).
    """

    resources: Path
    component: str
    completes: WorkflowFact
    fails: WorkflowFact
    waits: WorkflowFact
    start_options: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    purge_visible_after: float = 60.0

    @classmethod
    def from_file(cls, path: Path) -> Facts:
        """Load facts from YAML; relative ``resources`` resolve against the file's folder."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        try:
            model = _FactsModel.model_validate(raw)
        except pydantic.ValidationError as exc:
            raise ValueError(f"{path}: {exc}") from None
        resources = Path(model.resources)
        if not resources.is_absolute():
            resources = path.parent / resources
        return cls(
            resources=resources,
            component=model.component,
            completes=WorkflowFact(**model.workflows.completes.model_dump()),
            fails=WorkflowFact(**model.workflows.fails.model_dump()),
            waits=WorkflowFact(**model.workflows.waits.model_dump()),
            start_options=model.start_options,
            timeout=model.timeout,
            purge_visible_after=model.purge_visible_after,
        )


class _WorkflowModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    name: str
    input: Any = None
    output: Any = None
    event: str | None = None
    data: Any = None


class _WorkflowsModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    completes: _WorkflowModel
    fails: _WorkflowModel
    waits: _WorkflowModel


class _FactsModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True)
    resources: str
    component: str
    workflows: _WorkflowsModel
    start_options: dict[str, str] = pydantic.Field(default_factory=dict, alias="startOptions")
    timeout: float = 60.0
    purge_visible_after: float = pydantic.Field(default=60.0, alias="purgeVisibleAfter")
