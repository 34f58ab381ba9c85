"""Readiness, the outcome labels of the operation metrics, and tracing's OTEL_* configuration."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from gateway.app import create_app
from gateway.registry import ComponentRegistry
from gateway.telemetry.tracing import TracingConfigError, tracer_provider_from_environment
from tests.unit.gateway.conftest import fake_component_yaml

pytestmark = pytest.mark.usefixtures("fake_plugins")

Write = Callable[[str, str], Path]


@pytest.fixture
def registry(write: Write) -> ComponentRegistry:
    write("orders.yaml", fake_component_yaml("orders"))
    ignored = fake_component_yaml("ignored", "workflow.fakefailinginit")
    resources = write("ignored.yaml", ignored.replace("version: v1", "version: v1\n  ignoreErrors: true"))
    return ComponentRegistry.from_resources([resources])


@pytest.fixture
async def client(registry: ComponentRegistry) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(registry, manage_components=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client
    await registry.close()


async def test_not_ready_until_initialised_and_ignore_errors_never_blocks(
    registry: ComponentRegistry, client: httpx.AsyncClient
) -> None:
    answer = await client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["errorCode"] == "ERR_HEALTH_NOT_READY"
    assert sorted(body["components"], key=lambda c: c["name"]) == [
        {"name": "ignored", "ready": False, "ignoreErrors": True, "detail": "not initialised yet"},
        {"name": "orders", "ready": False, "ignoreErrors": False, "detail": "not initialised yet"},
    ]
    assert "orders: not initialised yet" in body["detail"]

    await registry.start()  # "ignored" fails to initialise, and is ignored
    assert (await client.get("/readyz")).status_code == 204
    assert (await client.get("/v1.0/healthz/outbound")).status_code == 204


def operations(component: str, operation: str, outcome: str) -> float:
    labels = {"component": component, "operation": operation, "outcome": outcome}
    return REGISTRY.get_sample_value("flowport_workflow_operation_total", labels) or 0.0


async def test_every_workflow_request_is_counted_with_its_outcome(
    registry: ComponentRegistry, client: httpx.AsyncClient
) -> None:
    await registry.start()
    cases = [
        # (request, component label, operation, outcome)
        (client.get("/v1.0/workflows/orders/nobody"), "orders", "get_workflow", "instance-not-found"),
        (
            client.post("/v1.0/workflows/orders/W/start", content=b"{"),
            "orders",
            "create_workflow",
            "malformed-request",
        ),
        # rejected by request validation, before the handler runs
        (client.get("/v1.0/workflows/orders?pageSize=0"), "orders", "list_workflows", "malformed-request"),
        (client.get("/v1.0/workflows/ignored/x"), "ignored", "get_workflow", "component-failed"),
        # a made-up component name is not a label value
        (client.get("/v1.0/workflows/made-up/x"), "", "get_workflow", "component-not-found"),
        (client.post("/v1.0/workflows/orders/W/start"), "orders", "create_workflow", "success"),
    ]
    for request, component, operation, outcome in cases:
        before = operations(component, operation, outcome)
        await request
        assert operations(component, operation, outcome) == before + 1, (component, operation, outcome)
    # Requests outside the workflow API are not workflow operations.
    total = sum(
        metric.samples[0].value
        for metric in REGISTRY.collect()
        if metric.name == "flowport_workflow_operation"
    )
    await client.get("/v1.0/metadata")
    assert (
        sum(
            metric.samples[0].value
            for metric in REGISTRY.collect()
            if metric.name == "flowport_workflow_operation"
        )
        == total
    )


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Sets exactly the given ``OTEL_*`` variables (the SDK reads them from the process)."""
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        monkeypatch.delenv(name)

    def set_all(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_all


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"OTEL_SERVICE_NAME": "x"},
        {"OTEL_TRACES_EXPORTER": "none"},
        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"},
    ],
)
def test_tracing_is_off_unless_an_exporter_or_endpoint_is_configured(
    environ: Callable[..., None], variables: dict[str, str]
) -> None:
    environ(**variables)
    assert tracer_provider_from_environment() is None


def test_an_otlp_endpoint_alone_turns_tracing_on(environ: Callable[..., None]) -> None:
    environ(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318")
    provider = tracer_provider_from_environment()
    assert provider is not None
    assert provider.resource.attributes["service.name"] == "flowport"
    provider.shutdown()


def test_the_service_name_is_the_operators(environ: Callable[..., None]) -> None:
    environ(OTEL_TRACES_EXPORTER="console", OTEL_SERVICE_NAME="edge")
    provider = tracer_provider_from_environment()
    assert provider is not None
    assert provider.resource.attributes["service.name"] == "edge"
    provider.shutdown()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "unknown exporter 'zipkin'"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
            "'http/json' is not supported",
        ),
    ],
)
def test_what_tracing_cannot_do_is_a_clear_error(
    environ: Callable[..., None], variables: dict[str, str], message: str
) -> None:
    environ(**variables)
    with pytest.raises(TracingConfigError, match=message):
        tracer_provider_from_environment()
