"""A typed Python client for Flowport's REST API.

::

    from flowport_client import FlowportClient, Filter

    with FlowportClient("http://127.0.0.1:3500") as flowport:
        started = flowport.start("dapr", "order_processing", {"item_name": "cars", "quantity": 1,
                                                             "total_cost": 6000}, instance_id="order-1")
        state = flowport.get("dapr", "order-1")          # models.WorkflowState
        flowport.raise_event("dapr", "order-1", "approval", {"approver": "alice", "approved": True})
        for state in flowport.iterate("dapr", Filter(status=["COMPLETED"])):
            ...

Every operation of the API has one method (``AsyncFlowportClient`` has the same ones as
coroutines where the console needs them, and ``send`` for any operation of ``calls``). An
error answer raises ``ProblemError`` carrying the gateway's problem document; no answer at
all raises ``GatewayUnreachableError``.

The package depends on ``httpx``, ``pydantic`` and the vocabulary of ``contracts`` (status and
event-kind enums) only, never on the gateway: the conformance kit, the command line, the
console and the tests all use it.
"""

from flowport_client import _calls as calls
from flowport_client import models
from flowport_client._calls import NO_BODY, Call, Filter
from flowport_client._client import DEFAULT_ADDRESS, AsyncFlowportClient, FlowportClient
from flowport_client._errors import ClientError, GatewayUnreachableError, ProblemError

__all__ = [
    "DEFAULT_ADDRESS",
    "NO_BODY",
    "AsyncFlowportClient",
    "Call",
    "ClientError",
    "Filter",
    "FlowportClient",
    "GatewayUnreachableError",
    "ProblemError",
    "calls",
    "models",
]
