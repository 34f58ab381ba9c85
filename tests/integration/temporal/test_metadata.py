"""Component metadata that only a real server can confirm: secrets, identity, TLS off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.temporal.conftest import COMPONENT, write_components
from tests.rest import new_id, serve_component
from tests.servers.temporal import EXAMPLES, TASK_QUEUE, TemporalServer

pytestmark = pytest.mark.temporal

EXAMPLE_YAML = EXAMPLES / "components" / "temporal.yaml"


def test_api_key_from_secret_store_and_explicit_plaintext(
    temporal_server: TemporalServer, temporal_worker: object, tmp_path: Path
) -> None:
    # An apiKey makes the SDK default to TLS; a dev server speaks plaintext, so tls is "false".
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"temporalApiKey": "key-for-tests"}), encoding="utf-8")
    resources = write_components(
        tmp_path / "components",
        f"""\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: localsecrets
spec:
  type: secretstores.local.file
  version: v1
  metadata:
  - name: secretsFile
    value: "{secrets}"
""",
        f"""\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: hosted
spec:
  type: workflow.temporal
  version: v1
  metadata:
  - name: HostPort
    value: "{temporal_server.address}"
  - name: namespace
    value: default
  - name: taskqueue
    value: {TASK_QUEUE}
  - name: identity
    value: flowport-tests
  - name: tls
    value: "false"
  - name: apiKey
    secretKeyRef: {{name: temporalApiKey, key: temporalApiKey}}
  - name: connectTimeout
    value: 5s
  - name: rpcTimeout
    value: 10s
auth:
  secretStore: localsecrets
""",
    )
    with serve_component(resources, "hosted") as api:
        instance = api.started("chain", new_id("hosted"), "s")
        state = api.wait_status(instance, "COMPLETED")
        assert state["properties"]["dapr.workflow.output"].startswith('[{"step":"s-0"}')


def test_example_component_yaml_runs_the_example_worker(
    temporal_server: TemporalServer, temporal_worker: object, tmp_path: Path
) -> None:
    example = EXAMPLE_YAML.read_text(encoding="utf-8")
    assert "localhost:7233" in example
    resources = write_components(
        tmp_path / "components", example.replace("localhost:7233", temporal_server.address)
    )
    with serve_component(resources, COMPONENT) as api:
        api.wait_status(api.started("chain", new_id("example"), "e"), "COMPLETED")
