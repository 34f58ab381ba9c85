"""ASL paths and payload templates: JSONPath, reference paths, ``.$`` keys, the ``$$`` context.

``InputPath``, ``OutputPath``, ``ItemsPath`` and ``.$`` values are JSONPath (``jsonpath-ng``);
a path that selects nothing is a ``States.Runtime`` error, as in Step Functions. ``ResultPath``
is a reference path (names and indexes only) that says where to put a result in the input.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext.parser import parse as _parse_jsonpath

from builtin_engine.declarative.asl._errors import StatesError

_REFERENCE_STEP = re.compile(r"\.([^.\[\]]+)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")
_INDEFINITE = re.compile(r"\*|\.\.|\?\(|\[[^\]]*[:,][^\]]*\]")


class PathError(StatesError):
    """A path that is malformed or selects nothing: ``States.Runtime``."""

    def __init__(self, message: str, expression: str | None = None) -> None:
        super().__init__("States.Runtime", message, expression=expression)


@functools.lru_cache(maxsize=4096)
def compiled_path(path: str) -> JSONPath:
    try:
        return _parse_jsonpath(path)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
        raise PathError(f"invalid JSONPath {path!r}: {exc}", path) from None


def check_path(path: str) -> str | None:
    """Why ``path`` is not a usable JSONPath, or ``None`` (for load-time validation)."""
    if not path.startswith("$"):
        return "a path starts with '$'"
    try:
        compiled_path(path[1:] if path.startswith("$$") else path)
    except PathError as exc:
        return exc.cause
    return None


def check_reference_path(path: str) -> str | None:
    if path == "$":
        return None
    if not path.startswith("$"):
        return "a reference path starts with '$'"
    rest = path[1:]
    position = 0
    for match in _REFERENCE_STEP.finditer(rest):
        if match.start() != position:
            break
        position = match.end()
    if position != len(rest):
        return "a reference path holds only names and indexes ($.a.b, $['a b'], $.a[0])"
    return None


def select(path: str, data: Any, context: Any = None) -> Any:
    """The value ``path`` selects: ``$`` the data, ``$$`` the context object.

    A definite path gives one value; a path with wildcards, filters or slices gives a list.
    """
    if path == "$":
        return data
    if path.startswith("$$"):
        path, data = "$" + path[2:], context
        if path == "$":
            return data
    matches = compiled_path(path).find(data)
    if _INDEFINITE.search(path):
        return [match.value for match in matches]
    if not matches:
        raise PathError(f"the path {path!r} selects nothing from the input", path)
    return matches[0].value


def place(path: str | None, target: Any, value: Any) -> Any:
    """``ResultPath``: the target with ``value`` placed at ``path`` (``None`` discards ``value``)."""
    if path is None:
        return target
    if path == "$":
        return value
    steps: list[str | int] = []
    for match in _REFERENCE_STEP.finditer(path[1:]):
        name, quoted, index = match.groups()
        steps.append(int(index) if index is not None else (name if name is not None else quoted))
    result = copy.deepcopy(target) if isinstance(target, dict | list) else {}
    node: Any = result
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise PathError(f"the ResultPath {path!r} does not match the input's structure", path)
            if last:
                node[step] = value
            else:
                node = node[step]
            continue
        if not isinstance(node, dict):
            raise PathError(f"the ResultPath {path!r} does not match the input's structure", path)
        if last:
            node[step] = value
        else:
            if not isinstance(node.get(step), dict | list):
                node[step] = {}
            node = node[step]
    return result


Intrinsic = Callable[[str, Any, Any], Any]


def render(template: Any, data: Any, context: Any, intrinsic: Intrinsic) -> Any:
    """A payload template (``Parameters``, ``ResultSelector``, ``ItemSelector``) filled from ``data``.

    A key ending in ``.$`` takes its value from a path (``$.x``), the context (``$$.x``) or an
    intrinsic function (``States.Format(...)``), and loses the suffix.
    """
    if isinstance(template, dict):
        result: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                if value.startswith("$"):
                    result[key[:-2]] = select(value, data, context)
                else:
                    result[key[:-2]] = intrinsic(value, data, context)
            else:
                result[key] = render(value, data, context, intrinsic)
        return result
    if isinstance(template, list):
        return [render(item, data, context, intrinsic) for item in template]
    return template
