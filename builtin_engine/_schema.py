"""The SQLite schema and its versions.

The schema's version lives in ``PRAGMA user_version``. Opening a store brings it to
``SCHEMA_VERSION`` by running, in order, the migration of each version it is behind, each in
one transaction together with the new version number, so a crash mid-upgrade leaves the
store at the old version, untouched. A new store is created at version 0 and migrated like
any other, so every migration runs on every start of a fresh store and cannot rot. A store
of a newer version than this code knows is refused (``StoreVersionError``): nothing is
written to it.

Version history:

- 0 (release 0.1.0): no version number. Event facts in ``history.extra`` in four encodings
  (failure JSON, a timer's due time as a bare number, a bare child ID, ``{"execution": id}``);
  a terminate in the inbox said ``recursive`` in its ``name`` column.
- 1: ``history.extra`` is one JSON object for every event type (``failure``, ``fireAt``,
  ``childId``, ``executionId``: see ``_sqlite``); the inbox has ``reason`` and ``recursive``
  columns.
- 2: an index of instances by status and last update, for retention.
- 3: ``pending_events``: a remote workflow's inputs not yet taken by a turn of its worker.

To change the schema: append a migration (a tuple of SQL statements that take version N to
N + 1) to ``MIGRATIONS``, and add a test that a store of version N opens and runs.
"""

from __future__ import annotations

import sqlite3

from builtin_engine._errors import StoreVersionError

#: the tables of release 0.1.0, which every store starts from
_VERSION_0 = (
    """CREATE TABLE IF NOT EXISTS instances (
        instance_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        input TEXT,
        output TEXT,
        custom_status TEXT,
        failure_type TEXT,
        failure_message TEXT,
        failure_stack TEXT,
        parent_id TEXT,
        parent_task_id INTEGER NOT NULL DEFAULT -1,
        execution_id TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX IF NOT EXISTS instances_by_created ON instances (created_at DESC, instance_id DESC)",
    "CREATE INDEX IF NOT EXISTS instances_by_status ON instances (status)",
    "CREATE INDEX IF NOT EXISTS instances_by_parent ON instances (parent_id) WHERE parent_id IS NOT NULL",
    """CREATE TABLE IF NOT EXISTS history (
        instance_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type INTEGER NOT NULL,
        ts REAL NOT NULL,
        task_id INTEGER NOT NULL,
        name TEXT,
        data TEXT,
        extra TEXT,
        PRIMARY KEY (instance_id, seq)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS inbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT,
        data TEXT,
        created_at REAL NOT NULL
    )""",
)

#: ``MIGRATIONS[n]`` takes a store from version ``n`` to ``n + 1``
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # One JSON object for every event's extra facts. Type numbers are EventType's.
        "UPDATE history SET extra = json_object('executionId', json_extract(extra, '$.execution')) "
        "WHERE type = 1 AND extra IS NOT NULL",
        # The due time was repr(float): already a JSON number, kept digit for digit.
        "UPDATE history SET extra = '{\"fireAt\": ' || extra || '}' WHERE type = 5 AND extra IS NOT NULL",
        "UPDATE history SET extra = json_object('childId', extra) WHERE type = 8 AND extra IS NOT NULL",
        "UPDATE history SET extra = json_object('failure', json(extra)) "
        "WHERE type IN (4, 10, 14) AND extra IS NOT NULL",
        "ALTER TABLE inbox ADD COLUMN reason TEXT",
        "ALTER TABLE inbox ADD COLUMN recursive INTEGER NOT NULL DEFAULT 0",
        "UPDATE inbox SET recursive = (name = 'recursive'), name = NULL WHERE kind = 'terminate'",
    ),
    (
        # Retention finds finished instances by status and age.
        "CREATE INDEX IF NOT EXISTS instances_by_status_updated ON instances (status, updated_at)",
    ),
    (
        # A remote workflow's inputs wait here until a turn of its worker takes them.
        """CREATE TABLE IF NOT EXISTS pending_events (
            instance_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            type INTEGER NOT NULL,
            ts REAL NOT NULL,
            task_id INTEGER NOT NULL,
            name TEXT,
            data TEXT,
            extra TEXT,
            PRIMARY KEY (instance_id, seq)
        ) WITHOUT ROWID""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def upgrade(conn: sqlite3.Connection, where: str) -> int:
    """Create or migrate the schema to ``SCHEMA_VERSION``; the version found before.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Safe against another
    process upgrading the same file at the same time: each step re-reads the version under
    the write lock.
    """
    found = schema_version(conn)
    _refuse_newer(found, where)
    if found == SCHEMA_VERSION:
        return found
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)
        _refuse_newer(current, where)
        if current == 0:
            for statement in _VERSION_0:
                conn.execute(statement)
        for version in range(current, SCHEMA_VERSION):
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found


def _refuse_newer(version: int, where: str) -> None:
    if version > SCHEMA_VERSION:
        raise StoreVersionError(
            f"the store {where} has schema version {version}, newer than this Flowport knows "
            f"({SCHEMA_VERSION}): it was written by a newer release; upgrade Flowport to open it"
        )
