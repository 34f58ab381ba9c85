"""compose.yaml cannot run here (no Docker engine): check what it promises from its text.

What a user of ``docker compose up --build`` would notice: an image that does not exist or is
deprecated, a Temporal without workflow pause, a file or script that is missing, a service
that waits on a dependency that can never satisfy it, a port open beyond the machine, the
gateway image built several times, a backend that stops the gateway, the gateway's
components not loading. ``docker compose config`` validates the file against the Compose
specification where a Compose client is installed (not in this suite).
"""

from __future__ import annotations

import re
import subprocess
import tomllib
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


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def image_of(service: dict[str, Any]) -> tuple[str, str]:
    name, _, tag = service["image"].partition(":")
    return name, tag


def gateway_resources() -> Path:
    command = " ".join(
        yaml.safe_load((REPO / "Dockerfile").read_text().splitlines()[-1].removeprefix("CMD "))
    )
    return REPO / command.split("--resources-path ")[1].split()[0]


def test_stack_has_gateway_backends_uis_and_workers(services: dict[str, Any]) -> None:
    expected = {"gateway", "postgres", "temporal", "temporal-ui", "conductor"}
    expected |= {"temporal-worker", "conductor-worker"}
    assert expected <= set(services)


def test_images_are_pinned_current_and_not_deprecated(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image, tag = image_of(service)
        assert tag not in {"", "latest"}, f"{name}: pin {image} to a version"
        assert image not in {"temporalio/auto-setup", "conductoross/conductor-standalone"}, name
    server, version = image_of(services["temporal"])
    assert server == "temporalio/server"
    assert tuple(int(part) for part in version.split(".")[:2]) >= (1, 30), "workflow pause needs 1.30+"
    assert image_of(services["conductor"])[0] == "conductoross/conductor"


def test_temporal_runs_with_pause_enabled(services: dict[str, Any]) -> None:
    temporal = services["temporal"]
    in_container = "/etc/temporal/" + temporal["environment"]["DYNAMIC_CONFIG_FILE_PATH"]
    [mount] = [v for v in temporal["volumes"] if v.split(":")[1] == in_container]
    settings = yaml.safe_load((REPO / mount.split(":")[0]).read_text())
    assert settings["frontend.WorkflowPauseEnabled"] == [{"value": True}]


def test_dependencies_exist_and_can_be_satisfied(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            condition = rule["condition"]
            target = services[dependency]
            if condition == "service_healthy":
                assert "healthcheck" in target or "build" in target, f"{dependency} has no healthcheck"
            elif condition == "service_completed_successfully":
                # a one-shot job: a restart policy would keep it from ever completing
                assert "restart" not in target, dependency
            else:
                pytest.fail(f"{name}: unexpected condition {condition} on {dependency}")


def test_every_referenced_file_exists_and_scripts_parse(
    services: dict[str, Any], compose: dict[str, Any]
) -> None:
    named_volumes = set(compose.get("volumes", {}))
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
                if source.endswith(".sh"):
                    subprocess.run(["sh", "-n", str(REPO / source)], check=True)
            else:
                assert source in named_volumes, f"{name} uses undeclared volume {source}"
        for part in service.get("command", []):
            if re.match(r"^[\w/]+\.py$", part):
                assert (REPO / part).is_file(), f"{name} runs missing {part}"


def test_ports_are_published_on_loopback_only(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond the machine"
    # ... and the gateway can be told to require a token for publishing it further.
    assert "FLOWPORT_API_TOKEN" in services["gateway"]["environment"]


def test_the_flowport_image_is_built_once(services: dict[str, Any]) -> None:
    built = {name: service for name, service in services.items() if "build" in service}
    assert {"gateway", "temporal-worker", "conductor-worker"} <= set(built)
    assert len({(service["image"], str(service["build"])) for service in built.values()}) == 1
    context = built["gateway"]["build"]
    assert (REPO / (context if isinstance(context, str) else context["context"]) / "Dockerfile").is_file()


def test_the_image_holds_every_package_and_extra_it_needs() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    for source in copied - {"pyproject.toml"}:
        assert (REPO / source).exists(), f"Dockerfile copies missing {source}"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {pattern.rstrip("*") for pattern in packages} <= copied
    # the workers' SDKs: conductor-python and temporalio
    assert "'.[examples]'" in dockerfile


def test_backends_that_are_down_do_not_stop_the_gateway(services: dict[str, Any]) -> None:
    registry = ComponentRegistry.from_resources([gateway_resources()])
    for slot in registry.slots:
        if slot.definition.spec.type in {"workflow.temporal", "workflow.conductor"}:
            assert slot.definition.ignore_errors, (
                f"{slot.name} would stop the gateway when its backend is down"
            )
    # Temporal is not waited for (its client connects when the server answers).
    assert "temporal" not in services["gateway"].get("depends_on", {})


def test_components_point_at_the_stack_services(services: dict[str, Any]) -> None:
    registry = ComponentRegistry.from_resources([gateway_resources()])
    metadata = {slot.definition.spec.type: slot.definition.spec.metadata for slot in registry.slots}
    assert metadata["workflow.temporal"]["hostport"].split(":")[0] in services
    assert re.match(r"^http://conductor:8080/api$", metadata["workflow.conductor"]["serverUrl"])
    worker_url = services["conductor-worker"]["environment"]["CONDUCTOR_SERVER_URL"]
    assert worker_url == metadata["workflow.conductor"]["serverUrl"]


def test_conductor_keeps_its_state_in_the_stack_postgres(services: dict[str, Any]) -> None:
    conductor = services["conductor"]
    config_name = conductor["environment"]["CONFIG_PROP"]
    [mount] = [v for v in conductor["volumes"] if v.split(":")[1] == f"/app/config/{config_name}"]
    properties = dict(
        line.split("=", 1)
        for line in (REPO / mount.split(":")[0]).read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert properties["conductor.db.type"] == "postgres"
    database = properties["spring.datasource.url"].rsplit("/", 1)[1]
    init_scripts = [
        v.split(":")[0] for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v
    ]
    assert any(f"CREATE DATABASE {database};" in (REPO / script).read_text() for script in init_scripts)
    assert properties["spring.datasource.username"] == services["postgres"]["environment"]["POSTGRES_USER"]


def test_the_gateway_components_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the image's working directory holds the same tree
    registry = ComponentRegistry.from_resources([gateway_resources()])
    types = {slot.definition.spec.type for slot in registry.slots}
    assert {"workflow.temporal", "workflow.conductor", "workflow.builtin"} <= types
    assert all(slot.component is not None for slot in registry.slots)
