"""Plugin loading through entry points: a broken plugin fails its own component only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from gateway.plugins import installed_types, load_plugin
from gateway.registry import ComponentRegistry
from gateway.resources import ResourcesError
from gateway.testing import running_gateway
from tests.unit.gateway.conftest import fake_component_yaml
from tests.unit.gateway.fakes import FakeMemoryComponent

pytestmark = pytest.mark.usefixtures("fake_plugins")

Write = Callable[[str, str], Path]


def test_in_repo_components_register_through_entry_points() -> None:
    types = installed_types()
    for name in ("workflow.builtin", "workflow.dapr", "workflow.temporal", "workflow.conductor"):
        assert name in types


def test_builtin_and_its_dapr_alias_load_the_same_class(write: Write) -> None:
    write("a.yaml", fake_component_yaml("a", "workflow.builtin"))
    resources = write("b.yaml", fake_component_yaml("b", "workflow.dapr"))
    registry = ComponentRegistry.from_resources([resources])
    plugins = [slot.plugin for slot in registry.slots]
    assert all(plugin is not None and plugin.distribution == "flowport" for plugin in plugins)
    classes = {plugin.component_class for plugin in plugins if plugin}
    assert [cls.__qualname__ for cls in classes] == ["BuiltinComponent"]


@pytest.mark.parametrize(
    ("type_", "expected"),
    [
        ("workflow.fakebroken", "plugin for 'workflow.fakebroken' failed to import: ModuleNotFoundError"),
        ("workflow.fakenotacomponent", "is not a contracts.WorkflowComponent subclass"),
        ("workflow.fakeexploding", "failed to initialise: RuntimeError: boom in constructor"),
    ],
)
def test_a_broken_plugin_fails_its_component_with_a_clear_message(
    write: Write, type_: str, expected: str
) -> None:
    write("good.yaml", fake_component_yaml("good"))
    resources = write("bad.yaml", fake_component_yaml("bad", type_))
    with pytest.raises(ResourcesError) as caught:
        ComponentRegistry.from_resources([resources])
    [error] = caught.value.errors
    assert error.component == "bad"
    assert error.file == str(resources / "bad.yaml")
    assert expected in str(error)


def test_ignore_errors_keeps_the_gateway_and_the_other_components(write: Write) -> None:
    write("good.yaml", fake_component_yaml("good"))
    resources = write(
        "bad.yaml",
        fake_component_yaml("bad", "workflow.fakebroken").replace(
            "version: v1", "version: v1\n  ignoreErrors: true"
        ),
    )
    registry = ComponentRegistry.from_resources([resources])
    slots = {slot.name: slot for slot in registry.slots}
    assert isinstance(slots["good"].component, FakeMemoryComponent)
    assert slots["bad"].component is None
    assert "ModuleNotFoundError" in (slots["bad"].error or "")


async def test_init_failure_stops_start_up_unless_ignored(write: Write) -> None:
    resources = write("bad.yaml", fake_component_yaml("bad", "workflow.fakefailinginit"))
    registry = ComponentRegistry.from_resources([resources])
    with pytest.raises(ResourcesError) as caught:
        await registry.start()
    assert "component 'bad': field 'spec.metadata.greeting': cannot reach the fake runtime" in str(
        caught.value
    )


async def test_init_timeout_is_enforced(write: Write) -> None:
    resources = write(
        "slow.yaml",
        fake_component_yaml("slow", "workflow.fakeslowinit").replace(
            "version: v1", "version: v1\n  initTimeout: 100ms"
        ),
    )
    registry = ComponentRegistry.from_resources([resources])
    with pytest.raises(ResourcesError) as caught:
        await registry.start()
    assert "init did not finish within initTimeout (0.1s)" in str(caught.value)


def test_load_plugin_reports_distribution_and_version(write: Write) -> None:
    resources = write("a.yaml", fake_component_yaml())
    [slot] = ComponentRegistry.from_resources([resources]).slots
    assert slot.plugin is not None
    plugin = load_plugin(slot.definition.spec)
    assert (plugin.distribution, plugin.version) == ("flowport-fake-plugins", "1.2.3")


def test_running_gateway_serves_real_http(write: Write) -> None:
    resources = write("orders.yaml", fake_component_yaml("orders"))
    with running_gateway([resources]) as base_url, httpx.Client(base_url=base_url) as client:
        started = client.post("/v1.0/workflows/orders/W/start", params={"instanceID": "x1"}, json=1)
        assert started.status_code == 202
        assert client.get("/v1.0/workflows/orders/x1").json()["runtimeStatus"] == "RUNNING"
