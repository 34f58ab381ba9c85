"""Running an ASL state machine as a workflow on the built-in engine.

The interpreter is workflow code: it only calls the public authoring API (activities, timers,
external events, ``when_any``), so an instance is durable and replays deterministically. Each
state is a generator step; Parallel branches and Map iterations run as branches of one
workflow (``_threads.gather``), Retry waits on durable timers, and randomness comes from the
instance's seeded generator.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import timedelta
from typing import Any

import builtin_engine as wf
from builtin_engine.declarative._runtime import (
    HTTP_ACTIVITY,
    Activities,
    describe,
    failure,
    plain,
    seeded_random,
)
from builtin_engine.declarative._threads import Outcome, gather
from builtin_engine.declarative.asl import _choice, _intrinsics
from builtin_engine.declarative.asl._choice import timestamp
from builtin_engine.declarative.asl._errors import UNCATCHABLE, StatesError, matches
from builtin_engine.declarative.asl._paths import place, render, select
from builtin_engine.declarative.asl._validate import Resource, activity_name, resource_of

Step = Generator[wf.Task[Any], Any, Any]


class AslProgram:
    """A state machine ready to run: its document and each Task's resolved resource."""

    def __init__(self, name: str, document: dict[str, Any], activities: Activities) -> None:
        self.name = name
        self.document = document
        self.activities = activities
        self.resources: dict[str, Resource] = {}
        self._collect(document)

    def _collect(self, machine: dict[str, Any]) -> None:
        for state_name, state in machine["States"].items():
            if state["Type"] == "Task":
                resource = resource_of(state["Resource"])
                if isinstance(resource, str):  # rejected at load; a recorded old document may differ
                    raise ValueError(f"state {state_name!r}: {resource}")
                self.resources[state_name] = resource
            for branch in state.get("Branches", []):
                self._collect(branch)
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if processor:
                self._collect(processor)

    def run(self, ctx: wf.DaprWorkflowContext, value: Any) -> Step:
        return _Run(self, ctx, value).execute()


