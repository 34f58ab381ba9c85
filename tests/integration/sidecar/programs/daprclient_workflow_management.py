"""Workflow management with Dapr's Python ``DaprClient`` (dapr 1.17.5, the Beta1 methods).

An unmodified Dapr program, written the way Dapr's documentation shows the DaprClient
workflow methods: it knows nothing of Flowport and finds its sidecar through
``DAPR_GRPC_PORT`` / ``DAPR_HTTP_PORT`` only. It runs in its own virtual environment
(scripts/sdk-envs.sh py-dapr-1.17.5) and prints one JSON line per step for the test to read.

    python daprclient_workflow_management.py COMPONENT WORKFLOW INPUT_JSON EVENT EVENT_DATA_JSON PREFIX
"""

import json
import sys
import time

from dapr.clients import DaprClient
from dapr.clients.exceptions import DaprInternalError

WAIT_SECONDS = 90
# get_workflow's runtime_status is the SDK's spelling: "Running", "Completed", ...


def report(step, **facts):
    print(json.dumps({"step": step, **facts}), flush=True)


def state(d, instance_id, component):
    response = d.get_workflow(instance_id=instance_id, workflow_component=component)
    return {
        "status": str(response.runtime_status),
        "name": response.workflow_name,
        "properties": dict(response.properties),
    }


def wait_for(d, instance_id, component, *statuses):
    deadline = time.monotonic() + WAIT_SECONDS
    current = state(d, instance_id, component)
    while current["status"] not in statuses and time.monotonic() < deadline:
        time.sleep(0.1)
        current = state(d, instance_id, component)
    return current


def wait_until_gone(d, instance_id, component):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            d.get_workflow(instance_id=instance_id, workflow_component=component)
        except DaprInternalError as error:
            return str(error.as_dict()["message"])
        time.sleep(0.2)
    return None


def main():
    component, workflow, input_json, event, event_json, prefix = sys.argv[1:7]
    with DaprClient() as d:
        instance_id = f"{prefix}-approve"
        started = d.start_workflow(
            workflow_component=component,
            workflow_name=workflow,
            input=json.loads(input_json),
            instance_id=instance_id,
        )
        report("start", instance_id=started.instance_id)
        report("get", **wait_for(d, instance_id, component, "Running"))

        d.pause_workflow(instance_id=instance_id, workflow_component=component)
        report("pause", **wait_for(d, instance_id, component, "Suspended"))
        d.resume_workflow(instance_id=instance_id, workflow_component=component)
        report("resume", **wait_for(d, instance_id, component, "Running"))

        d.raise_workflow_event(
            instance_id=instance_id,
            workflow_component=component,
            event_name=event,
            event_data=json.loads(event_json),
        )
        report("completed", **wait_for(d, instance_id, component, "Completed", "Failed"))

        d.purge_workflow(instance_id=instance_id, workflow_component=component)
        report("purged", error=wait_until_gone(d, instance_id, component))

        doomed = f"{prefix}-terminate"
        start_running(d, component, workflow, input_json, doomed)
        d.terminate_workflow(instance_id=doomed, workflow_component=component)
        report("terminated", **wait_for(d, doomed, component, "Terminated"))
        d.purge_workflow(instance_id=doomed, workflow_component=component)

        duplicate = f"{prefix}-duplicate"
        start_running(d, component, workflow, input_json, duplicate)
        attempt("duplicate start", d.start_workflow, component, workflow_name=workflow, instance_id=duplicate)
        d.terminate_workflow(instance_id=duplicate, workflow_component=component)
        attempt("unknown instance", d.get_workflow, component, instance_id=f"{prefix}-nobody")
        attempt("unknown component", d.get_workflow, "nowhere", instance_id=duplicate)
        attempt("malformed start", d.start_workflow, component, workflow_name=workflow, instance_id="a b")


def start_running(d, component, workflow, input_json, instance_id):
    d.start_workflow(
        workflow_component=component,
        workflow_name=workflow,
        input=json.loads(input_json),
        instance_id=instance_id,
    )
    wait_for(d, instance_id, component, "Running")


def attempt(step, call, component, **arguments):
    """A call that should fail: report the error message the SDK gives its user."""
    try:
        call(workflow_component=component, **arguments)
        report(step, error=None)
    except DaprInternalError as error:
        report(step, error=str(error.as_dict()["message"]))


if __name__ == "__main__":
    main()
