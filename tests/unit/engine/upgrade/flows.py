"""Workflows of the store-upgrade test: the same code writes the old store and runs the new one.

Every workflow uses only the public authoring API, which did not change across the schema
versions, so an instance started by an old release replays on the new one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import builtin_engine as wf

#: attempts of ``flaky`` run in this process, by instance
attempts: dict[str, int] = {}


def echo(ctx: wf.WorkflowActivityContext, value: Any) -> Any:
    return value


def flaky(ctx: wf.WorkflowActivityContext, value: Any) -> Any:
    attempts[ctx.workflow_id] = attempts.get(ctx.workflow_id, 0) + 1
    if ctx.task_id == 0:  # the first attempt (a retry runs under a new task ID)
        raise RuntimeError("first attempt fails")
    return value


def approval(ctx: wf.DaprWorkflowContext, order: Any) -> Any:
    ctx.set_custom_status("waiting")
    decision = yield ctx.wait_for_external_event("approval")
    return (yield ctx.call_activity(echo, input={"order": order, "decision": decision}))


def sleeper(ctx: wf.DaprWorkflowContext, seconds: float) -> Any:
    yield ctx.create_timer(timedelta(seconds=seconds))
    return "woke"


def retrier(ctx: wf.DaprWorkflowContext, value: Any) -> Any:
    policy = wf.RetryPolicy(first_retry_interval=timedelta(seconds=2), max_number_of_attempts=3)
    return (yield ctx.call_activity(flaky, input=value, retry_policy=policy))


def child(ctx: wf.DaprWorkflowContext, value: Any) -> Any:
    go = yield ctx.wait_for_external_event("go")
    return {"child": value, "go": go}


def parent(ctx: wf.DaprWorkflowContext, value: Any) -> Any:
    result = yield ctx.call_child_workflow(child, input=value, instance_id=f"{ctx.instance_id}-kid")
    return {"parent": result}


def failing(ctx: wf.DaprWorkflowContext, _: Any = None) -> Any:
    raise ValueError("always fails")


def register(runtime: wf.WorkflowRuntime) -> None:
    for activity in (echo, flaky):
        runtime.register_activity(activity)
    for workflow in (approval, sleeper, retrier, child, parent, failing):
        runtime.register_workflow(workflow)