class _Run:
    """One execution of a state machine."""

    def __init__(self, program: AslProgram, ctx: wf.DaprWorkflowContext, value: Any) -> None:
        self.program = program
        self.ctx = ctx
        self.input = value
        self._rng: Any = None
        self.execution = {
            "Id": ctx.instance_id,
            "Name": ctx.instance_id,
            "Input": value,
            "StartTime": _iso(ctx),
        }
        self.machine_context = {"Id": program.name, "Name": program.name}

    @property
    def rng(self) -> Any:
        if self._rng is None:
            self._rng = seeded_random(self.ctx)
        return self._rng

    def execute(self) -> Step:
        document = self.program.document
        try:
            seconds = document.get("TimeoutSeconds")
            if seconds:
                run = lambda: self.machine(document, self.input)  # noqa: E731
                return (yield from self.within(run, seconds, "execution"))
            return (yield from self.machine(document, self.input))
        except StatesError as error:
            details = None
            if error.state is not None:
                details = describe(error.state, error.expression, error.state_input)
            raise failure(error.error, error.cause, details) from None

    # -- states ---------------------------------------------------------------------------------

    def machine(self, machine: dict[str, Any], value: Any, extra: dict[str, Any] | None = None) -> Step:
        states = machine["States"]
        name = machine["StartAt"]
        while True:
            value, name = yield from self.state(name, states[name], value, extra)
            if name is None:
                return value

    def state(self, name: str, state: dict[str, Any], raw: Any, extra: dict[str, Any] | None) -> Step:
        """Run one state; returns ``(output, next state name or None)``."""
        context = self.context(name, extra)
        try:
            immediate = _IMMEDIATE.get(state["Type"])
            if immediate is not None:
                output = immediate(self, name, state, raw, context)
            else:
                output = yield from _STEPPED[state["Type"]](self, name, state, raw, context)
        except StatesError as error:
            if error.state is None:
                error.state, error.state_input = name, raw
            if error.error in UNCATCHABLE:
                raise
            for catcher in state.get("Catch", []):
                if matches(catcher["ErrorEquals"], error.error):
                    result = {"Error": error.error, "Cause": error.cause}
                    return place(catcher.get("ResultPath", "$"), raw, result), catcher["Next"]
            raise
        if state["Type"] == "Choice":
            return output
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            return output, None
        return output, state["Next"]

    def context(self, name: str, extra: dict[str, Any] | None) -> dict[str, Any]:
        context = {
            "Execution": self.execution,
            "StateMachine": self.machine_context,
            "State": {"Name": name, "EnteredTime": _iso(self.ctx), "RetryCount": 0},
        }
        if extra:
            context.update(extra)
        return context

    def intrinsic(self, text: str, data: Any, context: Any) -> Any:
        return _intrinsics.evaluate(text, data, context, self.rng)

    def effective_input(self, state: dict[str, Any], raw: Any, context: Any) -> Any:
        path = state.get("InputPath", "$")
        value = {} if path is None else select(path, raw, context)
        if "Parameters" in state:
            value = render(state["Parameters"], value, context, self.intrinsic)
        return value

    def finish(self, state: dict[str, Any], raw: Any, result: Any, context: Any) -> Any:
        if "ResultSelector" in state:
            result = render(state["ResultSelector"], result, context, self.intrinsic)
        output = place(state.get("ResultPath", "$"), raw, result)
        path = state.get("OutputPath", "$")
        return {} if path is None else select(path, output, context)

    def output_only(self, state: dict[str, Any], value: Any, context: Any) -> Any:
        path = state.get("OutputPath", "$")
        return {} if path is None else select(path, value, context)

    def pass_state(self, name: str, state: dict[str, Any], raw: Any, context: Any) -> Any:
        value = self.effective_input(state, raw, context)
        result = state.get("Result", value)
        return self.finish(state, raw, result, context)

    def succeed_state(self, name: str, state: dict[str, Any], raw: Any, context: Any) -> Any:
        path = state.get("InputPath", "$")
        value = {} if path is None else select(path, raw, context)
        return self.output_only(state, value, context)

    def fail_state(self, name: str, state: dict[str, Any], raw: Any, context: Any) -> Any:
        error = self.dynamic(state, "Error", raw, context) or "States.Fail"
        cause = self.dynamic(state, "Cause", raw, context) or ""
        raise StatesError(str(error), str(cause))

    def dynamic(self, state: dict[str, Any], field: str, raw: Any, context: Any) -> Any:
        if field in state:
            return state[field]
        text = state.get(f"{field}Path")
        if text is None:
            return None
        return select(text, raw, context) if text.startswith("$") else self.intrinsic(text, raw, context)

    def choice_state(self, name: str, state: dict[str, Any], raw: Any, context: Any) -> Any:
        path = state.get("InputPath", "$")
        value = {} if path is None else select(path, raw, context)
        output = self.output_only(state, value, context)
        for choice in state["Choices"]:
            if _choice.evaluate(choice, value, context):
                return output, choice["Next"]
        if "Default" in state:
            return output, state["Default"]
        raise StatesError("States.NoChoiceMatched", f"no choice rule of state {name!r} matched")

    def wait_state(self, name: str, state: dict[str, Any], raw: Any, context: Any) -> Step:
        path = state.get("InputPath", "$")
        value = {} if path is None else select(path, raw, context)
        seconds = state.get("Seconds")
        if "SecondsPath" in state:
            seconds = select(state["SecondsPath"], value, context)
        if seconds is not None:
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
                raise StatesError("States.Runtime", f"the wait of {seconds!r} seconds is not a number >= 0")
            yield self.ctx.create_timer(timedelta(seconds=seconds))
        else:
            text = state.get("Timestamp")
            if "TimestampPath" in state:
                text = select(state["TimestampPath"], value, context)
            moment = timestamp(text)
            if moment is None:
                raise StatesError("States.Runtime", f"{text!r} is not an RFC 3339 timestamp")
            yield self.ctx.create_timer(moment)
        return self.output_only(state, value, context)

    def task_state(self, name: str, state: dict[str, Any], raw: Any, context: dict[str, Any]) -> Step:
        resource = self.program.resources[name]
        if resource.wait_for_token:
            context["Task"] = {"Token": "tt" + self.rng.getrandbits(128).to_bytes(16, "big").hex()}
        value = self.effective_input(state, raw, context)
        timeout = self.seconds(state, "TimeoutSeconds", value, context)
        heartbeat = self.seconds(state, "HeartbeatSeconds", value, context)

        def attempt() -> Step:
            return self.task(name, resource, value, context, timeout, heartbeat)

        result = yield from self.retrying(state, context, attempt)
        return self.finish(state, raw, result, context)

    def seconds(self, state: dict[str, Any], field: str, value: Any, context: Any) -> float | None:
        seconds = state.get(field)
        if f"{field}Path" in state:
            seconds = select(state[f"{field}Path"], value, context)
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds <= 0:
                raise StatesError("States.Runtime", f"{field}Path gave {seconds!r}, not a positive number")
        return float(seconds) if seconds else None

    def task(
        self,
        name: str,
        resource: Resource,
        value: Any,
        context: dict[str, Any],
        timeout: float | None,
        heartbeat: float | None,
    ) -> Step:
        activities = self.program.activities
        if resource.kind == "http":
            call = self.ctx.call_activity(activities.alias(HTTP_ACTIVITY, name), input=_http_request(value))
        elif resource.kind == "lambda":
            function = value.get("FunctionName") if isinstance(value, dict) else None
            if not isinstance(function, str):
                raise StatesError("States.Runtime", f"{name}: Parameters.FunctionName is not a string")
            target = activity_name(function)
            call = self.ctx.call_activity(activities.alias(target, name), input=value.get("Payload"))
        else:
            assert resource.activity is not None
            call = self.ctx.call_activity(activities.alias(resource.activity, name), input=value)
        if resource.wait_for_token:
            return (yield from self.token_wait(context["Task"]["Token"], call, timeout, heartbeat))
        if timeout is None:
            try:
                result = yield call
            except wf.TaskFailedError as exc:
                raise StatesError(exc.details.error_type, exc.details.message) from None
        else:
            timer = self.ctx.create_timer(timedelta(seconds=timeout))
            winner = yield wf.when_any([call, timer])
            if winner is timer:
                raise StatesError("States.Timeout", f"state {name!r} timed out after {timeout:g}s")
            result = _result(call)
        if resource.kind == "http":
            return _http_result(result)
        if resource.kind == "lambda":
            return {"Payload": plain(result), "StatusCode": 200, "ExecutedVersion": "$LATEST"}
        return plain(result)

    def token_wait(
        self, token: str, call: wf.Task[Any], timeout: float | None, heartbeat: float | None
    ) -> Step:
        """``.waitForTaskToken``: the call hands the token out; the result comes as an event.

        A caller answers by raising the event named after the token with the output as data,
        ``<token>.fail`` with ``{"error", "cause"}``, or ``<token>.heartbeat`` to keep it alive.
        """
        success = self.ctx.wait_for_external_event(token)
        failed = self.ctx.wait_for_external_event(f"{token}.fail")
        beat = self.ctx.wait_for_external_event(f"{token}.heartbeat") if heartbeat else None
        deadline = self.ctx.create_timer(timedelta(seconds=timeout)) if timeout else None
        beat_timer = self.ctx.create_timer(timedelta(seconds=heartbeat)) if heartbeat else None
        pending_call: wf.Task[Any] | None = call
        while True:
            waits = [t for t in (success, failed, beat, pending_call, deadline, beat_timer) if t is not None]
            winner = yield wf.when_any(waits)
            if winner is success:
                return plain(success.get_result())
            if winner is failed:
                data = failed.get_result() or {}
                raise StatesError(str(data.get("error") or "States.TaskFailed"), str(data.get("cause") or ""))
            if winner is pending_call:
                _result(pending_call)  # its failure fails the state; its value is not the result
                pending_call = None
            elif winner is deadline:
                raise StatesError("States.Timeout", f"no answer for task token {token} in time")
            elif winner is beat_timer:
                raise StatesError("States.HeartbeatTimeout", f"no heartbeat for task token {token}")
            elif winner is beat and heartbeat:
                beat = self.ctx.wait_for_external_event(f"{token}.heartbeat")
                beat_timer = self.ctx.create_timer(timedelta(seconds=heartbeat))

    def retrying(self, state: dict[str, Any], context: dict[str, Any], attempt: Callable[[], Step]) -> Step:
        retriers = state.get("Retry", [])
        counts = [0] * len(retriers)
        while True:
            try:
                return (yield from attempt())
            except StatesError as error:
                index = next(
                    (i for i, retrier in enumerate(retriers) if matches(retrier["ErrorEquals"], error.error)),
                    None,
                )
                if index is None:
                    raise
                retrier = retriers[index]
                if counts[index] >= retrier.get("MaxAttempts", 3):
                    raise
                delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** counts[index]
                if "MaxDelaySeconds" in retrier:
                    delay = min(delay, retrier["MaxDelaySeconds"])
                if retrier.get("JitterStrategy") == "FULL":
                    delay = self.rng.uniform(0, delay)
                counts[index] += 1
                context["State"]["RetryCount"] = sum(counts)
                yield self.ctx.create_timer(timedelta(seconds=delay))

    def parallel_state(self, name: str, state: dict[str, Any], raw: Any, context: dict[str, Any]) -> Step:
        value = self.effective_input(state, raw, context)

        def attempt() -> Step:
            branches = [(lambda branch=branch: self.machine(branch, value)) for branch in state["Branches"]]
            outcomes = yield from gather(branches)
            return [_value(outcome) for outcome in outcomes]

        result = yield from self.retrying(state, context, attempt)
        return self.finish(state, raw, result, context)

    def map_state(self, name: str, state: dict[str, Any], raw: Any, context: dict[str, Any]) -> Step:
        path = state.get("InputPath", "$")
        value = {} if path is None else select(path, raw, context)
        items = select(state.get("ItemsPath", "$"), value, context)
        if not isinstance(items, list):
            raise StatesError("States.Runtime", f"ItemsPath of state {name!r} did not select an array")
        processor = state.get("ItemProcessor") or state["Iterator"]
        selector = state.get("ItemSelector", state.get("Parameters"))
        limit = state.get("MaxConcurrency", 0)
        if "MaxConcurrencyPath" in state:
            limit = select(state["MaxConcurrencyPath"], value, context)
        count = _tolerance(state, "ToleratedFailureCount", value, context)
        percentage = _tolerance(state, "ToleratedFailurePercentage", value, context)
        tolerant = count is not None or percentage is not None

        def item_input(index: int, item: Any) -> Any:
            if selector is None:
                return item
            item_context = {**context, "Map": {"Item": {"Index": index, "Value": item}}}
            return render(selector, value, item_context, self.intrinsic)

        def attempt() -> Step:
            inputs = [item_input(index, item) for index, item in enumerate(items)]
            failures = 0

            def exceeded(index: int, outcome: Outcome) -> bool:
                nonlocal failures
                if outcome.ok:
                    return False
                if not tolerant or not isinstance(outcome.error, StatesError):
                    return True
                failures += 1
                return (count is not None and failures > count) or (
                    percentage is not None and failures * 100 > percentage * len(items)
                )

            branches = [(lambda v=v: self.machine(processor, v)) for v in inputs]
            outcomes = yield from gather(branches, limit=int(limit or 0), stop=exceeded)
            for outcome in outcomes:
                tolerated = tolerant and outcome is not None and isinstance(outcome.error, StatesError)
                if outcome is not None and outcome.error is not None and not tolerated:
                    raise outcome.error
            if None in outcomes:  # stopped early: the failures went past the tolerance
                raise StatesError(
                    "States.ExceedToleratedFailureThreshold",
                    f"{failures} of {len(items)} iterations of state {name!r} failed",
                )
            results: list[Any] = []
            for outcome in outcomes:
                assert outcome is not None
                if isinstance(outcome.error, StatesError):
                    results.append({"Error": outcome.error.error, "Cause": outcome.error.cause})
                else:
                    results.append(outcome.value)
            return results

        result = yield from self.retrying(state, context, attempt)
        return self.finish(state, raw, result, context)

    def within(self, make: Callable[[], Step], seconds: float, what: str) -> Step:
        """Run ``make()`` unless ``seconds`` pass first (``States.Timeout``)."""

        def timer() -> Step:
            yield self.ctx.create_timer(timedelta(seconds=seconds))
            raise StatesError("States.Timeout", f"the {what} timed out after {seconds:g}s")

        outcomes = yield from gather([make, timer], stop=lambda index, outcome: True)
        winner = next(outcome for outcome in outcomes if outcome is not None)
        return _value(winner)


