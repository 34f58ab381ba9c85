"""Workflows for the conformance kit on the built-in component (Dapr's authoring API)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import builtin_engine as wf

runtime = wf.WorkflowRuntime()


@runtime.activity(name="double")
def double(ctx: wf.WorkflowActivityContext, value: int) -> int:
    return value * 2


@runtime.activity(name="refuse")
def refuse(ctx: wf.WorkflowActivityContext, order: Any) -> None:
    raise ValueError(f"order {order} refused")


@runtime.workflow(name="doubler")
def doubler(ctx: wf.DaprWorkflowContext, value: int) -> Generator[Any, Any, int]:
    once = yield ctx.call_activity(double, input=value)
    return (yield ctx.call_activity(double, input=once))


@runtime.workflow(name="refusal")
def refusal(ctx: wf.DaprWorkflowContext, order: Any) -> Generator[Any, Any, None]:
    yield ctx.call_activity(refuse, input=order)


@runtime.workflow(name="approval")
def approval(ctx: wf.DaprWorkflowContext, request: Any) -> Generator[Any, Any, dict[str, Any]]:
    decision = yield ctx.wait_for_external_event("approve")
    return {"request": request, "decision": decision}
