"""Unmodified Dapr workflow apps, in their own processes, run on Flowport's sidecar service.

Each program (programs/) is written the way its SDK's documentation shows: it hosts its
workflows and activities in a worker, drives them with the SDK's client, knows nothing of
Flowport, and finds the sidecar through Dapr's one setting. It prints one JSON line per
scenario; every scenario must pass, and the REST API must show the same instances.

| Program | SDK (scripts/sdk-envs.sh) | Scenarios |
|---|---|---|
| dapr_workflow_app.py --with-119 | dapr[workflow] 1.19.0 | everything below, plus list (paged), history, rerun |
| dapr_workflow_app.py | dapr 1.18.3 + dapr-ext-workflow 1.18.3 | activities, chaining, fan-out/fan-in, retry, timer, events (before, during, while suspended), custom status, children (default and given IDs), continue-as-new with carried events, terminate and purge (recursive), suspend/resume, failure details, versions and patches |
| durabletask_app.py | durabletask-dapr 0.17.4 | the same but versions (patches in) |
| chain_event_child.cjs | @dapr/dapr 3.18.0 (JavaScript) | a chain with an activity, an external event and a child workflow with a given ID; purge |
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.sidecar.conftest import Sidecar, run_program, sdk_environment

PYTHON_SCENARIOS = {
    "chaining",
    "fan-out/fan-in",
    "retry policy",
    "timer",
    "event before the wait",
    "event during the wait, custom status",
    "event while suspended, suspend/resume",
    "child workflows (default and given IDs)",
    "continue-as-new with carried events",
    "terminate and purge, recursive",
    "failure details",
}
ONLY_119 = {"list (paged)", "history", "rerun from an event"}

#: environment, program, arguments, the scenarios it reports
PROGRAMS = {
    "dapr-1.19.0": (
        "py-dapr-1.19.0",
        "dapr_workflow_app.py",
        ["--with-119"],
        PYTHON_SCENARIOS | {"versioning and patches"} | ONLY_119,
    ),
    "dapr-1.18.3": (
        "py-dapr-1.18.3",
        "dapr_workflow_app.py",
        [],
        PYTHON_SCENARIOS | {"versioning and patches"},
    ),
    "durabletask-0.17.4": ("py-durabletask-0.17.4", "durabletask_app.py", [], PYTHON_SCENARIOS | {"patches"}),
    "js-dapr-3.18.0": (
        "js-dapr-3.18.0",
        "chain_event_child.cjs",
        [],
        {"chain with an external event and a child workflow", "the child has the given ID", "purge"},
    ),
}


@pytest.fixture
def rest(sdk_sidecar: Sidecar) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sdk_sidecar.base_url, timeout=60.0) as client:
        yield client


@pytest.mark.parametrize("sdk", list(PROGRAMS))
def test_an_unmodified_sdk_program_runs_every_scenario(
    sdk: str, sdk_sidecar: Sidecar, rest: httpx.Client
) -> None:
    env_name, program, arguments, expected = PROGRAMS[sdk]
    environment = sdk_environment(env_name)
    run_id = f"{sdk.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    settings = None
    if env_name == "py-durabletask-0.17.4":
        # durabletask-dapr 0.17.4 reads DAPR_GRPC_PORT only beside DAPR_GRPC_HOST; its one
        # setting on its own is the endpoint.
        settings = {"DAPR_GRPC_ENDPOINT": f"127.0.0.1:{sdk_sidecar.grpc_port}"}
    lines = run_program(environment, program, sdk_sidecar, run_id, *arguments, settings=settings)

    reported = {line["scenario"]: line for line in lines}
    assert set(reported) == expected
    failed = {name: line for name, line in reported.items() if not line["ok"]}
    assert not failed, failed

    if sdk.startswith("js"):
        # The child with its given ID, over REST; the parent was purged by the program.
        child = rest.get(f"/v1.0/workflows/dapr/{run_id}-order-ship").json()
        assert child["runtimeStatus"] == "COMPLETED"
        assert rest.get(f"/v1.0/workflows/dapr/{run_id}-order").status_code == 404
        return
    # REST serves the same instances: state, output, history, listing, and the failure.
    chain = rest.get(f"/v1.0/workflows/dapr/{run_id}-chain").json()
    assert chain["runtimeStatus"] == "COMPLETED"
    assert chain["workflowName"] == "chain"
    history = rest.get(f"/v1.0/workflows/dapr/{run_id}-chain/history").json()
    kinds = [event["kind"] for event in history["events"]]
    assert kinds.count("ActivityScheduled") == kinds.count("ActivityCompleted") >= 2
    assert kinds[-1] == "WorkflowCompleted"
    failing = rest.get(f"/v1.0/workflows/dapr/{run_id}-failing").json()
    assert failing["runtimeStatus"] == "FAILED"
    assert "boom" in failing["properties"]["dapr.workflow.failure.error_message"]
    listed = rest.get("/v1.0/workflows/dapr", params={"instanceIDPrefix": run_id, "pageSize": 100}).json()
    ids = {instance["instanceID"] for instance in listed["instances"]}
    assert {f"{run_id}-chain", f"{run_id}-fan", f"{run_id}-parent-given"} <= ids
    assert f"{run_id}-holder" not in ids  # purged, with its child
