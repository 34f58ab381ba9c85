"""Human interaction: a purchase order waits for a manager's approval, or times out.

Orders up to ``AUTO_APPROVAL_LIMIT`` are approved at once. Above it, the workflow asks for
approval and then races the ``approval`` external event against a durable timer with
``when_any``: whichever completes first decides. The event may be raised before the workflow
starts waiting (it is kept until then), and the timer survives restarts.

Input: ``{"item": "laptop", "cost": 2500, "requester": "bob", "timeout_seconds": 86400}``.
Event ``approval``: ``{"approver": "alice", "approved": true}``.

Over HTTP::

    curl -X POST 'http://127.0.0.1:3500/v1.0/workflows/dapr/purchase_approval/start?instanceID=po-1' \\
         -d '{"item": "laptop", "cost": 2500, "requester": "bob"}'
    curl -X POST http://127.0.0.1:3500/v1.0/workflows/dapr/po-1/raiseEvent/approval \\
         -d '{"approver": "alice", "approved": true}'

Run on its own: ``python examples/builtin/human_approval.py``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import builtin_engine as wf

wfr = wf.WorkflowRuntime()

AUTO_APPROVAL_LIMIT = 1000


@dataclass
class PurchaseOrder:
    item: str
    cost: float
    requester: str
    #: how long the approver has before the order is cancelled
    timeout_seconds: float = 24 * 3600


@dataclass
class ApprovalDecision:
    approver: str
    approved: bool = True


@wfr.workflow(name="purchase_approval")
def purchase_approval(ctx: wf.DaprWorkflowContext, order: PurchaseOrder) -> Generator[wf.Task[Any], Any, str]:
    """Auto-approves cheap orders; otherwise waits for ``approval`` or the timeout."""
    if order.cost <= AUTO_APPROVAL_LIMIT:
        yield ctx.call_activity(place_order, input=order)
        return "Auto-approved"

    yield ctx.call_activity(send_approval_request, input=order)
    ctx.set_custom_status("waiting for approval")
    approval = ctx.wait_for_external_event("approval")
    timeout = ctx.create_timer(timedelta(seconds=order.timeout_seconds))
    winner = yield wf.when_any([approval, timeout])
    if winner is timeout:
        ctx.set_custom_status("timed out")
        return f"Cancelled: no approval within {order.timeout_seconds:g} seconds"

    decision = ApprovalDecision(**approval.get_result())
    if not decision.approved:
        ctx.set_custom_status("rejected")
        return f"Rejected by '{decision.approver}'"
    ctx.set_custom_status("approved")
    yield ctx.call_activity(place_order, input=order)
    return f"Approved by '{decision.approver}'"


@wfr.activity(name="send_approval_request")
def send_approval_request(ctx: wf.WorkflowActivityContext, order: PurchaseOrder) -> None:
    print(
        f"[approval] {order.requester} wants {order.item} for {order.cost:,.2f}: "
        f"raise 'approval' on {ctx.workflow_id} within {order.timeout_seconds:g}s",
        flush=True,
    )


@wfr.activity(name="place_order")
def place_order(ctx: wf.WorkflowActivityContext, order: PurchaseOrder) -> None:
    print(f"[order] placed: {order.item} for {order.requester}", flush=True)


def main() -> None:
    wfr.start()
    client = wf.DaprWorkflowClient()
    try:
        cases = [
            (PurchaseOrder("stapler", 25, "bob"), None),
            (PurchaseOrder("laptop", 2500, "bob"), ApprovalDecision("alice")),
            (PurchaseOrder("yacht", 2_000_000, "bob"), ApprovalDecision("alice", approved=False)),
            (PurchaseOrder("server", 9000, "bob", timeout_seconds=1), None),
        ]
        for order, decision in cases:
            instance_id = client.schedule_new_workflow(purchase_approval, input=order)
            if decision is not None:
                client.raise_workflow_event(instance_id, "approval", data=decision)
            state = client.wait_for_workflow_completion(instance_id, timeout_in_seconds=30)
            assert state is not None
            print(f"{order.item}: {state.runtime_status.name} {state.serialized_output}", flush=True)
    finally:
        wfr.shutdown()


if __name__ == "__main__":
    main()
