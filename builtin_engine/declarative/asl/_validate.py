"""Load-time checks of an ASL state machine, its Task resources, and its graph.

The published schema (``asl.schema.json``, from the AWS Step Functions language service, MIT)
checks the shape; the rules here are those a schema cannot say: every ``Next`` exists, every
state is reachable, names are unique, paths and intrinsic functions parse, ``States.ALL`` comes
last, and each Task's resource is one Flowport can run.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jsonschema

from builtin_engine.declarative._loading import Edge, Graph, Node, Problem
from builtin_engine.declarative._schema import schema_problems
from builtin_engine.declarative.asl import _intrinsics
from builtin_engine.declarative.asl._choice import COMPARISONS
from builtin_engine.declarative.asl._paths import check_path, check_reference_path

HTTP_INVOKE = "arn:aws:states:::http:invoke"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
WAIT_FOR_TOKEN = ".waitForTaskToken"
START, END = "__start__", "__end__"


@dataclass(frozen=True, slots=True)
class Resource:
    """What a Task's ``Resource`` runs: an activity, an HTTP call, or a Lambda-style invoke."""

    kind: Literal["activity", "http", "lambda"]
    activity: str | None = None
    wait_for_token: bool = False


def resource_of(text: str) -> Resource | str:
    """The resource ``text`` names, or why Flowport cannot run it."""
    wait = text.endswith(WAIT_FOR_TOKEN)
    base = text[: -len(WAIT_FOR_TOKEN)] if wait else text
    if base == HTTP_INVOKE:
        return Resource("http", None, wait)
    if base == LAMBDA_INVOKE:
        return Resource("lambda", None, wait)
    if base.endswith(".sync"):
        return "'.sync' integrations (run a job and wait for it) are not supported"
    if base.startswith("arn:aws:states:::"):
        service = base[len("arn:aws:states:::") :]
        return (
            f"the AWS service integration {service!r} is not supported; Flowport runs activities "
            f"(by name or ARN), {HTTP_INVOKE} and {LAMBDA_INVOKE} (an activity named by FunctionName)"
        )
    return Resource("activity", activity_name(base), wait)


