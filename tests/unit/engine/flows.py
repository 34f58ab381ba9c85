"""Workflows and activities the engine tests run (registered on a fresh runtime per test)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pydantic

import builtin_engine as wf

#: activity executions, by "<instance>:<what>"; the tests read it to count attempts
calls: Counter[str] = Counter()
_lock = threading.Lock()
#: decides which activity ``fickle`` calls: flipping it between runs simulates non-determinism
switch = {"flip": False}


def reset() -> None:
    calls.clear()
    switch["flip"] = False


def count(key: str) -> int:
    with _lock:
        calls[key] += 1
        return calls[key]


@dataclass
class Order:
    item: str
    quantity: int


class Receipt(pydantic.BaseModel):
    item: str
    total: float


def hello(ctx: wf.WorkflowActivityContext, name: str) -> str:
    return f"Hello {name}"


async def add_one(ctx: wf.WorkflowActivityContext, n: int) -> int:
    await asyncio.sleep(0)
    return n + 1


def no_input(ctx: wf.WorkflowActivityContext) -> str:
    return "no input"


def price(ctx: wf.WorkflowActivityContext, order: Order) -> Receipt:
    assert isinstance(order, Order)
    return Receipt(item=order.item, total=order.quantity * 2.5)


def flaky(ctx: wf.WorkflowActivityContext, failures: int) -> str:
    attempt = count(f"{ctx.workflow_id}:flaky")
    if attempt <= failures:
        raise ValueError(f"attempt {attempt} failed")
    return f"ok after {attempt}"


def fatal(ctx: wf.WorkflowActivityContext, kind: str) -> None:
    count(f"{ctx.workflow_id}:fatal")
    if kind == "non-retryable":
        raise wf.NonRetryableError("give up now")
    raise KeyError(kind)


def record(ctx: wf.WorkflowActivityContext, what: str) -> str:
    count(f"{ctx.workflow_id}:{what}")
    return what


def chain(ctx: wf.DaprWorkflowContext, name: str) -> Any:
    greeting = yield ctx.call_activity(hello, input=name)
    number = yield ctx.call_activity("add_one", input=1)
    bare = yield ctx.call_activity(no_input)
    return [greeting, number, bare]


def typed(ctx: wf.DaprWorkflowContext, order: Order) -> Any:
    assert isinstance(order, Order)
    receipt = yield ctx.call_activity(price, input=order)
    assert isinstance(receipt, Receipt)
    return receipt


def retrying(ctx: wf.DaprWorkflowContext, failures: int) -> Any:
    policy = wf.RetryPolicy(
        first_retry_interval=timedelta(milliseconds=10), max_number_of_attempts=3, backoff_coefficient=2
    )
    return (yield ctx.call_activity(flaky, input=failures, retry_policy=policy))


def failing(ctx: wf.DaprWorkflowContext, kind: str) -> Any:
    policy = wf.RetryPolicy(
        first_retry_interval=timedelta(milliseconds=10),
        max_number_of_attempts=5,
        non_retryable_error_types=["KeyError"] if kind == "KeyError" else (),
    )
    yield ctx.call_activity(fatal, input=kind, retry_policy=policy)


def compensating(ctx: wf.DaprWorkflowContext, _: Any) -> Any:
    try:
        yield ctx.call_activity(fatal, input="boom")
    except wf.TaskFailedError as exc:
        yield ctx.call_activity(record, input="undo")
        return {"compensated": exc.details.error_type}
    return None


def fan_out(ctx: wf.DaprWorkflowContext, n: int) -> Any:
    results = yield wf.when_all([ctx.call_activity(add_one, input=i) for i in range(n)])
    return sum(results)


def approval(ctx: wf.DaprWorkflowContext, timeout_s: float) -> Any:
    decision = ctx.wait_for_external_event("approval")
    timeout = ctx.create_timer(timedelta(seconds=timeout_s))
    winner = yield wf.when_any([decision, timeout])
    if winner is timeout:
        return "timed out"
    return f"approved by {decision.get_result()['by']}"


def events_in_order(ctx: wf.DaprWorkflowContext, n: int) -> Any:
    ctx.set_custom_status("waiting")
    yield ctx.create_timer(timedelta(milliseconds=50))  # events raised meanwhile are kept
    got = []
    for _ in range(n):
        got.append((yield ctx.wait_for_external_event("item")))
    ctx.set_custom_status({"got": len(got)})
    return got


def waiter(ctx: wf.DaprWorkflowContext, _: Any = None) -> Any:
    first = yield ctx.wait_for_external_event("go")
    yield ctx.call_activity(record, input="after-go")
    return first


def sleeper(ctx: wf.DaprWorkflowContext, seconds: float) -> Any:
    started = ctx.current_utc_datetime
    yield ctx.create_timer(timedelta(seconds=seconds))
    return (ctx.current_utc_datetime - started).total_seconds()


def parent(ctx: wf.DaprWorkflowContext, n: int) -> Any:
    results = yield wf.when_all(
        [
            ctx.call_child_workflow(child, input=i, instance_id=f"{ctx.instance_id}-child-{i}")
            for i in range(n)
        ]
    )
    auto = yield ctx.call_child_workflow("child", input=100)
    return [*results, auto]


def child(ctx: wf.DaprWorkflowContext, n: int) -> Any:
    return (yield ctx.call_activity(add_one, input=n))


def parent_of_waiters(ctx: wf.DaprWorkflowContext, _: Any) -> Any:
    yield wf.when_all(
        [ctx.call_child_workflow(waiter, instance_id=f"{ctx.instance_id}-w{i}") for i in range(2)]
    )


def failing_parent(ctx: wf.DaprWorkflowContext, _: Any) -> Any:
    try:
        yield ctx.call_child_workflow(failing, input="non-retryable")
    except wf.TaskFailedError as exc:
        return f"child failed: {exc.details.error_type}"
    return None


def counter(ctx: wf.DaprWorkflowContext, state: dict[str, int]) -> Any:
    n = state["n"]
    yield ctx.call_activity(record, input=f"step-{n}")
    if n >= 3:
        return n
    ctx.continue_as_new({"n": n + 1})
    return None


def carry_events(ctx: wf.DaprWorkflowContext, round_: int) -> Any:
    value = yield ctx.wait_for_external_event("tick")
    if round_ == 0:
        yield ctx.create_timer(timedelta(milliseconds=100))  # the test raises a second tick meanwhile
        ctx.continue_as_new(1, save_events=True)
        return None
    return value


def fickle(ctx: wf.DaprWorkflowContext, _: Any) -> Any:
    # Deliberately non-deterministic: the activity it calls depends on a global.
    yield ctx.wait_for_external_event("go")
    yield ctx.call_activity(hello if switch["flip"] else record, input="x")
    yield ctx.wait_for_external_event("go")
    return "done"


def long_chain(ctx: wf.DaprWorkflowContext, n: int) -> Any:
    total = 0
    for i in range(n):
        total = yield ctx.call_activity(add_one, input=total)
        if i == n // 2:
            if ctx.is_replaying:  # rebuilt from the store (a cold replay), not run live
                count(f"{ctx.instance_id}:replayed")
            ctx.set_custom_status("waiting for half")
            yield ctx.wait_for_external_event("half")
    return total


def crash(ctx: wf.DaprWorkflowContext, _: Any) -> Any:
    yield ctx.call_activity(no_input)
    raise RuntimeError("the workflow itself broke")


def register(runtime: wf.WorkflowRuntime) -> None:
    for activity in (hello, no_input, price, flaky, fatal, record):
        runtime.register_activity(activity)
    runtime.activity(name="add_one")(add_one)
    for workflow in (
        chain, typed, retrying, failing, compensating, fan_out, approval, events_in_order, waiter,
        sleeper, parent, child, parent_of_waiters, failing_parent, counter, carry_events, fickle,
        long_chain, crash,
    ):  # fmt: skip
        runtime.register_workflow(workflow)
