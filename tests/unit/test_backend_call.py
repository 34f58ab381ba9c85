"""``contracts.backend_call``: every call to a runtime is timed by call and outcome."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

import contracts


def calls(call: str, outcome: str) -> float:
    labels = {"component": "unit", "call": call, "outcome": outcome}
    return REGISTRY.get_sample_value("flowport_backend_call_duration_seconds_count", labels) or 0.0


def test_a_call_is_timed_with_its_outcome() -> None:
    before_ok, before_failed = calls("Describe", "success"), calls("Describe", "BackendUnavailableError")
    with contracts.backend_call("unit", "Describe") as call:
        assert call.trace_context() == {}  # no traced request around it: nothing to send along
    with pytest.raises(contracts.BackendUnavailableError), contracts.backend_call("unit", "Describe"):
        raise contracts.BackendUnavailableError("down")
    assert calls("Describe", "success") == before_ok + 1
    assert calls("Describe", "BackendUnavailableError") == before_failed + 1
