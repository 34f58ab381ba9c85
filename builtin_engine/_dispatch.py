"""Dispatch: carrying out the commands a step recorded, and bringing their results back.

- **Activities** run under one concurrency limit (``max_concurrent_activities``); past it they
  wait in a queue, first in first out. Sync activities run on a fixed set of worker threads
  that hand results back to the loop in batches (one wake-up of the loop for all the results
  that arrived meanwhile); async ones run as tasks on the loop.
- **Timers** are loop timers; a fired timer becomes a ``TIMER_FIRED`` event. A delayed start is
  a timer of its own.
- **Child workflows** are created (durably, under the ID the parent chose) and report back to
  the parent's waiting task when they end.

A result that comes back for an instance that ended or moved on to another execution
(terminate, continue-as-new) is dropped.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from builtin_engine._cache import Instance, InstanceCache
from builtin_engine._codec import from_json, to_json
from builtin_engine._context import WorkflowActivityContext
from builtin_engine._errors import DuplicateInstanceError, FailureDetails
from builtin_engine._history import Event, EventType, new_execution_id, started_event
from builtin_engine._registry import Registered, Registry
from builtin_engine._services import Services
from builtin_engine._step import Stepper

if TYPE_CHECKING:
    from builtin_engine._remote import RemoteWorkers
from builtin_engine._store import InstanceRecord, Status
from builtin_engine._tracing import Work, WorkKind

log = logging.getLogger("builtin_engine")


class ActivityNotRegisteredError(Exception):
    """A workflow called an activity name nobody registered."""


@dataclass(slots=True)
class _Job:
    """One activity execution: whose, which task, what to call with what."""

    instance_id: str
    execution_id: str
    task_id: int
    name: str
    data: str | None
    queued_at: float
    #: epoch seconds it started, for a traced instance (see ``_tracing``)
    started_at: float = 0.0


class Dispatcher:
    """Runs activities, fires timers, creates children; delivers their outcomes to the step."""

    def __init__(
        self,
        registry: Registry,
        cache: InstanceCache,
        services: Services,
        *,
        max_concurrent_activities: int,
        thread_pool_workers: int,
    ) -> None:
        self.registry = registry
        self.cache = cache
        self.services = services
        self.step: Stepper | None = None
        self.remote: RemoteWorkers | None = None
        self.limit = max_concurrent_activities
        #: activities running now, and those waiting for a free slot
        self.running = 0
        self.queued: collections.deque[_Job] = collections.deque()
        #: seconds activities waited for a slot and a thread, summed, and how many started
        self.wait_seconds = 0.0
        self.started = 0
        self._jobs: queue.SimpleQueue[tuple[_Job, Registered] | None] = queue.SimpleQueue()
        self._results: collections.deque[tuple[_Job, Event]] = collections.deque()
        self._wake_pending = False
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"flowport-activity-{n}", daemon=True)
            for n in range(thread_pool_workers)
        ]
        for thread in self._threads:
            thread.start()

    def bind(self, step: Stepper, remote: RemoteWorkers) -> None:
        self.step = step
        self.remote = remote

    def _stepper(self) -> Stepper:
        assert self.step is not None, "the dispatcher is not bound to a stepper"
        return self.step

    def close(self) -> None:
        """Stop the worker threads; activities still running are abandoned (they re-run after a
        restart), queued ones never start."""
        self._closed = True
        self.queued.clear()
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._jobs.put(None)

    # -- activities -------------------------------------------------------------------------------

    def start_activity(
        self,
        inst: Instance,
        task_id: int,
        name: str,
        data: str | None,
        *,
        task_execution_id: str | None = None,
    ) -> None:
        inst.inflight += 1
        remote = self.remote
        if remote is not None and remote.enabled and name not in self.registry.activities:
            remote.run_activity(inst, task_id, name, data, task_execution_id)
            return
        job = _Job(inst.instance_id, inst.execution_id, task_id, name, data, time.monotonic())
        if self.running >= self.limit:
            self.queued.append(job)
        else:
            self._launch(job)

    def _launch(self, job: _Job) -> None:
        self.running += 1
        self.started += 1
        self.wait_seconds += time.monotonic() - job.queued_at
        if self.services.tracer is not None:
            job.started_at = time.time()
        entry = self.registry.activities.get(job.name)
        if entry is None:
            error = ActivityNotRegisteredError(f"no activity named {job.name!r} is registered")
            failed = Event(
                EventType.ACTIVITY_FAILED, time.time(), job.task_id, failure=FailureDetails.of(error)
            )
            self.services.loop.call_soon(self._finish, job, failed)
        elif entry.is_async:
            # Tracked for stop() like any spawned task, but removed by itself when done: a
            # done-callback per activity cost a loop round of its own.
            self.services.tasks.add(self.services.loop.create_task(self._run_async(job, entry)))
        else:
            self._jobs.put((job, entry))

    async def _run_async(self, job: _Job, entry: Registered) -> None:
        ctx = WorkflowActivityContext(job.instance_id, job.task_id)
        try:
            result = await _call(entry, ctx, job.data)
            event = Event(EventType.ACTIVITY_COMPLETED, time.time(), job.task_id, data=to_json(result))
        except Exception as exc:
            event = Event(EventType.ACTIVITY_FAILED, time.time(), job.task_id, failure=FailureDetails.of(exc))
        finally:
            self.services.tasks.discard(asyncio.current_task())
        self._finish(job, event)

    def _work(self) -> None:
        """A worker thread: run sync activities, hand their outcomes to the loop."""
        jobs = self._jobs
        results = self._results
        while True:
            item = jobs.get()
            if item is None:
                return
            job, entry = item
            ctx = WorkflowActivityContext(job.instance_id, job.task_id)
            try:
                result = _call(entry, ctx, job.data)
                event = Event(EventType.ACTIVITY_COMPLETED, time.time(), job.task_id, data=to_json(result))
            except Exception as exc:
                event = Event(
                    EventType.ACTIVITY_FAILED, time.time(), job.task_id, failure=FailureDetails.of(exc)
                )
            results.append((job, event))
            if not self._wake_pending:
                # One wake-up for all results that arrive until the loop drains them; a second
                # one when two threads race here is harmless.
                self._wake_pending = True
                try:
                    self.services.loop.call_soon_threadsafe(self._drain)
                except RuntimeError:  # the loop is closed: the engine stopped
                    return

    def _drain(self) -> None:
        self._wake_pending = False
        results = self._results
        while results:
            job, event = results.popleft()
            self._finish(job, event)

    def _finish(self, job: _Job, event: Event) -> None:
        if self._closed:
            return
        self.running -= 1
        if self.queued and self.running < self.limit:
            self._launch(self.queued.popleft())
        inst = self.cache.known.get(job.instance_id)
        if inst is None or inst.execution_id != job.execution_id:
            return  # the instance ended or moved on (terminate, continue-as-new): result dropped
        inst.inflight -= 1
        tracer = self.services.tracer
        if tracer is not None and inst.trace is not None:
            failure = event.failure
            tracer.record(
                Work(
                    WorkKind.ACTIVITY,
                    inst.instance_id,
                    inst.record.name,
                    job.name,
                    job.task_id,
                    inst.trace,
                    job.started_at,
                    event.timestamp,
                    failure.message if failure is not None else None,
                )
            )
        self._stepper().deliver(inst, event)

    def finish_remote(self, instance_id: str, execution_id: str, event: Event) -> None:
        """A remote worker's answer for an activity (``RemoteWorkers`` checked its token)."""
        inst = self._current(instance_id, execution_id)
        if inst is None:
            return  # the instance ended or moved on: result dropped
        inst.inflight -= 1
        self._stepper().deliver(inst, event)

    # -- timers -----------------------------------------------------------------------------------

    def arm(self, inst: Instance, task_id: int, due: float) -> None:
        if inst.timers is None:
            inst.timers = {}
        if task_id in inst.timers:
            return
        now = time.time()
        inst.timers[task_id] = self.services.loop.call_later(
            max(0.0, due - now), self._fire, inst.instance_id, inst.execution_id, task_id, due, now
        )

    def arm_start(self, inst: Instance, due: float) -> None:
        """Take ``inst``'s delayed first step at ``due``."""
        if inst.start_timer is None:
            inst.start_timer = self.services.loop.call_later(
                max(0.0, due - time.time()), self._start_due, inst.instance_id, inst.execution_id
            )

    def cancel_timers(self, inst: Instance) -> None:
        if inst.timers:
            for handle in inst.timers.values():
                handle.cancel()
        inst.timers = None
        if inst.start_timer is not None:
            inst.start_timer.cancel()
            inst.start_timer = None

    def _current(self, instance_id: str, execution_id: str) -> Instance | None:
        inst = self.cache.known.get(instance_id)
        return inst if inst is not None and inst.execution_id == execution_id else None

    def _fire(self, instance_id: str, execution_id: str, task_id: int, due: float, armed: float) -> None:
        inst = self._current(instance_id, execution_id)
        if inst is None:
            return
        if inst.timers is not None:
            inst.timers.pop(task_id, None)
        # The loop's clock may run a hair ahead of the wall clock: never show a timer firing early.
        fired = max(time.time(), due)
        tracer = self.services.tracer
        if tracer is not None and inst.trace is not None:
            work = Work(
                WorkKind.TIMER, instance_id, inst.record.name, "timer", task_id, inst.trace, armed, fired
            )
            tracer.record(work)
        self._stepper().deliver(inst, Event(EventType.TIMER_FIRED, fired, task_id, fire_at=due))

    def _start_due(self, instance_id: str, execution_id: str) -> None:
        inst = self._current(instance_id, execution_id)
        if inst is not None:
            inst.start_timer = None
            self._stepper().start_deferred(inst)

    # -- child workflows --------------------------------------------------------------------------

    def create_child(
        self, parent_id: str, execution_id: str, task_id: int, name: str, data: str | None, child_id: str
    ) -> None:
        parent = self._current(parent_id, execution_id)
        if parent is None:
            return
        if child_id in self.cache.known:
            self._child_failed(
                parent, task_id, DuplicateInstanceError(f"an instance with ID {child_id!r} is running")
            )
            return
        now = time.time()
        record = InstanceRecord(
            instance_id=child_id,
            name=name,
            status=Status.RUNNING,
            created_at=now,
            updated_at=now,
            input=data,
            parent_id=parent_id,
            parent_task_id=task_id,
            execution_id=new_execution_id(),
        )
        step = self._stepper()
        inst = step.new_instance(record)
        inst.trace = parent.trace  # a child's work is in its parent's trace
        self.cache.add(inst)
        started = started_event(name, data, now, record.execution_id, inst.trace)

        def created(error: BaseException | None) -> None:
            if error is None or not self.cache.is_current(inst):
                return
            # The ID is taken by an instance another process started: the child never ran.
            if inst.execution is not None:
                inst.execution.close()
            self.cancel_timers(inst)
            self.cache.forget(inst)
            current = self.cache.known.get(parent_id)
            if current is not None:
                self._child_failed(current, task_id, error)

        self.services.writer.submit(step.creation(record, started, replace_terminal=True), created)
        step.begin(inst, started)

    async def recover_child(
        self, parent: Instance, task_id: int, name: str, data: str | None, child_id: str
    ) -> None:
        """After a restart: make sure the child a parent waits for exists, or report its end."""
        if child_id in self.cache.known:
            return  # restored and running: it reports back when it ends
        record = await self.services.read(self.services.store.get, child_id)
        if not self.cache.is_current(parent) or child_id in self.cache.known:
            return
        if record is None or record.parent_id != parent.instance_id:
            self.create_child(parent.instance_id, parent.execution_id, task_id, name, data, child_id)
        elif record.status.is_terminal:
            self.notify_parent(parent.instance_id, task_id, record)

    def notify_parent(self, parent_id: str, task_id: int, child: InstanceRecord) -> None:
        parent = self.cache.known.get(parent_id)
        if parent is None:
            return
        now = time.time()
        if child.status is Status.COMPLETED:
            event = Event(EventType.CHILD_WORKFLOW_COMPLETED, now, task_id, data=child.output)
        else:
            failure = child.failure or FailureDetails(
                f"child workflow {child.instance_id!r} was terminated", "WorkflowTerminatedError"
            )
            event = Event(EventType.CHILD_WORKFLOW_FAILED, now, task_id, failure=failure)
        self._stepper().deliver(parent, event)

    def _child_failed(self, parent: Instance, task_id: int, error: BaseException) -> None:
        failure = FailureDetails(str(error), type(error).__name__)
        self._stepper().deliver(
            parent, Event(EventType.CHILD_WORKFLOW_FAILED, time.time(), task_id, failure=failure)
        )


def _call(entry: Registered, ctx: WorkflowActivityContext, data: str | None) -> Any:
    """Call an activity (on a worker thread when it is sync); an async one returns its coroutine."""
    if entry.signature.takes_input:
        return entry.fn(ctx, from_json(data, entry.signature.input_decoder))
    return entry.fn(ctx)
