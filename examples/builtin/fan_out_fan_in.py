"""Fan-out/fan-in: count the words of many documents in parallel, then add them up.

The workflow schedules one ``count_words`` activity per document without waiting for any
(fan-out), then waits for all of them with ``when_all`` (fan-in) and aggregates the results.
The activities run concurrently, up to the component's activity concurrency limit; the
workflow resumes once, when the last one has finished.

Input: ``{"documents": {"name": "text", ...}}``. Output: the total and the count per document.

Run on its own: ``python examples/builtin/fan_out_fan_in.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import builtin_engine as wf

wfr = wf.WorkflowRuntime()


@dataclass
class Document:
    name: str
    text: str


@dataclass
class WordCount:
    name: str
    words: int


@wfr.workflow(name="word_count")
def word_count(
    ctx: wf.DaprWorkflowContext, batch: dict[str, dict[str, str]]
) -> Generator[wf.Task[Any], Any, dict[str, Any]]:
    """Counts the words of every document in ``batch["documents"]`` in parallel."""
    documents = [Document(name, text) for name, text in batch["documents"].items()]
    ctx.set_custom_status(f"counting {len(documents)} documents")
    tasks = [ctx.call_activity(count_words, input=document) for document in documents]
    counts: list[WordCount] = yield wf.when_all(tasks)
    total = yield ctx.call_activity(add_up, input=[count.words for count in counts])
    ctx.set_custom_status("done")
    return {"total": total, "per_document": {count.name: count.words for count in counts}}


@wfr.activity(name="count_words")
async def count_words(ctx: wf.WorkflowActivityContext, document: Document) -> WordCount:
    await asyncio.sleep(0.05)  # stands for real I/O: the activities overlap while they wait
    return WordCount(document.name, len(document.text.split()))


@wfr.activity(name="add_up")
def add_up(ctx: wf.WorkflowActivityContext, numbers: list[int]) -> int:
    return sum(numbers)


def main() -> None:
    documents = {f"chapter-{n}": " ".join(["word"] * (n * 100)) for n in range(1, 21)}
    wfr.start()
    client = wf.DaprWorkflowClient()
    try:
        instance_id = client.schedule_new_workflow(word_count, input={"documents": documents})
        state = client.wait_for_workflow_completion(instance_id, timeout_in_seconds=30)
        assert state is not None
        print(f"{instance_id}: {state.runtime_status.name} {state.serialized_output}")
    finally:
        wfr.shutdown()


if __name__ == "__main__":
    main()
