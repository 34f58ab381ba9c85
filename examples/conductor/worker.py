"""The example worker: serves the SIMPLE tasks of examples/conductor/definitions.

Run it next to a Conductor server (conductor-python reads the server from the environment)::

    CONDUCTOR_SERVER_URL=http://localhost:8080/api python examples/conductor/worker.py

Each ``@worker_task`` function receives the task's input parameters by name and returns its
output. ``charge_payment`` declines an amount above the credit limit with a
``NonRetryableException``, which fails the task (and so the ``declined_payment`` workflow)
without retries.
"""

# No `from __future__ import annotations` here: conductor-python converts task inputs by the
# parameters' annotations at run time, and cannot use them as strings.
import hashlib
import logging
import signal
import sys
import threading
from dataclasses import dataclass

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.exception import NonRetryableException
from conductor.client.worker.worker_task import worker_task

log = logging.getLogger("flowport.examples.conductor")


def _token(prefix: str, *parts: object) -> str:
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


@dataclass
class OrderItem:
    sku: str
    price: float
    quantity: int = 1


@worker_task(task_definition_name="validate_order")
def validate_order(orderId: str, items: list[OrderItem]) -> dict:
    if not items:
        raise NonRetryableException(f"order {orderId} has no items")
    total = sum(item.price * item.quantity for item in items)
    return {"orderId": orderId, "itemCount": len(items), "total": round(total, 2)}


# conductor-python passes simple types through as they come: creditLimit is None when the
# workflow input has none.
@worker_task(task_definition_name="charge_payment")
def charge_payment(orderId: str, amount: float, creditLimit: float) -> dict:
    if creditLimit is not None and float(amount) > float(creditLimit):
        raise NonRetryableException(f"payment declined: {amount} exceeds the credit limit of {creditLimit}")
    return {"paymentId": _token("pay", orderId, amount), "charged": amount}


@worker_task(task_definition_name="ship_order")
def ship_order(orderId: str, paymentId: str) -> dict:
    return {"trackingNumber": _token("trk", orderId, paymentId)}


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    configuration = Configuration()  # CONDUCTOR_SERVER_URL, or http://localhost:8080/api
    log.info("serving validate_order, charge_payment, ship_order for %s", configuration.host)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with TaskHandler(configuration=configuration, scan_for_annotated_workers=True) as handler:
        handler.start_processes()
        stop.wait()
        handler.stop_processes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
