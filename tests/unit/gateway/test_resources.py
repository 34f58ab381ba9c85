"""The component YAML loader: Dapr's format loads unchanged; every mistake names file, component and field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.registry import ComponentRegistry
from gateway.resources import ResourcesError, load_resources

pytestmark = pytest.mark.usefixtures("fake_plugins")

Write = Callable[[str, str], Path]

DAPR_TEMPORAL_FILE = """
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: temporal
  namespace: default
  labels: {team: payments}
spec:
  type: workflow.temporal
  version: v1
  initTimeout: 1m30s
  ignoreErrors: false
  metadata:
  - name: hostport
    value: localhost:7233
  - name: namespace
    envRef: FLOWPORT_TEST_NAMESPACE
  - name: apiKey
    secretKeyRef:
      name: temporal-secrets
      key: apiKey
auth:
  secretStore: localsecrets
scopes: []
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: localsecrets
spec:
  type: secretstores.local.file
  version: v1
  metadata:
  - name: secretsFile
    value: secrets.json
  - name: multiValued
    value: true
---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: tracing
spec:
  tracing: {samplingRate: "1"}
"""


def error_of(paths: list[Path]) -> str:
    with pytest.raises(ResourcesError) as caught:
        ComponentRegistry.from_resources(paths)
    return str(caught.value)


def test_a_dapr_component_file_loads_unchanged(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWPORT_TEST_NAMESPACE", "payments")
    resources = write("temporal.yaml", DAPR_TEMPORAL_FILE)
    (resources / "secrets.json").write_text(json.dumps({"temporal-secrets": {"apiKey": "s3cret"}}))

    loaded = load_resources([resources])

    assert loaded.errors == []
    [definition] = loaded.components
    assert definition.spec.name == "temporal"
    assert definition.spec.type == "workflow.temporal"
    assert definition.init_timeout == 90.0
    assert definition.spec.metadata["hostport"] == "localhost:7233"
    assert definition.spec.metadata["namespace"] == "payments"
    assert definition.spec.metadata["apiKey"] == "s3cret"
    assert definition.spec.source == str(resources / "temporal.yaml")


def test_env_secret_store_resolves_secret_key_refs(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_GREETING", "bonjour")
    resources = write(
        "c.yaml",
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: envstore}
        spec: {type: secretstores.local.env, version: v1}
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: orders}
        spec:
          type: workflow.fake
          metadata:
          - name: greeting
            secretKeyRef: {name: FAKE_GREETING}
        auth: {secretStore: envstore}
        """,
    )
    [slot] = ComponentRegistry.from_resources([resources]).slots
    assert slot.definition.spec.metadata == {"greeting": "bonjour"}


def test_nested_secrets_file_is_flattened_with_the_separator(write: Write) -> None:
    resources = write(
        "c.yaml",
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: files}
        spec:
          type: secretstores.local.file
          metadata:
          - {name: secretsFile, value: nested.json}
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: orders}
        spec:
          type: workflow.fake
          metadata:
          - name: greeting
            secretKeyRef: {name: "db:password", key: "db:password"}
        auth: {secretStore: files}
        """,
    )
    (resources / "nested.json").write_text(json.dumps({"db": {"password": "pw"}}))
    [slot] = ComponentRegistry.from_resources([resources]).slots
    assert slot.definition.spec.metadata["greeting"] == "pw"


def test_several_directories_and_other_building_blocks(write: Write, tmp_path: Path) -> None:
    first = write(
        "a.yaml",
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: statestore}
        spec: {type: state.redis, version: v1}
        """,
    )
    second = tmp_path / "second"
    second.mkdir()
    (second / "b.yml").write_text(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: orders}\nspec: {type: workflow.fake}\n"
    )
    (second / "notes.txt").write_text("not yaml, not read")
    loaded = load_resources([first, second])
    assert loaded.errors == []
    assert [d.spec.name for d in loaded.components] == ["orders"]
    assert [s.name for s in loaded.ignored] == ["statestore"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: Component\nmetadata: {name: x\n", "invalid YAML at line"),
        (
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {}\nspec: {type: workflow.fake}\n",
            "field 'metadata.name': is required",
        ),
        (
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: orders}\nspec: {version: v1}\n",
            "component 'orders': field 'spec.type': is required",
        ),
        (
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: orders}\n"
            "spec: {type: workflow.fake, metadata: [{value: x}]}\n",
            "field 'spec.metadata[0].name': is required",
        ),
        (
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: orders}\n"
            "spec: {type: workflow.fake, initTimout: 5s}\n",
            "field 'spec.initTimout': is not a known field",
        ),
        (
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: orders}\n"
            "spec: {type: workflow.fake, initTimeout: soon}\n",
            "field 'spec.initTimeout': 'soon' is not a duration",
        ),
        (
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: 'bad/name'}\nspec: {type: workflow.fake}\n",
            "field 'metadata.name'",
        ),
        ("- just\n- a list\n", "document 1 is not a mapping"),
    ],
    ids=[
        "bad-yaml",
        "missing-name",
        "missing-type",
        "metadata-without-name",
        "typo",
        "bad-duration",
        "bad-name",
        "not-a-mapping",
    ],
)
def test_each_mistake_names_file_component_and_field(write: Write, text: str, expected: str) -> None:
    resources = write("broken.yaml", text)
    message = error_of([resources])
    assert str(resources / "broken.yaml") in message
    assert expected in message