def _value(outcome: Outcome | None) -> Any:
    assert outcome is not None
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


def _tolerance(state: dict[str, Any], field: str, value: Any, context: Any) -> float | None:
    if f"{field}Path" in state:
        return float(select(state[f"{field}Path"], value, context))
    tolerated = state.get(field)
    return None if tolerated is None else float(tolerated)


def _result(task: wf.Task[Any]) -> Any:
    try:
        return task.get_result()
    except wf.TaskFailedError as exc:
        raise StatesError(exc.details.error_type, exc.details.message) from None


def _iso(ctx: wf.DaprWorkflowContext) -> str:
    return ctx.current_utc_datetime.isoformat(timespec="milliseconds") + "Z"


def _http_request(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StatesError("States.Runtime", "the Parameters of an http:invoke task must be an object")
    return {
        "method": value.get("Method", "GET"),
        "url": value["ApiEndpoint"],
        "headers": value.get("Headers") or {},
        "query": value.get("QueryParameters") or {},
        "body": value.get("RequestBody"),
    }


def _http_result(response: dict[str, Any]) -> dict[str, Any]:
    status = int(response["status"])
    if status >= 400:
        body = response.get("body")
        raise StatesError(f"States.Http.StatusCode.{status}", body if isinstance(body, str) else str(body))
    return {
        "StatusCode": status,
        "StatusText": response.get("reason", ""),
        "Headers": response.get("headers", {}),
        "ResponseBody": response.get("body"),
    }


#: states that do no durable work, and those that wait for tasks
_IMMEDIATE: dict[str, Callable[[_Run, str, dict[str, Any], Any, dict[str, Any]], Any]] = {
    "Pass": _Run.pass_state,
    "Succeed": _Run.succeed_state,
    "Fail": _Run.fail_state,
    "Choice": _Run.choice_state,
}
_STEPPED: dict[str, Callable[[_Run, str, dict[str, Any], Any, dict[str, Any]], Step]] = {
    "Wait": _Run.wait_state,
    "Task": _Run.task_state,
    "Parallel": _Run.parallel_state,
    "Map": _Run.map_state,
}
