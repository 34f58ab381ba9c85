from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.registry import ComponentRegistry
from tests.unit.gateway.fakes import FakeMemoryComponent


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


Write = Callable[[str, str], Path]


def failing(name: str, error: str) -> str:
    return fake_component_yaml(name, extra=f"  metadata:\n  - {{name: failWith, value: {error}}}\n")


@pytest.fixture
async def registry(write: Write) -> AsyncIterator[ComponentRegistry]:
    write("orders.yaml", fake_component_yaml("orders"))
    write("limited.yaml", fake_component_yaml("limited", "workflow.fakestartonly"))
    write("slow.yaml", fake_component_yaml("slow", extra="  metadata:\n  - {name: delay, value: '5'}\n"))
    write("down.yaml", failing("down", "BackendUnavailableError"))
    write("late.yaml", failing("late", "BackendTimeoutError"))
    write("buggy.yaml", failing("buggy", "ZeroDivisionError"))
    resources = write(
        "ignored.yaml",
        fake_component_yaml("ignored", "workflow.fakefailinginit").replace(
            "version: v1", "version: v1\n  ignoreErrors: true"
        ),
    )
    registry = ComponentRegistry.from_resources([resources])
    await registry.start()
    yield registry
    await registry.close()


@pytest.fixture
async def client(registry: ComponentRegistry) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(registry, request_timeout=0.5, manage_components=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


def fake(registry: ComponentRegistry, name: str = "orders") -> FakeMemoryComponent:
    slot = registry.slot(name)
    assert slot is not None
    assert isinstance(slot.component, FakeMemoryComponent)
    return slot.component


def assert_problem(
    response: httpx.Response, status: int, code: str, slug: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["errorCode"] == code
    assert body["status"] == status
    assert body["message"] == body["detail"]
    assert body["instance"] == response.request.url.path
    assert "Traceback" not in response.text
    if slug:
        assert body["type"] == f"urn:flowport:problem:{slug}"
    return body
