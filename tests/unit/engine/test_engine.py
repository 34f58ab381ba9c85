"""The engine through Dapr's client API: every pattern a workflow author relies on."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

import builtin_engine as wf
from tests.unit.engine import flows
from tests.unit.engine.conftest import Start

WAIT = 30  # seconds; generous for a loaded machine


def finished(client: wf.DaprWorkflowClient, instance_id: str) -> wf.WorkflowState:
    state = client.wait_for_workflow_completion(instance_id, timeout_in_seconds=WAIT)
    assert state is not None
    return state


def poll(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def status(client: wf.DaprWorkflowClient, instance_id: str) -> str:
    state = client.get_workflow_state(instance_id)
    return state.runtime_status.name if state else "NONE"


def test_chain_of_plain_async_and_inputless_activities(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.chain, input="Ada")
    state = finished(client, iid)
    assert state.runtime_status is wf.WorkflowStatus.COMPLETED
    assert state.name == "chain"
    assert json.loads(state.serialized_input or "") == "Ada"
    assert json.loads(state.serialized_output or "") == ["Hello Ada", 2, "no input"]
    assert state.failure_details is None
    assert state.created_at <= state.last_updated_at


def test_dataclass_and_pydantic_payloads_decode_to_annotations(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow("typed", input=flows.Order("tea", 4))
    state = finished(client, iid)
    assert state.runtime_status.name == "COMPLETED", state.failure_details
    assert json.loads(state.serialized_output or "") == {"item": "tea", "total": 10.0}


def test_retry_policy_counts_the_first_attempt(client: wf.DaprWorkflowClient) -> None:
    ok = client.schedule_new_workflow(flows.retrying, input=2)
    too_many = client.schedule_new_workflow(flows.retrying, input=3)
    assert json.loads(finished(client, ok).serialized_output or "") == "ok after 3"
    failed = finished(client, too_many)
    assert failed.runtime_status.name == "FAILED"
    assert flows.calls[f"{too_many}:flaky"] == 3
    assert failed.failure_details is not None
    assert failed.failure_details.error_type == "TaskFailedError"
    assert "attempt 3 failed" in failed.failure_details.message
    # the retries waited on durable timers, visible in the history
    kinds = [e.event_type for e in client.get_workflow_history(ok)]
    assert kinds.count("TimerCreated") == 2
    assert kinds.count("ActivityScheduled") == 3


@pytest.mark.parametrize("kind", ["non-retryable", "KeyError"])
def test_non_retryable_errors_fail_at_once(client: wf.DaprWorkflowClient, kind: str) -> None:
    iid = client.schedule_new_workflow(flows.failing, input=kind)
    assert finished(client, iid).runtime_status.name == "FAILED"
    assert flows.calls[f"{iid}:fatal"] == 1


def test_task_failure_can_be_caught_for_compensation(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.compensating)
    state = finished(client, iid)
    assert json.loads(state.serialized_output or "") == {"compensated": "KeyError"}
    assert flows.calls[f"{iid}:undo"] == 1


def test_unhandled_exception_fails_with_details(client: wf.DaprWorkflowClient) -> None:
    state = finished(client, client.schedule_new_workflow(flows.crash))
    assert state.runtime_status.name == "FAILED"
    assert state.serialized_output is None
    details = state.failure_details
    assert details is not None
    assert (details.error_type, details.message) == ("RuntimeError", "the workflow itself broke")
    assert "Traceback" in (details.stack_trace or "")


def test_fan_out_fan_in(client: wf.DaprWorkflowClient) -> None:
    state = finished(client, client.schedule_new_workflow(flows.fan_out, input=50))
    assert json.loads(state.serialized_output or "") == sum(range(1, 51))


def test_when_any_event_against_timer(client: wf.DaprWorkflowClient) -> None:
    approved = client.schedule_new_workflow(flows.approval, input=60)
    expired = client.schedule_new_workflow(flows.approval, input=0.05)
    client.raise_workflow_event(approved, "approval", data={"by": "Grace"})
    assert json.loads(finished(client, approved).serialized_output or "") == "approved by Grace"
    assert json.loads(finished(client, expired).serialized_output or "") == "timed out"


def test_events_raised_before_the_wait_are_kept_in_order(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.events_in_order, input=3)
    for i in range(3):
        client.raise_workflow_event(iid, "ITEM", data=i)  # names are case-insensitive
    state = finished(client, iid)
    assert json.loads(state.serialized_output or "") == [0, 1, 2]
    assert json.loads(state.serialized_custom_status or "") == {"got": 3}


def test_timer_fires_on_time_and_clock_is_deterministic(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.sleeper, input=0.3)
    elapsed = json.loads(finished(client, iid).serialized_output or "")
    assert elapsed >= 0.3


def test_child_workflows_have_their_own_ids(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.parent, input=3, instance_id="fam")
    state = finished(client, iid)
    assert json.loads(state.serialized_output or "") == [1, 2, 3, 101]
    child = client.get_workflow_state("fam-child-1")
    assert child is not None
    assert child.runtime_status.name == "COMPLETED"
    assert client.get_workflow_state("fam:0003") is not None  # Dapr's default child ID


def test_child_failure_surfaces_as_task_failed(client: wf.DaprWorkflowClient) -> None:
    state = finished(client, client.schedule_new_workflow(flows.failing_parent))
    assert json.loads(state.serialized_output or "") == "child failed: TaskFailedError"


def test_suspend_buffers_events_and_resume_delivers(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.waiter)
    client.wait_for_workflow_start(iid, timeout_in_seconds=WAIT)
    client.pause_workflow(iid)
    assert status(client, iid) == "SUSPENDED"
    client.raise_workflow_event(iid, "go", data="payload")
    # The raise returns once its step is durable: had the event reached the workflow, that
    # same step would have scheduled the activity that follows the wait.
    kinds = [e.event_type for e in client.get_workflow_history(iid)]
    assert kinds[-1] == "EventRaised"
    assert "ActivityScheduled" not in kinds
    assert status(client, iid) == "SUSPENDED"
    client.resume_workflow(iid)
    assert json.loads(finished(client, iid).serialized_output or "") == "payload"
    with pytest.raises(wf.InstanceStateError):
        client.resume_workflow(iid)


def test_terminate_is_recursive_and_purge_only_terminal(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.parent_of_waiters, instance_id="boss")
    poll(lambda: status(client, "boss-w1") == "RUNNING")
    with pytest.raises(wf.InstanceStateError):
        client.purge_workflow(iid)
    client.terminate_workflow(iid, output={"why": "test"})
    state = finished(client, iid)
    assert state.runtime_status.name == "TERMINATED"
    assert json.loads(state.serialized_output or "") == {"why": "test"}
    assert status(client, "boss-w0") == "TERMINATED"
    assert status(client, "boss-w1") == "TERMINATED"
    client.purge_workflow(iid)
    assert client.get_workflow_state(iid) is None
    assert client.get_workflow_state("boss-w0") is None

    with pytest.raises(wf.UnknownInstanceError):
        client.terminate_workflow(iid)


def test_continue_as_new_resets_history(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.counter, input={"n": 0})
    state = finished(client, iid)
    assert json.loads(state.serialized_output or "") == 3
    assert json.loads(state.serialized_input or "") == {"n": 3}
    assert [flows.calls[f"{iid}:step-{n}"] for n in range(4)] == [1, 1, 1, 1]
    history = client.get_workflow_history(iid)
    assert history[0].event_type == "WorkflowStarted"
    assert json.loads(history[0].data or "") == {"n": 3}
    assert len(history) == 4  # started, scheduled, completed, workflow completed


def test_continue_as_new_can_carry_unprocessed_events(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.carry_events, input=0)
    client.raise_workflow_event(iid, "tick", data="first")
    client.raise_workflow_event(iid, "tick", data="second")
    assert json.loads(finished(client, iid).serialized_output or "") == "second"


def test_duplicate_ids_unknown_instances_and_timeouts(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.waiter, instance_id="only-one")
    with pytest.raises(wf.DuplicateInstanceError):
        client.schedule_new_workflow(flows.waiter, instance_id="only-one")
    assert client.get_workflow_state("nobody") is None
    with pytest.raises(wf.UnknownInstanceError):
        client.raise_workflow_event("nobody", "go")
    with pytest.raises(TimeoutError):
        client.wait_for_workflow_completion(iid, timeout_in_seconds=1)
    client.terminate_workflow(iid)
    finished(client, iid)
    with pytest.raises(wf.DuplicateInstanceError):  # Dapr 1.18: purge first to reuse an ID
        client.schedule_new_workflow(flows.waiter, instance_id="only-one")
    client.purge_workflow(iid)
    client.schedule_new_workflow(flows.chain, input="again", instance_id="only-one")
    assert finished(client, "only-one").runtime_status.name == "COMPLETED"


def test_delayed_start_stays_pending_until_due(client: wf.DaprWorkflowClient) -> None:
    due = datetime.now(UTC) + timedelta(seconds=3)
    iid = client.schedule_new_workflow(flows.chain, input="later", start_at=due)
    assert status(client, iid) == "PENDING"
    started = client.wait_for_workflow_start(iid, timeout_in_seconds=WAIT)
    assert started is not None
    assert started.runtime_status.name != "PENDING"
    assert datetime.now(UTC) >= due
    assert finished(client, iid).runtime_status.name == "COMPLETED"


def test_list_newest_first_with_filters_and_pages(client: wf.DaprWorkflowClient) -> None:
    ids = [client.schedule_new_workflow(flows.chain, input=str(i), instance_id=f"l{i}") for i in range(5)]
    waiting = client.schedule_new_workflow(flows.waiter, instance_id="l-wait")
    client.wait_for_workflow_start(waiting, timeout_in_seconds=WAIT)  # PENDING until its first step
    for iid in ids:
        finished(client, iid)
    page = client.list_workflow_states(page_size=4)
    assert [s.instance_id for s in page.states] == ["l-wait", "l4", "l3", "l2"]
    rest = client.list_workflow_states(page_size=4, continuation_token=page.continuation_token)
    assert [s.instance_id for s in rest.states] == ["l1", "l0"]
    assert rest.continuation_token is None
    running = client.list_workflow_states(statuses=[wf.WorkflowStatus.RUNNING])
    assert [s.instance_id for s in running.states] == [waiting]
    named = client.list_workflow_states(workflow_name="chain", statuses=[wf.WorkflowStatus.COMPLETED])
    assert len(named.states) == 5


def test_history_events_have_kinds_names_and_payloads(client: wf.DaprWorkflowClient) -> None:
    iid = client.schedule_new_workflow(flows.chain, input="Ada")
    finished(client, iid)
    history = client.get_workflow_history(iid)
    assert [e.sequence for e in history] == list(range(len(history)))
    assert [(e.event_type, e.name) for e in history] == [
        ("WorkflowStarted", "chain"),
        ("ActivityScheduled", "hello"),
        ("ActivityCompleted", "hello"),
        ("ActivityScheduled", "add_one"),
        ("ActivityCompleted", "add_one"),
        ("ActivityScheduled", "no_input"),
        ("ActivityCompleted", "no_input"),
        ("WorkflowCompleted", None),
    ]
    assert json.loads(history[2].data or "") == "Hello Ada"
    with pytest.raises(wf.UnknownInstanceError):
        client.get_workflow_history("nobody")


def test_cold_replay_after_eviction_is_correct(start_runtime: Start) -> None:
    _, client = start_runtime(max_cached_instances=1)
    ids = [client.schedule_new_workflow(flows.long_chain, input=20) for _ in range(4)]
    waiting = json.dumps("waiting for half")
    poll(lambda: all(client.get_workflow_state(i).serialized_custom_status == waiting for i in ids))  # type: ignore[union-attr]
    # Four idle instances, room for one: at least three were evicted, and each of those is
    # rebuilt from the store by replaying its history when its event arrives.
    for iid in ids:
        client.raise_workflow_event(iid, "half")
    for iid in ids:
        state = finished(client, iid)
        assert json.loads(state.serialized_output or "") == 20, state.failure_details
    assert sum(flows.calls[f"{iid}:replayed"] for iid in ids) >= 3


def test_non_determinism_fails_clearly_instead_of_hanging(start_runtime: Start) -> None:
    _, client = start_runtime(max_cached_instances=1)
    victim = client.schedule_new_workflow(flows.fickle)
    client.raise_workflow_event(victim, "go")
    poll(lambda: "ActivityCompleted" in [e.event_type for e in client.get_workflow_history(victim)])
    flows.switch["flip"] = True
    other = client.schedule_new_workflow(flows.waiter)  # pushes the victim out of the cache
    client.wait_for_workflow_start(other, timeout_in_seconds=WAIT)
    client.raise_workflow_event(victim, "go")
    state = finished(client, victim)
    assert state.runtime_status.name == "FAILED"
    assert state.failure_details is not None
    assert state.failure_details.error_type == "NonDeterminismError"
    assert "ActivityScheduled 'record'" in state.failure_details.message


def test_state_survives_a_restart(start_runtime: Start, tmp_path) -> None:
    store = tmp_path / "restart.db"
    runtime, client = start_runtime(store=store)
    waiting = client.schedule_new_workflow(flows.waiter)
    sleeping = client.schedule_new_workflow(flows.sleeper, input=0.5)
    client.wait_for_workflow_start(waiting, timeout_in_seconds=WAIT)
    runtime.shutdown()
    _, client = start_runtime(store=store)
    client.raise_workflow_event(waiting, "go", data=7)
    assert json.loads(finished(client, waiting).serialized_output or "") == 7
    assert finished(client, sleeping).runtime_status.name == "COMPLETED"


def test_one_engine_per_store(start_runtime: Start, tmp_path) -> None:
    start_runtime(store=tmp_path / "locked.db")
    with pytest.raises(wf.StoreLockedError):
        start_runtime(store=tmp_path / "locked.db")


async def test_async_client_in_the_engines_loop(tmp_path) -> None:
    from builtin_engine.aio import DaprWorkflowClient as AsyncClient

    runtime = wf.WorkflowRuntime()
    flows.register(runtime)
    engine = wf.Engine(wf.SQLiteStore(tmp_path / "aio.db"), runtime.registry)
    await engine.start()
    try:
        client = AsyncClient(store=tmp_path / "aio.db")
        iid = await client.schedule_new_workflow(flows.chain, input="aio")
        state = await client.wait_for_workflow_completion(iid, timeout_in_seconds=WAIT)
        assert state is not None
        assert json.loads(state.serialized_output or "")[0] == "Hello aio"
    finally:
        await engine.stop()


def test_delayed_start_suspension_and_children_survive_a_restart(start_runtime: Start, tmp_path) -> None:
    store = tmp_path / "restart2.db"
    runtime, client = start_runtime(store=store)
    later = client.schedule_new_workflow(
        flows.chain, input="later", start_at=datetime.now(UTC) + timedelta(seconds=1)
    )
    paused = client.schedule_new_workflow(flows.waiter)
    client.wait_for_workflow_start(paused, timeout_in_seconds=WAIT)
    client.pause_workflow(paused)
    client.raise_workflow_event(paused, "go", data="kept")
    boss = client.schedule_new_workflow(flows.parent_of_waiters, instance_id="boss2")
    poll(lambda: status(client, "boss2-w1") == "RUNNING")
    runtime.shutdown()

    _, client = start_runtime(store=store)
    assert status(client, paused) == "SUSPENDED"
    client.resume_workflow(paused)
    assert json.loads(finished(client, paused).serialized_output or "") == "kept"
    assert finished(client, later).runtime_status.name == "COMPLETED"
    for child in ("boss2-w0", "boss2-w1"):
        client.raise_workflow_event(child, "go")
    assert finished(client, boss).runtime_status.name == "COMPLETED"
