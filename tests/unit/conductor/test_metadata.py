"""Reading a ``workflow.conductor`` component's metadata (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.conductor import ConductorComponent
from contracts import ComponentConfigError, ComponentSpec

EXAMPLE_DEFINITIONS = Path(__file__).resolve().parents[3] / "examples" / "conductor" / "definitions"


def component(base_dir: Path | None = None, **metadata: str) -> ConductorComponent:
    spec = ComponentSpec(
        name="orders",
        type="workflow.conductor",
        metadata=metadata,
        source="orders.yaml",
        base_dir=base_dir or Path.cwd(),
    )
    return ConductorComponent(spec)


def test_defaults() -> None:
    settings = component(serverUrl="http://localhost:8080/api/").settings
    assert settings.api_url == "http://localhost:8080/api"
    assert settings.health_path == "/health"
    assert settings.request_timeout == 10.0
    assert settings.auth is None
    assert settings.definitions is None


def test_names_are_case_insensitive_and_durations_go_style() -> None:
    settings = component(SERVERURL="https://conductor.example/api", requesttimeout="1m30s").settings
    assert settings.request_timeout == 90.0
    assert component(serverUrl="http://h/api", requestTimeout="2.5").settings.request_timeout == 2.5
    assert component(serverUrl="http://h/api", requestTimeout="750ms").settings.request_timeout == 0.75


def test_orkes_key_and_secret() -> None:
    settings = component(serverUrl="https://x.orkesconductor.io/api", authKey="k", authSecret="s").settings
    assert settings.auth == ("k", "s")


@pytest.mark.parametrize(
    ("metadata", "field", "words"),
    [
        ({}, "spec.metadata.serverUrl", "Field required"),
        ({"serverUrl": "localhost:8080"}, "spec.metadata.serverUrl", "not an http(s) URL"),
        ({"serverUrl": "http://h/api", "requestTimeout": "soon"}, "spec.metadata.requestTimeout", "duration"),
        ({"serverUrl": "http://h/api", "requestTimeout": "0s"}, "spec.metadata.requestTimeout", "longer"),
        (
            {"serverUrl": "http://h/api", "authKey": "k"},
            "spec.metadata.authSecret",
            "authKey and authSecret go together",
        ),
        ({"serverUrl": "http://h/api", "hostport": "h:1"}, "spec.metadata.hostport", "unknown metadata"),
        (
            {"serverUrl": "http://h/api", "definitions": "missing"},
            "spec.metadata.definitions",
            "does not exist",
        ),
    ],
)
def test_mistakes_name_the_field(metadata: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(ComponentConfigError) as caught:
        component(**metadata)
    assert caught.value.field == field
    assert words in caught.value.reason
    assert caught.value.component == "orders"


def test_definitions_resolve_against_the_yaml_folder() -> None:
    settings = component(
        EXAMPLE_DEFINITIONS.parent / "components", serverUrl="http://h/api", definitions="../definitions"
    )
    assert settings.settings.definitions == EXAMPLE_DEFINITIONS


def test_declares_the_version_start_option() -> None:
    assert ConductorComponent.start_options == frozenset({"version"})
