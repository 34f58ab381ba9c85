"""A Dapr workflow app written the way Dapr's Python SDK documentation shows it.

Unmodified Dapr code: ``dapr.ext.workflow``'s ``WorkflowRuntime`` hosts the workflows and
activities below in this process, ``DaprWorkflowClient`` drives them, and the sidecar is
found through ``DAPR_GRPC_PORT`` only. It runs in the environments ``py-dapr-1.19.0``
(``dapr[workflow]==1.19.0``) and ``py-dapr-1.18.3`` (``dapr==1.18.3`` with
``dapr-ext-workflow==1.18.3``) of scripts/sdk-envs.sh, and prints one JSON line per
scenario: ``{"scenario": ..., "ok": true|false, ...facts}``. With ``--with-119`` it also
runs what only 1.19 has: list, history and rerun.

    python dapr_workflow_app.py RUN_ID [--with-119]
"""

import json
import sys
import time
from datetime import timedelta

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()
WAIT_SECONDS = 120
#: attempts per instance of the flaky activity, in this (the only) worker process
ATTEMPTS: dict[str, int] = {}


# --- activities --------------------------------------------------------------------------


@wfr.activity(name="hello")
def hello(ctx: wf.WorkflowActivityContext, name: str) -> str:
    return f"Hello {name}"


@wfr.activity(name="square")
def square(ctx: wf.WorkflowActivityContext, n: int) -> int:
    return n * n


@wfr.activity(name="flaky")
def flaky(ctx: wf.WorkflowActivityContext, succeed_on: int) -> int:
    ATTEMPTS[ctx.workflow_id] = ATTEMPTS.get(ctx.workflow_id, 0) + 1
    if ATTEMPTS[ctx.workflow_id] < succeed_on:
        raise RuntimeError(f"attempt {ATTEMPTS[ctx.workflow_id]} fails")
    return ATTEMPTS[ctx.workflow_id]


@wfr.activity(name="explode")
def explode(ctx: wf.WorkflowActivityContext, message: str) -> None:
    raise ValueError(message)


# --- workflows ---------------------------------------------------------------------------


@wfr.workflow(name="chain")
def chain(ctx: wf.DaprWorkflowContext, names: list):
    results = []
    for name in names:
        results.append((yield ctx.call_activity(hello, input=name)))
    return results


@wfr.workflow(name="fan_out_fan_in")
def fan_out_fan_in(ctx: wf.DaprWorkflowContext, count: int):
    squares = yield wf.when_all([ctx.call_activity(square, input=n) for n in range(count)])
    return sum(squares)


@wfr.workflow(name="retrying")
def retrying(ctx: wf.DaprWorkflowContext, succeed_on: int):
    policy = wf.RetryPolicy(
        first_retry_interval=timedelta(seconds=1), max_number_of_attempts=5, backoff_coefficient=1.0
    )
    return (yield ctx.call_activity(flaky, input=succeed_on, retry_policy=policy))


@wfr.workflow(name="napping")
def napping(ctx: wf.DaprWorkflowContext, seconds: int):
    started = ctx.current_utc_datetime
    yield ctx.create_timer(timedelta(seconds=seconds))
    return (ctx.current_utc_datetime - started).total_seconds()


@wfr.workflow(name="approval")
def approval(ctx: wf.DaprWorkflowContext, delay_seconds: int):
    """Waits for 'approve', after an optional timer (so an event can come before the wait)."""
    if delay_seconds:
        yield ctx.create_timer(timedelta(seconds=delay_seconds))
    ctx.set_custom_status("waiting")
    decision = yield ctx.wait_for_external_event("approve")
    ctx.set_custom_status("decided")
    return decision


@wfr.workflow(name="counter")
def counter(ctx: wf.DaprWorkflowContext, state: dict):
    """Adds one 'add' event per execution, continuing as new (events carried over) until 3."""
    value = yield ctx.wait_for_external_event("add")
    state = {"total": state["total"] + value, "executions": state["executions"] + 1}
    if state["executions"] < 3:
        ctx.continue_as_new(state, save_events=True)
        return None
    return state


