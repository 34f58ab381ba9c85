"""A workflow the observability tests add to ``tests.integration.builtin.workflows``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import builtin_engine as wf
from tests.integration.builtin.workflows import explode

wfr = wf.WorkflowRuntime()


@wfr.workflow
def persistent(ctx: wf.DaprWorkflowContext, what: str) -> Any:
    """Retries ``explode`` twice, 10 ms apart, then fails."""
    retry = wf.RetryPolicy(first_retry_interval=timedelta(milliseconds=10), max_number_of_attempts=3)
    yield ctx.call_activity(explode, input=what, retry_policy=retry)
