"""One real in-process gateway serving the test definitions; a subprocess gateway for crash tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from gateway.testing import running_gateway
from tests.rest import Workflows

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
COMPONENT = "decl"


def write_component(directory: Path, definitions: Path, store: Path, name: str = COMPONENT) -> Path:
    document = {
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": name},
        "spec": {
            "type": "workflow.builtin",
            "version": "v1",
            "metadata": [
                {"name": "runtimes", "value": "tests.integration.declarative.activities:wfr"},
                {"name": "definitions", "value": str(definitions)},
                {"name": "store", "value": str(store)},
            ],
        },
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "component.yaml").write_text(yaml.safe_dump(document))
    return directory


@pytest.fixture(scope="session")
def side_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("side")
    previous = os.environ.get("FLOWPORT_TEST_SIDE")
    os.environ["FLOWPORT_TEST_SIDE"] = str(directory)
    yield directory
    if previous is None:
        del os.environ["FLOWPORT_TEST_SIDE"]
    else:
        os.environ["FLOWPORT_TEST_SIDE"] = previous


@pytest.fixture(scope="session")
def gateway_url(tmp_path_factory: pytest.TempPathFactory, side_dir: Path) -> Iterator[str]:
    base = tmp_path_factory.mktemp("declarative")
    resources = write_component(base / "resources", DEFINITIONS, base / "state" / "decl.db")
    plain = {  # a component without definitions: the definitions route answers 501
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "plain"},
        "spec": {
            "type": "workflow.builtin",
            "metadata": [{"name": "store", "value": str(base / "plain.db")}],
        },
    }
    (resources / "plain.yaml").write_text(yaml.safe_dump(plain))
    with running_gateway([resources]) as url:
        yield url


@pytest.fixture
def api(gateway_url: str) -> Iterator[Workflows]:
    with httpx.Client(base_url=gateway_url, timeout=60) as client:
        yield Workflows(client, COMPONENT)
