"""Loading workflow and task definition files for upsert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.conductor._definitions import load_definitions
from contracts import ComponentConfigError

EXAMPLE_DEFINITIONS = Path(__file__).resolve().parents[3] / "examples" / "conductor" / "definitions"


def test_the_example_definitions() -> None:
    definitions = load_definitions(EXAMPLE_DEFINITIONS)
    assert [item["name"] for item in definitions.task_defs] == [
        "validate_order",
        "charge_payment",
        "ship_order",
    ]
    assert sorted(item["name"] for item in definitions.workflow_defs) == [
        "approval_deadline",
        "declined_payment",
        "order_approval",
        "order_processing",
    ]


def test_one_file_with_both_kinds(tmp_path: Path) -> None:
    file = tmp_path / "all.json"
    file.write_text(json.dumps([{"name": "t"}, {"name": "w", "version": 1, "tasks": []}]))
    definitions = load_definitions(file)
    assert [item["name"] for item in definitions.task_defs] == ["t"]
    assert [item["name"] for item in definitions.workflow_defs] == ["w"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "cannot read it as JSON"),
        ('[{"tasks": []}]', "definition #0 is not an object with a 'name'"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, words: str) -> None:
    (tmp_path / "bad.json").write_text(content)
    with pytest.raises(ComponentConfigError) as caught:
        load_definitions(tmp_path)
    assert words in caught.value.reason
    assert "bad.json" in caught.value.reason
    assert caught.value.field == "spec.metadata.definitions"
