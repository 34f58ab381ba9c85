"""The schemas a Serverless Workflow document gives its data: ``input.schema``,
``output.schema`` and ``export.schema``, of the workflow and of each task.

A schema is inline (``schema: {format: json, document: {...}}``), a JSON Schema (draft 2020-12
unless its ``$schema`` says otherwise). ``check`` reports at load a schema that is not valid or
not inline (Flowport fetches no external ``resource``); ``DataSchemas.validate`` checks a value
at run time, where the specification says: the input before ``input.from``, the output after
``output.as``, the context after ``export.as``. A value that does not match is the
specification's ``validation`` error (status 400), naming the schema and what did not match,
which a ``try`` can catch like any other error.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import jsonschema.exceptions
import jsonschema.protocols

from builtin_engine.declarative._loading import json_path
from builtin_engine.declarative.serverless._errors import WorkflowError, error_type

#: the places that may hold a data schema, in a workflow document and in a task
HOLDERS = ("input", "output", "export")


def problems_of(holder: Any) -> str | None:
    """Why the ``schema`` of ``holder`` (an ``input``/``output``/``export`` object) cannot be
    used, or ``None`` when it can (or there is none)."""
    schema = holder.get("schema") if isinstance(holder, dict) else None
    if schema is None:
        return None
    if "document" not in schema:
        return "Flowport validates inline schemas only (schema.document), not a schema resource"
    if schema.get("format", "json") != "json":
        return f"schema format {schema['format']!r} is not supported (json is)"
    try:
        _validator_class(schema["document"]).check_schema(schema["document"])
    except jsonschema.exceptions.SchemaError as exc:
        return f"not a valid JSON Schema: {exc.message}"
    return None


class DataSchemas:
    """The validators of one document's schemas, built once each."""

    def __init__(self) -> None:
        self._validators: dict[int, jsonschema.protocols.Validator] = {}

    def validate(self, holder: Any, value: Any, what: str, path: str) -> None:
        """Raise the ``validation`` error when ``value`` does not match ``holder``'s schema;
        ``what`` ("input", "output", "exported context") and ``path`` (the schema's place in
        the document) name it."""
        schema = holder.get("schema") if isinstance(holder, dict) else None
        if schema is None:
            return
        document = schema["document"]
        validator = self._validators.get(id(document))
        if validator is None:
            validator = self._validators[id(document)] = _validator_class(document)(document)
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
        if error is not None:
            parts = list(error.absolute_path)
            at = f" (at {json_path(parts)})" if parts else ""
            raise WorkflowError(
                error_type("validation"),
                400,
                f"Invalid {what}",
                f"the {what} does not match the schema at {path}: {error.message}{at}",
            )


def _validator_class(document: Any) -> type[jsonschema.protocols.Validator]:
    return jsonschema.validators.validator_for(document, default=jsonschema.Draft202012Validator)
