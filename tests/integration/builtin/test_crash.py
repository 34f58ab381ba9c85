"""Durability with a real process: kill -9 mid-flight, restart, and nothing acknowledged is lost.

The host process runs the workflows; this process is a client in another process (its
requests go through the store's inbox).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

import builtin_engine as wf
from tests.integration.builtin.hosting import WAIT, host

STEPS = 8
INSTANCES = 20


def executions(side_file: Path) -> Counter[str]:
    if not side_file.exists():
        return Counter()
    return Counter(line for line in side_file.read_text().splitlines() if line)


def recorded_completions(client: wf.DaprWorkflowClient, instance_ids: list[str]) -> set[str]:
    """Labels of the activities whose completion is in the store."""
    done: set[str] = set()
    for iid in instance_ids:
        for event in client.get_workflow_history(iid):
            if event.event_type == "ActivityCompleted" and event.data:
                done.add(json.loads(event.data))
    return done


def test_kill_9_loses_nothing_acknowledged(tmp_path: Path) -> None:
    store = tmp_path / "crash.db"
    side_file = tmp_path / "executions.log"
    client = wf.DaprWorkflowClient(store=store)
    early: list[str] = []
    late: list[str] = []
    with host(store, side_file) as process:
        ids = [
            client.schedule_new_workflow("durable", input=STEPS, instance_id=f"c{i}")
            for i in range(INSTANCES)
        ]
        early, late = ids[::2], ids[1::2]
        for iid in early:  # raised before the instance waits: must be kept across the crash
            client.raise_workflow_event(iid, "go", data={"bonus": 100})
        # Kill mid-flight: once some completions are durable and more activities have run.
        deadline = time.monotonic() + WAIT
        while sum(executions(side_file).values()) < INSTANCES * 3 or not recorded_completions(client, ids):
            assert time.monotonic() < deadline, "the host made no progress"
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=WAIT)
    for iid in late:  # acknowledged while no engine runs: kept in the store's inbox
        client.raise_workflow_event(iid, "go", data={"bonus": 100})
    survived = recorded_completions(client, ids)
    before = executions(side_file)
    assert survived, "the kill came before anything was recorded; the test proves nothing"
    print(f"recorded {len(survived)} of {sum(before.values())} executions before the kill")
    with host(store, side_file):
        states = [client.wait_for_workflow_completion(iid, timeout_in_seconds=WAIT) for iid in ids]
    after = executions(side_file)
    for state in states:
        assert state is not None
        assert state.runtime_status.name == "COMPLETED", state.failure_details
        assert json.loads(state.serialized_output or "") == STEPS + 100 + 3
    for label in survived:  # a completion the store recorded is never run again
        assert after[label] == 1, f"{label} ran {after[label]} times"
    expected = {f"{iid}:{i}" for iid in ids for i in range(STEPS)} | {
        f"{iid}:fan{j}" for iid in ids for j in range(3)
    }
    assert set(after) == expected  # and every activity ran at least once


def test_client_in_another_process_drives_every_operation(tmp_path: Path) -> None:
    store = tmp_path / "xproc.db"
    client = wf.DaprWorkflowClient(store=store)
    with host(store, tmp_path / "side.log"):
        iid = client.schedule_new_workflow("waiter", instance_id="far")
        started = client.wait_for_workflow_start(iid, timeout_in_seconds=WAIT)
        assert started is not None
        client.raise_workflow_event(iid, "go", data=1)
        client.pause_workflow(iid)
        deadline = time.monotonic() + WAIT
        while (state := client.get_workflow_state(iid)) is None or state.runtime_status.name != "SUSPENDED":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        client.raise_workflow_event(iid, "go", data=2)  # buffered while suspended
        client.resume_workflow(iid)
        done = client.wait_for_workflow_completion(iid, timeout_in_seconds=WAIT)
        assert done is not None
        assert json.loads(done.serialized_output or "") == [1, 2]

        doomed = client.schedule_new_workflow("waiter")
        client.wait_for_workflow_start(doomed, timeout_in_seconds=WAIT)
        client.terminate_workflow(doomed, output="stop")
        ended = client.wait_for_workflow_completion(doomed, timeout_in_seconds=WAIT)
        assert ended is not None
        assert ended.runtime_status.name == "TERMINATED"
        client.purge_workflow(doomed)
        assert client.get_workflow_state(doomed) is None
        listed = client.list_workflow_states(workflow_name="waiter")
        assert [s.instance_id for s in listed.states] == ["far"]
        assert [e.event_type for e in client.get_workflow_history("far")][-1] == "WorkflowCompleted"
