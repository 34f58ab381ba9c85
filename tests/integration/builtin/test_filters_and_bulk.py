"""Time and ID-prefix filters, and purge/terminate by filter, on the built-in engine over REST."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from flowport_client import Filter, FlowportClient, ProblemError, models
from gateway.testing import running_gateway
from tests.integration.builtin.hosting import orders_component
from tests.rest import new_id

COMPONENT = "orders"
WAIT = 30.0


@pytest.fixture(scope="module")
def flowport(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowportClient]:
    resources = tmp_path_factory.mktemp("resources")
    orders_component(resources)
    with running_gateway([resources]) as base_url, FlowportClient(base_url) as client:
        yield client


def wait_status(flowport: FlowportClient, instance_id: str, *statuses: str) -> models.WorkflowState:
    deadline = time.monotonic() + WAIT
    while (state := flowport.get(COMPONENT, instance_id)).runtimeStatus.value not in statuses:
        assert time.monotonic() < deadline, f"{instance_id} is {state.runtimeStatus}, not {statuses}"
        time.sleep(0.02)
    return state


def ids(states: list[models.WorkflowState]) -> list[str]:
    return [state.instanceID for state in states]


def test_created_time_and_instance_id_prefix_filters(flowport: FlowportClient) -> None:
    run = new_id("win")
    started = [
        flowport.start(COMPONENT, "Greeting", f"n{i}", instance_id=f"{run}-a{i}").instanceID for i in range(3)
    ]
    other = flowport.start(COMPONENT, "Greeting", "x", instance_id=f"{run}-b0").instanceID
    states = [wait_status(flowport, instance_id, "COMPLETED") for instance_id in started]
    prefix = f"{run}-a"

    assert ids(list(flowport.iterate(COMPONENT, Filter(instance_id_prefix=prefix)))) == started[::-1]
    middle = states[1].createdAt
    after = list(flowport.iterate(COMPONENT, Filter(instance_id_prefix=prefix, created_after=middle)))
    assert ids(after) == [started[2], started[1]], "createdAfter is inclusive"
    before = list(flowport.iterate(COMPONENT, Filter(instance_id_prefix=prefix, created_before=middle)))
    assert ids(before) == [started[0]], "createdBefore is exclusive"
    # An ID prefix is exact: neither a LIKE wildcard nor another case matches.
    assert ids(flowport.list(COMPONENT, Filter(instance_id_prefix=f"{run}-_")).instances) == []
    assert ids(flowport.list(COMPONENT, Filter(instance_id_prefix=run.upper())).instances) == []
    assert other in ids(flowport.list(COMPONENT, Filter(instance_id_prefix=f"{run}")).instances)


def test_terminate_then_purge_by_filter(flowport: FlowportClient) -> None:
    prefix = new_id("bulk") + "-"
    started = [
        flowport.start(COMPONENT, "approval", {"id": i}, instance_id=f"{prefix}{i}").instanceID
        for i in range(3)
    ]
    done = flowport.start(COMPONENT, "Greeting", "kept", instance_id=f"{prefix}greeting").instanceID
    for instance_id in started:
        wait_status(flowport, instance_id, "RUNNING")
    wait_status(flowport, done, "COMPLETED")
    waiting = Filter(instance_id_prefix=prefix, workflow_name="approval")

    counted = flowport.terminate_matching(COMPONENT, waiting, dry_run=True)
    assert (counted.dryRun, counted.matched, counted.succeeded) == (True, 3, 0)
    assert all(flowport.get(COMPONENT, i).runtimeStatus.value == "RUNNING" for i in started)

    terminated = flowport.terminate_matching(COMPONENT, waiting, reason="closing the quarter")
    assert (terminated.matched, terminated.succeeded, terminated.failed) == (3, 3, [])
    for instance_id in started:
        wait_status(flowport, instance_id, "TERMINATED")

    everything = Filter(instance_id_prefix=prefix)
    assert flowport.purge_matching(COMPONENT, everything, dry_run=True).matched == 4
    purged = flowport.purge_matching(COMPONENT, everything)
    assert (purged.matched, purged.succeeded, purged.purgedInstances, purged.failed) == (4, 4, 4, [])
    assert flowport.list(COMPONENT, everything).instances == []
    with pytest.raises(ProblemError) as missing:
        flowport.get(COMPONENT, started[0])
    assert missing.value.status == 404


def test_bulk_operations_refuse_statuses_they_cannot_act_on(flowport: FlowportClient) -> None:
    with pytest.raises(ProblemError) as purge:
        flowport.purge_matching(COMPONENT, Filter(status=["RUNNING"]))
    assert (purge.value.status, purge.value.slug) == (400, "malformed-request")
    assert "RUNNING" in purge.value.problem.detail
    with pytest.raises(ProblemError) as terminate:
        flowport.terminate_matching(COMPONENT, Filter(status=["COMPLETED"]))
    assert (terminate.value.status, terminate.value.slug) == (400, "malformed-request")
