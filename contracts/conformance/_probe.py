"""The conformance scenarios, run over HTTP against a real gateway serving one component.

Each scenario is a method of ``Probe`` returning ``Outcome``: ``PASSED`` when the component
did what the contract says, ``UNSUPPORTED`` when it declared the operation unsupported and
the gateway answered that with a 501 problem document. Any other behaviour fails an assert
whose message says what a user would see.
"""

from __future__ import annotations

import enum
import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from contracts._types import Capability
from contracts.conformance._facts import Facts, WorkflowFact

TERMINAL = frozenset({"COMPLETED", "FAILED", "TERMINATED", "CANCELED"})


class Outcome(enum.Enum):
    PASSED = "passed"
    UNSUPPORTED = "unsupported (501 verified)"


class Probe:
    """One component behind one gateway; ``base`` is like ``/v1.0/workflows/orders``."""

    def __init__(self, client: httpx.Client, facts: Facts) -> None:
        self.client = client
        self.facts = facts
        self.base = f"/v1.0/workflows/{facts.component}"
        self.run_id = uuid.uuid4().hex[:8]
        metadata = client.get("/v1.0/metadata")
        assert metadata.status_code == 200, (
            f"GET /v1.0/metadata answered {metadata.status_code}: {metadata.text}"
        )
        components = {item["name"]: item for item in metadata.json()["components"]}
        assert facts.component in components, (
            f"component {facts.component!r} not loaded; have {sorted(components)}"
        )
        info = components[facts.component]
        assert info["healthy"], f"component {facts.component!r} is unhealthy: {info['detail']}"
        self.capabilities = frozenset(Capability(value) for value in info["capabilities"])

    # --- helpers ----------------------------------------------------------------------

    def new_id(self, label: str) -> str:
        return f"conf-{self.run_id}-{label}-{uuid.uuid4().hex[:6]}"

    def start(self, workflow: WorkflowFact, instance_id: str | None = None) -> httpx.Response:
        params = dict(self.facts.start_options)
        if instance_id is not None:
            params["instanceID"] = instance_id
        content = b"" if workflow.input is None else json.dumps(workflow.input).encode()
        return self.client.post(
            f"{self.base}/{workflow.name}/start",
            params=params,
            content=content,
            headers={"content-type": "application/json"},
        )

    def started(self, workflow: WorkflowFact, label: str) -> str:
        instance_id = self.new_id(label)
        response = self.start(workflow, instance_id)
        assert response.status_code == 202, f"start {workflow.name}: {response.status_code} {response.text}"
        return instance_id

    def get(self, instance_id: str) -> httpx.Response:
        return self.client.get(f"{self.base}/{instance_id}")

    def state(self, instance_id: str) -> dict[str, Any]:
        response = self.get(instance_id)
        assert response.status_code == 200, f"get {instance_id}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body

    def wait_for(
        self, instance_id: str, accept: Callable[[dict[str, Any]], bool], what: str
    ) -> dict[str, Any]:
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

    def wait_status(self, instance_id: str, *statuses: str) -> dict[str, Any]:
        return self.wait_for(instance_id, lambda s: s["runtimeStatus"] in statuses, " or ".join(statuses))

    def post(self, instance_id: str, operation: str, body: Any = None, **params: str) -> httpx.Response:
        content = b"" if body is None else json.dumps(body).encode()
        return self.client.post(
            f"{self.base}/{instance_id}/{operation}",
            params=params,
            content=content,
            headers={"content-type": "application/json"},
        )

    def unsupported(self, response: httpx.Response, capability: Capability) -> Outcome:
        assert_problem(response, 501, "not-supported")
        assert capability.value in response.json()["detail"]
        return Outcome.UNSUPPORTED

    # --- scenarios --------------------------------------------------------------------

    def start_with_instance_id(self) -> Outcome:
        instance_id = self.new_id("start")
        response = self.start(self.facts.waits, instance_id)
        assert response.status_code == 202, response.text
        assert response.json() == {"instanceID": instance_id}
        assert response.headers["location"].endswith(f"{self.base}/{instance_id}")
        state = self.state(instance_id)
        assert state["instanceID"] == instance_id
        assert state["workflowName"] == self.facts.waits.name, (
            "workflowName must be the started workflow's name"
        )
        assert state["runtimeStatus"] in {"PENDING", "RUNNING"}
        assert state["createdAt"] <= state["lastUpdatedAt"]
        self.cleanup(instance_id)
        return Outcome.PASSED

    def start_without_instance_id(self) -> Outcome:
        response = self.start(self.facts.completes)
        assert response.status_code == 202, response.text
        instance_id = response.json()["instanceID"]
        assert uuid.UUID(instance_id), "a generated instance ID is a UUID"
        assert self.state(instance_id)["instanceID"] == instance_id
        self.wait_status(instance_id, *TERMINAL)
        return Outcome.PASSED

    def duplicate_start(self) -> Outcome:
        instance_id = self.started(self.facts.waits, "dup")
        again = self.start(self.facts.waits, instance_id)
        assert_problem(again, 409, "instance-exists", "ERR_START_WORKFLOW")
        self.cleanup(instance_id)
        return Outcome.PASSED

    def get_unknown(self) -> Outcome:
        assert_problem(self.get(self.new_id("ghost")), 404, "instance-not-found", "ERR_INSTANCE_ID_NOT_FOUND")
        return Outcome.PASSED

    def input_output_round_trip(self) -> Outcome:
        workflow = self.facts.completes
        instance_id = self.started(workflow, "io")
        state = self.wait_status(instance_id, *TERMINAL)
        assert state["runtimeStatus"] == "COMPLETED", state
        properties = state["properties"]
        if workflow.input is not None:
            assert json.loads(properties["dapr.workflow.input"]) == workflow.input
        assert "dapr.workflow.output" in properties, "a completed instance shows its output"
        if workflow.output is not None:
            assert json.loads(properties["dapr.workflow.output"]) == workflow.output
        return Outcome.PASSED

    def failure_details(self) -> Outcome:
        instance_id = self.started(self.facts.fails, "fail")
        state = self.wait_status(instance_id, *TERMINAL)
        assert state["runtimeStatus"] == "FAILED", state
        properties = state["properties"]
        assert properties.get("dapr.workflow.failure.error_type"), "a failed instance names its error type"
        assert properties.get("dapr.workflow.failure.error_message"), (
            "a failed instance gives an error message"
        )
        return Outcome.PASSED

    def raise_event(self) -> Outcome:
        workflow = self.facts.waits
        instance_id = self.started(workflow, "event")
        self.wait_status(instance_id, "RUNNING")
        response = self.post(instance_id, f"raiseEvent/{workflow.event}", workflow.data)
        if Capability.RAISE_EVENT not in self.capabilities:
            self.cleanup(instance_id)
            return self.unsupported(response, Capability.RAISE_EVENT)
        assert response.status_code == 202, response.text
        state = self.wait_status(instance_id, *TERMINAL)
        assert state["runtimeStatus"] == "COMPLETED", state
        if workflow.output is not None:
            assert json.loads(state["properties"]["dapr.workflow.output"]) == workflow.output
        return Outcome.PASSED

    def pause_resume(self) -> Outcome:
        instance_id = self.started(self.facts.waits, "pause")
        self.wait_status(instance_id, "RUNNING")
        paused = self.post(instance_id, "pause")
        if Capability.PAUSE not in self.capabilities:
            self.cleanup(instance_id)
            return self.unsupported(paused, Capability.PAUSE)
        assert paused.status_code == 202, paused.text
        self.wait_status(instance_id, "SUSPENDED")
        resumed = self.post(instance_id, "resume")
        assert resumed.status_code == 202, resumed.text
        self.wait_status(instance_id, "RUNNING")
        again = self.post(instance_id, "resume")
        assert_problem(again, 409, "invalid-state", "ERR_RESUME_WORKFLOW")
        self.cleanup(instance_id)
        return Outcome.PASSED

    def terminate(self) -> Outcome:
        instance_id = self.started(self.facts.waits, "term")
        self.wait_status(instance_id, "RUNNING")
        response = self.post(instance_id, "terminate", reason="conformance")
        if Capability.TERMINATE not in self.capabilities:
            return self.unsupported(response, Capability.TERMINATE)
        assert response.status_code == 202, response.text
        self.wait_status(instance_id, "TERMINATED")
        return Outcome.PASSED

    def purge(self) -> Outcome:
        instance_id = self.started(self.facts.waits, "purge")
        self.wait_status(instance_id, "RUNNING")
        running = self.post(instance_id, "purge")
        if Capability.PURGE not in self.capabilities:
            self.cleanup(instance_id)
            return self.unsupported(running, Capability.PURGE)
        assert_problem(running, 409, "invalid-state", "ERR_PURGE_WORKFLOW")
        self.stop(instance_id)
        purged = self.post(instance_id, "purge")
        assert purged.status_code == 202, purged.text
        deadline = time.monotonic() + self.facts.purge_visible_after
        while (response := self.get(instance_id)).status_code == 200:
            assert time.monotonic() < deadline, (
                f"{instance_id} still readable {self.facts.purge_visible_after:g}s after purge"
            )
            time.sleep(0.5)
        assert_problem(response, 404, "instance-not-found", "ERR_INSTANCE_ID_NOT_FOUND")
        return Outcome.PASSED

    def list_instances(self) -> Outcome:
        workflow = self.facts.waits
        ids = {self.started(workflow, f"list{index}") for index in range(3)}
        first = self.client.get(self.base, params={"pageSize": 2})
        if Capability.LIST not in self.capabilities:
            for instance_id in ids:
                self.cleanup(instance_id)
            return self.unsupported(first, Capability.LIST)
        for instance_id in ids:
            self.wait_status(instance_id, "RUNNING")
        deadline = time.monotonic() + self.facts.timeout
        while True:  # visibility may lag behind start on some runtimes
            seen = self.pages({"workflowName": workflow.name, "status": "RUNNING"})
            if ids <= set(seen) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert ids <= set(seen), f"list did not return every started instance: missing {ids - set(seen)}"
        assert len(seen) == len(set(seen)), "paging returned an instance twice"
        for state in seen.values():
            assert state["workflowName"] == workflow.name, state
            assert state["runtimeStatus"] == "RUNNING", state
        for instance_id in ids:
            self.cleanup(instance_id)
        return Outcome.PASSED

    def pages(self, params: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        token: str | None = None
        for _ in range(1000):
            query: dict[str, str | int] = {**params, "pageSize": 2}
            if token:
                query["continuationToken"] = token
            response = self.client.get(self.base, params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["instances"]) <= 2, "a page holds at most pageSize instances"
            for state in page["instances"]:
                assert state["instanceID"] not in seen, "paging returned an instance twice"
                seen[state["instanceID"]] = state
            token = page["continuationToken"]
            if not token:
                return seen
        raise AssertionError("list never ended: more than 1000 pages")

    def history(self) -> Outcome:
        instance_id = self.started(self.facts.completes, "hist")
        self.wait_status(instance_id, *TERMINAL)
        response = self.client.get(f"{self.base}/{instance_id}/history")
        if Capability.HISTORY not in self.capabilities:
            return self.unsupported(response, Capability.HISTORY)
        assert response.status_code == 200, response.text
        events = response.json()["events"]
        assert events, "a completed instance has a history"
        assert events[0]["kind"] == "WorkflowStarted", events[0]
        assert events[-1]["kind"] == "WorkflowCompleted", events[-1]
        stamps = [event["timestamp"] for event in events]
        assert stamps == sorted(stamps), "events come oldest first"
        missing = self.client.get(f"{self.base}/{self.new_id('ghost')}/history")
        assert_problem(missing, 404, "instance-not-found", "ERR_INSTANCE_ID_NOT_FOUND")
        return Outcome.PASSED

    # --- cleanup ------------------------------------------------------------------------

    def stop(self, instance_id: str) -> None:
        response = self.post(instance_id, "terminate", reason="conformance")
        assert response.status_code == 202, response.text
        self.wait_status(instance_id, *TERMINAL)

    def cleanup(self, instance_id: str) -> None:
        """Best effort: terminate what a scenario left running."""
        if Capability.TERMINATE in self.capabilities:
            self.post(instance_id, "terminate", reason="conformance cleanup")


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
    "history",
)


def assert_problem(response: httpx.Response, status: int, slug: str, code: str | None = None) -> None:
    assert response.status_code == status, (
        f"expected {status} {slug}, got {response.status_code}: {response.text}"
    )
    assert response.headers.get("content-type") == "application/problem+json", response.headers
    body = response.json()
    assert body["type"] == f"urn:flowport:problem:{slug}", body
    if code is not None:
        assert body["errorCode"] == code, body
