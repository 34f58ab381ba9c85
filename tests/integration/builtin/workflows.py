"""Workflows the gateway hosts in the REST tests (``runtimes: tests.integration.builtin.workflows:wfr``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import builtin_engine as wf

wfr = wf.WorkflowRuntime()


@wfr.activity
def greet(ctx: wf.WorkflowActivityContext, name: str) -> str:
    return f"Hello {name}"


@wfr.activity(name="explode")
def explode(ctx: wf.WorkflowActivityContext, what: str) -> None:
    raise ValueError(f"cannot {what}")


@wfr.workflow(name="Greeting")
def greeting(ctx: wf.DaprWorkflowContext, name: str) -> Any:
    ctx.set_custom_status("greeting")
    return (yield ctx.call_activity(greet, input=name))


@wfr.workflow
def broken(ctx: wf.DaprWorkflowContext, what: str) -> Any:
    yield ctx.call_activity(explode, input=what)


@wfr.workflow
def approval(ctx: wf.DaprWorkflowContext, order: dict[str, Any]) -> Any:
    decision = yield ctx.wait_for_external_event("approval")
    return {"order": order["id"], "approved": decision["approved"]}


@wfr.workflow
def family(ctx: wf.DaprWorkflowContext, n: int) -> Any:
    yield wf.when_all([ctx.call_child_workflow(approval, input={"id": i}) for i in range(n)])


@wfr.workflow
def nap(ctx: wf.DaprWorkflowContext, seconds: float) -> Any:
    yield ctx.create_timer(timedelta(seconds=seconds))
    return "rested"
