"""ASL intrinsic functions (``States.Format('{}', $.name)``...), parsed once and evaluated on data.

Randomness (``States.MathRandom``, ``States.UUID``) comes from the instance's seeded generator,
so a replay draws the same values. A failure is a ``States.IntrinsicFailure`` naming the call.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from builtin_engine.declarative._runtime import random_uuid
from builtin_engine.declarative.asl._errors import StatesError
from builtin_engine.declarative.asl._paths import select


class IntrinsicError(StatesError):
    def __init__(self, message: str, expression: str) -> None:
        super().__init__("States.IntrinsicFailure", message, expression=expression)


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class PathArg:
    path: str


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def fail(self, reason: str) -> IntrinsicError:
        return IntrinsicError(f"cannot parse the intrinsic function at offset {self.at}: {reason}", self.text)

    def skip(self) -> None:
        while self.at < len(self.text) and self.text[self.at] == " ":
            self.at += 1

    def call(self) -> Call:
        self.skip()
        start = self.at
        while self.at < len(self.text) and (self.text[self.at].isalnum() or self.text[self.at] == "."):
            self.at += 1
        name = self.text[start : self.at]
        if not name.startswith("States.") or self.text[self.at : self.at + 1] != "(":
            raise self.fail("expected States.<Function>(...)")
        self.at += 1
        args: list[Any] = []
        self.skip()
        if self.text[self.at : self.at + 1] == ")":
            self.at += 1
            return Call(name, ())
        while True:
            args.append(self.argument())
            self.skip()
            token = self.text[self.at : self.at + 1]
            self.at += 1
            if token == ")":
                return Call(name, tuple(args))
            if token != ",":
                raise self.fail("expected ',' or ')'")

    def argument(self) -> Any:
        self.skip()
        text = self.text
        if text.startswith("'", self.at):
            return Literal(self.string())
        if text.startswith("$", self.at):
            return PathArg(self.path())
        if text.startswith("States.", self.at):
            return self.call()
        start = self.at
        while self.at < len(text) and text[self.at] not in ",)":
            self.at += 1
        token = text[start : self.at].strip()
        try:
            return Literal(json.loads(token))
        except ValueError:
            raise self.fail(f"{token!r} is not a string, number, boolean, null, path or function") from None

    def string(self) -> str:
        self.at += 1
        out: list[str] = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and self.at + 1 < len(self.text):
                out.append(self.text[self.at + 1])
                self.at += 2
                continue
            self.at += 1
            if char == "'":
                return "".join(out)
            out.append(char)
        raise self.fail("unterminated string")

    def path(self) -> str:
        start = self.at
        depth = 0
        quote = False
        while self.at < len(self.text):
            char = self.text[self.at]
            if quote:
                quote = char != "'"
            elif char == "'":
                quote = True
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            self.at += 1
        return self.text[start : self.at].strip()


@functools.lru_cache(maxsize=2048)
def parse(text: str) -> Call:
    parser = _Parser(text.strip())
    call = parser.call()
    parser.skip()
    if parser.at != len(parser.text):
        raise parser.fail("unexpected text after the function")
    return call


def check(text: str) -> str | None:
    """Why ``text`` is not a valid intrinsic function call, or ``None``."""
    try:
        call = parse(text)
    except StatesError as exc:
        return exc.cause
    return _check_names(call)


def _check_names(call: Call) -> str | None:
    if call.name not in FUNCTIONS:
        return f"unknown intrinsic function {call.name}"
    for arg in call.args:
        if isinstance(arg, Call) and (reason := _check_names(arg)):
            return reason
    return None


def evaluate(text: str, data: Any, context: Any, rng: random.Random) -> Any:
    call = parse(text)
    try:
        return _evaluate(call, data, context, rng)
    except StatesError as exc:
        if exc.expression is None:
            exc.expression = text
        raise
    except (TypeError, ValueError, KeyError, IndexError, ArithmeticError) as exc:
        raise IntrinsicError(f"{call.name} failed: {exc}", text) from None


def _evaluate(call: Call, data: Any, context: Any, rng: random.Random) -> Any:
    args: list[Any] = []
    for arg in call.args:
        if isinstance(arg, Literal):
            args.append(arg.value)
        elif isinstance(arg, PathArg):
            args.append(select(arg.path, data, context))
        else:
            args.append(_evaluate(arg, data, context, rng))
    function = FUNCTIONS.get(call.name)
    if function is None:
        raise IntrinsicError(f"unknown intrinsic function {call.name}", call.name)
    return function(rng, *args)


def _format(rng: random.Random, template: str, *values: Any) -> str:
    parts = template.split("{}")
    if len(parts) - 1 != len(values):
        raise ValueError(f"the template has {len(parts) - 1} placeholder(s) for {len(values)} value(s)")
    out = parts[0]
    for value, part in zip(values, parts[1:], strict=True):
        out += (value if isinstance(value, str) else json.dumps(value)) + part
    return out


def _partition(rng: random.Random, items: list[Any], size: int) -> list[list[Any]]:
    if size <= 0:
        raise ValueError("the chunk size must be positive")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _range(rng: random.Random, start: int, end: int, step: int) -> list[int]:
    if step == 0:
        raise ValueError("the step must not be 0")
    values = list(range(int(start), int(end) + (1 if step > 0 else -1), int(step)))
    if len(values) > 1000:
        raise ValueError("States.ArrayRange makes at most 1000 items")
    return values


def _unique(rng: random.Random, items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _hash(rng: random.Random, data: Any, algorithm: str) -> str:
    names = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
    if algorithm not in names:
        raise ValueError(f"unknown hash algorithm {algorithm!r}; known: {', '.join(names)}")
    text = data if isinstance(data, str) else json.dumps(data)
    return hashlib.new(names[algorithm], text.encode()).hexdigest()


def _merge(rng: random.Random, left: dict[str, Any], right: dict[str, Any], deep: bool) -> dict[str, Any]:
    if deep:
        raise ValueError("deep merge is not supported (the third argument must be false)")
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise TypeError("States.JsonMerge merges two objects")
    return {**left, **right}


def _split(rng: random.Random, text: str, delimiters: str) -> list[str]:
    parts = [text]
    for delimiter in delimiters:
        parts = [piece for part in parts for piece in part.split(delimiter)]
    return [part for part in parts if part]


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise TypeError(f"{value!r} is not an integer")
    return int(value)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "States.Format": _format,
    "States.StringToJson": lambda rng, text: json.loads(text),
    "States.JsonToString": lambda rng, value: json.dumps(value, separators=(",", ":")),
    "States.Array": lambda rng, *values: list(values),
    "States.ArrayPartition": lambda rng, items, size: _partition(rng, items, _integer(size)),
    "States.ArrayContains": lambda rng, items, value: value in items,
    "States.ArrayRange": lambda rng, start, end, step: _range(
        rng, _integer(start), _integer(end), _integer(step)
    ),
    "States.ArrayGetItem": lambda rng, items, index: items[_integer(index)],
    "States.ArrayLength": lambda rng, items: len(items),
    "States.ArrayUnique": _unique,
    "States.Base64Encode": lambda rng, text: base64.b64encode(text.encode()).decode(),
    "States.Base64Decode": lambda rng, text: base64.b64decode(text.encode(), validate=True).decode(),
    "States.Hash": _hash,
    "States.JsonMerge": _merge,
    "States.MathRandom": lambda rng, start, end, seed=None: (
        random.Random(seed) if seed is not None else rng
    ).randrange(_integer(start), _integer(end)),
    "States.MathAdd": lambda rng, left, right: _integer(left) + _integer(right),
    "States.StringSplit": _split,
    "States.UUID": lambda rng: random_uuid(rng),
}
