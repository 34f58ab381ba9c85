"""examples/builtin/async_http_api.py: async request-reply, polling the ``Location`` of the start."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.rest import WAIT, Workflows, custom_status, new_id


def test_poll_the_location_until_the_report_is_done(api: Workflows) -> None:
    iid = new_id("report")
    response = api.client.post(
        f"{api.base}/report/start",
        params={"instanceID": iid},
        json={"title": "Q3", "pages": 3, "seconds_per_page": 0.1},
    )
    assert response.status_code == 202
    location = response.headers["Location"]
    assert location == f"{api.base}/{iid}"
    retry_after = float(response.headers["Retry-After"])
    assert retry_after > 0

    progress: list[int] = []
    deadline = time.monotonic() + WAIT
    while True:
        poll = api.client.get(location)  # exactly where the start answer pointed
        assert poll.status_code == 200
        body = poll.json()
        status = custom_status(body)
        if status is not None and (not progress or progress[-1] != status["pages_done"]):
            progress.append(status["pages_done"])
        if body["runtimeStatus"] in ("COMPLETED", "FAILED", "TERMINATED"):
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.02)  # a real client waits Retry-After seconds; the test polls faster

    assert body["runtimeStatus"] == "COMPLETED"
    assert progress == sorted(progress)
    assert progress[-1] == 3
    assert custom_status(body) == {"pages_done": 3, "pages": 3}
    assert body["properties"]["dapr.workflow.output"] == (
        '{"title": "Q3", "pages": ["Q3 - page 1", "Q3 - page 2", "Q3 - page 3"]}'
    )


def test_a_generated_instance_id_is_in_the_location(api: Workflows) -> None:
    response = api.client.post(f"{api.base}/report/start", json={"title": "empty", "pages": 0})
    assert response.status_code == 202
    iid = response.json()["instanceID"]
    assert response.headers["Location"] == f"{api.base}/{iid}"


def test_a_start_time_in_the_future_keeps_the_instance_pending(api: Workflows) -> None:
    iid = new_id("report")
    at = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    response = api.client.post(
        f"{api.base}/report/start",
        params={"instanceID": iid, "startTime": at},
        json={"title": "later", "pages": 1, "seconds_per_page": 0},
    )
    assert response.status_code == 202
    assert api.get(iid).json()["runtimeStatus"] == "PENDING"
    body = api.wait_status(iid)
    assert body["runtimeStatus"] == "COMPLETED"
    assert api.history(iid)[0]["timestamp"] >= at
