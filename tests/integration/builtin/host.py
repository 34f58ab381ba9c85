"""A process hosting workflows on a store, for the cross-process and kill -9 tests.

Run ``python -m tests.integration.builtin.host STORE SIDE_FILE``: it prints ``ready`` once the
engine has recovered its instances, then serves until killed. Every activity execution
appends a line to SIDE_FILE before doing anything else, so the tests can count executions
across crashes.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import builtin_engine as wf

SIDE_FILE = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("executions.log")

wfr = wf.WorkflowRuntime(store=sys.argv[1] if len(sys.argv) > 1 else None, poll_interval=0.02)


@wfr.activity
def step(ctx: wf.WorkflowActivityContext, label: str) -> str:
    with SIDE_FILE.open("a") as side:
        side.write(label + "\n")
    time.sleep(0.01)  # long enough for a kill to land while activities are in flight
    return label


@wfr.workflow
def durable(ctx: wf.DaprWorkflowContext, steps: int) -> Any:
    done = 0
    for i in range(steps):
        yield ctx.call_activity(step, input=f"{ctx.instance_id}:{i}")
        done += 1
        if i == steps // 2:
            go = yield ctx.wait_for_external_event("go")
            done += go["bonus"]
            yield ctx.create_timer(timedelta(milliseconds=100))
    fanned = yield wf.when_all([ctx.call_activity(step, input=f"{ctx.instance_id}:fan{j}") for j in range(3)])
    return done + len(fanned)


@wfr.workflow
def waiter(ctx: wf.DaprWorkflowContext, _: Any = None) -> Any:
    first = yield ctx.wait_for_external_event("go")
    second = yield ctx.wait_for_external_event("go")
    return [first, second]


if __name__ == "__main__":
    wfr.start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)
