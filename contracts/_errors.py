"""The errors a component raises and the gateway shows to users.

One root, two branches::

    FlowportError
    ├── ComponentConfigError          a component's YAML or metadata is wrong (start-up time)
    │   └── ComponentConfigErrors     several such mistakes, found at once
    └── WorkflowError                 an operation on an instance failed (request time)
        ├── InvalidRequestError       400  the request itself is wrong
        ├── InstanceNotFoundError     404  no instance with that ID
        ├── DefinitionNotFoundError   404  no workflow definition with that name
        ├── InstanceExistsError       409  start with an ID that is already in use
        ├── InvalidStateError         409  the instance is in the wrong state for the operation
        ├── NotSupportedError         501  the component does not offer this operation
        ├── BackendUnavailableError   503  the runtime cannot be reached
        └── BackendTimeoutError       504  the runtime did not answer in time

Components raise these and nothing else for expected failures; the gateway maps each class
to one HTTP status, one problem type and one Dapr error code (see ``gateway/problems.py``).
Any other exception escaping a component is a bug in that component and is answered as a
500 problem document without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence


class FlowportError(Exception):
    """The root of every error Flowport raises on purpose."""


class ComponentConfigError(FlowportError):
    """A component definition cannot be used.

    ``field`` names the offending field as a path (``spec.metadata.hostport``); the loader
    adds ``file`` and ``component`` when it knows them, so a user reads one line that says
    where to look and what is wrong.
    """

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        file: str | None = None,
        component: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.file = file
        self.component = component

    def located(self, *, file: str | None = None, component: str | None = None) -> ComponentConfigError:
        """A copy with the file and component filled in where they were not known yet."""
        return ComponentConfigError(
            self.reason,
            field=self.field,
            file=self.file or file,
            component=self.component or component,
        )

    def each(self) -> list[ComponentConfigError]:
        """The single mistakes this error stands for (itself, or each of a group)."""
        return [self]

    def __str__(self) -> str:
        where = [
            part
            for part in (
                self.file,
                f"component {self.component!r}" if self.component else None,
                f"field {self.field!r}" if self.field else None,
            )
            if part
        ]
        return f"{': '.join(where)}: {self.reason}" if where else self.reason


class ComponentConfigErrors(ComponentConfigError):
    """Several mistakes found in one pass (every problem of a directory of definitions)."""

    def __init__(self, errors: Sequence[ComponentConfigError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = list(errors)

    def located(self, *, file: str | None = None, component: str | None = None) -> ComponentConfigError:
        return ComponentConfigErrors([error.located(file=file, component=component) for error in self.errors])

    def each(self) -> list[ComponentConfigError]:
        return [single for error in self.errors for single in error.each()]

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class WorkflowError(FlowportError):
    """An operation on a workflow instance failed in a way the caller should be told about."""

    def __init__(self, message: str, *, instance_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.instance_id = instance_id


class InvalidRequestError(WorkflowError):
    """The request is malformed or names something the runtime rejects (unknown option...)."""


class InstanceNotFoundError(WorkflowError):
    """No instance with the given ID exists (or it was purged)."""


class DefinitionNotFoundError(WorkflowError):
    """No declarative workflow definition with the given name."""


class InstanceExistsError(WorkflowError):
    """A start named an instance ID that is already in use."""


class InvalidStateError(WorkflowError):
    """The instance's state forbids the operation (purge while running, resume when not suspended...)."""


class NotSupportedError(WorkflowError):
    """The component does not implement this operation (answered with 501)."""


class BackendUnavailableError(WorkflowError):
    """The runtime behind the component cannot be reached right now (answered with 503)."""


class BackendTimeoutError(WorkflowError):
    """The runtime did not answer within the component's timeout (answered with 504)."""
