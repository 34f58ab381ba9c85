"""The sidecar benchmark's Dapr app: unmodified Dapr Python SDK code (dapr[workflow] 1.19.0),
run in its own process with only DAPR_GRPC_PORT set, as ``bench.sidecar`` starts it.

    python sdk_chain.py throughput COUNT STEPS PREFIX [--stateless]
    python sdk_chain.py alone COUNT STEPS PREFIX [--stateless]

``throughput`` starts COUNT chains of STEPS activities at once (with the SDK's client, from a
pool of threads) and waits for every one; ``alone`` runs COUNT chains one after the other
(``PREFIX-0`` ... each alone in the system). The worker hosts the workflow; ``--stateless``
turns off its stateful history (full replay every turn). Prints one JSON line with the
seconds it took.
"""

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import dapr.ext.workflow as wf

STATELESS = "--stateless" in sys.argv
wfr = wf.WorkflowRuntime(disable_stateful_history=STATELESS)


@wfr.activity(name="noop")
def noop(ctx: wf.WorkflowActivityContext, value: int) -> int:
    return value + 1


@wfr.workflow(name="chain")
def chain(ctx: wf.DaprWorkflowContext, steps: int):
    value = 0
    for _ in range(steps):
        value = yield ctx.call_activity(noop, input=value)
    return value


def run(client, ids, steps, threads):
    def start(instance_id):
        client.schedule_new_workflow(chain, input=steps, instance_id=instance_id)

    def wait(instance_id):
        state = client.wait_for_workflow_completion(instance_id, timeout_in_seconds=600)
        assert state is not None
        assert state.runtime_status.name == "COMPLETED", state
        assert json.loads(state.serialized_output) == steps

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(start, ids))
        list(pool.map(wait, ids))
    return time.perf_counter() - began


def main():
    mode = sys.argv[1]
    wfr.start()
    client = wf.DaprWorkflowClient()
    try:
        count, steps, prefix = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
        run(client, [f"{prefix}-warm-{i}" for i in range(min(count, 20))], min(steps, 5), 20)
        if mode == "throughput":
            seconds = run(client, [f"{prefix}-{i}" for i in range(count)], steps, 32)
        else:
            seconds = sum(run(client, [f"{prefix}-{i}"], steps, 1) for i in range(count))
        print(json.dumps({"workflows": count, "seconds": seconds}), flush=True)
    finally:
        wfr.shutdown()


if __name__ == "__main__":
    main()
