"""The conformance kit on the built-in component, on a real SQLite store."""

from __future__ import annotations

import pytest

from contracts.conformance import ComponentConformance, Facts, WorkflowFact


class TestBuiltinConformance(ComponentConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def conformance_facts(cls, tmp_path_factory: pytest.TempPathFactory) -> Facts:
        resources = tmp_path_factory.mktemp("builtin-conformance")
        (resources / "builtin.yaml").write_text(
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: dapr\n"
            "spec:\n  type: workflow.builtin\n  version: v1\n  metadata:\n"
            "  - name: runtimes\n    value: tests.conformance.builtin_flows:runtime\n"
            f"  - name: store\n    value: {resources / 'workflows.db'}\n"
        )
        return Facts(
            resources=resources,
            component="dapr",
            completes=WorkflowFact("doubler", input=21, output=84),
            fails=WorkflowFact("refusal", input={"orderId": "o-1"}),
            waits=WorkflowFact(
                "approval",
                input={"orderId": "o-2"},
                event="approve",
                data={"by": "kit"},
                output={"request": {"orderId": "o-2"}, "decision": {"by": "kit"}},
            ),
            timeout=30.0,
            purge_visible_after=5.0,
        )
