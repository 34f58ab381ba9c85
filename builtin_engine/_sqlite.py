"""The SQLite store: one file in WAL mode with ``synchronous=FULL``.

With WAL and FULL, a transaction is on disk (fsynced) before ``COMMIT`` returns, so anything
the engine acknowledged survives a crash of the process or of the machine. Readers never
block the writer. Connections are per thread: the engine's writer thread, reader threads and
clients each get their own.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from builtin_engine._errors import (
    DuplicateInstanceError,
    FailureDetails,
    InstanceStateError,
    UnknownInstanceError,
)
from builtin_engine._history import Event, EventType
from builtin_engine._store import (
    ACTIVE_STATUSES,
    InboxMessage,
    InstanceRecord,
    Page,
    Status,
    Store,
    WriteUnit,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
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
);
CREATE INDEX IF NOT EXISTS instances_by_created ON instances (created_at DESC, instance_id DESC);
CREATE INDEX IF NOT EXISTS instances_by_status ON instances (status);
CREATE INDEX IF NOT EXISTS instances_by_parent ON instances (parent_id) WHERE parent_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type INTEGER NOT NULL,
    ts REAL NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT,
    data TEXT,
    extra TEXT,
    PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    data TEXT,
    created_at REAL NOT NULL
);
"""

_COLUMNS = (
    "instance_id, name, status, created_at, updated_at, input, output, custom_status, "
    "failure_type, failure_message, failure_stack, parent_id, parent_task_id, execution_id"
)
_INSERT_INSTANCE = f"INSERT INTO instances ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_UPDATE_INSTANCE = (
    "UPDATE instances SET status=?, updated_at=?, input=?, output=?, custom_status=?, failure_type=?, "
    "failure_message=?, failure_stack=?, execution_id=? WHERE instance_id=?"
)
_INSERT_EVENT = "INSERT OR REPLACE INTO history VALUES (?,?,?,?,?,?,?,?)"


