"""The component conformance kit, run on the example Conductor component."""

from __future__ import annotations

import subprocess

import pytest

from contracts.conformance import ComponentConformance, Facts, WorkflowFact
from tests.integration.conductor.conftest import COMPONENT, EXAMPLE_RESOURCES, WAIT_TIMEOUT

pytestmark = pytest.mark.conductor

ORDER = {"orderId": "kit-1", "items": [{"sku": "tea", "price": 2.0, "quantity": 3}], "creditLimit": 50}


class TestConductorConformance(ComponentConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def conformance_facts(cls, conductor_env: str, conductor_worker: subprocess.Popen[bytes]) -> Facts:
        return Facts(
            resources=EXAMPLE_RESOURCES,
            component=COMPONENT,
            completes=WorkflowFact(name="order_processing", input=ORDER),
            fails=WorkflowFact(name="declined_payment", input={"orderId": "kit-2", "amount": 10}),
            waits=WorkflowFact(
                name="order_approval",
                input={"orderId": "kit-3"},
                event="approval",
                data={"approved": False, "approver": "kit"},
                output={"orderId": "kit-3", "approved": False, "approver": "kit", "trackingNumber": None},
            ),
            timeout=WAIT_TIMEOUT,
            purge_visible_after=10.0,
        )
