"""examples/builtin/fan_out_fan_in.py through the REST API."""

from __future__ import annotations

from tests.rest import Workflows, custom_status, kinds, new_id, output


def test_documents_are_counted_in_parallel_and_added_up(api: Workflows) -> None:
    documents = {f"doc-{n}": " ".join(["word"] * n) for n in range(1, 31)}
    iid = api.started("word_count", new_id("count"), {"documents": documents})
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    result = output(body)
    assert result["total"] == sum(range(1, 31))
    assert result["per_document"] == {name: len(text.split()) for name, text in documents.items()}
    assert custom_status(body) == "done"

    seen = kinds(api.history(iid))
    # fan-out: all thirty activities are scheduled before any result is applied
    assert seen[1:31] == ["ActivityScheduled"] * 30
    assert seen.count("ActivityCompleted") == 31  # the thirty counts and add_up


def test_an_empty_batch_completes_at_once(api: Workflows) -> None:
    iid = api.started("word_count", new_id("count"), {"documents": {}})
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert output(body) == {"total": 0, "per_document": {}}
