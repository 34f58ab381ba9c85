"""What both interpreters share: how a definition becomes a workflow on the engine.

Each definition is registered as a workflow named after it. The workflow's first step is the
activity ``flowport.definition``, which returns the definition document and its hash: the result
is recorded in the instance's history, so replay (after a restart, even with a changed file)
runs the document the instance started with. Every side effect then goes through an activity or
a timer of the public authoring API, so an interpreted instance survives a crash like a code
workflow.

An activity a state or task calls is scheduled under an alias, ``<activity>@<state>``, that runs
the registered function: the instance's history thereby names the state that issued each call.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import random
import uuid
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any, Protocol

import httpx
import pydantic_core

import builtin_engine as wf
from builtin_engine.declarative._loading import Definition, document_digest

DEFINITION_ACTIVITY = "flowport.definition"
HTTP_ACTIVITY = "flowport.http"
EMIT_ACTIVITY = "flowport.emit"
ALIAS_SEPARATOR = "@"


class Program(Protocol):
    """A compiled definition: runs one instance."""

    def run(self, ctx: wf.DaprWorkflowContext, value: Any) -> Generator[wf.Task[Any], Any, Any]: ...


Compiler = Callable[[str, dict[str, Any], "Activities"], Program]


def plain(value: Any) -> Any:
    """A JSON value for whatever an activity returned (dataclasses, models, datetimes...)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return pydantic_core.to_jsonable_python(value)


def failure(error_type: str, message: str, details: str | None = None) -> wf.TaskFailedError:
    """An exception that fails the workflow with ``error_type``, ``message`` and ``details``.

    The engine reports a ``TaskFailedError`` with its own details; its type name becomes the
    failure's ``error_type``, so the class is named after the error (``States.Timeout``...).
    """
    return _failure_class(error_type)(message, wf.FailureDetails(message, error_type, details))


@functools.lru_cache(maxsize=256)
def _failure_class(error_type: str) -> type[wf.TaskFailedError]:
    return type(error_type, (wf.TaskFailedError,), {"__module__": __name__})


def describe(state: str, expression: str | None, value: Any) -> str:
    """Failure details of a runtime error: the state, the expression and its input."""
    lines = [f"state: {state}"]
    if expression is not None:
        lines.append(f"expression: {expression}")
    text = json.dumps(value, default=str)
    lines.append(f"input: {text if len(text) <= 2000 else text[:2000] + '...'}")
    return "\n".join(lines)


def seeded_random(ctx: wf.DaprWorkflowContext) -> random.Random:
    """Randomness that replays identically: seeded by the instance ID, drawn in a fixed order."""
    seed = hashlib.sha256(ctx.instance_id.encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def random_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Activities:
    """The registry's activities as a definition calls them (by name, under per-state aliases)."""

    def __init__(self, registry: wf.Registry) -> None:
        self._registry = registry
        self._aliases: dict[str, Callable[..., Any]] = {}

    def known(self, name: str) -> bool:
        return name in self._registry.activities

    def alias(self, activity: str, state: str) -> str:
        """The name to schedule ``activity`` under so that history shows ``state``."""
        name = f"{activity}{ALIAS_SEPARATOR}{state}"
        if name in self._aliases:
            return name
        entry = self._registry.activities.get(activity)
        if entry is None:
            return activity  # the engine reports the unknown activity as the task's failure
        wrapper = _forwarder(entry.fn)
        self._aliases[name] = wrapper
        self._registry.add_activity(wrapper, name)
        return name


def _forwarder(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A function that calls ``fn`` and reads as ``fn`` (signature, annotations, async-ness).

    Registering ``fn`` itself under a second name would rename it for callers that pass the
    function (the registry records the name on it), so aliases register a forwarder.
    """
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def forward_async(*args: Any) -> Any:
            return await fn(*args)

        return forward_async

    @functools.wraps(fn)
    def forward(*args: Any) -> Any:
        return fn(*args)

    return forward


def split_alias(name: str | None) -> tuple[str | None, str | None]:
    """``(activity, state)`` of a scheduled name; ``state`` is ``None`` for a plain activity."""
    if not name or ALIAS_SEPARATOR not in name:
        return name, None
    activity, _, state = name.partition(ALIAS_SEPARATOR)
    return activity, state


def install(
    registry: wf.Registry,
    definitions: Iterable[Definition],
    compilers: Mapping[str, Compiler],
) -> None:
    """Register each definition as a workflow, and the activities the interpreters use."""
    table = {definition.name: definition for definition in definitions}
    digests = {name: document_digest(definition.document) for name, definition in table.items()}
    activities = Activities(registry)
    programs: dict[str, Program] = {}

    def definition_document(ctx: wf.WorkflowActivityContext, name: str) -> dict[str, Any]:
        definition = table.get(name)
        if definition is None:
            raise wf.NonRetryableError(f"no definition named {name!r} is deployed")
        return {"language": definition.language, "hash": digests[name], "document": definition.document}

    def program_of(name: str, loaded: dict[str, Any]) -> Program:
        key = f"{name}:{loaded['hash']}"
        program = programs.get(key)
        if program is None:
            program = compilers[loaded["language"]](name, loaded["document"], activities)
            programs[key] = program
        return program

    def workflow_for(name: str) -> Callable[..., Any]:
        def interpret(ctx: wf.DaprWorkflowContext, value: Any = None) -> Generator[wf.Task[Any], Any, Any]:
            loaded = yield ctx.call_activity(DEFINITION_ACTIVITY, input=name)
            return (yield from program_of(name, loaded).run(ctx, value))

        interpret.__name__ = name
        return interpret

    if DEFINITION_ACTIVITY not in registry.activities:
        registry.add_activity(definition_document, DEFINITION_ACTIVITY)
    if HTTP_ACTIVITY not in registry.activities:
        registry.add_activity(http_call, HTTP_ACTIVITY)
    if EMIT_ACTIVITY not in registry.activities:
        registry.add_activity(emitted, EMIT_ACTIVITY)
    for name in table:
        registry.add_workflow(workflow_for(name), name)


def emitted(ctx: wf.WorkflowActivityContext, event: Any) -> Any:
    """``emit``: Flowport has no event broker; the event is recorded in the instance's history."""
    return event


async def http_call(ctx: wf.WorkflowActivityContext, request: dict[str, Any]) -> dict[str, Any]:
    """One HTTP request, made by an activity: ``method``, ``url``, ``headers``, ``query``, ``body``.

    Returns the status, headers and body (decoded from JSON when it is JSON). The status is not
    judged here: the interpreter decides what a 4xx or 5xx means, deterministically.
    """
    body = request.get("body")
    async with httpx.AsyncClient(timeout=request.get("timeout", 30.0)) as client:
        response = await client.request(
            str(request.get("method", "GET")).upper(),
            request["url"],
            headers={k: str(v) for k, v in (request.get("headers") or {}).items()},
            params={k: str(v) for k, v in (request.get("query") or {}).items()},
            json=body if body is not None and not isinstance(body, str) else None,
            content=body if isinstance(body, str) else None,
        )
    try:
        content: Any = response.json()
    except ValueError:
        content = response.text
    return {
        "status": response.status_code,
        "reason": response.reason_phrase,
        "headers": dict(response.headers),
        "body": content,
    }
