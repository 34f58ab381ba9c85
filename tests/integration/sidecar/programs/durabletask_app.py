"""A Durable Task app written the way durabletask-dapr's documentation shows it.

Unmodified code of the ``durabletask-dapr`` 0.17.4 SDK (the generation before the SDK moved
into ``dapr.ext.workflow``): a ``TaskHubGrpcWorker`` hosts the orchestrators and activities
below in this process, a ``TaskHubGrpcClient`` drives them, and the sidecar is found through
``DAPR_GRPC_ENDPOINT`` only (0.17.4 reads ``DAPR_GRPC_PORT`` only beside ``DAPR_GRPC_HOST`` or
``DAPR_RUNTIME_HOST``, and defaults to localhost:4001). It runs in the environment
``py-durabletask-0.17.4`` of scripts/sdk-envs.sh and prints one JSON line per scenario,
like dapr_workflow_app.py.
(0.17.4's worker registers versioned orchestrators only through a private registry, so
versions are left out here; patches are in.)

    python durabletask_app.py RUN_ID
"""

import json
import sys
import time
from datetime import timedelta

from durabletask import client, task, worker

WAIT_SECONDS = 120
ATTEMPTS: dict[str, int] = {}


# --- activities --------------------------------------------------------------------------


def hello(ctx: task.ActivityContext, name: str) -> str:
    return f"Hello {name}"


def square(ctx: task.ActivityContext, n: int) -> int:
    return n * n


def flaky(ctx: task.ActivityContext, succeed_on: int) -> int:
    ATTEMPTS[ctx.orchestration_id] = ATTEMPTS.get(ctx.orchestration_id, 0) + 1
    if ATTEMPTS[ctx.orchestration_id] < succeed_on:
        raise RuntimeError(f"attempt {ATTEMPTS[ctx.orchestration_id]} fails")
    return ATTEMPTS[ctx.orchestration_id]


def explode(ctx: task.ActivityContext, message: str) -> None:
    raise ValueError(message)


# --- orchestrators -----------------------------------------------------------------------


def chain(ctx: task.OrchestrationContext, names: list):
    results = []
    for name in names:
        results.append((yield ctx.call_activity(hello, input=name)))
    return results


def fan_out_fan_in(ctx: task.OrchestrationContext, count: int):
    squares = yield task.when_all([ctx.call_activity(square, input=n) for n in range(count)])
    return sum(squares)


def retrying(ctx: task.OrchestrationContext, succeed_on: int):
    policy = task.RetryPolicy(first_retry_interval=timedelta(seconds=1), max_number_of_attempts=5)
    return (yield ctx.call_activity(flaky, input=succeed_on, retry_policy=policy))


def napping(ctx: task.OrchestrationContext, seconds: int):
    started = ctx.current_utc_datetime
    yield ctx.create_timer(timedelta(seconds=seconds))
    return (ctx.current_utc_datetime - started).total_seconds()


def approval(ctx: task.OrchestrationContext, delay_seconds: int):
    if delay_seconds:
        yield ctx.create_timer(timedelta(seconds=delay_seconds))
    ctx.set_custom_status("waiting")
    decision = yield ctx.wait_for_external_event("approve")
    ctx.set_custom_status("decided")
    return decision


def counter(ctx: task.OrchestrationContext, state: dict):
    value = yield ctx.wait_for_external_event("add")
    state = {"total": state["total"] + value, "executions": state["executions"] + 1}
    if state["executions"] < 3:
        ctx.continue_as_new(state, save_events=True)
        return None
    return state


def child(ctx: task.OrchestrationContext, name: str):
    return (yield ctx.call_activity(hello, input=name))


def parent(ctx: task.OrchestrationContext, _):
    default_id = yield ctx.call_sub_orchestrator(child, input="default")
    given_id = yield ctx.call_sub_orchestrator(child, input="given", instance_id=f"{ctx.instance_id}-given")
    return [default_id, given_id]


def waiter(ctx: task.OrchestrationContext, _):
    return (yield ctx.wait_for_external_event("never"))


def holder(ctx: task.OrchestrationContext, _):
    return (yield ctx.call_sub_orchestrator(waiter, instance_id=f"{ctx.instance_id}-child"))


def failing(ctx: task.OrchestrationContext, message: str):
    yield ctx.call_activity(explode, input=message)


def patched(ctx: task.OrchestrationContext, _):
    if ctx.is_patched("greet-twice"):
        yield ctx.call_activity(hello, input="patched")
    return (yield ctx.call_activity(hello, input="done"))


ORCHESTRATORS = [chain, fan_out_fan_in, retrying, napping, approval, counter, child, parent, waiter, holder]
ACTIVITIES = [hello, square, flaky, explode]


# --- the scenarios -----------------------------------------------------------------------


def report(scenario, ok, **facts):
    print(json.dumps({"scenario": scenario, "ok": bool(ok), **facts}, default=str), flush=True)


