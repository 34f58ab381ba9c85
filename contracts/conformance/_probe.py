"""The conformance scenarios, run over HTTP against a real gateway serving one component.

Each scenario is a method of ``Probe`` returning ``Outcome``: ``PASSED`` when the component
did what the contract says, ``UNSUPPORTED`` when it declared the operation unsupported and
the gateway answered that with a 501 problem document. Any other behaviour fails an assert
whose message says what a user would see.

The probe speaks to the gateway through ``flowport_client``, the typed REST client: every
answer is parsed into the API's documented shapes, so a gateway that drifted from them fails
here too.
"""

from __future__ import annotations

import contextlib
import enum
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from contracts._status import RuntimeStatus
from contracts._types import Capability, ListFilter
from contracts.conformance._facts import Facts, WorkflowFact
from flowport_client import NO_BODY, Call, Filter, FlowportClient, ProblemError, calls, models

T = TypeVar("T")
TERMINAL = tuple(status.value for status in RuntimeStatus if status.is_terminal)


class Outcome(enum.Enum):
    PASSED = "passed"
    UNSUPPORTED = "unsupported (501 verified)"


class Probe:
    """One component behind one gateway, through the typed client."""

    def __init__(self, client: FlowportClient, facts: Facts) -> None:
        self.client = client
        self.facts = facts
        self.component = facts.component
        self.run_id = uuid.uuid4().hex[:8]
        components = {info.name: info for info in client.metadata().components}
        assert facts.component in components, (
            f"component {facts.component!r} not loaded; have {sorted(components)}"
        )
        info = components[facts.component]
        assert info.healthy, f"component {facts.component!r} is unhealthy: {info.detail}"
        self.capabilities = frozenset(info.capabilities)
        self.list_filters = frozenset(info.listFilters)

    # --- helpers ----------------------------------------------------------------------

    def new_id(self, label: str) -> str:
        return f"conf-{self.run_id}-{label}-{uuid.uuid4().hex[:6]}"

    def start_call(
        self, workflow: WorkflowFact, instance_id: str | None = None
    ) -> Call[models.StartResponse]:
        body = NO_BODY if workflow.input is None else workflow.input
        return calls.start(
            self.component, workflow.name, body, instance_id=instance_id, options=self.facts.start_options
        )

    def started(self, workflow: WorkflowFact, label: str) -> str:
        instance_id = self.new_id(label)
        answer = self.client.send(self.start_call(workflow, instance_id))
        assert answer.instanceID == instance_id, answer
        return instance_id

    def state(self, instance_id: str) -> models.WorkflowState:
        return self.client.get(self.component, instance_id)

    def wait_for(
        self, instance_id: str, accept: Callable[[models.WorkflowState], bool], what: str
    ) -> models.WorkflowState:
        deadline = time.monotonic() + self.facts.timeout
        state = self.state(instance_id)
        while not accept(state):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{instance_id} never became {what} in {self.facts.timeout:g}s; last: {state}"
                )
            time.sleep(0.1)
            state = self.state(instance_id)
        return state

    def wait_status(self, instance_id: str, *statuses: str) -> models.WorkflowState:
        return self.wait_for(instance_id, lambda s: s.runtimeStatus.value in statuses, " or ".join(statuses))

    def refused(self, call: Call[Any]) -> ProblemError:
        """The problem the gateway answers ``call`` with (an assert if it does not refuse)."""
        try:
            answer = self.client.send(call)
        except ProblemError as exc:
            return exc
        raise AssertionError(f"{call.method} {call.path} should have been refused; it answered {answer!r}")

    def attempt(self, call: Call[T], capability: Capability) -> T | Outcome:
        """``call``'s answer; or, when the component lacks ``capability``, its verified 501."""
        if capability in self.capabilities:
            return self.client.send(call)
        problem = self.refused(call)
        assert_problem(problem, 501, "not-supported")
        assert capability.value in problem.problem.detail
        return Outcome.UNSUPPORTED

    # --- scenarios --------------------------------------------------------------------

    def start_with_instance_id(self) -> Outcome:
        instance_id = self.new_id("start")
        call = self.start_call(self.facts.waits, instance_id)
        response = self.client.http.send(call.request(self.client.http))
        assert response.status_code == 202, response.text
        assert response.json() == {"instanceID": instance_id}
        assert response.headers["location"].endswith(f"/workflows/{self.component}/{instance_id}")
        state = self.state(instance_id)
        assert state.instanceID == instance_id
        assert state.workflowName == self.facts.waits.name, "workflowName must be the started workflow's name"
        assert state.runtimeStatus.value in {"PENDING", "RUNNING"}
        assert state.createdAt <= state.lastUpdatedAt
        self.cleanup(instance_id)
        return Outcome.PASSED

    def start_without_instance_id(self) -> Outcome:
        instance_id = self.client.send(self.start_call(self.facts.completes)).instanceID
        assert uuid.UUID(instance_id), "a generated instance ID is a UUID"
        assert self.state(instance_id).instanceID == instance_id
        self.wait_status(instance_id, *TERMINAL)
        return Outcome.PASSED

    def duplicate_start(self) -> Outcome:
        instance_id = self.started(self.facts.waits, "dup")
        again = self.refused(self.start_call(self.facts.waits, instance_id))
        assert_problem(again, 409, "instance-exists", "ERR_START_WORKFLOW")
        self.cleanup(instance_id)
        return Outcome.PASSED

    def get_unknown(self) -> Outcome:
        missing = self.refused(calls.get(self.component, self.new_id("ghost")))
        assert_problem(missing, 404, "instance-not-found", "ERR_INSTANCE_ID_NOT_FOUND")
        return Outcome.PASSED

    def input_output_round_trip(self) -> Outcome:
        workflow = self.facts.completes
        instance_id = self.started(workflow, "io")
        state = self.wait_status(instance_id, *TERMINAL)
        assert state.runtimeStatus is RuntimeStatus.COMPLETED, state
        if workflow.input is not None:
            assert state.input == workflow.input
        assert "dapr.workflow.output" in state.properties, "a completed instance shows its output"
        if workflow.output is not None:
            assert state.output == workflow.output
        return Outcome.PASSED

    def failure_details(self) -> Outcome:
        instance_id = self.started(self.facts.fails, "fail")
        state = self.wait_status(instance_id, *TERMINAL)
        assert state.runtimeStatus is RuntimeStatus.FAILED, state
        assert state.failure is not None, "a failed instance names its error type"
        assert state.failure.error_type, "a failed instance names its error type"
        assert state.failure.error_message, "a failed instance gives an error message"
        return Outcome.PASSED

    def raise_event(self) -> Outcome:
        workflow = self.facts.waits
        instance_id = self.started(workflow, "event")
        self.wait_status(instance_id, "RUNNING")
        assert workflow.event is not None
        data = NO_BODY if workflow.data is None else workflow.data
        call = calls.raise_event(self.component, instance_id, workflow.event, data)
        if self.attempt(call, Capability.RAISE_EVENT) is Outcome.UNSUPPORTED:
            self.cleanup(instance_id)
            return Outcome.UNSUPPORTED
        state = self.wait_status(instance_id, *TERMINAL)
        assert state.runtimeStatus is RuntimeStatus.COMPLETED, state
        if workflow.output is not None:
            assert state.output == workflow.output
        return Outcome.PASSED

    def pause_resume(self) -> Outcome:
        instance_id = self.started(self.facts.waits, "pause")
        self.wait_status(instance_id, "RUNNING")
        if self.attempt(calls.pause(self.component, instance_id), Capability.PAUSE) is Outcome.UNSUPPORTED:
            self.cleanup(instance_id)
            return Outcome.UNSUPPORTED
        self.wait_status(instance_id, "SUSPENDED")
        self.client.resume(self.component, instance_id)
        self.wait_status(instance_id, "RUNNING")
        again = self.refused(calls.resume(self.component, instance_id))
        assert_problem(again, 409, "invalid-state", "ERR_RESUME_WORKFLOW")
        self.cleanup(instance_id)
        return Outcome.PASSED

    def terminate(self) -> Outcome:
        instance_id = self.started(self.facts.waits, "term")
        self.wait_status(instance_id, "RUNNING")
        call = calls.terminate(self.component, instance_id, "conformance")
        if self.attempt(call, Capability.TERMINATE) is Outcome.UNSUPPORTED:
            return Outcome.UNSUPPORTED
        self.wait_status(instance_id, "TERMINATED")
        return Outcome.PASSED

    def purge(self) -> Outcome:
        instance_id = self.started(self.facts.waits, "purge")
        self.wait_status(instance_id, "RUNNING")
        if Capability.PURGE not in self.capabilities:
            self.attempt(calls.purge(self.component, instance_id), Capability.PURGE)
            self.cleanup(instance_id)
            return Outcome.UNSUPPORTED
        running = self.refused(calls.purge(self.component, instance_id))
        assert_problem(running, 409, "invalid-state", "ERR_PURGE_WORKFLOW")
        self.stop(instance_id)
        self.client.purge(self.component, instance_id)
        deadline = time.monotonic() + self.facts.purge_visible_after
        while True:
            try:
                self.state(instance_id)
            except ProblemError as gone:
                assert_problem(gone, 404, "instance-not-found", "ERR_INSTANCE_ID_NOT_FOUND")
                return Outcome.PASSED
            assert time.monotonic() < deadline, (
                f"{instance_id} still readable {self.facts.purge_visible_after:g}s after purge"
            )
            time.sleep(0.5)

    def list_instances(self) -> Outcome:
        workflow = self.facts.waits
        ids = {self.started(workflow, f"list{index}") for index in range(3)}
        first = self.attempt(calls.list_instances(self.component, page_size=2), Capability.LIST)
        if first is Outcome.UNSUPPORTED:
            for instance_id in ids:
                self.cleanup(instance_id)
            return Outcome.UNSUPPORTED
        for instance_id in ids:
            self.wait_status(instance_id, "RUNNING")
        where = Filter(["RUNNING"], workflow.name)
        seen = self.until_listed(where, lambda found: ids <= set(found))
        assert ids <= set(seen), f"list did not return every started instance: missing {ids - set(seen)}"
        for state in seen.values():
            assert state.workflowName == workflow.name, state
            assert state.runtimeStatus is RuntimeStatus.RUNNING, state
        for instance_id in ids:
            self.cleanup(instance_id)
        return Outcome.PASSED

    def list_filters_and_bulk(self) -> Outcome:
        """Created-time and ID-prefix filters (applied, or a 501 naming the filter), and
        purge/terminate by filter counting exactly the instances the filter selects."""
        workflow = self.facts.completes
        label = f"bulk{uuid.uuid4().hex[:4]}"
        ids = {self.started(workflow, label) for _ in range(2)}
        states = {instance_id: self.wait_status(instance_id, *TERMINAL) for instance_id in ids}
        earliest = min(state.createdAt for state in states.values())
        prefix = f"conf-{self.run_id}-{label}-"
        by_prefix = Filter(workflow_name=workflow.name, instance_id_prefix=prefix)
        by_time = Filter(workflow_name=workflow.name, created_after=earliest - timedelta(seconds=1))
        if Capability.LIST not in self.capabilities:
            return Outcome.UNSUPPORTED
        for used, where in ((ListFilter.INSTANCE_ID_PREFIX, by_prefix), (ListFilter.CREATED_TIME, by_time)):
            if used not in self.list_filters:
                problem = self.refused(calls.list_instances(self.component, where))
                assert_problem(problem, 501, "not-supported")
                assert used.value in problem.problem.detail, problem.problem.detail
        if ListFilter.INSTANCE_ID_PREFIX in self.list_filters:
            seen = self.until_listed(by_prefix, lambda found: set(found) == ids)
            assert set(seen) == ids, f"the prefix {prefix!r} selected {sorted(seen)}, not {sorted(ids)}"
            if ListFilter.CREATED_TIME in self.list_filters:
                later = Filter(instance_id_prefix=prefix, created_after=earliest + timedelta(days=1))
                assert self.pages(later) == {}, "createdAfter a day later selects none of them"
            if Capability.PURGE in self.capabilities:
                counted = self.client.purge_matching(self.component, by_prefix, dry_run=True)
                assert (counted.dryRun, counted.matched, counted.succeeded) == (True, 2, 0), counted
            if Capability.TERMINATE in self.capabilities:
                counted_t = self.client.terminate_matching(self.component, by_prefix, dry_run=True)
                assert counted_t.matched == 0, "terminate by filter never selects ended instances"
        return Outcome.PASSED

    def until_listed(
        self, where: Filter, done: Callable[[dict[str, models.WorkflowState]], bool]
    ) -> dict[str, models.WorkflowState]:
        """All pages of a listing, read again until ``done`` (visibility may lag on some runtimes)."""
        deadline = time.monotonic() + self.facts.timeout
        while True:
            seen = self.pages(where)
            if done(seen) or time.monotonic() > deadline:
                return seen
            time.sleep(0.5)

    def pages(self, where: Filter) -> dict[str, models.WorkflowState]:
        seen: dict[str, models.WorkflowState] = {}
        token: str | None = None
        for _ in range(1000):
            page = self.client.list(self.component, where, page_size=2, continuation_token=token)
            assert len(page.instances) <= 2, "a page holds at most pageSize instances"
            for state in page.instances:
                assert state.instanceID not in seen, "paging returned an instance twice"
                seen[state.instanceID] = state
            token = page.continuationToken
            if not token:
                return seen
        raise AssertionError("list never ended: more than 1000 pages")

    def history(self) -> Outcome:
        instance_id = self.started(self.facts.completes, "hist")
        self.wait_status(instance_id, *TERMINAL)
        found = self.attempt(calls.history(self.component, instance_id), Capability.HISTORY)
        if isinstance(found, Outcome):
            return found
        events = found.events
        assert events, "a completed instance has a history"
        assert events[0].kind.value == "WorkflowStarted", events[0]
        assert events[-1].kind.value == "WorkflowCompleted", events[-1]
        stamps = [event.timestamp for event in events]
        assert stamps == sorted(stamps), "events come oldest first"
        missing = self.refused(calls.history(self.component, self.new_id("ghost")))
        assert_problem(missing, 404, "instance-not-found", "ERR_INSTANCE_ID_NOT_FOUND")
        return Outcome.PASSED

    # --- cleanup ------------------------------------------------------------------------

    def stop(self, instance_id: str) -> None:
        self.client.terminate(self.component, instance_id, "conformance")
        self.wait_status(instance_id, *TERMINAL)

    def cleanup(self, instance_id: str) -> None:
        """Best effort: terminate what a scenario left running."""
        if Capability.TERMINATE in self.capabilities:
            with contextlib.suppress(ProblemError):
                self.client.terminate(self.component, instance_id, "conformance cleanup")


SCENARIOS: tuple[str, ...] = (
    "start_with_instance_id",
    "start_without_instance_id",
    "duplicate_start",
    "get_unknown",
    "input_output_round_trip",
    "failure_details",
    "raise_event",
    "pause_resume",
    "terminate",
    "purge",
    "list_instances",
    "list_filters_and_bulk",
    "history",
)


def assert_problem(refusal: ProblemError, status: int, slug: str, code: str | None = None) -> None:
    problem = refusal.problem
    assert refusal.status == status, f"expected {status} {slug}, got {problem.status}: {problem.detail}"
    assert refusal.headers.get("content-type") == "application/problem+json", refusal.headers
    assert refusal.slug == slug, problem
    if code is not None:
        assert problem.errorCode == code, problem
