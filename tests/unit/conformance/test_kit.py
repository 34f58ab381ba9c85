"""The conformance kit itself, run on fake components: it passes a conforming one, reports
unsupported capabilities as such, and fails a component that breaks the contract."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

FACTS = """
resources: resources
component: orders
workflows:
  completes: {name: FakeEcho, input: {"n": 1}, output: {"n": 1}}
  fails: {name: FakeFail}
  waits: {name: FakeWait, event: finish, data: {"ok": true}, output: {"ok": true}}
timeout: 10
purgeVisibleAfter: 5
"""


def write_facts(tmp_path: Path, type_: str) -> Path:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "orders.yaml").write_text(
        textwrap.dedent(
            f"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: {{name: orders}}
            spec: {{type: {type_}, version: v1}}
            """
        )
    )
    facts = tmp_path / "facts.yaml"
    facts.write_text(FACTS)
    return facts


def run_kit(facts: Path, site: Path) -> subprocess.CompletedProcess[str]:
    # A separate process, as a plugin author runs it: `flowport conformance FACTS`.
    env_path = f"{site}:{REPO}"
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "conformance", str(facts), "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=facts.parent,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": env_path, "HOME": str(facts.parent)},
        timeout=300,
    )


@pytest.fixture(scope="module")
def fake_site(fake_plugins: Path) -> Path:
    return fake_plugins


def test_kit_passes_a_conforming_component_and_reports_it(tmp_path: Path, fake_site: Path) -> None:
    result = run_kit(write_facts(tmp_path, "workflow.fake"), fake_site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 passed" in result.stdout
    assert "orders: 13 scenario(s) passed" in result.stdout


def test_kit_shows_unsupported_capabilities_as_such(tmp_path: Path, fake_site: Path) -> None:
    result = run_kit(write_facts(tmp_path, "workflow.fakestartonly"), fake_site)
    assert "unsupported, answered 501 as declared: " in result.stdout, result.stdout
    assert "pause_resume" in result.stdout.split("unsupported, answered 501 as declared: ")[1]
