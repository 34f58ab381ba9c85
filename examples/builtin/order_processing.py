"""Order processing: inventory, approval, payment and shipping (the README's walk-through).

An order is checked against the inventory; orders above ``APPROVAL_THRESHOLD`` wait for a
manager's ``approval`` event (raced against a timeout); then the payment is taken, the stock
is updated and the order ships. The workflow's custom status says which stage it is in, so a
client polling the instance sees its progress.

Run it on its own (the engine runs in this process; state in ``./.flowport/workflows.db``)::

    python examples/builtin/order_processing.py

or serve it over Dapr's REST API with ``scripts/run.sh`` and follow ``docs/examples.md``::

    curl -X POST 'http://127.0.0.1:3500/v1.0/workflows/dapr/order_processing/start?instanceID=order-1' \\
         -H 'Content-Type: application/json' -d '{"item_name": "cars", "quantity": 1, "total_cost": 6000}'
    curl -X POST http://127.0.0.1:3500/v1.0/workflows/dapr/order-1/raiseEvent/approval \\
         -H 'Content-Type: application/json' -d '{"approver": "alice", "approved": true}'
    curl http://127.0.0.1:3500/v1.0/workflows/dapr/order-1

The inventory is a dictionary in the hosting process: enough to show the flow, not a
database. Activities run at least once, so a real one would make ``update_inventory``
idempotent (keyed by the order's instance ID).
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pydantic

import builtin_engine as wf

wfr = wf.WorkflowRuntime()

#: orders costing more than this wait for a manager's approval
APPROVAL_THRESHOLD = 5000
#: the stock the hosting process starts with
INITIAL_STOCK = {"cars": 50, "paperclips": 100_000, "computers": 200}

_stock = dict(INITIAL_STOCK)
_stock_lock = threading.Lock()


class OrderPayload(pydantic.BaseModel):
    """The workflow's input (a pydantic model: the engine validates the JSON into it)."""

    item_name: str
    quantity: int = pydantic.Field(gt=0)
    total_cost: float
    #: how long a manager has to approve an expensive order
    approval_timeout_seconds: float = 24 * 3600


@dataclass
class InventoryResult:
    success: bool
    item_name: str
    in_stock: int


@dataclass
class Approval:
    """The data of the ``approval`` event."""

    approver: str
    approved: bool = True


@wfr.workflow(name="order_processing")
def order_processing(
    ctx: wf.DaprWorkflowContext, order: OrderPayload
) -> Generator[wf.Task[Any], Any, dict[str, Any]]:
    """Checks stock, gets approval when needed, pays and ships; returns what happened."""
    # Like Dapr's SDK, the engine hands over the plain JSON when it does not fit the
    # annotation: validating again makes a bad order fail with pydantic's explanation.
    order = OrderPayload.model_validate(order)
    ctx.set_custom_status("checking inventory")
    yield ctx.call_activity(notify, input=f"Received order {ctx.instance_id}: {_describe(order)}")

    inventory: InventoryResult = yield ctx.call_activity(verify_inventory, input=order)
    if not inventory.success:
        yield ctx.call_activity(notify, input=f"Not enough {order.item_name} for order {ctx.instance_id}")
        ctx.set_custom_status("rejected: insufficient inventory")
        return {"processed": False, "reason": f"only {inventory.in_stock} {order.item_name} in stock"}

    if order.total_cost > APPROVAL_THRESHOLD:
        ctx.set_custom_status("waiting for approval")
        yield ctx.call_activity(request_approval, input=order)
        # The event may already have been raised: events are kept until the workflow waits.
        approval_task = ctx.wait_for_external_event("approval")
        timeout_task = ctx.create_timer(timedelta(seconds=order.approval_timeout_seconds))
        winner = yield wf.when_any([approval_task, timeout_task])
        if winner is timeout_task:
            ctx.set_custom_status("cancelled: approval timed out")
            return {"processed": False, "reason": "approval timed out"}
        approval = Approval(**approval_task.get_result())
        if not approval.approved:
            ctx.set_custom_status(f"rejected by {approval.approver}")
            return {"processed": False, "reason": f"rejected by {approval.approver}"}

    ctx.set_custom_status("processing payment")
    receipt = yield ctx.call_activity(process_payment, input=order)
    ctx.set_custom_status("updating inventory")
    remaining = yield ctx.call_activity(update_inventory, input=order)
    ctx.set_custom_status("shipping")
    tracking = yield ctx.call_activity(ship_order, input=order)
    yield ctx.call_activity(notify, input=f"Order {ctx.instance_id} shipped: {tracking}")
    ctx.set_custom_status("completed")
    return {"processed": True, "receipt": receipt, "tracking": tracking, "remaining_stock": remaining}


