"""The component's configuration, and its client-only mode (another process hosts the workflows)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import contracts
from components.builtin import BuiltinComponent
from tests.integration.builtin.hosting import host
from tests.rest import output, serve_component


def spec(tmp_path: Path, **metadata: str) -> contracts.ComponentSpec:
    return contracts.ComponentSpec(
        name="wf", type="workflow.builtin", metadata=metadata, source="wf.yaml", base_dir=tmp_path
    )


def test_metadata_is_validated(tmp_path: Path) -> None:
    with pytest.raises(contracts.ComponentConfigError) as bad_ref:
        BuiltinComponent(spec(tmp_path, runtimes="no_colon_here"))
    assert bad_ref.value.field == "spec.metadata.runtimes"
    with pytest.raises(contracts.ComponentConfigError) as unknown:
        BuiltinComponent(spec(tmp_path, stroe="x.db"))
    assert unknown.value.field == "spec.metadata.stroe"
    with pytest.raises(contracts.ComponentConfigError):
        BuiltinComponent(spec(tmp_path, pollInterval="soon"))
    component = BuiltinComponent(spec(tmp_path, POLLINTERVAL="20ms", store="sqlite:///data/x.db"))
    assert component.metadata.poll_interval == pytest.approx(0.02)
    assert component.store_path == tmp_path / "data" / "x.db"


def test_store_defaults_under_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert BuiltinComponent(spec(tmp_path / "elsewhere")).store_path == tmp_path / ".flowport" / "wf.db"


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("no_such_module_xyz:wfr", "ModuleNotFoundError"),
        ("tests.integration.builtin.workflows:missing", "AttributeError"),
        ("tests.integration.builtin.workflows:greeting", "not a WorkflowRuntime"),
    ],
)
async def test_runtime_references_fail_clearly(tmp_path: Path, ref: str, reason: str) -> None:
    component = BuiltinComponent(spec(tmp_path, runtimes=ref))
    with pytest.raises(contracts.ComponentConfigError) as error:
        await component.init()
    assert error.value.field == "spec.metadata.runtimes"
    assert reason in str(error.value)


async def test_two_components_cannot_host_one_store(tmp_path: Path) -> None:
    refs = "tests.integration.builtin.workflows:wfr"
    first = BuiltinComponent(spec(tmp_path, runtimes=refs, store="one.db"))
    await first.init()
    try:
        assert await first.workflow_names() == ["Greeting", "approval", "broken", "family", "nap"]
        second = BuiltinComponent(spec(tmp_path, runtimes=refs, store="one.db"))
        with pytest.raises(contracts.ComponentConfigError) as error:
            await second.init()
        assert error.value.field == "spec.metadata.store"
    finally:
        await first.close()


def test_client_only_component_against_a_hosting_process(tmp_path: Path) -> None:
    store = tmp_path / "shared.db"
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "remote.yaml").write_text(
        textwrap.dedent(
            f"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: {{name: remote}}
            spec:
              type: workflow.dapr
              version: v1
              metadata:
              - {{name: store, value: "{store}"}}
            """
        )
    )
    with host(store, tmp_path / "side.log"), serve_component(resources, "remote") as api:
        api.started("waiter", "w1")
        api.accepted("w1", "raiseEvent/go", "a")
        api.accepted("w1", "raiseEvent/go", "b")
        assert output(api.wait_status("w1", "COMPLETED")) == ["a", "b"]
        api.accepted("w1", "purge")
        assert api.get("w1").status_code == 404