@wfr.workflow(name="child")
def child(ctx: wf.DaprWorkflowContext, name: str):
    return (yield ctx.call_activity(hello, input=name))


@wfr.workflow(name="parent")
def parent(ctx: wf.DaprWorkflowContext, _):
    default_id = yield ctx.call_child_workflow(child, input="default")
    given_id = yield ctx.call_child_workflow(child, input="given", instance_id=f"{ctx.instance_id}-given")
    return [default_id, given_id]


@wfr.workflow(name="waiter")
def waiter(ctx: wf.DaprWorkflowContext, _):
    return (yield ctx.wait_for_external_event("never"))


@wfr.workflow(name="holder")
def holder(ctx: wf.DaprWorkflowContext, _):
    return (yield ctx.call_child_workflow(waiter, instance_id=f"{ctx.instance_id}-child"))


@wfr.workflow(name="failing")
def failing(ctx: wf.DaprWorkflowContext, message: str):
    yield ctx.call_activity(explode, input=message)


@wfr.versioned_workflow(name="versioned", version_name="v1", is_latest=False)
def versioned_v1(ctx: wf.DaprWorkflowContext, _):
    return (yield ctx.call_activity(hello, input="v1"))


@wfr.versioned_workflow(name="versioned", version_name="v2", is_latest=True)
def versioned_v2(ctx: wf.DaprWorkflowContext, _):
    if ctx.is_patched("greet-twice"):
        yield ctx.call_activity(hello, input="patched")
    return (yield ctx.call_activity(hello, input="v2"))


# --- the scenarios -----------------------------------------------------------------------


def report(scenario, ok, **facts):
    print(json.dumps({"scenario": scenario, "ok": bool(ok), **facts}, default=str), flush=True)


def completed(client, instance_id):
    state = client.wait_for_workflow_completion(instance_id, timeout_in_seconds=WAIT_SECONDS)
    return state, (json.loads(state.serialized_output) if state and state.serialized_output else None)


