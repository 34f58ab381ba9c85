"""The external plugin example, ``examples/plugins/flowport-dbos``, as a user installs it.

The test environment installs it with ``pip install ./examples/plugins/flowport-dbos`` (not
editable); this module only checks that the installed distribution is what Flowport loads
through its ordinary ``flowport.components`` entry point, then runs the conformance kit on it
with the example workflows and facts the plugin ships, on a fresh SQLite database.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import ALL_CAPABILITIES
from contracts.conformance import ComponentConformance, Facts

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "examples" / "plugins" / "flowport-dbos"
EXAMPLE = PLUGIN / "example"
INSTALL = "pip install ./examples/plugins/flowport-dbos"


def installed_version() -> str:
    try:
        return metadata.version("flowport-dbos")
    except metadata.PackageNotFoundError:
        raise AssertionError(f"the flowport-dbos plugin is not installed: run {INSTALL}") from None


def write_resources(folder: Path) -> Path:
    """The shipped component YAML, pointed at the example workflows and a database in ``folder``."""
    document: dict[str, Any] = yaml.safe_load((EXAMPLE / "components" / "dbos.yaml").read_text())
    overrides = {"workflowsPath": str(EXAMPLE), "systemDatabaseUrl": f"sqlite:///{folder / 'dbos.sqlite'}"}
    items = document["spec"]["metadata"]
    assert {item["name"] for item in items} >= set(overrides), items
    for item in items:
        item["value"] = overrides.get(item["name"], item["value"])
    resources = folder / "components"
    resources.mkdir()
    (resources / "dbos.yaml").write_text(yaml.safe_dump(document))
    return resources


def test_the_installed_distribution_is_loaded_through_the_entry_point(tmp_path: Path) -> None:
    version = installed_version()
    import flowport_dbos

    assert PLUGIN not in Path(flowport_dbos.__file__).resolve().parents, (
        f"flowport_dbos is imported from the source tree, not installed: run {INSTALL}"
    )
    command = ["components", "--resources-path", str(write_resources(tmp_path))]
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", *command],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"dbos: workflow.dbos v1 (plugin flowport-dbos {version})" in result.stdout, result.stdout
    every = ", ".join(sorted(capability.value for capability in ALL_CAPABILITIES))
    assert f"capabilities: {every}" in result.stdout, result.stdout
    assert "not supported" not in result.stdout, result.stdout


class TestDbosPluginConformance(ComponentConformance):
    """The kit, on the facts file the plugin ships, through a real gateway."""

    @pytest.fixture(scope="class")
    @classmethod
    def conformance_facts(cls, tmp_path_factory: pytest.TempPathFactory) -> Facts:
        installed_version()
        shipped = Facts.from_file(EXAMPLE / "conformance.yaml")
        resources = write_resources(tmp_path_factory.mktemp("dbos-conformance"))
        return dataclasses.replace(shipped, resources=resources)