def completed(c, instance_id):
    state = c.wait_for_orchestration_completion(instance_id, timeout=WAIT_SECONDS)
    return state, (json.loads(state.serialized_output) if state and state.serialized_output else None)


def wait_until(predicate, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError(what)


def status_of(c, instance_id):
    state = c.get_orchestration_state(instance_id)
    return state.runtime_status.name if state else None


def run(c, run_id):
    def iid(name):
        return f"{run_id}-{name}"

    c.schedule_new_orchestration(chain, input=["Tokyo", "Seattle"], instance_id=iid("chain"))
    report("chaining", completed(c, iid("chain"))[1] == ["Hello Tokyo", "Hello Seattle"])

    c.schedule_new_orchestration(fan_out_fan_in, input=10, instance_id=iid("fan"))
    report("fan-out/fan-in", completed(c, iid("fan"))[1] == 285)

    c.schedule_new_orchestration(retrying, input=3, instance_id=iid("retry"))
    report("retry policy", completed(c, iid("retry"))[1] == 3)

    c.schedule_new_orchestration(napping, input=2, instance_id=iid("timer"))
    slept = completed(c, iid("timer"))[1]
    report("timer", slept is not None and slept >= 2, slept=slept)

    c.schedule_new_orchestration(approval, input=2, instance_id=iid("early"))
    c.raise_orchestration_event(iid("early"), "approve", data={"by": "early"})
    report("event before the wait", completed(c, iid("early"))[1] == {"by": "early"})

    c.schedule_new_orchestration(approval, input=0, instance_id=iid("during"))
    wait_until(
        lambda: (
            (c.get_orchestration_state(iid("during")) or None)
            and c.get_orchestration_state(iid("during")).serialized_custom_status == "waiting"
        ),
        "custom status 'waiting'",
    )
    c.raise_orchestration_event(iid("during"), "approve", data={"by": "during"})
    state, output = completed(c, iid("during"))
    report(
        "event during the wait, custom status",
        output == {"by": "during"} and state.serialized_custom_status == "decided",
    )

    c.schedule_new_orchestration(approval, input=0, instance_id=iid("suspended"))
    c.wait_for_orchestration_start(iid("suspended"), timeout=WAIT_SECONDS)
    c.suspend_orchestration(iid("suspended"))
    wait_until(lambda: status_of(c, iid("suspended")) == "SUSPENDED", "SUSPENDED")
    c.raise_orchestration_event(iid("suspended"), "approve", data={"by": "suspended"})
    still = status_of(c, iid("suspended"))
    c.resume_orchestration(iid("suspended"))
    output = completed(c, iid("suspended"))[1]
    report("event while suspended, suspend/resume", still == "SUSPENDED" and output == {"by": "suspended"})

    c.schedule_new_orchestration(parent, instance_id=iid("parent"))
    output = completed(c, iid("parent"))[1]
    report(
        "child workflows (default and given IDs)",
        output == ["Hello default", "Hello given"] and status_of(c, f"{iid('parent')}-given") == "COMPLETED",
    )

    c.schedule_new_orchestration(counter, input={"total": 0, "executions": 0}, instance_id=iid("counter"))
    for value in (1, 2, 3):
        c.raise_orchestration_event(iid("counter"), "add", data=value)
    report(
        "continue-as-new with carried events",
        completed(c, iid("counter"))[1] == {"total": 6, "executions": 3},
    )

    c.schedule_new_orchestration(holder, instance_id=iid("holder"))
    child_id = f"{iid('holder')}-child"
    wait_until(lambda: status_of(c, child_id) == "RUNNING", "child running")
    c.terminate_orchestration(iid("holder"), output="stopped", recursive=True)
    wait_until(lambda: status_of(c, iid("holder")) == "TERMINATED", "holder terminated")
    wait_until(lambda: status_of(c, child_id) == "TERMINATED", "child terminated")
    c.purge_orchestration(iid("holder"), recursive=True)
    report(
        "terminate and purge, recursive",
        status_of(c, iid("holder")) is None and status_of(c, child_id) is None,
    )

    c.schedule_new_orchestration(failing, input="boom", instance_id=iid("failing"))
    state, _ = completed(c, iid("failing"))
    failure = state.failure_details if state else None
    report(
        "failure details",
        state is not None and state.runtime_status.name == "FAILED" and failure and "boom" in failure.message,
        error_type=failure.error_type if failure else None,
    )

    c.schedule_new_orchestration(patched, instance_id=iid("patched"))
    report("patches", completed(c, iid("patched"))[1] == "Hello done")


def main():
    with worker.TaskHubGrpcWorker() as w:
        for orchestrator in [*ORCHESTRATORS, failing, patched]:
            w.add_orchestrator(orchestrator)
        for activity in ACTIVITIES:
            w.add_activity(activity)
        w.start()
        with client.TaskHubGrpcClient() as c:
            run(c, sys.argv[1])


if __name__ == "__main__":
    main()
