from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Writes a YAML file into a fresh resources directory and returns the directory."""
    resources = tmp_path / "resources"
    resources.mkdir()

    def write(name: str, text: str) -> Path:
        (resources / name).write_text(textwrap.dedent(text).lstrip())
        return resources

    return write


def fake_component_yaml(name: str = "orders", type_: str = "workflow.fake", extra: str = "") -> str:
    return (
        textwrap.dedent(
            f"""
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
        spec:
          type: {type_}
          version: v1
        """
        )
        + extra
    )
