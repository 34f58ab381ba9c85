"""A component whose plugin needs an extra that is not installed: one line naming the extra.

Each check runs ``flowport components`` in a fresh interpreter in which the packages of one
extra cannot be imported (``FakeUninstalled``, an import-blocking meta path finder, stands in
for an environment without that extra: the test venv has every extra installed).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.unit.gateway.conftest import Write, fake_component_yaml

REPO = Path(__file__).resolve().parents[3]

FAKE_UNINSTALLED = textwrap.dedent(
    """\
    import sys

    class FakeUninstalled:
        '''Imports of the named top-level packages fail as if they were not installed.'''

        def __init__(self, names):
            self.names = set(names)

        def find_spec(self, fullname, path=None, target=None):
            if fullname.partition(".")[0] in self.names:
                raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
            return None

    sys.meta_path.insert(0, FakeUninstalled(sys.argv[1].split(",")))
    """
)


def run_without(packages: str, code: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -c code arguments...`` where the named top-level packages cannot be imported."""
    return subprocess.run(
        [sys.executable, "-c", FAKE_UNINSTALLED + code, packages, *arguments],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def flowport_without(packages: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_without(packages, "from gateway.cli import main\nsys.exit(main(sys.argv[2:]))\n", *arguments)


def component(write: Write, name: str, type_: str, metadata: str) -> Path:
    return write(f"{name}.yaml", fake_component_yaml(name, type_, f"  metadata: [{metadata}]\n"))


@pytest.mark.parametrize(
    ("packages", "type_", "metadata", "extra", "missing"),
    [
        ("temporalio", "workflow.temporal", "", "temporal", "temporalio"),
        ("google", "workflow.temporal", "", "temporal", "google"),
        (
            "httptools",
            "workflow.conductor",
            "{name: serverUrl, value: 'http://x/api'}",
            "conductor",
            "httptools",
        ),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(
    write: Write, packages: str, type_: str, metadata: str, extra: str, missing: str
) -> None:
    resources = component(write, "orders", type_, metadata)
    answer = flowport_without(packages, "components", "--resources-path", str(resources))
    assert answer.returncode == 1
    assert answer.stderr.splitlines() == [
        f"error: {resources / 'orders.yaml'}: component 'orders': field 'spec.type': plugin for "
        f"{type_!r} cannot import {missing!r}, which is not installed: "
        f"pip install 'flowport[{extra}]'",
        "1 error(s) in the component configuration",
    ]


def test_the_core_serves_the_builtin_engine_without_any_extra(write: Write) -> None:
    resources = component(write, "dapr", "workflow.builtin", "")
    answer = flowport_without("temporalio,google,conductor", "components", "--resources-path", str(resources))
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("dapr: workflow.builtin v1 (plugin flowport ")
