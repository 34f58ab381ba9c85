"""Load-time checks of a Serverless Workflow document, the activities it calls, and its graph.

The published schema (``workflow.schema.yaml``, from serverlessworkflow/specification, Apache
2.0) checks the shape; the rules here are those a schema cannot say, and what Flowport can
run: flow directives name a task of their own list, expressions compile, referenced errors,
retries and timeouts are defined under ``use``, and ``run`` starts workflows only (container,
shell and script processes are refused).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from builtin_engine.declarative._loading import Edge, Graph, Node, Problem
from builtin_engine.declarative._schema import schema_problems
from builtin_engine.declarative.serverless import _expressions
from builtin_engine.declarative.serverless._data_schemas import HOLDERS, problems_of

START, END = "__start__", "__end__"
TASK_KINDS = ("for", "call", "do", "emit", "fork", "listen", "raise", "run", "set", "switch", "try", "wait")
DIRECTIVES = ("continue", "exit", "end")


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = yaml.safe_load((Path(__file__).parent / "workflow.schema.yaml").read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


def kind_of(task: dict[str, Any]) -> str:
    """The task's kind (``for`` first: a for task also has ``do``)."""
    return next((kind for kind in TASK_KINDS if kind in task), "unknown")


def entries(tasks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(name, task)`` of a task list (each item a one-key mapping)."""
    for item in tasks:
        yield from item.items()


@dataclass(slots=True)
class Checked:
    problems: list[Problem]
    activities: dict[str, str] = field(default_factory=dict)
    graph: Graph = field(default_factory=Graph)


def check(document: Any, file: str) -> Checked:
    problems = schema_problems(_validator(), document, file)
    if problems:
        return Checked(problems)
    rules = _Rules(file, document)
    rules.tasks(document["do"], "/do", None, START, END)
    for field_name in ("input", "output"):
        rules.expressions(document.get(field_name), f"/{field_name}")
    rules.data_schemas(document, "")
    return Checked(rules.problems, rules.activities, Graph(tuple(rules.nodes), tuple(rules.edges)))


class _Rules:
    def __init__(self, file: str, document: dict[str, Any]) -> None:
        self.file = file
        self.use = document.get("use") or {}
        self.problems: list[Problem] = []
        self.activities: dict[str, str] = {}
        self.nodes: list[Node] = [Node(START, "Start", "start"), Node(END, "End", "end")]
        self.edges: list[Edge] = []
        self.scopes: dict[str, list[str]] = {}
        #: the variables ``for`` and ``catch`` put in scope of the tasks being checked
        self.variables: tuple[str, ...] = ()

    def add(self, path: str, rule: str, message: str) -> None:
        self.problems.append(Problem(self.file, path, rule, message))

    def tasks(
        self, tasks: list[dict[str, Any]], path: str, parent: str | None, entry: str, exit: str
    ) -> None:
        named = list(entries(tasks))
        names = [name for name, _ in named]
        self.scopes[path] = names
        if named:
            self.edges.append(Edge(entry, f"{path}/0/{names[0]}", "start"))
        for index, (name, task) in enumerate(named):
            reference = f"{path}/{index}/{name}"
            self.nodes.append(Node(reference, name, kind_of(task), parent))
            then = task.get("then", "continue")
            following = f"{path}/{index + 1}/{names[index + 1]}" if index + 1 < len(names) else exit
            if then == "continue":
                self.edges.append(Edge(reference, following, "next"))
            elif then in ("exit", "end"):
                self.edges.append(Edge(reference, exit if then == "exit" else END, then))
            elif then in names:
                self.edges.append(Edge(reference, f"{path}/{names.index(then)}/{then}", "then"))
            else:
                self.add(
                    f"{reference}/then",
                    "then-exists",
                    f"then names {then!r}, which is not a task of this list",
                )
            self.task(task, reference, following)

    def task(self, task: dict[str, Any], reference: str, following: str) -> None:
        kind = kind_of(task)
        for key in ("if",):
            if key in task:
                self.expression(task[key], f"{reference}/{key}", condition=True)
        for key in ("input", "output", "export"):
            self.expressions(task.get(key), f"{reference}/{key}")
        self.data_schemas(task, reference)
        timeout = task.get("timeout")
        if isinstance(timeout, str) and timeout not in (self.use.get("timeouts") or {}):
            self.add(
                f"{reference}/timeout",
                "timeout-defined",
                f"timeout {timeout!r} is not defined in use.timeouts",
            )
        getattr(self, f"task_{kind}", lambda task, reference, following: None)(task, reference, following)

    def data_schemas(self, holder: dict[str, Any], reference: str) -> None:
        for key in HOLDERS:
            why = problems_of(holder.get(key))
            if why is not None:
                self.add(f"{reference}/{key}/schema", "data-schema", why)

    def task_call(self, task: dict[str, Any], reference: str, following: str) -> None:
        call = task["call"]
        self.expressions(task.get("with"), f"{reference}/with")
        if call == "http":
            return
        if call in ("grpc", "openapi", "asyncapi", "a2a", "mcp"):
            self.add(
                f"{reference}/call",
                "call-supported",
                f"call: {call} is not supported (http and activities are)",
            )
            return
        functions = self.use.get("functions") or {}
        if call in functions:
            function = functions[call]
            if isinstance(function, dict) and function.get("call") not in (None, "http"):
                self.task_call(function, f"/use/functions/{call}", following)
            return
        if "@" in call or ":" in call:
            self.add(f"{reference}/call", "call-supported", f"catalog function {call!r} is not supported")
            return
        self.activities.setdefault(call, f"{reference}/call")

    def task_do(self, task: dict[str, Any], reference: str, following: str) -> None:
        self.tasks(task["do"], f"{reference}/do", reference, reference, following)

    def task_for(self, task: dict[str, Any], reference: str, following: str) -> None:
        loop = task["for"]
        variables = (loop.get("each", "item"), loop.get("at", "index"))
        self.expression(loop["in"], f"{reference}/for/in", extra=variables)
        if "while" in task:
            self.expression(task["while"], f"{reference}/while", condition=True, extra=variables)
        outer, self.variables = self.variables, (*self.variables, *variables)
        self.tasks(task["do"], f"{reference}/do", reference, reference, reference)
        self.variables = outer

    def task_fork(self, task: dict[str, Any], reference: str, following: str) -> None:
        for index, (name, branch) in enumerate(entries(task["fork"]["branches"])):
            branch_reference = f"{reference}/fork/branches/{index}/{name}"
            self.nodes.append(Node(branch_reference, name, kind_of(branch), reference))
            self.edges.append(Edge(reference, branch_reference, "branch"))
            self.task(branch, branch_reference, reference)

    def task_try(self, task: dict[str, Any], reference: str, following: str) -> None:
        self.tasks(task["try"], f"{reference}/try", reference, reference, following)
        catch = task.get("catch") or {}
        variable = catch.get("as", "error")
        for key in ("when", "exceptWhen"):
            if key in catch:
                self.expression(catch[key], f"{reference}/catch/{key}", condition=True, extra=(variable,))
        retry = catch.get("retry")
        if isinstance(retry, str) and retry not in (self.use.get("retries") or {}):
            self.add(
                f"{reference}/catch/retry", "retry-defined", f"retry {retry!r} is not defined in use.retries"
            )
        if "do" in catch:
            outer, self.variables = self.variables, (*self.variables, variable)
            self.tasks(catch["do"], f"{reference}/catch/do", reference, reference, following)
            self.variables = outer

    def task_switch(self, task: dict[str, Any], reference: str, following: str) -> None:
        siblings = reference.rsplit("/", 2)[0]
        for index, (name, case) in enumerate(entries(task["switch"])):
            if "when" in case:
                self.expression(case["when"], f"{reference}/switch/{index}/{name}/when", condition=True)
            then = case.get("then", "continue")
            names = self.scopes.get(siblings, [])
            if then in names:
                self.edges.append(Edge(reference, f"{siblings}/{names.index(then)}/{then}", f"case {name}"))
            elif then not in DIRECTIVES:
                where = f"{reference}/switch/{index}/{name}/then"
                self.add(where, "then-exists", f"then names {then!r}, which is not a task of this list")

    def task_raise(self, task: dict[str, Any], reference: str, following: str) -> None:
        error = task["raise"]["error"]
        if isinstance(error, str) and error not in (self.use.get("errors") or {}):
            self.add(
                f"{reference}/raise/error", "error-defined", f"error {error!r} is not defined in use.errors"
            )

    def task_run(self, task: dict[str, Any], reference: str, following: str) -> None:
        process = task["run"]
        for kind in ("container", "shell", "script"):
            if kind in process:
                self.add(
                    f"{reference}/run/{kind}",
                    "run-supported",
                    f"run: {kind} is not supported: Flowport runs no processes; "
                    "use run: workflow or call an activity",
                )

    def task_listen(self, task: dict[str, Any], reference: str, following: str) -> None:
        listen = task["listen"]
        target = listen["to"]
        if "until" in target or "foreach" in listen:
            self.add(f"{reference}/listen", "listen-supported", "listen: until and foreach are not supported")
        filters = [target["one"]] if "one" in target else target.get("any") or target.get("all") or []
        if not filters:
            self.add(f"{reference}/listen/to", "listen-supported", "listen needs events named by with.type")
        for index, event in enumerate(filters):
            if not isinstance((event.get("with") or {}).get("type"), str):
                where = f"{reference}/listen/to/{index}/with/type"
                self.add(where, "listen-supported", "each event filter needs with.type (the event name)")

    def task_set(self, task: dict[str, Any], reference: str, following: str) -> None:
        self.expressions(task["set"], f"{reference}/set")

    def expressions(self, value: Any, path: str) -> None:
        if isinstance(value, str):
            if _expressions.is_expression(value):
                self.expression(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key != "schema":
                    self.expressions(item, f"{path}/{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.expressions(item, f"{path}/{index}")

    def expression(
        self, value: Any, path: str, *, condition: bool = False, extra: tuple[str, ...] = ()
    ) -> None:
        if isinstance(value, bool) and condition:
            return
        if not isinstance(value, str):
            return
        text = value if _expressions.is_expression(value) else "${" + value + "}"
        reason = _expressions.check(text, (*extra, *self.variables))
        if reason:
            self.add(path, "expression", reason.splitlines()[0])
