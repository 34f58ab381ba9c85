"""The FastAPI application: routes under Dapr's three prefixes, metadata, health, errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata as importlib_metadata
from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from opentelemetry import trace
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from flowport_client import models as wire
from gateway import console, openapi, problems
from gateway.health import DEFAULT_HEALTH_INTERVAL, HealthWatch, readiness
from gateway.problems import ApiError, OperationError
from gateway.registry import ComponentRegistry, ComponentSlot
from gateway.routes import WorkflowApi
from gateway.service import WorkflowService
from gateway.telemetry.metrics import BUILD_INFO, OperationMetrics
from gateway.telemetry.middleware import TelemetryMiddleware

log = logging.getLogger(__name__)

API_PREFIXES = ("/v1.0", "/v1.0-beta1", "/v1.0-alpha1")
DEFAULT_REQUEST_TIMEOUT = 30.0
DOCS_ASSETS = "/docs/static"


def version() -> str:
    try:
        return importlib_metadata.version("flowport")
    except importlib_metadata.PackageNotFoundError:
        return "0+unknown"


def create_app(
    registry: ComponentRegistry,
    *,
    api_token: str | None = None,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    manage_components: bool = True,
    metrics: bool = True,
    tracer: trace.Tracer | None = None,
    health_interval: float = DEFAULT_HEALTH_INTERVAL,
) -> FastAPI:
    """The gateway app; its lifespan initialises the registry's components and closes them
    (unless ``manage_components`` is false: then the caller does, as the CLI does), and checks
    their health every ``health_interval`` seconds.

    With ``api_token`` every route but the health probes requires it, in Dapr's
    ``dapr-api-token`` header or as ``Authorization: Bearer``. With ``metrics`` every workflow
    request is counted and timed (served by ``gateway.telemetry.metrics.serve_metrics``); with a
    ``tracer``, every request and component operation is a span.
    """
    watch = HealthWatch(registry, health_interval)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_components:
            await registry.start()
        stop = asyncio.Event()
        watching = asyncio.create_task(watch.run(stop), name="flowport-health")
        try:
            yield
        finally:
            stop.set()
            await watching
            if manage_components:
                await registry.close()

    app = FastAPI(
        title="Flowport",
        version=version(),
        summary="One Dapr-Workflow-compatible REST API over pluggable workflow runtimes.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # /v1.0/workflows/dapr/ is a clear 400 (no instance ID), never a silent 307 redirect.
        redirect_slashes=False,
        # FastAPI's own OpenTelemetry spans (on whenever a tracer provider is set) would double
        # the request span that TelemetryMiddleware makes, at a cost per request we do not want.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    guarded = [Depends(_token_guard(api_token))] if api_token else []

    # The one service of this gateway: the REST routes call it, and so does the gRPC front
    # end (``gateway.runner``), so both share its health watch and tracing, and record their
    # operations in one ``OperationMetrics``.
    service = WorkflowService(registry, request_timeout, health=watch, tracer=tracer)
    app.state.workflow_service = service
    app.state.operation_metrics = OperationMetrics() if metrics else None
    app.add_middleware(
        TelemetryMiddleware,
        is_component=service.has_component,
        metrics=app.state.operation_metrics,
        tracer=tracer,
    )
    BUILD_INFO.labels(version()).set(1)
    api = WorkflowApi(service)
    for index, prefix in enumerate(API_PREFIXES):
        api.add_routes(app.router, prefix, in_schema=index == 0, dependencies=guarded)

    @app.get("/v1.0/healthz", status_code=204, tags=["health"], operation_id="healthz")
    async def healthz() -> Response:
        """Liveness: 204 while the gateway serves requests (never requires the token)."""
        return Response(status_code=204)

    async def ready(request: Request) -> Response:
        """Readiness: 204 when every component is initialised and healthy, else a 503 problem
        document naming each one that is not (``ignoreErrors`` ones are listed, never block).
        Never requires the token."""
        states = await readiness(registry)
        failing = [state for state in states if not state.ready]
        if not any(state.blocking for state in failing):
            return Response(status_code=204)
        detail = "; ".join(
            f"{s.name}{'' if s.blocking else ' (ignoreErrors)'}: {s.detail or 'not healthy'}" for s in failing
        )
        components = [
            {"name": s.name, "ready": s.ready, "ignoreErrors": not s.blocking, "detail": s.detail}
            for s in states
        ]
        return problems.problem_response(
            problems.PROBLEMS["not-ready"],
            f"not ready: {detail}",
            path=request.url.path,
            extra={"components": components},
        )

    for path, operation_id in (("/v1.0/healthz/outbound", "healthzOutbound"), ("/readyz", "readyz")):
        app.add_api_route(
            path,
            ready,
            methods=["GET"],
            status_code=204,
            tags=["health"],
            operation_id=operation_id,
            responses={503: {"model": wire.Problem, "content": {problems.PROBLEM_JSON: {}}}},
        )

    @app.get(
        "/v1.0/metadata",
        tags=["metadata"],
        operation_id="getMetadata",
        response_model=wire.Metadata,
        dependencies=guarded,
    )
    async def get_metadata() -> Response:
        """The loaded components: type, version, capabilities, health, and known workflows."""
        slots = registry.slots
        infos = await asyncio.gather(*(_component_info(registry, slot) for slot in slots))
        return JSONResponse({"id": "flowport", "runtimeVersion": version(), "components": infos})

    def described() -> dict[str, Any]:
        if app.openapi_schema is None:
            names = [slot.name for slot in registry.slots]
            app.openapi_schema = openapi.document(app, components=names, secured=api_token is not None)
        return app.openapi_schema

    app.openapi = described  # type: ignore[method-assign]

    @app.get("/openapi.json", include_in_schema=False, dependencies=guarded)
    async def openapi_json() -> JSONResponse:
        return JSONResponse(app.openapi())

    # Swagger UI's own files, from the fastapi-offline package: /docs works without a CDN.
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(resources.files("fastapi_offline") / "static")))

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> Response:
        if api_token is not None and not (
            console.has_session(request, api_token) or console.has_token(request, api_token)
        ):
            return RedirectResponse("/ui/login?next=/docs", status_code=303)
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Flowport API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url="/ui/static/favicon.svg",
            # No validator badge: it would send the document to an outside service.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    console.mount_console(app, api_token=api_token)

    app.add_exception_handler(ApiError, problems.handle_gateway_error)
    app.add_exception_handler(OperationError, problems.handle_gateway_error)
    app.add_exception_handler(RequestValidationError, problems.handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, problems.handle_http_error)
    app.add_exception_handler(Exception, _log_and_answer)
    return app


async def _log_and_answer(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return await problems.handle_unexpected_error(request, exc)


def _token_guard(expected: str) -> Any:
    async def guard(request: Request) -> None:
        # The console's login cookie counts too, so that /openapi.json and the docs' "try it
        # out" work in a browser that logged in (the cookie is SameSite=Strict).
        if not (console.has_token(request, expected) or console.has_session(request, expected)):
            raise ApiError("unauthorized", "a valid API token is required (dapr-api-token header or Bearer)")

    return guard


async def _component_info(registry: ComponentRegistry, slot: ComponentSlot) -> dict[str, Any]:
    health = await registry.health(slot)
    workflows: list[str] | None = None
    capabilities: list[str] = []
    if slot.component is not None:
        capabilities = sorted(capability.value for capability in slot.component.capabilities)
        try:
            async with asyncio.timeout(2.0):
                names = await slot.component.workflow_names()
            workflows = list(names) if names is not None else None
        except Exception as exc:  # listing workflows is best effort: say why it is missing
            log.info("component %s could not list workflows: %s", slot.name, exc)
    spec = slot.definition.spec
    plugin = slot.plugin
    component = slot.component
    return {
        "name": spec.name,
        "type": spec.type,
        "version": spec.version,
        "capabilities": capabilities,
        "listFilters": sorted(f.value for f in component.list_filters) if component else [],
        "startOptions": sorted(component.start_options) if component else [],
        "healthy": health.healthy,
        "detail": health.detail,
        "workflows": workflows,
        "plugin": {
            "distribution": plugin.distribution if plugin else None,
            "version": plugin.version if plugin else None,
        },
        "uiUrl": slot.definition.ui_url,
    }
