"""Payload encoding: Python values to the JSON text stored in history, and back.

Values cross the store as JSON text, the way Dapr's SDK serialises them (``json.dumps`` with
default separators), so ``serialized_input`` reads the same as under Dapr. Dataclasses and
pydantic models encode as JSON objects. Decoding is driven by the annotation of the parameter
that receives the value: annotate ``order: Order`` and the activity gets an ``Order``; leave it
unannotated and it gets plain JSON values (dicts, lists...).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import inspect
import json
import uuid
from collections.abc import Callable
from typing import Any, get_type_hints

import pydantic


def _default(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "__dict__"):  # SimpleNamespace and plain objects, as Dapr's encoder does
        return vars(value)
    raise TypeError(f"cannot serialise a {type(value).__name__} as JSON")


#: ``json.dumps(value, default=_default)`` without building an encoder at every call
_ENCODER = json.JSONEncoder(default=_default)


def to_json(value: Any) -> str | None:
    """JSON text for ``value``; ``None`` stays absent (Dapr stores no payload for it)."""
    if value is None:
        return None
    return _ENCODER.encode(value)


#: validates decoded JSON into a parameter's annotation
Decoder = pydantic.TypeAdapter[Any]


def from_json(text: str | None, decoder: Decoder | None = None) -> Any:
    """Decode JSON text, validating it with ``decoder`` (from ``decoder_for``) when given."""
    if text is None or text == "":
        return None
    value = json.loads(text)
    if decoder is None or value is None:
        return value
    try:
        return decoder.validate_python(value)
    except pydantic.ValidationError:
        # Dapr's SDK does not validate payloads: a value that does not fit the annotation is
        # handed over as decoded JSON rather than failing the step.
        return value


@functools.lru_cache(maxsize=512)
def decoder_for(annotation: Any) -> Decoder | None:
    """The decoder into ``annotation``; ``None`` to leave values as plain JSON (no annotation, or
    ``Any``/``object``, or one pydantic cannot build a schema for)."""
    if annotation in (None, Any, object, inspect.Parameter.empty):
        return None
    try:
        return pydantic.TypeAdapter(annotation)
    except Exception:
        return None


@dataclasses.dataclass(frozen=True, slots=True)
class Signature:
    """How to call a workflow or activity function: with or without input, and how to decode
    its input and its output (built once, at registration)."""

    takes_input: bool
    input_decoder: Decoder | None
    output_decoder: Decoder | None


def signature_of(fn: Callable[..., Any]) -> Signature:
    """Read the parameters of ``fn(ctx[, input])`` once, at registration."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return Signature(True, None, None)
    positional = [
        p
        for p in params
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    takes_input = len(positional) >= 2 or varargs
    try:
        hints = get_type_hints(fn)
    except Exception:  # unresolvable forward references: fall back to plain JSON values
        hints = {}
    input_type = hints.get(positional[1].name) if len(positional) >= 2 else None
    output_type = hints.get("return")
    if output_type is type(None) or inspect.isgeneratorfunction(fn):
        output_type = None
    return Signature(takes_input, decoder_for(input_type), decoder_for(output_type))
