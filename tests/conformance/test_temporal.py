"""The conformance kit on the Temporal component, against the session's real dev server."""

from __future__ import annotations

import subprocess

import pytest

from contracts.conformance import ComponentConformance, Facts, WorkflowFact
from tests.servers.temporal import TemporalServer, component_yaml


class TestTemporalConformance(ComponentConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def conformance_facts(
        cls,
        temporal_server: TemporalServer,
        temporal_worker: subprocess.Popen[bytes],
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Facts:
        resources = tmp_path_factory.mktemp("temporal-conformance")
        (resources / "temporal.yaml").write_text(component_yaml(temporal_server))
        return Facts(
            resources=resources,
            component="temporal",
            completes=WorkflowFact(
                "chain", input="x", output=[{"step": "x-0"}, {"step": "x-1"}, {"step": "x-2"}]
            ),
            fails=WorkflowFact("fail", input={"orderId": "o-1"}),
            waits=WorkflowFact(
                "approval",
                input={"orderId": "o-2"},
                event="approve",
                data={"by": "kit"},
                output={"request": {"orderId": "o-2"}, "decision": {"by": "kit"}},
            ),
            # Temporal makes a deletion visible after a delay (up to about 35 s here).
            purge_visible_after=120.0,
        )
