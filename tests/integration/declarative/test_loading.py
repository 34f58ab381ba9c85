"""Loading definitions: every problem reported at once, listed by ``flowport components``, served as a graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main
from tests.integration.declarative.conftest import DEFINITIONS, write_component
from tests.rest import Workflows

BROKEN = {
    "Comment": "one mistake of each kind a schema cannot see",
    "StartAt": "Begin",
    "States": {
        "Begin": {"Type": "Task", "Resource": "no_such_activity", "Next": "Nowhere"},
        "Queue": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True},
        "Pick": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "Begin"}],
            "InputPath": "x.y",
        },
        "Shape": {"Type": "Pass", "Parameters": {"v.$": "States.Nope(1)"}, "End": True},
    },
}


def test_components_lists_definitions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, side_dir: Path
) -> None:
    resources = write_component(tmp_path / "resources", DEFINITIONS, tmp_path / "s.db")
    assert main(["components", "--resources-path", str(resources)]) == 0
    out = capsys.readouterr().out
    assert "definition: chain (asl, chain.asl.json)" in out
    assert "definition: orders (asl, orders.asl.json)" in out


def test_every_problem_is_reported_with_file_path_and_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, side_dir: Path
) -> None:
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    (definitions / "broken.asl.json").write_text(json.dumps(BROKEN))
    (definitions / "schema.asl.json").write_text(
        json.dumps({"StartAt": "A", "States": {"A": {"Type": "Sleep"}}})
    )
    (definitions / "other.json").write_text(json.dumps({"hello": "world"}))
    (definitions / "syntax.json").write_text("{nope")
    resources = write_component(tmp_path / "resources", definitions, tmp_path / "s.db")
    assert main(["components", "--resources-path", str(resources)]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    expected = [
        ("broken.asl.json", "States.Begin.Next", "next-exists"),
        ("broken.asl.json", "States.Queue", "reachable"),
        ("broken.asl.json", "States.Queue.Resource", "sqs:sendMessage"),
        ("broken.asl.json", "States.Pick.InputPath", "rule: path"),
        ("broken.asl.json", "States.Shape.Parameters.v.$", "unknown intrinsic function States.Nope"),
        ("schema.asl.json", "States.A.Type", "is not one of"),
        ("other.json", "(document)", "rule: language"),
        ("syntax.json", "line 1, column 2", "invalid JSON"),
    ]
    for file, path, words in expected:
        assert any(file in line and f"'{path}'" in line and words in line for line in lines), (
            file,
            path,
            err,
        )
    assert f"{len(lines)} error(s)" in err


def test_a_called_activity_must_be_registered(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, side_dir: Path
) -> None:
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    machine = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "ghost", "End": True}}}
    (definitions / "ghost.asl.json").write_text(json.dumps(machine))
    resources = write_component(tmp_path / "resources", definitions, tmp_path / "s.db")
    assert main(["components", "--resources-path", str(resources)]) == 1
    err = capsys.readouterr().err
    assert "field 'States.A.Resource'" in err
    assert "activity 'ghost' is not registered" in err
    assert "(rule: activity-registered)" in err


def test_definition_route_returns_the_document_and_its_graph(api: Workflows) -> None:
    response = api.client.get("/v1.0/workflows/decl/definitions/orders")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == "asl"
    assert body["definition"] == json.loads((DEFINITIONS / "orders.asl.json").read_text())
    nodes = {node["id"]: node for node in body["graph"]["nodes"]}
    assert nodes["Line"]["parent"] == "Price"
    assert nodes["Charge"]["kind"] == "Task"
    edges = {(e["source"], e["target"], e["label"]) for e in body["graph"]["edges"]}
    assert ("__start__", "Prepare", "start") in edges
    assert ("Charge", "Refuse", "catch PaymentDeclined") in edges
    assert ("Big?", "Refuse", "default") in edges
    assert ("Price", "Line", "start") in edges


def test_definition_route_errors(api: Workflows) -> None:
    missing = api.client.get("/v1.0/workflows/decl/definitions/nope")
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:flowport:problem:definition-not-found"
    assert "chain" in missing.json()["detail"]
    unsupported = api.client.get("/v1.0/workflows/plain/definitions/chain")
    assert unsupported.status_code == 501, unsupported.text


def test_data_schemas_must_be_inline_json_schemas(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, side_dir: Path
) -> None:
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    document = {
        "document": {"dsl": "1.0.0", "namespace": "test", "name": "schemas", "version": "1.0.0"},
        "input": {"schema": {"resource": {"endpoint": "https://example.com/order.json"}}},
        "do": [{"one": {"set": {"a": 1}, "output": {"schema": {"document": {"type": "thing"}}}}}],
    }
    (definitions / "schemas.yaml").write_text(json.dumps(document))
    resources = write_component(tmp_path / "resources", definitions, tmp_path / "s.db")
    assert main(["components", "--resources-path", str(resources)]) == 1
    err = capsys.readouterr().err
    assert "field '/input/schema'" in err
    assert "inline schemas only" in err
    assert "field '/do/0/one/output/schema'" in err
    assert "not a valid JSON Schema: 'thing' is not valid" in err
    assert "(rule: data-schema)" in err
