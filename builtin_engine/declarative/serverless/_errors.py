"""Serverless Workflow errors: RFC 7807 problem details (type, status, title, detail, instance)."""

from __future__ import annotations

from typing import Any

ERRORS = "https://serverlessworkflow.io/spec/1.0.0/errors/"


def error_type(kind: str) -> str:
    """A standard error type: ``expression``, ``timeout``, ``communication``, ``runtime``..."""
    return ERRORS + kind


class WorkflowError(Exception):
    """An error raised by a task, caught by ``try`` or faulting the workflow."""

    def __init__(
        self,
        type: str,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        instance: str | None = None,
        expression: str | None = None,
    ) -> None:
        super().__init__(detail or title or type)
        self.type = type
        self.status = status
        self.title = title
        self.detail = detail
        self.instance = instance
        self.expression = expression
        self.task_input: Any = None

    def as_json(self) -> dict[str, Any]:
        """The error as the ``catch.as`` variable and filters see it."""
        fields = {"type": self.type, "status": self.status, "title": self.title, "detail": self.detail}
        return {
            key: value for key, value in {**fields, "instance": self.instance}.items() if value is not None
        }


class EndWorkflow(Exception):
    """The ``end`` flow directive: the workflow ends gracefully with ``output``."""

    def __init__(self, output: Any) -> None:
        super().__init__("end")
        self.output = output
