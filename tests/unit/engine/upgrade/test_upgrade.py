"""A store written by release 0.1.0 (schema 0) opens, migrates, and runs its unfinished instances."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import builtin_engine as wf
from tests.unit.engine.upgrade import flows

FIXTURE = Path(__file__).with_name("store-v0.sql")
WAIT = 30


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    """A copy of the schema-0 store, as release 0.1.0 left it."""
    db = tmp_path / "v0.db"
    conn = sqlite3.connect(db)
    conn.executescript(FIXTURE.read_text())
    conn.close()
    return db


@pytest.fixture
def upgraded(old_store: Path) -> Iterator[wf.DaprWorkflowClient]:
    """The new engine running on the old store (it migrates when it opens)."""
    flows.attempts.clear()
    runtime = wf.WorkflowRuntime(store=old_store)
    flows.register(runtime)
    runtime.start()
    try:
        yield wf.DaprWorkflowClient(store=old_store)
    finally:
        runtime.shutdown()


def user_version(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        return version
    finally:
        conn.close()


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"not reached in time: {what}"
        time.sleep(0.01)


def completed(client: wf.DaprWorkflowClient, instance_id: str) -> wf.WorkflowState:
    state = client.wait_for_workflow_completion(instance_id, timeout_in_seconds=WAIT)
    assert state is not None
    return state


def test_the_fixture_is_a_schema_0_store(old_store: Path) -> None:
    assert user_version(old_store) == 0
    conn = sqlite3.connect(old_store)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(inbox)")]
    conn.close()
    assert "recursive" not in columns


def test_opening_migrates_to_the_current_version_and_keeps_every_fact(old_store: Path) -> None:
    store = wf.SQLiteStore(old_store)
    store.open()
    try:
        assert user_version(old_store) == wf.SCHEMA_VERSION
        history = {e.type.name: e for _, e in store.history("retrying")}
        assert history["WORKFLOW_STARTED"].execution_id == store.get("retrying").execution_id  # type: ignore[union-attr]
        failure = history["ACTIVITY_FAILED"].failure
        assert failure is not None
        assert (failure.error_type, failure.message) == ("RuntimeError", "first attempt fails")
        assert failure.stack_trace is not None
        assert "first attempt fails" in failure.stack_trace
        timer = history["TIMER_CREATED"]
        assert timer.fire_at is not None
        assert timer.fire_at == pytest.approx(timer.timestamp + 2, abs=0.01)  # the retry interval
        child = {e.type.name: e for _, e in store.history("parent")}["CHILD_WORKFLOW_SCHEDULED"]
        assert child.child_id == "parent-kid"
        [message] = store.read_inbox(0, 10)
        assert message.command.kind.value == "terminate"
        assert message.command.recursive is True
        assert message.command.name is None
        assert message.command.data == '"stopped"'
        # Finished instances keep their rows.
        failed = store.get("failed")
        assert failed is not None
        assert failed.failure is not None
        assert failed.failure.message == "always fails"
    finally:
        store.close()
    # Opening again is a no-op: the version is current.
    again = wf.SQLiteStore(old_store)
    again.open()
    again.close()
    assert user_version(old_store) == wf.SCHEMA_VERSION


def test_a_store_from_a_newer_release_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {wf.SCHEMA_VERSION + 1}")
    conn.close()
    store = wf.SQLiteStore(db)
    with pytest.raises(wf.StoreVersionError, match="newer than this Flowport knows"):
        store.open()
    store.close()
    assert user_version(db) == wf.SCHEMA_VERSION + 1
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    conn.close()


def test_unfinished_instances_run_to_completion_after_the_upgrade(upgraded: wf.DaprWorkflowClient) -> None:
    client = upgraded
    # The inbox request left before the upgrade (terminate parent, recursively) is carried out.
    assert completed(client, "parent").runtime_status.name == "TERMINATED"
    assert completed(client, "parent-kid").runtime_status.name == "TERMINATED"
    # The due timer fires; the retry pending after a recorded failure runs the second attempt.
    assert json.loads(completed(client, "sleeping").serialized_output or "") == "woke"
    assert json.loads(completed(client, "retrying").serialized_output or "") == "r"
    assert flows.attempts == {"retrying": 1}  # the failed first attempt is not run again
    # The delayed start, due by now, starts and completes.
    assert json.loads(completed(client, "delayed").serialized_output or "") == "woke"
    # A waiting instance takes the event raised after the upgrade.
    client.raise_workflow_event("waiting", "approval", data="yes")
    output = json.loads(completed(client, "waiting").serialized_output or "")
    assert output == {"order": {"item": "car"}, "decision": "yes"}
    # The suspended one still is, keeps its buffered event, and consumes it on resume.
    suspended = client.get_workflow_state("suspended")
    assert suspended is not None
    assert suspended.runtime_status.name == "SUSPENDED"
    client.resume_workflow("suspended", reason="after the upgrade")
    output = json.loads(completed(client, "suspended").serialized_output or "")
    assert output == {"order": {"item": "bike"}, "decision": "held while suspended"}
    resumed = [e for e in client.get_workflow_history("suspended") if e.event_type == "WorkflowResumed"]
    assert [e.data for e in resumed] == ['"after the upgrade"']
    # Finished instances are as they were, and purge still works on them.
    assert client.get_workflow_state("done").runtime_status.name == "COMPLETED"  # type: ignore[union-attr]
    client.purge_workflow("failed")
    until(lambda: client.get_workflow_state("failed") is None, "purged")
