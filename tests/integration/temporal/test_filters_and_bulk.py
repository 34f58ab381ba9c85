"""Time and ID-prefix filters and terminate/purge by filter against real Temporal."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from flowport_client import Filter, FlowportClient, models
from tests.integration.temporal.conftest import COMPONENT
from tests.rest import WAIT, Workflows, new_id

pytestmark = pytest.mark.temporal


@pytest.fixture
def flowport(temporal_api: Workflows) -> Iterator[FlowportClient]:
    with FlowportClient(str(temporal_api.client.base_url)) as client:
        yield client


def wait_listed(
    flowport: FlowportClient, where: Filter, done: Callable[[list[models.WorkflowState]], bool]
) -> list[models.WorkflowState]:
    """Visibility is eventually consistent: poll until the listing satisfies ``done``."""
    deadline = time.monotonic() + WAIT
    while True:
        found = list(flowport.iterate(COMPONENT, where))
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_prefix_and_time_filters_then_terminate_and_purge_by_filter(flowport: FlowportClient) -> None:
    prefix = new_id("tf") + "-"
    # A type no worker serves: its instances stay RUNNING until terminated.
    name = f"idle_{uuid.uuid4().hex[:6]}"
    ids = [
        flowport.start(COMPONENT, name, instance_id=f"{prefix}{i}", options={"taskQueue": "idle"}).instanceID
        for i in range(3)
    ]
    listed = wait_listed(flowport, Filter(instance_id_prefix=prefix), lambda found: len(found) == 3)
    assert sorted(state.instanceID for state in listed) == ids
    middle = next(state.createdAt for state in listed if state.instanceID == ids[1])
    later = wait_listed(
        flowport, Filter(instance_id_prefix=prefix, created_after=middle), lambda f: len(f) == 2
    )
    assert sorted(state.instanceID for state in later) == ids[1:]
    earlier = list(flowport.iterate(COMPONENT, Filter(instance_id_prefix=prefix, created_before=middle)))
    assert [state.instanceID for state in earlier] == ids[:1]

    terminated = flowport.terminate_matching(COMPONENT, Filter(instance_id_prefix=prefix), reason="tidy")
    assert (terminated.matched, terminated.succeeded, terminated.failed) == (3, 3, [])
    closed = wait_listed(
        flowport,
        Filter(instance_id_prefix=prefix, status=["TERMINATED"]),
        lambda found: len(found) == 3,
    )
    assert len(closed) == 3
    purged = flowport.purge_matching(COMPONENT, Filter(instance_id_prefix=prefix))
    assert (purged.matched, purged.succeeded, purged.failed) == (3, 3, [])
    assert "asynchronously" in (purged.detail or "")