def sqlite_path(location: str | os.PathLike[str], base_dir: Path | None = None) -> Path:
    """The database file for a ``sqlite:///path`` URL or a plain path (relative to ``base_dir``)."""
    text = os.fspath(location)
    for prefix in ("sqlite:///", "sqlite://", "sqlite:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    return path.resolve()


class SQLiteStore(Store):
    """The default store. ``path`` is created with its directory when missing."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        self.path = sqlite_path(path)
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return str(self.path)

    # -- connections ---------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout * 1000)}")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn().executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    # -- writes ---------------------------------------------------------------------------------

    def write(self, units: Sequence[WriteUnit]) -> list[BaseException | None]:
        conn = self._conn()
        errors: list[BaseException | None] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for unit in units:
                errors.append(self._apply(conn, unit))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return errors

    def _apply(self, conn: sqlite3.Connection, unit: WriteUnit) -> BaseException | None:
        if unit.create is not None:
            record = unit.create
            row = conn.execute(
                "SELECT status FROM instances WHERE instance_id=?", (record.instance_id,)
            ).fetchone()
            if row is not None:
                if not (unit.replace_terminal and Status(row[0]).is_terminal):
                    return DuplicateInstanceError(
                        f"an instance with ID {record.instance_id!r} already exists",
                        instance_id=record.instance_id,
                    )
                _delete(conn, [record.instance_id])
            conn.execute(_INSERT_INSTANCE, _row(record))
        if unit.reset_history is not None:
            conn.execute("DELETE FROM history WHERE instance_id=?", (unit.reset_history,))
        if unit.events:
            conn.executemany(_INSERT_EVENT, [_event_row(i, s, e) for i, s, e in unit.events])
        if unit.instances:
            conn.executemany(_UPDATE_INSTANCE, [_update_row(r) for r in unit.instances])
        if unit.inbox_done:
            conn.executemany("DELETE FROM inbox WHERE id=?", [(i,) for i in unit.inbox_done])
        if unit.purge:
            _delete(conn, unit.purge)
        return None

    def post(
        self, message: InboxMessage, create: InstanceRecord | None = None, started: Event | None = None
    ) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if create is not None:
                exists = conn.execute(
                    "SELECT 1 FROM instances WHERE instance_id=?", (create.instance_id,)
                ).fetchone()
                if exists:
                    raise DuplicateInstanceError(
                        f"an instance with ID {create.instance_id!r} already exists",
                        instance_id=create.instance_id,
                    )
                conn.execute(_INSERT_INSTANCE, _row(create))
                if started is not None:
                    conn.execute(_INSERT_EVENT, _event_row(create.instance_id, 0, started))
            conn.execute(
                "INSERT INTO inbox (instance_id, kind, name, data, created_at) VALUES (?,?,?,?,?)",
                (message.instance_id, message.kind, message.name, message.data, time.time()),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def purge(self, instance_id: str, recursive: bool, protected: frozenset[str] = frozenset()) -> int:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT status FROM instances WHERE instance_id=?", (instance_id,)).fetchone()
            if row is None:
                raise UnknownInstanceError(f"no instance with ID {instance_id!r}", instance_id=instance_id)
            if not Status(row[0]).is_terminal or instance_id in protected:
                raise InstanceStateError(
                    f"instance {instance_id!r} is {row[0]}; only completed, failed or terminated "
                    "instances can be purged",
                    instance_id=instance_id,
                )
            doomed = [instance_id]
            frontier = [instance_id] if recursive else []
            while frontier:
                parent = frontier.pop()
                for child, status in conn.execute(
                    "SELECT instance_id, status FROM instances WHERE parent_id=?", (parent,)
                ):
                    if Status(status).is_terminal and child not in protected:
                        doomed.append(child)
                        frontier.append(child)
            _delete(conn, doomed)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(doomed)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, instance_id: str) -> InstanceRecord | None:
        row = (
            self._conn()
            .execute(f"SELECT {_COLUMNS} FROM instances WHERE instance_id=?", (instance_id,))
            .fetchone()
        )
        return _record(row) if row is not None else None

    def history(self, instance_id: str) -> list[tuple[int, Event]]:
        rows = self._conn().execute(
            "SELECT seq, type, ts, task_id, name, data, extra FROM history WHERE instance_id=? ORDER BY seq",
            (instance_id,),
        )
        return [(r[0], Event(EventType(r[1]), r[2], r[3], r[4], r[5], r[6])) for r in rows]

    def load_active(self) -> list[tuple[InstanceRecord, list[tuple[int, Event]]]]:
        conn = self._conn()
        marks = ",".join("?" for _ in ACTIVE_STATUSES)
        names = [s.value for s in ACTIVE_STATUSES]
        conn.execute("BEGIN")  # one snapshot for rows and histories
        try:
            records: dict[str, tuple[InstanceRecord, list[tuple[int, Event]]]] = {
                row[0]: (_record(row), [])
                for row in conn.execute(f"SELECT {_COLUMNS} FROM instances WHERE status IN ({marks})", names)
            }
            histories: dict[str, list[tuple[int, Event]]] = {key: value[1] for key, value in records.items()}
            rows = conn.execute(
                "SELECT h.instance_id, seq, type, ts, task_id, h.name, data, extra FROM history h "
                f"JOIN instances i USING (instance_id) WHERE i.status IN ({marks}) "
                "ORDER BY h.instance_id, seq",
                names,
            )
            for r in rows:
                histories[r[0]].append((r[1], Event(EventType(r[2]), r[3], r[4], r[5], r[6], r[7])))
        finally:
            conn.execute("COMMIT")
        return list(records.values())

    def children(self, instance_id: str) -> list[str]:
        rows = self._conn().execute("SELECT instance_id FROM instances WHERE parent_id=?", (instance_id,))
        return [r[0] for r in rows]

    def list_instances(
        self,
        statuses: Sequence[Status],
        name: str | None,
        page_size: int,
        token: str | None,
        *,
        created_after: float | None = None,
        created_before: float | None = None,
        id_prefix: str | None = None,
    ) -> Page:
        clauses: list[str] = []
        params: list[Any] = []
        if statuses:
            clauses.append(f"status IN ({','.join('?' for _ in statuses)})")
            params.extend(s.value for s in statuses)
        if name is not None:
            clauses.append("name=?")
            params.append(name)
        if created_after is not None:
            clauses.append("created_at >= ?")
            params.append(created_after)
        if created_before is not None:
            clauses.append("created_at < ?")
            params.append(created_before)
        if id_prefix:
            # substr, not LIKE: LIKE ignores ASCII case and treats % and _ as wildcards
            clauses.append("substr(instance_id, 1, ?) = ?")
            params.extend((len(id_prefix), id_prefix))
        if token:
            created, last_id = _decode_token(token)
            clauses.append("(created_at < ? OR (created_at = ? AND instance_id < ?))")
            params.extend((created, created, last_id))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = (
            self._conn()
            .execute(
                f"SELECT {_COLUMNS} FROM instances {where} "
                "ORDER BY created_at DESC, instance_id DESC LIMIT ?",
                [*params, page_size + 1],
            )
            .fetchall()
        )
        records = [_record(r) for r in rows[:page_size]]
        more = len(rows) > page_size
        next_token = (
            _encode_token(records[-1].created_at, records[-1].instance_id) if more and records else None
        )
        return Page(records, next_token)

    def read_inbox(self, after_id: int, limit: int) -> list[InboxMessage]:
        rows = self._conn().execute(
            "SELECT id, instance_id, kind, name, data FROM inbox WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [InboxMessage(*r) for r in rows]


def _delete(conn: sqlite3.Connection, ids: Iterable[str]) -> None:
    params = [(i,) for i in ids]
    conn.executemany("DELETE FROM history WHERE instance_id=?", params)
    conn.executemany("DELETE FROM instances WHERE instance_id=?", params)


def _row(r: InstanceRecord) -> tuple[Any, ...]:
    f = r.failure
    return (
        r.instance_id, r.name, r.status.value, r.created_at, r.updated_at, r.input, r.output,
        r.custom_status, f.error_type if f else None, f.message if f else None, f.stack_trace if f else None,
        r.parent_id, r.parent_task_id, r.execution_id,
    )  # fmt: skip


def _update_row(r: InstanceRecord) -> tuple[Any, ...]:
    f = r.failure
    return (
        r.status.value, r.updated_at, r.input, r.output, r.custom_status, f.error_type if f else None,
        f.message if f else None, f.stack_trace if f else None, r.execution_id, r.instance_id,
    )  # fmt: skip


def _record(row: Sequence[Any]) -> InstanceRecord:
    failure = FailureDetails(row[9] or "", row[8], row[10]) if row[8] is not None else None
    return InstanceRecord(
        row[0],
        row[1],
        Status(row[2]),
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        failure,
        row[11],
        row[12],
        row[13],
    )


def _event_row(instance_id: str, seq: int, e: Event) -> tuple[Any, ...]:
    return (instance_id, seq, int(e.type), e.timestamp, e.task_id, e.name, e.data, e.extra)


def _encode_token(created_at: float, instance_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at!r}|{instance_id}".encode()).decode()


def _decode_token(token: str) -> tuple[float, str]:
    try:
        created, _, last_id = base64.urlsafe_b64decode(token.encode()).decode().partition("|")
        return float(created), last_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"invalid continuation token {token!r}") from exc
