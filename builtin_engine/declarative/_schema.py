"""Validating a document against its specification's published JSON schema, as readable problems.

A ``oneOf`` over state or task kinds fails as a whole with an unhelpful message; we descend into
the branch meant for the node (the one whose discriminator matched) and report its own errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import jsonschema.exceptions

from builtin_engine.declarative._loading import Problem, json_path

_DISCRIMINATING = frozenset({"enum", "const", "required", "unevaluatedProperties", "additionalProperties"})


def schema_problems(validator: jsonschema.protocols.Validator, document: Any, file: str) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    problems: list[Problem] = []
    for error in validator.iter_errors(document):
        for leaf in _leaves(error):
            path = json_path(list(leaf.absolute_path))
            if (path, leaf.message) in seen:
                continue
            seen.add((path, leaf.message))
            problems.append(Problem(file, path, f"schema: {leaf.validator}", _message(leaf)))
    problems.sort(key=lambda p: p.path)
    return problems


def _leaves(error: jsonschema.exceptions.ValidationError) -> Iterator[jsonschema.exceptions.ValidationError]:
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield error
        return
    branches: dict[Any, list[jsonschema.exceptions.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
    depth = len(error.absolute_path)

    def score(errors: list[jsonschema.exceptions.ValidationError]) -> tuple[int, int]:
        # A branch that fails on the node's own kind (its Type, its task keyword) is meant for
        # another kind of node: prefer the branch whose errors lie deeper.
        shallow = sum(
            1 for e in errors if e.validator in _DISCRIMINATING and len(e.absolute_path) <= depth + 1
        )
        return shallow, len(errors)

    best = min(branches.values(), key=score)
    for sub in best:
        yield from _leaves(sub)


def _message(error: jsonschema.exceptions.ValidationError) -> str:
    message = str(error.message)
    return message if len(message) <= 300 else message[:297] + "..."
