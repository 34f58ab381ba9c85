"""compose.yaml cannot run here (no Docker engine), so check what it references exists and loads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.registry import ComponentRegistry

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
    return loaded


def test_stack_has_gateway_temporal_conductor_postgres(compose: dict[str, Any]) -> None:
    assert {"gateway", "temporal", "conductor", "postgres"} <= set(compose["services"])


def test_dependencies_exist_and_wait_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            assert condition == {"condition": "service_healthy"}, name
            assert "healthcheck" in services[dependency], (
                f"{dependency} has no healthcheck for {name} to wait on"
            )


def test_every_referenced_file_exists(compose: dict[str, Any]) -> None:
    named_volumes = set(compose.get("volumes", {}))
    for name, service in compose["services"].items():
        if "build" in service:
            context = REPO / (
                service["build"] if isinstance(service["build"], str) else service["build"]["context"]
            )
            assert (context / "Dockerfile").is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in named_volumes, f"{name} uses undeclared volume {source}"
        command = service.get("command", [])
        for part in command:
            if re.match(r"^[\w/]+\.py$", part):
                assert (REPO / part).is_file(), f"{name} runs missing {part}"


def test_dockerfile_copies_only_what_exists() -> None:
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), f"Dockerfile copies missing {source}"


def test_the_gateway_components_load(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    command = " ".join(
        yaml.safe_load((REPO / "Dockerfile").read_text().splitlines()[-1].removeprefix("CMD "))
    )
    resources = REPO / command.split("--resources-path ")[1].split()[0]
    monkeypatch.chdir(REPO)  # the image's working directory holds the same tree
    registry = ComponentRegistry.from_resources([resources])
    types = {slot.definition.spec.type for slot in registry.slots}
    assert {"workflow.temporal", "workflow.conductor", "workflow.builtin"} <= types
    assert all(slot.component is not None for slot in registry.slots)
