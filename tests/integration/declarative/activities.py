"""Activities the declarative test definitions call, hosted by the gateway through ``runtimes``.

``FLOWPORT_TEST_SIDE`` names a directory where activities leave traces a test can read
(executions, task tokens), also across a gateway restart.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import builtin_engine as wf

wfr = wf.WorkflowRuntime()


def side_dir() -> Path:
    path = Path(os.environ["FLOWPORT_TEST_SIDE"])
    path.mkdir(parents=True, exist_ok=True)
    return path


class PaymentDeclined(Exception):
    """An activity's own error: ASL matches it by its name."""


@wfr.activity(name="noop")
def noop(ctx: wf.WorkflowActivityContext, value: Any) -> Any:
    return value


@wfr.activity(name="add")
def add(ctx: wf.WorkflowActivityContext, value: dict[str, int]) -> int:
    return value["a"] + value["b"]


@wfr.activity(name="record")
def record(ctx: wf.WorkflowActivityContext, value: Any) -> Any:
    """Appends ``value['label']`` to ``executions.log`` and returns the value."""
    with (side_dir() / "executions.log").open("a") as log:
        log.write(f"{value['label']}\n")
    return value


@wfr.activity(name="flaky")
def flaky(ctx: wf.WorkflowActivityContext, value: dict[str, Any]) -> dict[str, Any]:
    """Fails ``value['failures']`` times per ``value['key']``, then returns the attempt count."""
    counter = side_dir() / f"flaky-{value['key']}"
    attempts = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(attempts))
    if attempts <= value.get("failures", 0):
        raise ConnectionError(f"attempt {attempts} of {value['key']} failed")
    return {"key": value["key"], "attempts": attempts}


@wfr.activity(name="charge")
def charge(ctx: wf.WorkflowActivityContext, value: dict[str, Any]) -> dict[str, Any]:
    if value["amount"] > 1000:
        raise PaymentDeclined(f"{value['amount']} is over the limit")
    return {"charged": value["amount"]}


@wfr.activity(name="hand_out_token")
def hand_out_token(ctx: wf.WorkflowActivityContext, value: dict[str, Any]) -> None:
    """What a real integration would queue for a worker: here a file named after the key."""
    (side_dir() / f"token-{value['key']}").write_text(value["token"])
