"""A Dapr workflow worker written the way Dapr's Python SDK documentation shows it.

Unmodified Dapr code (``dapr[workflow]`` 1.19.0): a ``WorkflowRuntime`` hosts the workflow
``steps`` (a chain of ``step`` activities) in this process until it is killed, and finds the
sidecar through ``DAPR_GRPC_PORT`` only. Something else starts the instances. Each activity
execution appends a JSON line to LOG when it starts and when it is done, naming this worker,
so that a test can tell which worker ran what and how often. With ``--hang`` every activity
starts and never finishes (a worker to kill in the middle of one).

    python chain_worker.py NAME LOG [--hang]
"""

import json
import sys
import time

import dapr.ext.workflow as wf

NAME, LOG = sys.argv[1], sys.argv[2]
HANG = "--hang" in sys.argv

wfr = wf.WorkflowRuntime()


def note(what, item):
    line = {"worker": NAME, "what": what, "instance": item["instance"], "step": item["step"]}
    with open(LOG, "a") as log:
        log.write(json.dumps(line) + "\n")


@wfr.activity(name="step")
def step(ctx: wf.WorkflowActivityContext, item: dict) -> int:
    note("start", item)
    while HANG:
        time.sleep(3600)
    time.sleep(item["pause"])
    note("done", item)
    return item["step"]


@wfr.workflow(name="steps")
def steps(ctx: wf.DaprWorkflowContext, spec: dict):
    done = []
    for number in range(spec["steps"]):
        item = {"instance": ctx.instance_id, "step": number, "pause": spec.get("pause", 0)}
        done.append((yield ctx.call_activity(step, input=item)))
    return done


def main():
    wfr.start()
    print(json.dumps({"worker": NAME, "started": True}), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
