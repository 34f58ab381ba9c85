"""Running a Serverless Workflow document as a workflow on the built-in engine.

Like the ASL interpreter, this is workflow code over the public authoring API only: ``call``
schedules an activity (a registered one, or ``flowport.http``), ``wait`` and retries use durable
timers, ``listen`` waits for events raised on the instance (the event name is the filter's
``with.type``), ``run: workflow`` starts a child workflow, ``emit`` records the event through the
``flowport.emit`` activity, and ``fork``/``for`` branches run inside the one workflow.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Generator
from datetime import UTC, timedelta
from typing import Any

import builtin_engine as wf
from builtin_engine.declarative._runtime import (
    EMIT_ACTIVITY,
    HTTP_ACTIVITY,
    Activities,
    describe,
    failure,
    plain,
    seeded_random,
)
from builtin_engine.declarative._threads import gather
from builtin_engine.declarative.serverless._data_schemas import DataSchemas
from builtin_engine.declarative.serverless._errors import EndWorkflow, WorkflowError, error_type
from builtin_engine.declarative.serverless._expressions import evaluate as evaluate_expression
from builtin_engine.declarative.serverless._expressions import is_expression, render, truthy
from builtin_engine.declarative.serverless._validate import entries, kind_of

Step = Generator[wf.Task[Any], Any, Any]
_ISO_DURATION = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


class SwProgram:
    """A Serverless Workflow document ready to run."""

    def __init__(self, name: str, document: dict[str, Any], activities: Activities) -> None:
        self.name = name
        self.document = document
        self.activities = activities
        use = document.get("use") or {}
        self.functions: dict[str, Any] = use.get("functions") or {}
        self.errors: dict[str, Any] = use.get("errors") or {}
        self.retries: dict[str, Any] = use.get("retries") or {}
        self.timeouts: dict[str, Any] = use.get("timeouts") or {}
        # Secrets are read from the gateway's environment when used, never recorded in history.
        self.secret_names: list[str] = list(use.get("secrets") or [])
        self.schemas = DataSchemas()

    def run(self, ctx: wf.DaprWorkflowContext, value: Any) -> Step:
        return _Run(self, ctx, value).execute()


def seconds_of(duration: Any) -> float:
    """A DSL duration (ISO 8601 ``PT1M30S`` or ``{minutes: 1, seconds: 30}``) in seconds."""
    if isinstance(duration, dict):
        units = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}
        return float(sum(float(duration.get(unit, 0)) * factor for unit, factor in units.items()))
    match = _ISO_DURATION.match(str(duration))
    if not match:
        raise WorkflowError(
            error_type("validation"), 400, "Invalid duration", f"{duration!r} is not a duration"
        )
    days, hours, minutes, secs = (float(part) if part else 0.0 for part in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + secs


class _Run:
    def __init__(self, program: SwProgram, ctx: wf.DaprWorkflowContext, value: Any) -> None:
        self.program = program
        self.ctx = ctx
        self.input = value
        self.context: Any = {}
        self._rng: Any = None
        self.workflow = {
            "id": ctx.instance_id,
            "definition": program.document,
            "input": value,
            "startedAt": _moment(ctx),
        }
        self.runtime = {"name": "flowport", "version": "1", "metadata": {}}

    def arguments(
        self, task: dict[str, Any] | None, variables: dict[str, Any], **values: Any
    ) -> dict[str, Any]:
        secrets = {name: os.environ.get(name) for name in self.program.secret_names}
        return {
            "context": self.context,
            "input": values.get("input"),
            "output": values.get("output"),
            "secrets": secrets,
            "task": task,
            "workflow": self.workflow,
            "runtime": self.runtime,
            "authorization": None,
            **variables,
        }

    def execute(self) -> Step:
        document = self.program.document
        try:
            value = self.input
            check = self.program.schemas.validate
            check(document.get("input"), value, "workflow input", "/input/schema")
            source = (document.get("input") or {}).get("from")
            if source is not None:
                value = render(source, value, self.arguments(None, {}))
            timeout = self.timeout(document.get("timeout"))
            try:
                if timeout:
                    value = yield from self.within(
                        lambda: self.do(document["do"], "/do", value, {}), timeout, "/"
                    )
                else:
                    value = yield from self.do(document["do"], "/do", value, {})
            except EndWorkflow as end:
                value = end.output
            shape = (document.get("output") or {}).get("as")
            if shape is not None:
                value = render(shape, value, self.arguments(None, {}))
            check(document.get("output"), value, "workflow output", "/output/schema")
            return value
        except WorkflowError as error:
            message = error.detail or error.title or error.type
            details = describe(error.instance or "/", error.expression, error.task_input)
            raise failure(error.type, message, details) from None

    # -- task lists and tasks ------------------------------------------------------------------

    def do(self, tasks: list[dict[str, Any]], path: str, value: Any, variables: dict[str, Any]) -> Step:
        named = list(entries(tasks))
        names = [name for name, _ in named]
        index = 0
        while index < len(named):
            name, task = named[index]
            value, then = yield from self.task(name, task, f"{path}/{index}/{name}", value, variables)
            if then == "continue":
                index += 1
            elif then == "exit":
                break
            elif then == "end":
                raise EndWorkflow(value)
            else:
                index = names.index(then)
        return value

    def task(
        self, name: str, task: dict[str, Any], reference: str, raw: Any, variables: dict[str, Any]
    ) -> Step:
        """Run one task; returns ``(output, flow directive)``."""
        descriptor = {
            "name": name,
            "reference": reference,
            "definition": task,
            "input": raw,
            "startedAt": _moment(self.ctx),
        }
        arguments = self.arguments(descriptor, variables)
        try:
            if "if" in task and not truthy(task["if"], raw, arguments):
                return raw, "continue"
            check = self.program.schemas.validate
            check(task.get("input"), raw, "task input", f"{reference}/input/schema")
            value = raw
            source = (task.get("input") or {}).get("from")
            if source is not None:
                value = render(source, raw, arguments)
            arguments["input"] = value
            handler = _KINDS[kind_of(task)]
            timeout = self.timeout(task.get("timeout"))
            if timeout:
                output, then = yield from self.within(
                    lambda: handler(self, name, task, reference, value, arguments, variables),
                    timeout,
                    reference,
                )
            else:
                output, then = yield from handler(self, name, task, reference, value, arguments, variables)
            descriptor["output"] = output
            shape = (task.get("output") or {}).get("as")
            if shape is not None:
                output = render(shape, output, arguments)
            check(task.get("output"), output, "task output", f"{reference}/output/schema")
            export = (task.get("export") or {}).get("as")
            if export is not None:
                self.context = render(export, output, {**arguments, "output": output})
                check(task.get("export"), self.context, "exported context", f"{reference}/export/schema")
            return output, then or task.get("then", "continue")
        except WorkflowError as error:
            if error.instance is None:
                error.instance, error.task_input = reference, raw
            raise

    def timeout(self, timeout: Any) -> float | None:
        if timeout is None:
            return None
        if isinstance(timeout, str):
            timeout = self.program.timeouts[timeout]
        return seconds_of(timeout["after"])

    def within(self, make: Callable[[], Step], seconds: float, reference: str) -> Step:
        def timer() -> Step:
            yield self.ctx.create_timer(timedelta(seconds=seconds))
            raise WorkflowError(
                error_type("timeout"), 408, "Timeout", f"{reference} timed out after {seconds:g}s"
            )

        outcomes = yield from gather([make, timer], stop=lambda index, outcome: True)
        winner = next(outcome for outcome in outcomes if outcome is not None)
        if winner.error is not None:
            raise winner.error
        return winner.value

    # -- task kinds: each returns (output, flow directive or None) -------------------------------

    def call_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        call = task["call"]
        given = render(task["with"], value, arguments) if "with" in task else value
        if call == "http":
            return (yield from self.http(given, reference)), None
        function = self.program.functions.get(call)
        if function is not None:
            inner = self.arguments(
                {"name": call, "reference": f"/use/functions/{call}", "definition": function},
                variables,
                input=given,
            )
            return (yield from self.call_task(call, function, reference, given, inner, variables))
        activity = self.program.activities.alias(call, reference)
        try:
            result = yield self.ctx.call_activity(activity, input=given)
        except wf.TaskFailedError as exc:
            raise WorkflowError(
                error_type("runtime"), 500, exc.details.error_type, exc.details.message
            ) from None
        return plain(result), None

    def http(self, given: dict[str, Any], reference: str) -> Step:
        endpoint = given.get("endpoint")
        url = endpoint.get("uri") if isinstance(endpoint, dict) else endpoint
        request = {
            "method": given.get("method", "get"),
            "url": url,
            "headers": given.get("headers") or {},
            "query": given.get("query") or {},
            "body": given.get("body"),
        }
        try:
            response = yield self.ctx.call_activity(
                self.program.activities.alias(HTTP_ACTIVITY, reference), input=request
            )
        except wf.TaskFailedError as exc:
            raise WorkflowError(
                error_type("communication"), 503, exc.details.error_type, exc.details.message
            ) from None
        status = int(response["status"])
        if status >= 400:
            body = response.get("body")
            said = body if isinstance(body, str) else json.dumps(body)
            method = str(request["method"]).upper()
            detail = f"{method} {url} answered {status} {response.get('reason')}: {said}"
            raise WorkflowError(error_type("communication"), status, response.get("reason"), detail)
        if given.get("output") == "response":
            return {
                "statusCode": status,
                "headers": response.get("headers", {}),
                "content": response.get("body"),
            }
        return response.get("body")

    def do_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        return (yield from self.do(task["do"], f"{reference}/do", value, variables)), None

    def for_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        loop = task["for"]
        each, at = loop.get("each", "item"), loop.get("at", "index")
        items = evaluate_expression(_expression(loop["in"]), value, arguments) or []
        for index, item in enumerate(items):
            scope = {**variables, each: item, at: index}
            if "while" in task and not truthy(task["while"], value, {**arguments, **scope}):
                break
            value = yield from self.do(task["do"], f"{reference}/do", value, scope)
        return value, None

    def fork_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        fork = task["fork"]
        compete = bool(fork.get("compete", False))
        branches = list(entries(fork["branches"]))

        def branch(index: int, branch_name: str, branch_task: dict[str, Any]) -> Callable[[], Step]:
            where = f"{reference}/fork/branches/{index}/{branch_name}"
            return lambda: self.task(branch_name, branch_task, where, value, variables)

        makers = [
            branch(index, branch_name, branch_task)
            for index, (branch_name, branch_task) in enumerate(branches)
        ]
        outcomes = yield from gather(makers, stop=lambda index, outcome: not outcome.ok or compete)
        for outcome in outcomes:
            if outcome is not None and outcome.error is not None:
                raise outcome.error
        results = [outcome.value[0] for outcome in outcomes if outcome is not None]
        return (results[0] if compete else results), None

    def listen_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        listen = task["listen"]
        target = listen["to"]
        read = listen.get("read", "data")

        def wait(event: dict[str, Any]) -> wf.Task[Any]:
            return self.ctx.wait_for_external_event(event["with"]["type"])

        def shape(event: dict[str, Any], data: Any) -> Any:
            return {"type": event["with"]["type"], "data": data} if read == "envelope" else data

        if "one" in target:
            return [shape(target["one"], (yield wait(target["one"])))], None
        if "any" in target:
            filters = target["any"]
            waits = [wait(event) for event in filters]
            winner = yield wf.when_any(waits)
            return [shape(filters[waits.index(winner)], winner.get_result())], None
        filters = target["all"]
        results = yield wf.when_all([wait(event) for event in filters])
        return [shape(event, data) for event, data in zip(filters, results, strict=True)], None

    def raise_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        error = task["raise"]["error"]
        if isinstance(error, str):
            error = self.program.errors[error]
        yield from ()
        fields = render(error, value, arguments)
        raise WorkflowError(
            str(fields["type"]),
            int(fields["status"]),
            fields.get("title"),
            fields.get("detail"),
            instance=reference,
        )

    def run_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        run = task["run"]
        workflow = run["workflow"]
        child_input = render(workflow["input"], value, arguments) if "input" in workflow else value
        child = self.ctx.call_child_workflow(workflow["name"], input=child_input)
        if run.get("await", True) is False:
            return value, None
        try:
            result = yield child
        except wf.TaskFailedError as exc:
            raise WorkflowError(
                error_type("runtime"), 500, exc.details.error_type, exc.details.message
            ) from None
        return plain(result), None

    def set_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        yield from ()
        return render(task["set"], value, arguments), None

    def switch_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        yield from ()
        for _, case in entries(task["switch"]):
            if "when" not in case or truthy(case["when"], value, arguments):
                return value, case.get("then", "continue")
        return value, None

    def try_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        catch = task.get("catch") or {}
        variable = catch.get("as", "error")
        retry = catch.get("retry")
        if isinstance(retry, str):
            retry = self.program.retries[retry]
        attempts = 0
        while True:
            try:
                return (yield from self.do(task["try"], f"{reference}/try", value, variables)), None
            except WorkflowError as error:
                scope = {**arguments, variable: error.as_json()}
                if not _caught(catch, error, value, scope):
                    raise
                delay = self.retry_delay(retry, attempts) if retry else None
                if delay is not None:
                    attempts += 1
                    yield self.ctx.create_timer(timedelta(seconds=delay))
                    continue
                if "do" in catch:
                    handled = {**variables, variable: error.as_json()}
                    return (yield from self.do(catch["do"], f"{reference}/catch/do", value, handled)), None
                return value, None

    def retry_delay(self, retry: dict[str, Any], attempts: int) -> float | None:
        count = ((retry.get("limit") or {}).get("attempt") or {}).get("count")
        if count is not None and attempts >= int(count):
            return None
        delay = seconds_of(retry.get("delay", {"seconds": 0}))
        backoff = retry.get("backoff") or {}
        if "linear" in backoff:
            delay *= attempts + 1
        elif "exponential" in backoff:
            delay *= 2**attempts
        jitter = retry.get("jitter")
        if jitter:
            if self._rng is None:
                self._rng = seeded_random(self.ctx)
            delay += self._rng.uniform(seconds_of(jitter["from"]), seconds_of(jitter["to"]))
        return delay

    def wait_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        duration = task["wait"]
        if is_expression(duration):
            duration = evaluate_expression(duration, value, arguments)
        yield self.ctx.create_timer(timedelta(seconds=seconds_of(duration)))
        return value, None

    def emit_task(
        self, name: str, task: dict[str, Any], reference: str, value: Any, arguments: Any, variables: Any
    ) -> Step:
        event = render(task["emit"]["event"]["with"], value, arguments)
        yield self.ctx.call_activity(self.program.activities.alias(EMIT_ACTIVITY, reference), input=event)
        return value, None


def _expression(value: Any) -> str:
    return value if is_expression(value) else "${" + str(value) + "}"


def _caught(catch: dict[str, Any], error: WorkflowError, value: Any, arguments: dict[str, Any]) -> bool:
    wanted = ((catch.get("errors") or {}).get("with")) or {}
    facts = error.as_json()
    if any(facts.get(key) != expected for key, expected in wanted.items()):
        return False
    if "when" in catch and not truthy(catch["when"], value, arguments):
        return False
    return not ("exceptWhen" in catch and truthy(catch["exceptWhen"], value, arguments))


def _moment(ctx: wf.DaprWorkflowContext) -> dict[str, Any]:
    moment = ctx.current_utc_datetime
    epoch = moment.replace(tzinfo=UTC).timestamp()
    return {
        "iso8601": moment.isoformat(timespec="milliseconds") + "Z",
        "epoch": {"seconds": int(epoch), "milliseconds": int(epoch * 1000)},
    }


_KINDS: dict[str, Callable[..., Step]] = {
    "call": _Run.call_task,
    "do": _Run.do_task,
    "emit": _Run.emit_task,
    "for": _Run.for_task,
    "fork": _Run.fork_task,
    "listen": _Run.listen_task,
    "raise": _Run.raise_task,
    "run": _Run.run_task,
    "set": _Run.set_task,
    "switch": _Run.switch_task,
    "try": _Run.try_task,
    "wait": _Run.wait_task,
}
