"""Choice rules: comparisons, ``And``/``Or``/``Not``, type tests, ``...Path`` variants.

A comparison of values of the wrong type is false (``StringEquals`` on a number), as in Step
Functions; a ``Variable`` that selects nothing is a ``States.Runtime`` error (test it with
``IsPresent`` first).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from builtin_engine.declarative.asl._paths import PathError, select

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _typed(kind: str, value: Any) -> Any:
    """``value`` as a comparable of ``kind``, or ``None`` when it is not one."""
    if kind == "String":
        return value if isinstance(value, str) else None
    if kind == "Numeric":
        return value if _is_number(value) else None
    if kind == "Boolean":
        return value if isinstance(value, bool) else None
    return timestamp(value)


def _string_matches(value: Any, pattern: str) -> bool:
    if not isinstance(value, str):
        return False
    # '*' is the only wildcard; '\*' is a literal star.
    parts = re.split(r"(?<!\\)\*", pattern)
    regex = ".*".join(re.escape(part.replace("\\*", "*").replace("\\\\", "\\")) for part in parts)
    return re.fullmatch(regex, value, re.DOTALL) is not None


TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_number,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: timestamp(v) is not None,
}

COMPARISONS = frozenset(
    f"{kind}{op}{suffix}"
    for kind in ("String", "Numeric", "Boolean", "Timestamp")
    for op in _ORDER
    for suffix in ("", "Path")
    if kind != "Boolean" or op == "Equals"
) | {"StringMatches", "IsPresent", *TYPE_TESTS}


def evaluate(rule: dict[str, Any], data: Any, context: Any) -> bool:
    """Whether a choice rule (or a nested boolean expression) holds for ``data``."""
    if "And" in rule:
        return all(evaluate(sub, data, context) for sub in rule["And"])
    if "Or" in rule:
        return any(evaluate(sub, data, context) for sub in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], data, context)
    variable = rule["Variable"]
    operator_name = next(key for key in rule if key in COMPARISONS)
    expected = rule[operator_name]
    if operator_name == "IsPresent":
        try:
            select(variable, data, context)
        except PathError:
            return expected is False
        return expected is True
    value = select(variable, data, context)
    if operator_name in TYPE_TESTS:
        return TYPE_TESTS[operator_name](value) is bool(expected)
    if operator_name == "StringMatches":
        return _string_matches(value, expected)
    if operator_name.endswith("Path"):
        operator_name = operator_name[:-4]
        expected = select(expected, data, context)
    for kind in ("String", "Numeric", "Boolean", "Timestamp"):
        if operator_name.startswith(kind):
            left, right = _typed(kind, value), _typed(kind, expected)
            if left is None or right is None:
                return False
            return _ORDER[operator_name[len(kind) :]](left, right)
    return False
