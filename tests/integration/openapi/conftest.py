"""A gateway with an API token for the OpenAPI tests: the README's built-in examples plus one
declarative definition, so that every documented operation has something real to act on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from gateway.testing import running_gateway

REPO = Path(__file__).resolve().parents[3]
TOKEN = "openapi-test-token"
COMPONENT = "dapr"
RUNTIMES = [
    "examples.builtin.order_processing:wfr",
    "examples.builtin.task_chaining:wfr",
    "examples.builtin.human_approval:wfr",
    "tests.integration.declarative.activities:wfr",
]
DEFINITION = REPO / "tests" / "integration" / "declarative" / "definitions" / "chain.asl.json"


@pytest.fixture(scope="session")
def api_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    resources = tmp_path_factory.mktemp("openapi-components")
    component = {
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": COMPONENT},
        "spec": {
            "type": "workflow.builtin",
            "version": "v1",
            "metadata": [
                {"name": "runtimes", "value": ",".join(RUNTIMES)},
                {"name": "definitions", "value": str(DEFINITION)},
                {"name": "store", "value": str(resources / "dapr.db")},
            ],
        },
    }
    (resources / "dapr.yaml").write_text(yaml.safe_dump(component), encoding="utf-8")
    with running_gateway([resources], api_token=TOKEN) as base_url:
        yield base_url
