"""Example DBOS workflows served by the ``workflow.dbos`` component (see components/dbos.yaml).

Plain DBOS code. The component passes the Dapr input as the workflow's single argument (none
when the start had no body), shows the return value as the output, and shows the DBOS event
``customStatus`` as the Dapr custom status. ``async`` workflows run on DBOS's own event loop
inside the gateway process.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS

CUSTOM_STATUS = "customStatus"  # flowport_dbos.CUSTOM_STATUS_EVENT


@DBOS.step()
async def compose(name: str) -> str:
    return f"Hello, {name}!"


@DBOS.workflow()
async def greet(person: dict[str, Any]) -> dict[str, str]:
    """Completes: ``{"name": "Ada"}`` -> ``{"greeting": "Hello, Ada!"}``."""
    return {"greeting": await compose(person["name"])}


@DBOS.step()
async def check_credit(amount: float) -> float:
    if amount > 100:
        raise PermissionError(f"credit limit exceeded: {amount} > 100")
    return amount


@DBOS.workflow()
async def refuse(order: dict[str, Any] | None = None) -> float:
    """Fails: its step raises, and the workflow with it (FAILED with the PermissionError)."""
    return await check_credit(float((order or {}).get("amount", 1000)))


@DBOS.workflow()
async def await_approval(request: Any = None) -> Any:
    """Waits for the event ``approval`` (a DBOS message on that topic) and returns its data."""
    await DBOS.set_event_async(CUSTOM_STATUS, "waiting for approval")
    decision = await DBOS.recv_async("approval", timeout_seconds=24 * 3600)
    if decision is None:
        raise TimeoutError("no approval within a day")
    await DBOS.set_event_async(CUSTOM_STATUS, "approved")
    return decision
