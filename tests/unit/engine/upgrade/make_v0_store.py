"""Write the schema-0 store of the upgrade test with the engine of release 0.1.0 (commit fbb848b).

Run it with that release's ``builtin_engine`` and this repository's ``tests`` importable, e.g.
from a folder holding links to both:

    PYTHONPATH=<folder> python -m tests.unit.engine.upgrade.make_v0_store store-v0.sql

It leaves instances in every unfinished state (waiting for an event, a timer due, a retry
pending after a failure, a parent waiting for its child, suspended with an event buffered, a
delayed start) plus finished ones and an unread inbox request, then dumps the database as SQL.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import builtin_engine as wf
from tests.unit.engine.upgrade import flows


def status(client: wf.DaprWorkflowClient, iid: str) -> str:
    state = client.get_workflow_state(iid)
    return state.runtime_status.name if state else "NONE"


def until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.01)


def history_kinds(client: wf.DaprWorkflowClient, iid: str) -> list[str]:
    return [e.event_type for e in client.get_workflow_history(iid)]


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "v0.db"
        runtime = wf.WorkflowRuntime(store=db)
        flows.register(runtime)
        runtime.start()
        client = wf.DaprWorkflowClient(store=db)
        client.schedule_new_workflow(flows.approval, input={"item": "car"}, instance_id="waiting")
        client.schedule_new_workflow(flows.sleeper, input=3.0, instance_id="sleeping")
        client.schedule_new_workflow(flows.retrier, input="r", instance_id="retrying")
        client.schedule_new_workflow(flows.parent, input="p", instance_id="parent")
        client.schedule_new_workflow(flows.approval, input={"item": "bike"}, instance_id="suspended")
        client.schedule_new_workflow(
            flows.sleeper,
            input=0.5,
            instance_id="delayed",
            start_at=datetime.now(UTC) + timedelta(seconds=3),
        )
        done = client.schedule_new_workflow(flows.approval, input={"item": "pen"}, instance_id="done")
        client.schedule_new_workflow(flows.failing, instance_id="failed")
        until(lambda: status(client, "failed") == "FAILED", "failed")
        until(lambda: history_kinds(client, "retrying").count("TimerCreated") == 1, "retry timer")
        until(lambda: status(client, "parent-kid") == "RUNNING", "child")
        until(lambda: "TimerCreated" in history_kinds(client, "sleeping"), "timer")
        until(lambda: status(client, "suspended") == "RUNNING", "suspended running")
        client.pause_workflow("suspended")
        until(lambda: status(client, "suspended") == "SUSPENDED", "suspended")
        client.raise_workflow_event("suspended", "approval", data="held while suspended")
        until(lambda: "EventRaised" in history_kinds(client, "suspended"), "buffered event")
        client.raise_workflow_event(done, "approval", data="yes")
        until(lambda: status(client, done) == "COMPLETED", "done")
        until(lambda: status(client, "waiting") == "RUNNING", "waiting")
        runtime.shutdown()
        # A request another process left while no engine ran: terminate, recursively.
        wf.DaprWorkflowClient(store=db).terminate_workflow("parent", output="stopped", recursive=True)
        conn = sqlite3.connect(db)
        out.write_text("\n".join(conn.iterdump()) + "\n")
        conn.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
