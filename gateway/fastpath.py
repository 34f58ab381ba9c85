"""A cheaper way for FastAPI to call the workflow handlers: ``LeanRoute``.

FastAPI resolves a handler's arguments through its general dependency machinery on every
request (body sniffing, cookies, headers, per-field validation, telemetry hooks, plain-function
dependencies sent to a thread). Under load (``python -m bench.rest_load``) that cost more of
the event loop's time than the component work behind a request. The workflow handlers need
much less: the request, path parameters (strings), query parameters, and dependencies made of
query parameters (the instance filter) or of the request alone (the API-token guard).

``LeanRoute`` is a FastAPI route class (FastAPI's own extension point) that builds, once per
route, one pydantic model of every query parameter the handler and its dependencies declare,
and on each request validates them in one call, calls the dependencies inline and then the
handler. The signatures stay the single description of the parameters: FastAPI still reads
them for the OpenAPI document, and a query parameter that does not validate is the same
``RequestValidationError`` (a 400 problem). Dependencies are called on the event loop, so
they must not block. A handler that asks for anything else (a body model, headers, nested
dependencies) gets FastAPI's own handler, unchanged.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic
from fastapi import Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class LeanRoute(APIRoute):
    """An ``APIRoute`` whose handler calls the endpoint without FastAPI's dependency solving
    (``lean`` says whether it does, or fell back to FastAPI's handler)."""

    lean = False
    _handler: Handler | None = None

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        if self._handler is not None and self.max_body_size is None:
            # Served without FastAPI's request_response, whose exit stacks serve dependencies
            # with yield and whose exception wrapper repeats the app's ExceptionMiddleware:
            # an exception raised here reaches that middleware and gets the same handler.
            self.app = _serve(self._handler)

    def get_route_handler(self) -> Handler:
        try:
            plan = _Plan.of(self.endpoint, set(self.param_convertors), self.dependencies)
        except _NeedsFastAPI:
            self.lean, self._handler = False, None
            return super().get_route_handler()
        self.lean, self._handler = True, plan.handler()
        return self._handler


def _serve(handler: Handler) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await handler(Request(scope, receive, send))
        await response(scope, receive, send)

    return app


class _NeedsFastAPI(Exception):
    """The signature asks for something only FastAPI's own handler provides."""


@dataclass
class _Call:
    """One function to call: which arguments come from where."""

    function: Callable[..., Any]
    request: str | None = None
    path: list[str] = field(default_factory=list)
    query: list[str] = field(default_factory=list)
    dependencies: dict[str, _Call] = field(default_factory=dict)

    async def __call__(self, request: Request, query: dict[str, Any]) -> Any:
        arguments: dict[str, Any] = {name: request.path_params[name] for name in self.path}
        arguments.update((name, query[name]) for name in self.query)
        if self.request is not None:
            arguments[self.request] = request
        for name, dependency in self.dependencies.items():
            arguments[name] = await dependency(request, query)
        result = self.function(**arguments)
        return await result if inspect.isawaitable(result) else result


@dataclass
class _Plan:
    """The endpoint's call, its guards, and the model of every query parameter they take."""

    endpoint: _Call
    guards: list[_Call]
    fields: dict[str, Any]
    lists: set[str]

    @classmethod
    def of(
        cls, endpoint: Callable[..., Any], path_names: set[str], dependencies: Sequence[params.Depends]
    ) -> _Plan:
        if not inspect.iscoroutinefunction(endpoint):
            raise _NeedsFastAPI
        plan = cls(_Call(endpoint), [], {}, set())
        plan._read(plan.endpoint, path_names, nested=True)
        for depends in dependencies:
            guard = _Call(_function(depends))
            plan._read(guard, path_names, nested=False)
            plan.guards.append(guard)
        return plan

    def _read(self, call: _Call, path_names: set[str], *, nested: bool) -> None:
        hints = typing.get_type_hints(call.function, include_extras=True)
        for name, parameter in inspect.signature(call.function).parameters.items():
            annotation = hints.get(name, Any)
            base, marker = _split(annotation)
            if annotation is Request:
                call.request = name
            elif isinstance(marker, params.Depends) and nested:
                dependency = _Call(_function(marker))
                self._read(dependency, path_names, nested=False)
                call.dependencies[name] = dependency
            elif name in path_names and marker is None and annotation is str:
                call.path.append(name)
            elif _plain_query(marker) and name not in self.fields:
                default = ... if parameter.default is inspect.Parameter.empty else parameter.default
                self.fields[name] = (annotation, default)
                call.query.append(name)
                if _is_list(base):
                    self.lists.add(name)
            else:
                raise _NeedsFastAPI  # a header, cookie, body, nested dependency or duplicate name

    def handler(self) -> Handler:
        model = pydantic.create_model("QueryParameters", **self.fields) if self.fields else None
        fields, lists, guards, endpoint = list(self.fields), self.lists, self.guards, self.endpoint

        async def handle(request: Request) -> Response:
            values: dict[str, Any] = {}
            if model is not None:
                query = request.query_params
                given = {
                    name: query.getlist(name) if name in lists else query[name]
                    for name in fields
                    if name in query
                }
                try:
                    values = model.model_validate(given).__dict__
                except pydantic.ValidationError as exc:
                    raise RequestValidationError(
                        [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
                    ) from None
            for guard in guards:
                await guard(request, values)
            response: Response = await endpoint(request, values)
            return response

        return handle


def _function(depends: params.Depends) -> Callable[..., Any]:
    if depends.dependency is None:
        raise _NeedsFastAPI
    return depends.dependency


def _split(annotation: Any) -> tuple[Any, Any]:
    """The type under ``Annotated`` and its FastAPI marker (``Query``, ``Depends``...), if any."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        markers = [extra for extra in extras if isinstance(extra, pydantic.fields.FieldInfo | params.Depends)]
        return base, markers[0] if markers else None
    return annotation, None


def _plain_query(marker: Any) -> bool:
    """A query parameter read by its own name (no marker, or ``Query`` without an alias)."""
    if marker is None:
        return True
    return isinstance(marker, params.Query) and marker.alias is None and marker.validation_alias is None


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return typing.get_origin(annotation) is list
