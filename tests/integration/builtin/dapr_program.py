"""A program written for Dapr's Python SDK; only the import line differs.

Its Dapr original would read ``import dapr.ext.workflow as wf``. It prints what it observes
(``say`` writes each line at once, since activities print from worker threads); the test
compares the output with what the program prints under Dapr.
"""

import sys
import threading
from datetime import timedelta
from time import sleep

import builtin_engine as wf  # under Dapr: import dapr.ext.workflow as wf

_out = threading.Lock()


def say(line):
    """print, but one write per line: activities print from worker threads."""
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


counter = 0
retry_count = 0
policy = wf.RetryPolicy(
    first_retry_interval=timedelta(milliseconds=50),
    max_number_of_attempts=3,
    backoff_coefficient=2,
    max_retry_interval=timedelta(seconds=1),
    retry_timeout=timedelta(seconds=30),
)

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="hello_world_wf")
def hello_world_wf(ctx: wf.DaprWorkflowContext, wf_input):
    if not ctx.is_replaying:
        say(f"New counter value is: {wf_input}!")
    yield ctx.call_activity(hello_act, input=1)
    yield ctx.call_activity(hello_act, input=10)
    yield ctx.call_activity(hello_retryable_act, retry_policy=policy)
    yield ctx.call_child_workflow(child_retryable_wf, retry_policy=policy)
    yield ctx.wait_for_external_event("event1")
    yield ctx.call_activity(hello_act, input=100)
    yield ctx.call_activity(hello_act, input=1000)


@wfr.activity(name="hello_act")
def hello_act(ctx: wf.WorkflowActivityContext, wf_input):
    global counter
    counter += wf_input
    say(f"New counter value is: {counter}!")


@wfr.activity(name="hello_retryable_act")
def hello_retryable_act(ctx: wf.WorkflowActivityContext):
    global retry_count
    if (retry_count % 2) == 0:
        say(f"Retry count value is: {retry_count}!")
        retry_count += 1
        raise ValueError("Retryable Error")
    say(f"Retry count value is: {retry_count}! This print statement verifies retry")
    retry_count += 1


@wfr.workflow(name="child_retryable_wf")
def child_retryable_wf(ctx: wf.DaprWorkflowContext):
    if not ctx.is_replaying:
        say("Child workflow running")
    yield ctx.call_activity(act_for_child_wf, input=2)


@wfr.activity(name="act_for_child_wf")
def act_for_child_wf(ctx: wf.WorkflowActivityContext, inp):
    say(f"Child activity got {inp}")


def main():
    wfr.start()
    wf_client = wf.DaprWorkflowClient()
    instance_id = wf_client.schedule_new_workflow(
        workflow=hello_world_wf, input=0, instance_id="exampleInstanceID"
    )
    say(f"Workflow started. Instance ID: {instance_id}")
    state = wf_client.wait_for_workflow_start(instance_id, timeout_in_seconds=30)
    while counter != 11 or retry_count != 2:
        sleep(0.05)
    wf_client.pause_workflow(instance_id=instance_id)
    metadata = wf_client.get_workflow_state(instance_id=instance_id)
    say(f"Get response from hello_world_wf after pause call: {metadata.runtime_status.name}")
    wf_client.resume_workflow(instance_id=instance_id)
    metadata = wf_client.get_workflow_state(instance_id=instance_id)
    say(f"Get response from hello_world_wf after resume call: {metadata.runtime_status.name}")
    sleep(0.5)
    wf_client.raise_workflow_event(instance_id=instance_id, event_name="event1", data="hello")
    state = wf_client.wait_for_workflow_completion(instance_id, timeout_in_seconds=30)
    say(f"Workflow completed! Status: {state.runtime_status.name}")
    wf_client.purge_workflow(instance_id=instance_id)
    say(f"Purged: {wf_client.get_workflow_state(instance_id=instance_id) is None}")
    wfr.shutdown()


if __name__ == "__main__":
    main()
