"""The conformance kit on the Conductor component, against the session's real server."""

from __future__ import annotations

import subprocess

import pytest

from contracts.conformance import ComponentConformance, Facts, WorkflowFact
from tests.servers.conductor import EXAMPLES, ConductorServer, component_yaml


class TestConductorConformance(ComponentConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def conformance_facts(
        cls,
        conductor_server: ConductorServer,
        conductor_worker: subprocess.Popen[bytes],
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Facts:
        resources = tmp_path_factory.mktemp("conductor-conformance")
        (resources / "conductor.yaml").write_text(
            component_yaml(conductor_server.api_url, EXAMPLES / "definitions")
        )
        order = {"orderId": "o-1", "items": [{"sku": "pen", "price": 2.5, "quantity": 2}], "creditLimit": 100}
        return Facts(
            resources=resources,
            component="conductor",
            completes=WorkflowFact("order_processing", input=order),
            fails=WorkflowFact("declined_payment", input={"orderId": "o-2", "amount": 500}),
            waits=WorkflowFact(
                "order_approval",
                input={"orderId": "o-3"},
                event="approval",
                data={"approved": False, "approver": "kit"},
            ),
            timeout=120.0,
        )