@wfr.activity(name="notify")
def notify(ctx: wf.WorkflowActivityContext, message: str) -> None:
    print(f"[notify] {message}", flush=True)


@wfr.activity(name="verify_inventory")
def verify_inventory(ctx: wf.WorkflowActivityContext, order: OrderPayload) -> InventoryResult:
    with _stock_lock:
        in_stock = _stock.get(order.item_name, 0)
    return InventoryResult(in_stock >= order.quantity, order.item_name, in_stock)


@wfr.activity(name="request_approval")
def request_approval(ctx: wf.WorkflowActivityContext, order: OrderPayload) -> None:
    print(
        f"[approval] order {ctx.workflow_id} ({_describe(order)}) needs approval: raise 'approval' "
        '{"approver": "...", "approved": true}',
        flush=True,
    )


@wfr.activity(name="process_payment")
def process_payment(ctx: wf.WorkflowActivityContext, order: OrderPayload) -> str:
    if order.total_cost <= 0:
        # Fails the workflow: its failure details come back through the API.
        raise ValueError(f"payment declined: invalid amount {order.total_cost}")
    print(f"[payment] charged {order.total_cost:.2f} for order {ctx.workflow_id}", flush=True)
    return f"receipt-{ctx.workflow_id}"


@wfr.activity(name="update_inventory")
def update_inventory(ctx: wf.WorkflowActivityContext, order: OrderPayload) -> int:
    with _stock_lock:
        in_stock = _stock.get(order.item_name, 0)
        if in_stock < order.quantity:
            raise RuntimeError(f"only {in_stock} {order.item_name} left")
        _stock[order.item_name] = in_stock - order.quantity
        return in_stock - order.quantity


@wfr.activity(name="ship_order")
async def ship_order(ctx: wf.WorkflowActivityContext, order: OrderPayload) -> str:
    # Activities may be coroutines: they run on the engine's loop rather than in a thread.
    return f"TRACK-{ctx.workflow_id}-{order.quantity}x{order.item_name}"


def _describe(order: OrderPayload) -> str:
    return f"{order.quantity} {order.item_name} for {order.total_cost:.2f}"


def main() -> None:
    wfr.start()
    client = wf.DaprWorkflowClient()
    try:
        cheap = client.schedule_new_workflow(
            order_processing, input=OrderPayload(item_name="paperclips", quantity=3, total_cost=30)
        )
        state = client.wait_for_workflow_completion(cheap, timeout_in_seconds=30)
        assert state is not None
        print(f"{cheap}: {state.runtime_status.name} {state.serialized_output}")

        expensive = client.schedule_new_workflow(
            order_processing, input=OrderPayload(item_name="cars", quantity=1, total_cost=6000)
        )
        state = client.wait_for_workflow_start(expensive, timeout_in_seconds=30)
        print(f"{expensive}: waiting for approval; approving as 'alice'")
        client.raise_workflow_event(expensive, "approval", data=Approval(approver="alice"))
        state = client.wait_for_workflow_completion(expensive, timeout_in_seconds=30)
        assert state is not None
        print(f"{expensive}: {state.runtime_status.name} {state.serialized_output}")

        declined = client.schedule_new_workflow(
            order_processing, input=OrderPayload(item_name="computers", quantity=1, total_cost=0)
        )
        state = client.wait_for_workflow_completion(declined, timeout_in_seconds=30)
        assert state is not None
        assert state.failure_details is not None
        print(f"{declined}: {state.runtime_status.name} {state.failure_details.message}")
    finally:
        wfr.shutdown()


if __name__ == "__main__":
    main()
