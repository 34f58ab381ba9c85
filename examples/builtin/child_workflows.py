"""Child workflows: a shipment batch runs one ``deliver_package`` child per package.

``ship_batch`` starts a child workflow per package, all at once, each with its own instance ID
(``<batch ID>-<package ID>``), so every delivery can be looked up, listed and managed on its
own. The parent then collects the children's results one by one: a failed delivery is
reported in the batch's output instead of failing the whole batch. Terminating or purging
the batch does the same to its deliveries (recursively).

Input::

    {"packages": [{"id": "p1", "address": "1 Main St", "transit_seconds": 0},
                  {"id": "p2", "address": ""}]}          # no address: that delivery fails

Run on its own: ``python examples/builtin/child_workflows.py``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import builtin_engine as wf

wfr = wf.WorkflowRuntime()


@dataclass
class Package:
    id: str
    address: str
    #: time in transit: a durable timer in the child
    transit_seconds: float = 0.0


@wfr.workflow(name="ship_batch")
def ship_batch(
    ctx: wf.DaprWorkflowContext, batch: dict[str, Any]
) -> Generator[wf.Task[Any], Any, dict[str, Any]]:
    """Delivers every package through its own child workflow; reports each outcome."""
    packages = [Package(**p) for p in batch["packages"]]
    ctx.set_custom_status(f"delivering {len(packages)} packages")
    deliveries = [
        ctx.call_child_workflow(deliver_package, input=package, instance_id=f"{ctx.instance_id}-{package.id}")
        for package in packages
    ]
    outcomes: dict[str, Any] = {}
    for package, delivery in zip(packages, deliveries, strict=True):
        try:
            outcomes[package.id] = yield delivery
        except wf.TaskFailedError as failure:
            outcomes[package.id] = {"failed": failure.details.message}
    delivered = sum(1 for outcome in outcomes.values() if "failed" not in outcome)
    ctx.set_custom_status(f"{delivered} of {len(packages)} delivered")
    return {"delivered": delivered, "packages": outcomes}


@wfr.workflow(name="deliver_package")
def deliver_package(
    ctx: wf.DaprWorkflowContext, package: Package
) -> Generator[wf.Task[Any], Any, dict[str, str]]:
    """Labels a package, keeps it in transit for a while, then confirms the delivery."""
    label: str = yield ctx.call_activity(print_label, input=package)
    ctx.set_custom_status("in transit")
    if package.transit_seconds > 0:
        yield ctx.create_timer(timedelta(seconds=package.transit_seconds))
    yield ctx.call_activity(confirm_delivery, input=label)
    ctx.set_custom_status("delivered")
    return {"label": label, "delivered_by": ctx.instance_id}


@wfr.activity(name="print_label")
def print_label(ctx: wf.WorkflowActivityContext, package: Package) -> str:
    if not package.address.strip():
        raise ValueError(f"package {package.id} has no address")
    return f"{package.id} -> {package.address}"


@wfr.activity(name="confirm_delivery")
def confirm_delivery(ctx: wf.WorkflowActivityContext, label: str) -> None:
    print(f"[delivery] {label} delivered ({ctx.workflow_id})", flush=True)


def main() -> None:
    wfr.start()
    client = wf.DaprWorkflowClient()
    try:
        batch: dict[str, list[dict[str, Any]]] = {
            "packages": [
                {"id": "p1", "address": "1 Main St", "transit_seconds": 0.5},
                {"id": "p2", "address": "2 High St"},
                {"id": "p3", "address": ""},
            ]
        }
        instance_id = client.schedule_new_workflow(ship_batch, input=batch)
        state = client.wait_for_workflow_completion(instance_id, timeout_in_seconds=30)
        assert state is not None
        print(f"{instance_id}: {state.runtime_status.name} {state.serialized_output}")
        for package in batch["packages"]:
            child = client.get_workflow_state(f"{instance_id}-{package['id']}")
            assert child is not None
            print(f"  child {child.instance_id}: {child.runtime_status.name}")
    finally:
        wfr.shutdown()


if __name__ == "__main__":
    main()