def activity_name(reference: str) -> str:
    """An activity by name, or the name in an ARN (``...:activity:NAME``, ``...:function:NAME``)."""
    if not reference.startswith("arn:"):
        return reference
    parts = reference.split(":")
    for marker in ("activity", "function"):
        if marker in parts[:-1]:
            return parts[parts.index(marker) + 1]
    return parts[-1]


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads((Path(__file__).parent / "asl.schema.json").read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


@dataclass(slots=True)
class Checked:
    problems: list[Problem]
    activities: dict[str, str]
    graph: Graph


def check(document: Any, file: str) -> Checked:
    """Every problem of the state machine ``document``, the activities it calls, and its graph."""
    problems = schema_problems(_validator(), document, file)
    activities: dict[str, str] = {}
    nodes: list[Node] = [Node(START, "Start", "start"), Node(END, "End", "end")]
    edges: list[Edge] = []
    if problems or not isinstance(document, dict):
        return Checked(problems, activities, Graph(tuple(nodes), tuple(edges)))
    rules = _Rules(file, problems, activities, nodes, edges)
    if document.get("QueryLanguage") == "JSONata":
        rules.add("QueryLanguage", "query-language", "JSONata is not supported; use JSONPath")
    rules.scope(document, "", None, START, END)
    return Checked(problems, activities, Graph(tuple(nodes), tuple(edges)))


class _Rules:
    def __init__(
        self,
        file: str,
        problems: list[Problem],
        activities: dict[str, str],
        nodes: list[Node],
        edges: list[Edge],
    ) -> None:
        self.file = file
        self.problems = problems
        self.activities = activities
        self.nodes = nodes
        self.edges = edges
        self.names: dict[str, str] = {}

    def add(self, path: str, rule: str, message: str) -> None:
        self.problems.append(Problem(self.file, path, rule, message))

    def scope(self, machine: dict[str, Any], prefix: str, parent: str | None, entry: str, exit: str) -> None:
        states: dict[str, Any] = machine["States"]
        start = machine["StartAt"]
        where = f"{prefix}StartAt" if prefix else "StartAt"
        if start not in states:
            self.add(where, "start-exists", f"StartAt names {start!r}, which is not a state here")
        else:
            self.edges.append(Edge(entry, start, "start"))
        targets: dict[str, list[str]] = {}
        for name, state in states.items():
            path = f"{prefix}States.{name}"
            if name in self.names:
                self.add(path, "unique-names", f"the state name {name!r} is also used at {self.names[name]}")
            self.names[name] = path
            self.nodes.append(Node(name, name, state["Type"], parent))
            targets[name] = list(self.state(name, state, path, states, exit))
        reachable: set[str] = set()
        pending = [start] if start in states else []
        while pending:
            name = pending.pop()
            if name not in reachable:
                reachable.add(name)
                pending.extend(t for t in targets.get(name, []) if t in states)
        for name in states:
            if name not in reachable:
                self.add(
                    f"{prefix}States.{name}", "reachable", f"state {name!r} cannot be reached from StartAt"
                )

    def state(
        self, name: str, state: dict[str, Any], path: str, states: dict[str, Any], exit: str
    ) -> Iterator[str]:
        kind = state["Type"]

        def goto(target: Any, field: str, label: str) -> Iterator[str]:
            if target not in states:
                self.add(
                    f"{path}.{field}", "next-exists", f"{field} names {target!r}, which is not a state here"
                )
                return
            self.edges.append(Edge(name, target, label))
            yield target

        if "Next" in state:
            yield from goto(state["Next"], "Next", "next")
        if state.get("End") is True or kind in ("Succeed", "Fail"):
            self.edges.append(Edge(name, exit, "end"))
        for index, choice in enumerate(state.get("Choices", [])):
            yield from goto(choice.get("Next"), f"Choices[{index}].Next", f"choice {index}")
            self.rule(choice, f"{path}.Choices[{index}]")
        if "Default" in state:
            yield from goto(state["Default"], "Default", "default")
        for index, catcher in enumerate(state.get("Catch", [])):
            label = "catch " + ", ".join(catcher.get("ErrorEquals", []))
            yield from goto(catcher.get("Next"), f"Catch[{index}].Next", label)
        self.errors(state, path)
        self.paths(state, path)
        if kind == "Task":
            self.resource(state, path)
        for index, branch in enumerate(state.get("Branches", [])):
            self.scope(branch, f"{path}.Branches[{index}].", name, name, name)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if isinstance(processor, dict):
            field = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
            mode = (processor.get("ProcessorConfig") or {}).get("Mode", "INLINE")
            if mode != "INLINE":
                self.add(
                    f"{path}.{field}.ProcessorConfig.Mode", "map-mode", "only INLINE Map states are supported"
                )
            self.scope(processor, f"{path}.{field}.", name, name, name)
        for field in ("ItemReader", "ResultWriter", "ItemBatcher"):
            if field in state:
                self.add(f"{path}.{field}", "map-mode", f"{field} (distributed Map) is not supported")

    def errors(self, state: dict[str, Any], path: str) -> None:
        for field in ("Retry", "Catch"):
            entries = state.get(field, [])
            for index, entry in enumerate(entries):
                names = entry.get("ErrorEquals", [])
                if "States.ALL" in names and (len(names) > 1 or index != len(entries) - 1):
                    self.add(
                        f"{path}.{field}[{index}].ErrorEquals",
                        "states-all-last",
                        "States.ALL must be alone in the last retrier or catcher",
                    )

    def paths(self, state: dict[str, Any], path: str) -> None:
        for field in ("InputPath", "OutputPath", "ItemsPath", "SecondsPath", "TimestampPath"):
            value = state.get(field)
            if isinstance(value, str) and (reason := check_path(value)):
                self.add(f"{path}.{field}", "path", reason)
        result_path = state.get("ResultPath")
        if isinstance(result_path, str) and (reason := check_reference_path(result_path)):
            self.add(f"{path}.ResultPath", "reference-path", reason)
        for catcher_index, catcher in enumerate(state.get("Catch", [])):
            value = catcher.get("ResultPath")
            if isinstance(value, str) and (reason := check_reference_path(value)):
                self.add(f"{path}.Catch[{catcher_index}].ResultPath", "reference-path", reason)
        for field in ("Parameters", "ResultSelector", "ItemSelector"):
            if field in state:
                self.template(state[field], f"{path}.{field}")

    def template(self, template: Any, path: str) -> None:
        if isinstance(template, dict):
            for key, value in template.items():
                if key.endswith(".$") and isinstance(value, str):
                    reason = check_path(value) if value.startswith("$") else _intrinsics.check(value)
                    if reason:
                        self.add(f"{path}.{key}", "path" if value.startswith("$") else "intrinsic", reason)
                else:
                    self.template(value, f"{path}.{key}")
        elif isinstance(template, list):
            for index, item in enumerate(template):
                self.template(item, f"{path}[{index}]")

    def rule(self, rule: dict[str, Any], path: str) -> None:
        for key in ("And", "Or"):
            for index, sub in enumerate(rule.get(key, [])):
                self.rule(sub, f"{path}.{key}[{index}]")
        if isinstance(rule.get("Not"), dict):
            self.rule(rule["Not"], f"{path}.Not")
        if any(key in rule for key in ("And", "Or", "Not")):
            return
        variable = rule.get("Variable")
        if not isinstance(variable, str) or (reason := check_path(variable)):
            self.add(f"{path}.Variable", "path", "a choice rule needs a Variable path")
            return
        operators = [key for key in rule if key in COMPARISONS]
        if len(operators) != 1:
            self.add(path, "choice-operator", "a choice rule needs exactly one comparison operator")
        elif operators[0].endswith("Path") and (reason := check_path(str(rule[operators[0]]))):
            self.add(f"{path}.{operators[0]}", "path", reason)

    def resource(self, state: dict[str, Any], path: str) -> None:
        resource = resource_of(state["Resource"])
        if isinstance(resource, str):
            self.add(f"{path}.Resource", "resource", f"{state['Resource']!r}: {resource}")
            return
        if resource.activity is not None:
            self.activities.setdefault(resource.activity, f"{path}.Resource")
        if resource.kind == "lambda":
            parameters = state.get("Parameters") or {}
            function = parameters.get("FunctionName")
            if isinstance(function, str):
                self.activities.setdefault(activity_name(function), f"{path}.Parameters.FunctionName")
            elif "FunctionName.$" not in parameters:
                self.add(
                    f"{path}.Parameters", "lambda-function", f"{LAMBDA_INVOKE} needs Parameters.FunctionName"
                )
        if resource.kind == "http":
            parameters = state.get("Parameters") or {}
            for field in ("ApiEndpoint", "Method"):
                if field not in parameters and f"{field}.$" not in parameters:
                    self.add(
                        f"{path}.Parameters", "http-parameters", f"{HTTP_INVOKE} needs Parameters.{field}"
                    )
