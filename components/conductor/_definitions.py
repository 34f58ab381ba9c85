"""Reading Conductor workflow and task definitions from JSON files for upsert at ``init()``.

A file holds one definition or an array of them. A definition with a ``tasks`` array is a
workflow definition; any other is a task definition. Files are read in name order, so a
directory deploys the same way every time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import ComponentConfigError


@dataclass(frozen=True, slots=True)
class Definitions:
    """Task definitions first (workflows refer to them), then workflow definitions."""

    task_defs: tuple[dict[str, Any], ...]
    workflow_defs: tuple[dict[str, Any], ...]


def load_definitions(path: Path) -> Definitions:
    """Every definition under ``path`` (a ``.json`` file or a directory of them)."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    task_defs: list[dict[str, Any]] = []
    workflow_defs: list[dict[str, Any]] = []
    for file in files:
        for definition in _read(file):
            (workflow_defs if isinstance(definition.get("tasks"), list) else task_defs).append(definition)
    return Definitions(tuple(task_defs), tuple(workflow_defs))


def _read(file: Path) -> list[dict[str, Any]]:
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _invalid(file, f"cannot read it as JSON: {exc}") from None
    items = document if isinstance(document, list) else [document]
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise _invalid(file, f"definition #{index} is not an object with a 'name'")
    return items


def _invalid(file: Path, reason: str) -> ComponentConfigError:
    return ComponentConfigError(f"definition file {str(file)!r}: {reason}", field="spec.metadata.definitions")
