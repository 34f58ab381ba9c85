"""Monitor: an eternal workflow that checks a URL's health on a schedule.

Each run of ``monitor`` checks the URL once, alerts when it turns unhealthy, sleeps on a
durable timer (shorter while unhealthy) and then calls ``continue_as_new`` with its updated
state, so the history never grows however long it runs. It stops only when terminated, or
after ``max_checks`` checks when that is set. The custom status shows the latest check.

Input (``JobStatus``)::

    {"url": "http://127.0.0.1:3500/v1.0/healthz", "interval_seconds": 60}

Run on its own: ``python examples/builtin/monitor.py`` monitors a small local HTTP server
that starts failing after four checks, and shows the alert.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Generator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx

import builtin_engine as wf

wfr = wf.WorkflowRuntime()


@dataclass
class JobStatus:
    url: str
    interval_seconds: float = 60.0
    #: the sleep between checks while the URL is unhealthy
    unhealthy_interval_seconds: float | None = None
    #: stop (complete) after this many checks; ``None`` runs until terminated
    max_checks: int | None = None
    checks: int = 0
    alerts: int = 0
    healthy: bool | None = None


@wfr.workflow(name="monitor")
def monitor(
    ctx: wf.DaprWorkflowContext, job: JobStatus
) -> Generator[wf.Task[Any], Any, dict[str, Any] | None]:
    """One check, one sleep, then continue as new with the updated ``job``."""
    healthy: bool = yield ctx.call_activity(check_health, input=job.url)
    alerts = job.alerts
    if not healthy and job.healthy is not False:  # alert once per outage, not on every check
        yield ctx.call_activity(send_alert, input=f"{job.url} is unhealthy")
        alerts += 1
    job = replace(job, checks=job.checks + 1, alerts=alerts, healthy=healthy)
    ctx.set_custom_status({"checks": job.checks, "healthy": healthy, "alerts": alerts})
    if job.max_checks is not None and job.checks >= job.max_checks:
        return {"checks": job.checks, "alerts": job.alerts, "healthy": healthy}
    interval = job.interval_seconds
    if not healthy and job.unhealthy_interval_seconds is not None:
        interval = job.unhealthy_interval_seconds
    yield ctx.create_timer(timedelta(seconds=interval))
    ctx.continue_as_new(job)
    return None  # ignored: the instance restarts with ``job`` as its input


@wfr.activity(name="check_health")
async def check_health(ctx: wf.WorkflowActivityContext, url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(url)
    except httpx.HTTPError:
        return False
    return response.is_success


@wfr.activity(name="send_alert")
def send_alert(ctx: wf.WorkflowActivityContext, message: str) -> None:
    print(f"[alert] {message}", flush=True)


class _FailsAfterFourChecks(http.server.BaseHTTPRequestHandler):
    """A service that answers its first four health checks, then fails (503) for good."""

    answered = 0

    def do_GET(self) -> None:
        type(self).answered += 1
        self.send_response(204 if type(self).answered <= 4 else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FailsAfterFourChecks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/health"
    wfr.start()
    client = wf.DaprWorkflowClient()
    try:
        job = JobStatus(url, interval_seconds=0.3, max_checks=8)
        instance_id = client.schedule_new_workflow(monitor, input=job)
        print(f"monitoring {url} (healthy for four checks, then failing) as {instance_id}")
        seen = None
        while True:
            state = client.get_workflow_state(instance_id)
            assert state is not None
            # The status is empty for a moment after each continue-as-new: skip that.
            if state.serialized_custom_status not in (seen, None):
                seen = state.serialized_custom_status
                print(f"  {state.runtime_status.name:<10} {seen}", flush=True)
            if state.runtime_status.name in ("COMPLETED", "FAILED", "TERMINATED"):
                print(f"{instance_id}: {state.runtime_status.name} {state.serialized_output}")
                break
            threading.Event().wait(0.05)
    finally:
        wfr.shutdown()
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
