"""Async HTTP API: start a long-running job, then poll the URL the start answer points to.

``report`` renders a report page by page, with a durable timer standing in for the slow part
of each page, and publishes its progress as the custom status. Over HTTP this is the async
request-reply pattern: the start answers ``202 Accepted`` at once with a ``Location`` header
(the instance's URL) and ``Retry-After``; the client polls that URL until ``runtimeStatus``
is terminal, reading the progress from ``properties["dapr.workflow.custom_status"]``::

    $ curl -i -X POST 'http://127.0.0.1:3500/v1.0/workflows/dapr/report/start?instanceID=report-1' \\
           -H 'Content-Type: application/json' -d '{"title": "Q3", "pages": 4, "seconds_per_page": 1}'
    HTTP/1.1 202 Accepted
    location: /v1.0/workflows/dapr/report-1
    retry-after: 1
    {"instanceID": "report-1"}
    $ curl http://127.0.0.1:3500/v1.0/workflows/dapr/report-1     # until COMPLETED

Run on its own (polling through ``DaprWorkflowClient`` instead of HTTP):
``python examples/builtin/async_http_api.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import builtin_engine as wf

wfr = wf.WorkflowRuntime()


@dataclass
class ReportRequest:
    title: str
    pages: int = 3
    seconds_per_page: float = 1.0


@wfr.workflow(name="report")
def report(
    ctx: wf.DaprWorkflowContext, request: ReportRequest
) -> Generator[wf.Task[Any], Any, dict[str, Any]]:
    """Renders ``request.pages`` pages; the custom status counts the pages done."""
    pages: list[str] = []
    for number in range(1, request.pages + 1):
        ctx.set_custom_status({"pages_done": number - 1, "pages": request.pages})
        yield ctx.create_timer(timedelta(seconds=request.seconds_per_page))
        page: str = yield ctx.call_activity(render_page, input={"title": request.title, "number": number})
        pages.append(page)
    ctx.set_custom_status({"pages_done": request.pages, "pages": request.pages})
    return {"title": request.title, "pages": pages}


@wfr.activity(name="render_page")
def render_page(ctx: wf.WorkflowActivityContext, page: dict[str, object]) -> str:
    return f"{page['title']} - page {page['number']}"


def main() -> None:
    wfr.start()
    client = wf.DaprWorkflowClient()
    try:
        instance_id = client.schedule_new_workflow(
            report, input=ReportRequest("Q3 sales", pages=4, seconds_per_page=0.5)
        )
        print(f"started {instance_id}; polling")
        while True:
            state = client.get_workflow_state(instance_id)
            assert state is not None
            progress = json.loads(state.serialized_custom_status or "null")
            print(f"  {state.runtime_status.name:<10} {progress}", flush=True)
            if state.runtime_status.name in ("COMPLETED", "FAILED", "TERMINATED"):
                break
            time.sleep(0.4)  # the Retry-After of the HTTP API, shortened
        print(f"{instance_id}: {state.serialized_output}")
    finally:
        wfr.shutdown()


if __name__ == "__main__":
    main()