def wait_until(predicate, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(what)


def status_of(client, instance_id):
    state = client.get_workflow_state(instance_id, fetch_payloads=True)
    return state.runtime_status.name if state else None


def run(client, run_id, with_119):
    def iid(name):
        return f"{run_id}-{name}"

    client.schedule_new_workflow(chain, input=["Tokyo", "Seattle", "London"], instance_id=iid("chain"))
    state, output = completed(client, iid("chain"))
    report("chaining", output == ["Hello Tokyo", "Hello Seattle", "Hello London"], output=output)

    client.schedule_new_workflow(fan_out_fan_in, input=10, instance_id=iid("fan"))
    _, output = completed(client, iid("fan"))
    report("fan-out/fan-in", output == sum(n * n for n in range(10)), output=output)

    client.schedule_new_workflow(retrying, input=3, instance_id=iid("retry"))
    _, output = completed(client, iid("retry"))
    report("retry policy", output == 3, attempts=output)

    client.schedule_new_workflow(napping, input=2, instance_id=iid("timer"))
    _, output = completed(client, iid("timer"))
    report("timer", output is not None and output >= 2, slept=output)

    client.schedule_new_workflow(approval, input=2, instance_id=iid("early"))
    client.raise_workflow_event(iid("early"), "approve", data={"by": "early"})
    _, output = completed(client, iid("early"))
    report("event before the wait", output == {"by": "early"}, output=output)

    client.schedule_new_workflow(approval, input=0, instance_id=iid("during"))
    wait_until(
        lambda: (
            (client.get_workflow_state(iid("during")) or None)
            and client.get_workflow_state(iid("during")).serialized_custom_status == "waiting"
        ),
        "custom status 'waiting'",
    )
    client.raise_workflow_event(iid("during"), "approve", data={"by": "during"})
    state, output = completed(client, iid("during"))
    report(
        "event during the wait, custom status",
        output == {"by": "during"} and state.serialized_custom_status == "decided",
        output=output,
        custom_status=state.serialized_custom_status,
    )

    client.schedule_new_workflow(approval, input=0, instance_id=iid("suspended"))
    client.wait_for_workflow_start(iid("suspended"), timeout_in_seconds=WAIT_SECONDS)
    client.pause_workflow(iid("suspended"))
    wait_until(lambda: status_of(client, iid("suspended")) == "SUSPENDED", "SUSPENDED")
    client.raise_workflow_event(iid("suspended"), "approve", data={"by": "suspended"})
    still = status_of(client, iid("suspended"))
    client.resume_workflow(iid("suspended"))
    _, output = completed(client, iid("suspended"))
    report(
        "event while suspended, suspend/resume",
        still == "SUSPENDED" and output == {"by": "suspended"},
        while_suspended=still,
        output=output,
    )

    client.schedule_new_workflow(parent, instance_id=iid("parent"))
    _, output = completed(client, iid("parent"))
    given = client.get_workflow_state(f"{iid('parent')}-given")
    report(
        "child workflows (default and given IDs)",
        output == ["Hello default", "Hello given"] and given and given.runtime_status.name == "COMPLETED",
        output=output,
    )

    client.schedule_new_workflow(counter, input={"total": 0, "executions": 0}, instance_id=iid("counter"))
    for value in (1, 2, 3):
        client.raise_workflow_event(iid("counter"), "add", data=value)
    _, output = completed(client, iid("counter"))
    report("continue-as-new with carried events", output == {"total": 6, "executions": 3}, output=output)

    client.schedule_new_workflow(holder, instance_id=iid("holder"))
    child_id = f"{iid('holder')}-child"
    wait_until(lambda: status_of(client, child_id) == "RUNNING", "child running")
    client.terminate_workflow(iid("holder"), output="stopped", recursive=True)
    wait_until(lambda: status_of(client, iid("holder")) == "TERMINATED", "holder terminated")
    wait_until(lambda: status_of(client, child_id) == "TERMINATED", "child terminated")
    client.purge_workflow(iid("holder"), recursive=True)
    report(
        "terminate and purge, recursive",
        client.get_workflow_state(iid("holder")) is None and client.get_workflow_state(child_id) is None,
    )

    client.schedule_new_workflow(failing, input="boom", instance_id=iid("failing"))
    state, _ = completed(client, iid("failing"))
    failure = state.failure_details if state else None
    report(
        "failure details",
        state is not None and state.runtime_status.name == "FAILED" and failure and "boom" in failure.message,
        error_type=failure.error_type if failure else None,
        message=failure.message if failure else None,
    )

    client.schedule_new_workflow("versioned", instance_id=iid("versioned"))
    _, output = completed(client, iid("versioned"))
    report("versioning and patches", output == "Hello v2", output=output)

    if with_119:
        ids = []
        page = client.list_workflow_instance_ids(page_size=5)
        ids.extend(page.instance_ids)
        while page.continuation_token:
            page = client.list_workflow_instance_ids(page_size=5, continuation_token=page.continuation_token)
            ids.extend(page.instance_ids)
        report("list (paged)", {iid("chain"), iid("fan")} <= set(ids), listed=len(ids))

        history = client.get_workflow_history(iid("chain"))
        kinds = [str(event.event_type) for event in history]
        report("history", len(history) > 0, kinds=kinds)

        first_task = next(event.event_id for event in history if event.event_id >= 0)
        rerun = client.rerun_workflow_from_event(iid("chain"), first_task, new_instance_id=iid("rerun"))
        _, output = completed(client, rerun)
        report(
            "rerun from an event", output == ["Hello Tokyo", "Hello Seattle", "Hello London"], output=output
        )


def main():
    run_id = sys.argv[1]
    wfr.start()
    try:
        client = wf.DaprWorkflowClient()
        run(client, run_id, "--with-119" in sys.argv)
    finally:
        wfr.shutdown()


if __name__ == "__main__":
    main()
