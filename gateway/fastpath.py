"""A cheaper way for FastAPI to call the workflow handlers: ``LeanRoute``.

FastAPI resolves a handler's arguments through its general dependency machinery on every
request (body sniffing, cookies, headers, sub-dependencies, per-field validation, telemetry
hooks). Under load (``python -m bench.rest_load``) that cost more of the event loop's time
than the component work behind a request. The workflow handlers need much less: the request,
path parameters (strings), query parameters (a few scalars and one list), and the route's own
dependencies that take only the request (the API-token guard).

``LeanRoute`` is a FastAPI route class (FastAPI's own extension point) that builds, once per
route, a pydantic model of the handler's query parameters from its signature, and on each
request validates them in one call and calls the handler. The signature stays the single
description of the parameters: FastAPI still reads it for the OpenAPI document, and a query
parameter that does not validate is the same ``RequestValidationError`` (a 400 problem). A
handler whose signature asks for more than this (a body model, headers, other dependencies)
gets FastAPI's own handler, unchanged.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import pydantic
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class LeanRoute(APIRoute):
    """An ``APIRoute`` whose handler calls the endpoint without FastAPI's dependency solving."""

    def get_route_handler(self) -> Handler:
        lean = _lean_handler(self.endpoint, set(self.param_convertors), self.dependencies)
        return lean if lean is not None else super().get_route_handler()


def _lean_handler(
    endpoint: Callable[..., Any], path_names: set[str], dependencies: Sequence[Any]
) -> Handler | None:
    """The request handler for ``endpoint``, or ``None`` if its signature needs FastAPI's."""
    if not inspect.iscoroutinefunction(endpoint):
        return None
    guards: list[Callable[[Request], Awaitable[None]]] = []
    for depends in dependencies:
        call = depends.dependency
        if not inspect.iscoroutinefunction(call) or not _takes_only_request(call):
            return None
        guards.append(call)
    hints = typing.get_type_hints(endpoint, include_extras=True)
    request_name: str | None = None
    path: list[str] = []
    fields: dict[str, Any] = {}
    lists: set[str] = set()
    for name, parameter in inspect.signature(endpoint).parameters.items():
        annotation = hints.get(name, Any)
        if annotation is Request:
            request_name = name
        elif name in path_names:
            if annotation is not str:
                return None
            path.append(name)
        else:
            base, info = _split_annotation(annotation)
            if info is not None and type(info).__name__ != "Query":
                return None  # a header, cookie, body or dependency parameter
            default = ... if parameter.default is inspect.Parameter.empty else parameter.default
            fields[name] = (annotation, default)
            if _is_list(base):
                lists.add(name)
    model = pydantic.create_model(f"{endpoint.__name__}_query", **fields) if fields else None

    async def handle(request: Request) -> Response:
        for guard in guards:
            await guard(request)
        arguments: dict[str, Any] = {name: request.path_params[name] for name in path}
        if request_name is not None:
            arguments[request_name] = request
        if model is not None:
            query = request.query_params
            given = {
                name: query.getlist(name) if name in lists else query[name]
                for name in fields
                if name in query
            }
            try:
                arguments.update(model.model_validate(given).__dict__)
            except pydantic.ValidationError as exc:
                raise RequestValidationError(
                    [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
                ) from None
        response: Response = await endpoint(**arguments)
        return response

    return handle


def _takes_only_request(call: Callable[..., Any]) -> bool:
    hints = typing.get_type_hints(call)
    names = list(inspect.signature(call).parameters)
    return len(names) == 1 and hints.get(names[0]) is Request


def _split_annotation(annotation: Any) -> tuple[Any, Any]:
    """The type under ``Annotated`` and the FastAPI parameter marker, if any."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        markers = [extra for extra in extras if isinstance(extra, pydantic.fields.FieldInfo)]
        return base, markers[0] if markers else None
    return annotation, None


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return typing.get_origin(annotation) is list
