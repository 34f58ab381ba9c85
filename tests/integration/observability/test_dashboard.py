"""The Grafana dashboard queries only metrics a real gateway serves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.integration.observability.conftest import builtin_resources
from tests.servers.gateway import REPO

DASHBOARD = REPO / "deploy" / "grafana" / "flowport.json"
METRIC = re.compile(r"\b((?:flowport|process)_[a-z0-9_]+)\b")
SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count"),
    "gauge": ("",),
}


def queries(node: Any) -> list[str]:
    """Every PromQL text in the dashboard: panel targets and templating queries."""
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k in {"expr", "definition"} and isinstance(v, str)]
        return found + [q for v in node.values() for q in queries(v)]
    if isinstance(node, list):
        return [q for v in node for q in queries(v)]
    return []


def test_every_metric_the_dashboard_queries_is_served(serve, tmp_path: Path) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "flowport"
    wanted = {name for query in queries(dashboard) for name in METRIC.findall(query)}
    assert "flowport_workflow_operation_total" in wanted

    resources = builtin_resources(tmp_path)
    gateway = serve([resources])
    served = {
        family.name + suffix
        for family in gateway.metrics().values()
        for suffix in SAMPLE_SUFFIXES.get(family.type, ("",))
    }
    assert sorted(wanted - served) == []
