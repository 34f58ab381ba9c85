"""Runtime expressions of the Serverless Workflow DSL: jq (``${ ... }``), with the spec's arguments.

An expression is a string ``${ <jq> }``; objects and arrays are evaluated member by member.
Arguments are jq variables: ``$context``, ``$input``, ``$output``, ``$secrets``, ``$task``,
``$workflow``, ``$runtime``, plus ``for`` and ``catch`` variables. A failing expression raises
an ``expression`` error (status 400) that names the expression.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import jq

from builtin_engine.declarative.serverless._errors import WorkflowError, error_type

ARGUMENTS = ("context", "input", "output", "secrets", "task", "workflow", "runtime", "authorization")


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith("${") and value.strip().endswith("}")


def body(expression: str) -> str:
    return expression.strip()[2:-1].strip()


_DATA = "__flowport_data"


@functools.lru_cache(maxsize=4096)
def _compiled(text: str, names: tuple[str, ...]) -> Any:
    """One program per expression and set of argument names, fed ``{data, arguments...}``.

    jq binds ``args`` at compile time, so the arguments travel in the input instead and are
    destructured into variables: the expression compiles once, not once per evaluation.
    """
    variables = ", ".join(f"${name}" for name in (_DATA, *names))
    return jq.compile(f". as {{{variables}}} | ${_DATA} | ({text})")


def check(expression: str, extra: tuple[str, ...] = ()) -> str | None:
    """Why ``expression`` does not compile, or ``None`` (for load-time validation)."""
    try:
        _compiled(body(expression), tuple(sorted({*ARGUMENTS, *extra})))
    except ValueError as exc:
        return str(exc)
    return None


def evaluate(expression: str, data: Any, arguments: Mapping[str, Any]) -> Any:
    """The first value ``expression`` produces on ``data`` (``None`` when it produces none)."""
    names = tuple(sorted(arguments))
    try:
        program = _compiled(body(expression), names)
        values = program.input_value({_DATA: data, **arguments}).all()
    except ValueError as exc:
        raise WorkflowError(
            error_type("expression"), 400, "Runtime expression failed", str(exc), expression=expression
        ) from None
    return values[0] if values else None


def render(value: Any, data: Any, arguments: Mapping[str, Any]) -> Any:
    """``value`` with every expression in it evaluated (objects and arrays recursively)."""
    if isinstance(value, str):
        return evaluate(value, data, arguments) if is_expression(value) else value
    if isinstance(value, dict):
        return {key: render(item, data, arguments) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, data, arguments) for item in value]
    return value


def truthy(expression: Any, data: Any, arguments: Mapping[str, Any]) -> bool:
    """A condition (``if``, ``when``, ``while``): an expression or a literal boolean."""
    if isinstance(expression, bool):
        return expression
    value = evaluate(
        expression if is_expression(expression) else "${" + str(expression) + "}", data, arguments
    )
    return value is not None and value is not False
