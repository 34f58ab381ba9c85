"""The step: apply one event to an instance, record the commands it produced, queue the writes.

Everything happens on the engine's loop, so an instance's events are applied one at a time
without locks. A step appends the event to the instance's history (in memory, numbered),
applies it to the live ``Execution``, records each command the workflow issued as a
scheduling event and hands it to dispatch, updates the instance's record, and queues the
step's ``WriteUnit`` for the group committer. Acknowledgements to clients wait for the commit;
the engine itself does not: the queue keeps each instance's writes in order, and a crash
only loses an unacknowledged tail that replay re-creates (activities run at least once).

The step also ends instances (completed, failed, terminated), starts the next execution of a
continue-as-new, and rebuilds an instance from its history (replay) at start-up or after an
eviction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from builtin_engine._cache import Instance, InstanceCache
from builtin_engine._errors import FailureDetails, NonDeterminismError
from builtin_engine._history import Event, EventType, new_execution_id, started_event, started_trace
from builtin_engine._registry import Registry
from builtin_engine._replay import DurableTask, Execution, Outcome, TimerTask
from builtin_engine._services import Services
from builtin_engine._store import InstanceRecord, Status, Stored, WriteUnit
from builtin_engine._tracing import Work, WorkKind
from builtin_engine._writer import Callback

if TYPE_CHECKING:
    from builtin_engine._dispatch import Dispatcher
    from builtin_engine._remote import RemoteWorkers


class Stepper:
    """Takes instances from event to event."""

    def __init__(
        self,
        registry: Registry,
        cache: InstanceCache,
        services: Services,
        dispatch: Dispatcher,
        remote: RemoteWorkers,
    ) -> None:
        self.registry = registry
        self.cache = cache
        self.services = services
        self.dispatch = dispatch
        self.remote = remote
        #: events applied since start (replayed ones not counted)
        self.steps = 0

    # -- taking steps -----------------------------------------------------------------------------

    def is_remote(self, workflow_name: str) -> bool:
        """Whether instances of ``workflow_name`` run on remote workers (no runtime here has it)."""
        return self.remote.enabled and workflow_name not in self.registry.workflows

    def creation(
        self, record: InstanceRecord, started: Event, *, replace_terminal: bool = False
    ) -> WriteUnit:
        """The write that creates an instance: its row and its first event (an in-process
        instance's history begins with it; a remote one's waits for the first turn)."""
        iid = record.instance_id
        if self.is_remote(record.name):
            return WriteUnit(
                create=record, replace_terminal=replace_terminal, pending_add=[(iid, 0, started)]
            )
        return WriteUnit(create=record, replace_terminal=replace_terminal, events=[(iid, 0, started)])

    def new_instance(self, record: InstanceRecord) -> Instance:
        """An instance about to be created with ``creation``."""
        remote = self.is_remote(record.name)
        return Instance(record, next_seq=0 if remote else 1, remote=remote)

    def begin(self, inst: Instance, started: Event) -> None:
        """Run a new instance's first step now, or when its start time comes.

        Its ``WORKFLOW_STARTED`` event is already written (with the instance's creation).
        """
        if inst.remote:
            self.remote.begin(inst, started)
            return
        self.cache.activate(inst, Execution(inst.instance_id, self.registry))
        if started.timestamp > time.time() + 0.001:
            inst.deferred = started
            self.dispatch.arm_start(inst, started.timestamp)
            return
        unit = WriteUnit()
        self._apply(inst, started, unit)
        self._commit(inst, unit, None)

    def start_deferred(self, inst: Instance) -> None:
        """A delayed start is due: take the instance's first step."""
        if inst.remote:
            self.remote.start_deferred(inst)
            return
        started, inst.deferred = inst.deferred, None
        if started is not None and isinstance(inst.execution, Execution):
            unit = WriteUnit()
            self._apply(inst, started, unit)
            self._commit(inst, unit, None)

    def deliver(
        self, inst: Instance, event: Event, ack: Callback | None = None, inbox_ids: Sequence[int] = ()
    ) -> None:
        """Record a new event for ``inst`` and take the step it enables."""
        if not self.cache.is_current(inst):  # it ended meanwhile: the event is moot
            self.drop(ack, inbox_ids)
            return
        if self.cache.hold(inst, (event, ack, inbox_ids), self.services.spawn):
            return  # evicted: delivered once the cold replay is done
        if inst.remote:
            self.remote.offer(inst, event, ack, inbox_ids)
            return
        unit = WriteUnit(inbox_done=list(inbox_ids))
        unit.events.append((inst.instance_id, inst.next_seq, event))
        inst.next_seq += 1
        self._apply(inst, event, unit)
        self._commit(inst, unit, ack)

    def terminate(
        self,
        inst: Instance,
        output: str | None,
        recursive: bool,
        ack: Callback | None,
        inbox_ids: Sequence[int] = (),
    ) -> None:
        """End ``inst`` (and, with ``recursive``, its running children) as TERMINATED."""
        if not self.cache.is_current(inst):  # it ended meanwhile: nothing to stop
            self.drop(ack, inbox_ids)
            return
        now = time.time()
        unit = WriteUnit(inbox_done=list(inbox_ids))
        unit.events.append(
            (inst.instance_id, inst.next_seq, Event(EventType.WORKFLOW_TERMINATED, now, data=output))
        )
        inst.next_seq += 1
        inst.record = inst.record._replace(status=Status.TERMINATED, output=output, updated_at=now)
        unit.instances.append(inst.record)
        if inst.remote:
            unit.pending_reset = inst.instance_id  # inputs no turn took are moot now
        if inst.execution is not None:
            inst.execution.close()
        self._finish(inst)
        self.services.writer.submit(unit, ack)
        for _, held_ack, ids in inst.backlog:  # held events are discarded with the instance
            self.drop(held_ack, ids)
        inst.backlog = []
        if recursive:
            for child in self.cache.take_children(inst.instance_id):
                self.terminate(child, None, True, None)
        self._report_to_parent(inst)

    def drop(self, ack: Callback | None, inbox_ids: Sequence[int]) -> None:
        """Acknowledge a request that has nothing left to act on."""
        if inbox_ids:
            self.services.writer.submit(WriteUnit(inbox_done=list(inbox_ids)), ack)
        elif ack is not None:
            ack(None)

    # -- rebuilding from history ------------------------------------------------------------------

    def restore(self, stored: Stored) -> None:
        """Bring back an unfinished instance at start-up and carry out its outstanding work."""
        inst = Instance(stored.record, committed=True, remote=self.is_remote(stored.record.name))
        inst.trace = started_trace(stored.history) or started_trace(stored.pending)
        self.cache.add(inst)
        self.rebuild(inst, stored, recovering=True)

    def adopt(self, record: InstanceRecord, history: list[tuple[int, Event]]) -> None:
        """Take over an instance a client in another process created (its history is its start)."""
        if len(history) == 1 and history[0][1].type is EventType.WORKFLOW_STARTED:
            started = history[0][1]
            inst = self.new_instance(record)
            inst.committed = record
            inst.trace = started.trace
            self.cache.add(inst)
            if inst.remote:  # the start waits for the first turn, as pending input
                iid = inst.instance_id
                self.services.writer.submit(
                    WriteUnit(reset_history=iid, pending_reset=iid, pending_add=[(iid, 0, started)])
                )
            self.begin(inst, started)
        else:
            self.restore(Stored(record, history, []))

    def rebuild(self, inst: Instance, stored: Stored, *, recovering: bool) -> None:
        """Rebuild ``inst`` from what the store holds (``replay`` has the details)."""
        if inst.remote:
            self.remote.rebuild(inst, stored.history, stored.pending, recovering=recovering)
        else:
            self.replay(inst, stored.history, recovering=recovering)

    def replay(self, inst: Instance, history: list[tuple[int, Event]], *, recovering: bool) -> None:
        """Rebuild ``inst``'s execution from ``history``.

        ``recovering`` (engine start-up) also re-runs the activities and child workflows that
        have no completion yet; after an eviction nothing was in flight (only idle instances
        are evicted) and any completion is held in the backlog, so only timers are re-armed.
        """
        execution = Execution(inst.instance_id, self.registry)
        self.cache.activate(inst, execution)
        inst.next_seq = history[-1][0] + 1 if history else 0
        started = history[0][1] if history else None
        deferred = (
            started is not None
            and started.type is EventType.WORKFLOW_STARTED
            and started.timestamp > time.time()
        )
        execution.is_replaying = True
        try:
            if started is None or started.type is not EventType.WORKFLOW_STARTED:
                raise NonDeterminismError(
                    f"the history of {inst.instance_id!r} does not begin with its start"
                )
            for _, event in history[1:] if deferred else history:
                execution.apply(event)
        except NonDeterminismError as exc:
            execution.close()
            execution.outcome = Outcome(EventType.WORKFLOW_FAILED, failure=FailureDetails.of(exc))
        execution.is_replaying = False
        if deferred and started is not None:
            inst.deferred = started
            self.dispatch.arm_start(inst, started.timestamp)
        if execution.outcome is None:
            self._rearm(inst, execution, recovering)
        unit = WriteUnit()
        self._record(inst, unit)
        self._commit(inst, unit, None)

    def _rearm(self, inst: Instance, execution: Execution, recovering: bool) -> None:
        """Carry out the recorded commands that have no completion yet."""
        for task_id, task in execution.outstanding():
            if isinstance(task, TimerTask):
                self.dispatch.arm(inst, task_id, task.fire_at)
            elif isinstance(task, DurableTask) and recovering:
                action = task.action
                if action.type is EventType.ACTIVITY_SCHEDULED:
                    self.dispatch.start_activity(inst, task_id, action.name or "", action.data)
                else:
                    self.services.spawn(
                        self.dispatch.recover_child(
                            inst, task_id, action.name or "", action.data, action.child_id or ""
                        )
                    )

    # -- inside a step ----------------------------------------------------------------------------

    def _apply(self, inst: Instance, event: Event, unit: WriteUnit) -> None:
        execution = inst.execution
        assert isinstance(execution, Execution)
        traced = inst.trace is not None and self.services.tracer is not None
        began = time.time() if traced else 0.0
        try:
            execution.apply(event)
        except NonDeterminismError as exc:
            execution.close()
            execution.outcome = Outcome(EventType.WORKFLOW_FAILED, failure=FailureDetails.of(exc))
        self.steps += 1
        self._record(inst, unit)
        if traced:
            self._traced_turn(inst, event, execution, began)

    def _traced_turn(self, inst: Instance, event: Event, execution: Execution, began: float) -> None:
        assert self.services.tracer is not None
        assert inst.trace is not None
        outcome = execution.outcome
        failure = outcome.failure if outcome is not None else None
        self.services.tracer.record(
            Work(
                WorkKind.TURN,
                inst.instance_id,
                inst.record.name,
                event.type.name,
                None,
                inst.trace,
                began,
                time.time(),
                failure.message if failure is not None else None,
            )
        )

    def _record(self, inst: Instance, unit: WriteUnit) -> None:
        """Record and carry out the step's commands, and update the instance's record."""
        execution = inst.execution
        assert isinstance(execution, Execution)
        now = time.time()
        outcome = execution.outcome
        if outcome is not None:
            execution.take_actions()  # commands issued in the step that ended it are moot
            self._end(inst, outcome, unit, now, execution.custom_status)
            return
        instance_id = inst.instance_id
        dispatch = self.dispatch
        for action in execution.take_actions():
            kind = action.type
            unit.events.append((
                instance_id, inst.next_seq,
                Event(kind, now, action.task_id, action.name, action.data,
                      fire_at=action.fire_at, child_id=action.child_id),
            ))  # fmt: skip
            inst.next_seq += 1
            if kind is EventType.ACTIVITY_SCHEDULED:
                dispatch.start_activity(inst, action.task_id, action.name or "", action.data)
            elif kind is EventType.TIMER_CREATED:
                dispatch.arm(inst, action.task_id, action.fire_at or now)
            else:
                self.services.loop.call_soon(
                    dispatch.create_child, instance_id, inst.execution_id, action.task_id,
                    action.name or "", action.data, action.child_id or "",
                )  # fmt: skip
        if execution.suspended:
            status = Status.SUSPENDED
        elif inst.deferred is not None:
            status = Status.PENDING
        else:
            status = Status.RUNNING
        inst.record = inst.record.stepped(status, now, execution.custom_status)
        unit.instances.append(inst.record)

    def _commit(self, inst: Instance, unit: WriteUnit, ack: Callback | None) -> None:
        self.services.writer.submit(unit, ack)
        execution = inst.execution
        outcome = execution.outcome if isinstance(execution, Execution) else None
        if outcome is not None and outcome.type is EventType.CONTINUED_AS_NEW:
            self._continue_as_new(inst, outcome)
        self.cache.touch(inst)

    def _end(
        self, inst: Instance, outcome: Outcome, unit: WriteUnit, now: float, custom_status: str | None
    ) -> None:
        kind = outcome.type
        unit.events.append(
            (inst.instance_id, inst.next_seq, Event(kind, now, data=outcome.data, failure=outcome.failure))
        )
        inst.next_seq += 1
        if kind is EventType.CONTINUED_AS_NEW:
            inst.record = inst.record._replace(updated_at=now, custom_status=custom_status)
            unit.instances.append(inst.record)
            return
        inst.record = inst.record._replace(
            status=Status.COMPLETED if kind is EventType.WORKFLOW_COMPLETED else Status.FAILED,
            output=outcome.data,
            failure=outcome.failure,
            updated_at=now,
            custom_status=custom_status,
        )
        unit.instances.append(inst.record)
        self._finish(inst)
        self._report_to_parent(inst)

    def _continue_as_new(self, inst: Instance, outcome: Outcome) -> None:
        """Start the next execution with an empty history (the old one is already queued)."""
        self.dispatch.cancel_timers(inst)
        now = time.time()
        execution_id = new_execution_id()
        inst.record = inst.record._replace(
            execution_id=execution_id, input=outcome.data, output=None, failure=None
        )
        started = started_event(inst.record.name, outcome.data, now, execution_id, inst.trace)
        unit = WriteUnit(reset_history=inst.instance_id, events=[(inst.instance_id, 0, started)])
        inst.next_seq = 1
        self.cache.activate(inst, Execution(inst.instance_id, self.registry))
        self._apply(inst, started, unit)
        for name, data in outcome.carried_events:
            if not isinstance(inst.execution, Execution) or inst.execution.outcome is not None:
                break
            carried = Event(EventType.EVENT_RAISED, now, name=name, data=data)
            unit.events.append((inst.instance_id, inst.next_seq, carried))
            inst.next_seq += 1
            self._apply(inst, carried, unit)
        self._commit(inst, unit, None)

    def _finish(self, inst: Instance) -> None:
        """The instance ended: stop its timers and forget it."""
        self.dispatch.cancel_timers(inst)
        self.cache.forget(inst)

    def end(self, inst: Instance) -> None:
        """The instance ended (its last write is queued): forget it and tell its parent."""
        self._finish(inst)
        self._report_to_parent(inst)

    def _report_to_parent(self, inst: Instance) -> None:
        record = inst.record
        if record.parent_id is not None and record.parent_task_id is not None:
            self.services.loop.call_soon(
                self.dispatch.notify_parent, record.parent_id, record.parent_task_id, record
            )
