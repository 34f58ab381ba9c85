"""One real gateway for the example tests, serving the README's component YAML.

The YAML is ``examples/builtin/components/builtin.yaml`` itself (so its ``runtimes`` list is
what is tested), with one change: the store goes to a temporary directory, so a test run
neither touches ``./.flowport/`` nor collides with a gateway the developer runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from gateway.testing import running_gateway
from tests.rest import Workflows

COMPONENT = "dapr"
EXAMPLE_YAML = Path(__file__).resolve().parents[3] / "examples" / "builtin" / "components" / "builtin.yaml"


@pytest.fixture(scope="session")
def example_resources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A resources directory holding the example component, its store in a temporary directory."""
    document = yaml.safe_load(EXAMPLE_YAML.read_text())
    directory = tmp_path_factory.mktemp("example-resources")
    metadata = document["spec"]["metadata"]
    assert all(item["name"] != "store" for item in metadata), "the example YAML now sets a store"
    metadata.append({"name": "store", "value": str(directory / "state" / "examples.db")})
    (directory / "builtin.yaml").write_text(yaml.safe_dump(document))
    return directory


@pytest.fixture(scope="session")
def gateway_url(example_resources: Path) -> Iterator[str]:
    with running_gateway([example_resources]) as base_url:
        yield base_url


@pytest.fixture
def api(gateway_url: str) -> Iterator[Workflows]:
    """The example component's workflow routes (component ``dapr``, as in Dapr's own curl)."""
    with httpx.Client(base_url=gateway_url, timeout=60) as client:
        yield Workflows(client, COMPONENT)