def test_duplicate_names_point_at_both_files(write: Write) -> None:
    write(
        "a.yaml",
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: orders}\nspec: {type: workflow.fake}\n",
    )
    resources = write(
        "b.yaml",
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: orders}\nspec: {type: workflow.fake}\n",
    )
    message = error_of([resources])
    assert (
        f"{resources / 'b.yaml'}: component 'orders': field 'metadata.name': duplicate component name"
        in message
    )
    assert str(resources / "a.yaml") in message


def test_unknown_type_lists_installed_types(write: Write) -> None:
    resources = write(
        "c.yaml",
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: o}\nspec: {type: workflow.nope}\n",
    )
    message = error_of([resources])
    assert "field 'spec.type': unknown component type 'workflow.nope'" in message
    for installed in ("workflow.builtin", "workflow.temporal", "workflow.conductor", "workflow.fake"):
        assert installed in message


@pytest.mark.parametrize(
    ("metadata", "auth", "expected"),
    [
        (
            "- {name: greeting, envRef: FLOWPORT_SURELY_UNSET}",
            "",
            "environment variable 'FLOWPORT_SURELY_UNSET' is not set",
        ),
        ("- name: greeting\n    secretKeyRef: {name: s}", "", "secretKeyRef needs auth.secretStore"),
        (
            "- name: greeting\n    secretKeyRef: {name: s}",
            "auth: {secretStore: vault}",
            "secret store 'vault' is not defined",
        ),
        (
            "- name: greeting\n    secretKeyRef: {name: FLOWPORT_SURELY_UNSET}",
            "auth: {secretStore: env}",
            "secret 'FLOWPORT_SURELY_UNSET' (key 'FLOWPORT_SURELY_UNSET') not found in secret store 'env'",
        ),
        ("- {name: greeting, value: a, envRef: B}", "", "give only one of value, envRef and secretKeyRef"),
        (
            "- {name: greting, value: hi}",
            "",
            "unknown metadata 'greting' for workflow.fake; known: delay, failWith, greeting",
        ),
        ("- {name: delay, value: soon}", "", "field 'spec.metadata.delay'"),
    ],
    ids=[
        "env-missing",
        "no-store",
        "unknown-store",
        "secret-missing",
        "two-sources",
        "unknown-metadata",
        "bad-metadata-value",
    ],
)
def test_metadata_mistakes(write: Write, metadata: str, auth: str, expected: str) -> None:
    write(
        "env.yaml",
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: env}\nspec: {type: secretstores.local.env}\n",
    )
    resources = write(
        "orders.yaml",
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: orders}\n"
        f"spec:\n  type: workflow.fake\n  metadata:\n  {metadata}\n{auth}\n",
    )
    message = error_of([resources])
    assert f"{resources / 'orders.yaml'}: component 'orders'" in message
    assert expected in message


def test_every_mistake_in_a_directory_is_reported_at_once(write: Write) -> None:
    write("a.yaml", "kind: Component\nmetadata: {name: [\n")
    resources = write(
        "b.yaml",
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: o}\nspec: {type: workflow.nope}\n",
    )
    with pytest.raises(ResourcesError) as caught:
        ComponentRegistry.from_resources([resources])
    assert len(caught.value.errors) == 2


def test_missing_resources_directory(tmp_path: Path) -> None:
    message = error_of([tmp_path / "nowhere"])
    assert "nowhere: resources path is not a directory" in message
