"""The engine's side of remote workers: turns, tokens, re-dispatch, durability.

The worker here is a fake (``ScriptedWorker``): a few lines that answer work items the way an
SDK worker would, driven through the engine's own API. The real SDK workers, over the real
protocol, are tested against the gateway's sidecar service; this file pins down the engine's
rules one at a time, where a fake can hit an exact moment (a stream dropped mid-turn, a stale
answer) that a real worker cannot be made to.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

import builtin_engine as wf
from builtin_engine._history import Event, EventType
from builtin_engine._remote import RemoteWorker
from builtin_engine._remote_items import (
    ActivityWorkItem,
    CompleteWorkflow,
    CreateTimer,
    ScheduleActivity,
    TurnResult,
    WorkflowWorkItem,
)
from builtin_engine._store import Status

WAIT = 30.0

local = wf.WorkflowRuntime()


@local.activity(name="double")
def double(ctx: wf.WorkflowActivityContext, n: int) -> int:
    return n * 2


@local.workflow(name="doubler")
def doubler(ctx: wf.DaprWorkflowContext, n: int) -> Any:
    once = yield ctx.call_activity(double, input=n)
    return (yield ctx.call_activity(double, input=once))


def chain_turn(item: WorkflowWorkItem) -> TurnResult:
    """The fake workflow ``chain``: ``steps`` activities ``inc`` in a row, then the total.

    An SDK worker replays ``past`` and ``new`` and answers the commands its code issues next;
    this one reads the count of completed activities and asks for the next.
    """
    events = [*item.past, *item.new]
    started = next(e for e in events if e.type is EventType.WORKFLOW_STARTED)
    spec = json.loads(started.data or "{}")
    results = [json.loads(e.data or "null") for e in events if e.type is EventType.ACTIVITY_COMPLETED]
    raised = [json.loads(e.data or "null") for e in events if e.type is EventType.EVENT_RAISED]
    if spec.get("wait") and not raised:
        return TurnResult(custom_status=json.dumps("waiting"))
    if len(results) < spec["steps"]:
        value = (results[-1] if results else 0) + (raised[0] if raised else 0)
        return TurnResult([ScheduleActivity(len(results), spec.get("activity", "inc"), json.dumps(value))])
    return TurnResult([CompleteWorkflow(len(results), Status.COMPLETED, json.dumps(results[-1]))])


class ScriptedWorker:
    """A fake SDK worker: answers turns with ``turns`` and activities ``inc`` itself."""

    def __init__(
        self, engine: wf.Engine, turns: Callable[[WorkflowWorkItem], TurnResult] = chain_turn
    ) -> None:
        self.engine = engine
        self.turns = turns
        self.stream: RemoteWorker = engine.remote.connect()
        self.seen: list[WorkflowWorkItem | ActivityWorkItem] = []
        self.activities_run = 0
        self._task = asyncio.get_running_loop().create_task(self._serve())

    async def _serve(self) -> None:
        while (item := await self.stream.next()) is not None:
            self.seen.append(item)
            if isinstance(item, WorkflowWorkItem):
                self.engine.remote.complete_workflow(item.instance_id, item.token, self.turns(item))
            else:
                self.activities_run += 1
                result = json.dumps(json.loads(item.input or "0") + 1)
                self.engine.remote.complete_activity(item.instance_id, item.task_id, item.token, result, None)

    async def close(self) -> None:
        self.stream.close()
        await self._task


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[wf.Engine]:
    e = wf.Engine(
        wf.SQLiteStore(tmp_path / "remote.db"), local.registry, wf.EngineOptions(remote_workers=True)
    )
    await e.start()
    yield e
    await e.stop()


async def finished(engine: wf.Engine, instance_id: str) -> wf.WorkflowState:
    record = await engine.wait(instance_id, lambda r: r is None or r.status.is_terminal, WAIT)
    assert record is not None
    return wf.WorkflowState.of(record)


async def kinds(engine: wf.Engine, instance_id: str) -> list[str]:
    return [event.type.name for _, event in await engine.history(instance_id)]


async def test_a_remote_chain_runs_turn_by_turn_with_the_protocols_history(engine: wf.Engine) -> None:
    worker = ScriptedWorker(engine)
    await engine.schedule("chain", json.dumps({"steps": 2}), "c1")
    state = await finished(engine, "c1")
    assert state.runtime_status is wf.WorkflowStatus.COMPLETED
    assert json.loads(state.serialized_output or "") == 2
    assert await kinds(engine, "c1") == [
        "TURN_STARTED", "WORKFLOW_STARTED", "ACTIVITY_SCHEDULED",
        "TURN_STARTED", "ACTIVITY_COMPLETED", "ACTIVITY_SCHEDULED",
        "TURN_STARTED", "ACTIVITY_COMPLETED", "WORKFLOW_COMPLETED",
    ]  # fmt: skip
    turns = [item for item in worker.seen if isinstance(item, WorkflowWorkItem)]
    assert [len(t.past) for t in turns] == [0, 3, 6]  # each turn replays the committed history
    assert all(t.new[0].type is EventType.TURN_STARTED for t in turns)
    assert turns[1].past == tuple(e for _, e in (await engine.history("c1"))[:3])
    await worker.close()


async def test_with_no_worker_work_waits_and_the_instance_is_running(engine: wf.Engine) -> None:
    await engine.schedule("chain", json.dumps({"steps": 1}), "later")
    record = await engine.wait("later", lambda r: r is not None and r.status is not Status.PENDING, WAIT)
    assert record is not None
    assert record.status is Status.RUNNING
    assert engine.remote.queued == (1, 0)
    worker = ScriptedWorker(engine)
    assert (await finished(engine, "later")).runtime_status is wf.WorkflowStatus.COMPLETED
    await worker.close()


async def test_a_dropped_stream_gives_its_turn_to_another_worker_and_the_late_answer_is_ignored(
    engine: wf.Engine,
) -> None:
    gone = engine.remote.connect()
    await engine.schedule("chain", json.dumps({"steps": 1}), "dropped")
    item = await gone.next()
    assert isinstance(item, WorkflowWorkItem)
    gone.close()  # its stream ends before it answers
    worker = ScriptedWorker(engine)
    assert (await finished(engine, "dropped")).runtime_status is wf.WorkflowStatus.COMPLETED
    # The first worker's answer comes late, under its old token: ignored, nothing changes.
    late = TurnResult([CompleteWorkflow(0, Status.FAILED, failure=wf.FailureDetails("late", "Late"))])
    assert engine.remote.complete_workflow("dropped", item.token, late) is False
    assert (await finished(engine, "dropped")).runtime_status is wf.WorkflowStatus.COMPLETED
    await worker.close()


async def test_an_answer_with_another_token_is_stale_and_an_empty_token_is_accepted(
    engine: wf.Engine,
) -> None:
    stream = engine.remote.connect()
    await engine.schedule("chain", json.dumps({"steps": 0}), "tokens")
    item = await stream.next()
    assert isinstance(item, WorkflowWorkItem)
    done = TurnResult([CompleteWorkflow(0, Status.COMPLETED, '"ok"')])
    assert engine.remote.complete_workflow("tokens", "not-the-token", done) is False
    assert engine.remote.complete_workflow("tokens", "", done) is True  # the JS worker sends none
    assert (await finished(engine, "tokens")).runtime_status is wf.WorkflowStatus.COMPLETED
    stream.close()


async def test_events_suspend_resume_and_terminate(engine: wf.Engine) -> None:
    worker = ScriptedWorker(engine)
    admin = wf.WorkflowAdmin(engine.store)
    await engine.schedule("chain", json.dumps({"steps": 1, "wait": True}), "waits")
    await engine.wait("waits", lambda r: r is not None and r.custom_status == '"waiting"', WAIT)
    await admin.suspend("waits", "hold on")
    assert (await engine.get("waits")).status is Status.SUSPENDED  # type: ignore[union-attr]
    await admin.resume("waits")
    await admin.raise_event("waits", "go", "40")
    state = await finished(engine, "waits")
    assert json.loads(state.serialized_output or "") == 41
    history = [event for _, event in await engine.history("waits")]
    raised = [e for e in history if e.type is EventType.EVENT_RAISED]
    assert [(e.name, e.data) for e in raised] == [("go", "40")]
    assert [e.type for e in history if e.type.name.startswith("WORKFLOW_S")] == [
        EventType.WORKFLOW_STARTED,
        EventType.WORKFLOW_SUSPENDED,
    ]

    await engine.schedule("chain", json.dumps({"steps": 1, "wait": True}), "stopped")
    await engine.wait("stopped", lambda r: r is not None and r.custom_status == '"waiting"', WAIT)
    await worker.close()  # nobody will take its next turn
    await admin.raise_event("stopped", "go", "1")
    await admin.terminate("stopped", '"bye"')
    state = await finished(engine, "stopped")
    assert state.runtime_status is wf.WorkflowStatus.TERMINATED
    assert await engine.services.read(engine.store.pending, "stopped") == []  # the moot input went


async def test_a_remote_workflow_calls_an_in_process_activity(engine: wf.Engine) -> None:
    worker = ScriptedWorker(engine, chain_turn)
    await engine.schedule("chain", json.dumps({"steps": 2, "activity": "double"}), "mixed")
    state = await finished(engine, "mixed")
    assert worker.activities_run == 0  # ``double`` is registered here: it ran in-process
    assert json.loads(state.serialized_output or "") == 0
    await worker.close()


async def test_durable_timers_and_optional_timers(engine: wf.Engine) -> None:
    def sleeper(item: WorkflowWorkItem) -> TurnResult:
        events = [*item.past, *item.new]
        if not any(e.type is EventType.TIMER_CREATED for e in events):
            now = item.new[0].timestamp
            return TurnResult(
                [CreateTimer(0, now + 0.2), CreateTimer(1, 253402300799.999, origin='{"external": "x"}')]
            )
        if any(e.type is EventType.TIMER_FIRED for e in events):
            return TurnResult([CompleteWorkflow(2, Status.COMPLETED, '"rested"')])
        return TurnResult()

    worker = ScriptedWorker(engine, sleeper)
    await engine.schedule("sleeper", None, "sleeps")
    assert (await finished(engine, "sleeps")).runtime_status is wf.WorkflowStatus.COMPLETED
    history = [event for _, event in await engine.history("sleeps")]
    fired = [e for e in history if e.type is EventType.TIMER_FIRED]
    assert [e.task_id for e in fired] == [0]  # the far-future "optional" timer never fires
    created = [e for e in history if e.type is EventType.TIMER_CREATED]
    assert created[1].origin == '{"external": "x"}'
    await worker.close()


async def test_continue_as_new_carries_events_into_a_new_execution(engine: wf.Engine) -> None:
    def counter(item: WorkflowWorkItem) -> TurnResult:
        events = [*item.past, *item.new]
        started = next(e for e in events if e.type is EventType.WORKFLOW_STARTED)
        n = json.loads(started.data or "0")
        if n < 2:
            return TurnResult([CompleteWorkflow(0, None, json.dumps(n + 1), carryover=[("kept", '"x"')])])
        carried = [e.name for e in events if e.type is EventType.EVENT_RAISED]
        return TurnResult([CompleteWorkflow(0, Status.COMPLETED, json.dumps([n, carried]))])

    worker = ScriptedWorker(engine, counter)
    await engine.schedule("counter", "0", "cont")
    state = await finished(engine, "cont")
    assert json.loads(state.serialized_output or "") == [2, ["kept"]]
    history = [event for _, event in await engine.history("cont")]
    assert history[0].type is EventType.TURN_STARTED
    assert history[1].type is EventType.WORKFLOW_STARTED
    assert history[1].data == "2"  # only the last execution's history is kept
    await worker.close()


async def test_a_restart_keeps_pending_inputs_and_reruns_only_unanswered_activities(tmp_path: Path) -> None:
    store = tmp_path / "restart.db"
    first = wf.Engine(wf.SQLiteStore(store), local.registry, wf.EngineOptions(remote_workers=True))
    await first.start()
    stream = first.remote.connect()
    await first.schedule("chain", json.dumps({"steps": 2}), "r")
    turn = await stream.next()
    assert isinstance(turn, WorkflowWorkItem)
    assert first.remote.complete_workflow("r", turn.token, chain_turn(turn)) is True
    activity = await stream.next()  # taken, never answered: the engine goes down
    assert isinstance(activity, ActivityWorkItem)
    await first.services.writer.flush()
    await first.stop()

    second = wf.Engine(wf.SQLiteStore(store), local.registry, wf.EngineOptions(remote_workers=True))
    await second.start()
    try:
        worker = ScriptedWorker(second)
        state = await finished(second, "r")
        assert json.loads(state.serialized_output or "") == 2
        ran = [item for item in worker.seen if isinstance(item, ActivityWorkItem)]
        assert [item.task_id for item in ran] == [0, 1]  # the unanswered one again, then the next
        await worker.close()
    finally:
        await second.stop()


async def test_pending_inputs_survive_a_restart_before_any_turn(tmp_path: Path) -> None:
    store = tmp_path / "pending.db"
    first = wf.Engine(wf.SQLiteStore(store), local.registry, wf.EngineOptions(remote_workers=True))
    await first.start()
    await first.schedule("chain", json.dumps({"steps": 1, "wait": True}), "p")
    await wf.WorkflowAdmin(first.store).raise_event("p", "go", "5")  # acknowledged: durable
    await first.stop()
    second = wf.Engine(wf.SQLiteStore(store), local.registry, wf.EngineOptions(remote_workers=True))
    await second.start()
    try:
        pending = await second.services.read(second.store.pending, "p")
        assert [event.type for _, event in pending] == [EventType.WORKFLOW_STARTED, EventType.EVENT_RAISED]
        worker = ScriptedWorker(second)
        assert json.loads((await finished(second, "p")).serialized_output or "") == 6
        await worker.close()
    finally:
        await second.stop()


async def test_a_rerun_from_an_activity_reruns_it_with_new_input_and_what_follows(engine: wf.Engine) -> None:
    worker = ScriptedWorker(engine)
    await engine.schedule("chain", json.dumps({"steps": 3}), "source")
    assert json.loads((await finished(engine, "source")).serialized_output or "") == 3
    ran_before = worker.activities_run

    await engine.rerun("source", 1, "rerun", overwrite_input=True, new_input="100")
    state = await finished(engine, "rerun")
    assert json.loads(state.serialized_output or "") == 102  # activity 1 ran on 100, then 2 on 101
    assert worker.activities_run - ran_before == 2  # activity 0's result was kept
    history = [event for _, event in await engine.history("rerun")]
    scheduled = [(e.task_id, e.data) for e in history if e.type is EventType.ACTIVITY_SCHEDULED]
    assert scheduled == [(0, "0"), (1, "100"), (2, "101")]
    source, rerun = await engine.get("source"), await engine.get("rerun")
    assert source is not None
    assert rerun is not None
    assert rerun.execution_id != source.execution_id
    assert history[1].execution_id == rerun.execution_id

    with pytest.raises(wf.InvalidRerunError, match="there is no such event"):
        await engine.rerun("source", 9, "nowhere")
    with pytest.raises(
        wf.InvalidRerunError, match="cannot set a new child workflow instance ID on ActivityScheduled"
    ):
        await engine.rerun("source", 1, "x", new_child_id="child")
    with pytest.raises(wf.DuplicateInstanceError):
        await engine.rerun("source", 1, "rerun")
    await engine.schedule("chain", json.dumps({"steps": 1, "wait": True}), "running")
    with pytest.raises(wf.InstanceStateError, match="only a finished instance can be rerun"):
        await engine.rerun("running", 0, "y")
    with pytest.raises(wf.UnknownInstanceError):
        await engine.rerun("nobody", 0, "z")
    await worker.close()


async def test_a_rerun_of_an_in_process_workflow_replays_and_reruns_the_open_activity(
    engine: wf.Engine,
) -> None:
    await engine.schedule("doubler", "3", "local-source")
    assert json.loads((await finished(engine, "local-source")).serialized_output or "") == 12
    await engine.rerun("local-source", 1, "local-rerun", overwrite_input=True, new_input="10")
    assert json.loads((await finished(engine, "local-rerun")).serialized_output or "") == 20


def test_without_remote_workers_an_unknown_workflow_still_fails(tmp_path: Path) -> None:
    async def run() -> wf.WorkflowState:
        e = wf.Engine(wf.SQLiteStore(tmp_path / "off.db"), local.registry)
        await e.start()
        try:
            await e.schedule("nobody_has_it", None, "x")
            return await finished(e, "x")
        finally:
            await e.stop()

    state = asyncio.run(run())
    assert state.runtime_status is wf.WorkflowStatus.FAILED
    assert state.failure_details is not None
    assert state.failure_details.error_type == "WorkflowNotRegisteredError"


__all__ = ["Event"]
