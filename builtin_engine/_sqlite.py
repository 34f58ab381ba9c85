"""The SQLite store: one file in WAL mode with ``synchronous=FULL``.

With WAL and FULL, a transaction is on disk (fsynced) before ``COMMIT`` returns, so anything
the engine acknowledged survives a crash of the process or of the machine. Readers never
block the writer. Connections are per thread: the engine's writer thread, reader threads and
clients each get their own. The tables and their versions are in ``_schema``.

How rows encode what has no column of its own (the one codec, ``_event_row``/``_event``):
an event's other facts go in ``extra`` as one JSON object (keys ``failure``, ``fireAt``,
``childId``, ``executionId``, ``origin``, ``taskExecutionId``, ``targetId``, ``version``,
``patches``; absent when unset); a missing task ID or parent task ID is stored as -1. The
``pending_events`` table has the history's columns and codec.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from builtin_engine._commands import Command, CommandKind, InboxMessage
from builtin_engine._errors import (
    DuplicateInstanceError,
    FailureDetails,
    InstanceStateError,
    InvalidContinuationTokenError,
    UnknownInstanceError,
)
from builtin_engine._history import Event, EventType
from builtin_engine._schema import upgrade
from builtin_engine._store import (
    ACTIVE_STATUSES,
    InstanceQuery,
    InstanceRecord,
    Page,
    Status,
    Store,
    Stored,
    WriteUnit,
)

#: how the integer columns say "none"
_NONE_STORED = -1
_TERMINAL_NAMES = [s.value for s in Status if s.is_terminal]
_TERMINAL_MARKS = ",".join("?" for _ in _TERMINAL_NAMES)

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
_INSERT_PENDING = "INSERT OR REPLACE INTO pending_events VALUES (?,?,?,?,?,?,?,?)"
_EVENT_COLUMNS = "seq, type, ts, task_id, name, data, extra"


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
        upgrade(self._conn(), str(self.path))

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
        # Units that cannot fail (no create, no history reset) are pooled: one statement for
        # all their events, one for their instances' rows (only an instance's last row of the
        # batch is written), one for their inbox messages.
        events: list[tuple[Any, ...]] = []
        pending: list[tuple[Any, ...]] = []
        rows: dict[str, InstanceRecord] = {}
        inbox_done: list[tuple[int]] = []

        def flush() -> None:
            if events:
                conn.executemany(_INSERT_EVENT, events)
                events.clear()
            if pending:
                conn.executemany(_INSERT_PENDING, pending)
                pending.clear()
            if rows:
                conn.executemany(_UPDATE_INSTANCE, [_update_row(r) for r in rows.values()])
                rows.clear()
            if inbox_done:
                conn.executemany("DELETE FROM inbox WHERE id=?", inbox_done)
                inbox_done.clear()

        conn.execute("BEGIN IMMEDIATE")
        try:
            for unit in units:
                if (
                    unit.create is not None
                    or unit.reset_history is not None
                    or unit.expire
                    or unit.pending_reset is not None
                    or unit.pending_done
                ):
                    flush()
                    errors.append(self._apply(conn, unit))
                    continue
                events.extend(_event_row(i, s, e) for i, s, e in unit.events)
                pending.extend(_event_row(i, s, e) for i, s, e in unit.pending_add)
                for record in unit.instances:
                    rows[record.instance_id] = record
                inbox_done.extend((i,) for i in unit.inbox_done)
                errors.append(None)
            flush()
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
        if unit.expire:
            finished = [
                row[0]
                for row in conn.execute(
                    f"SELECT instance_id FROM instances WHERE status IN ({_TERMINAL_MARKS}) "
                    f"AND instance_id IN ({','.join('?' for _ in unit.expire)})",
                    [*_TERMINAL_NAMES, *unit.expire],
                )
            ]
            _delete(conn, finished)
        if unit.pending_reset is not None:
            conn.execute("DELETE FROM pending_events WHERE instance_id=?", (unit.pending_reset,))
        if unit.pending_done:
            conn.executemany("DELETE FROM pending_events WHERE instance_id=? AND seq<=?", unit.pending_done)
        if unit.pending_add:
            conn.executemany(_INSERT_PENDING, [_event_row(i, s, e) for i, s, e in unit.pending_add])
        return None

    def post(
        self, command: Command, create: InstanceRecord | None = None, started: Event | None = None
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
                "INSERT INTO inbox (instance_id, kind, name, data, reason, recursive, created_at) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    command.instance_id,
                    command.kind.value,
                    command.name,
                    command.data,
                    command.reason,
                    int(command.recursive),
                    time.time(),
                ),
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
            f"SELECT {_EVENT_COLUMNS} FROM history WHERE instance_id=? ORDER BY seq", (instance_id,)
        )
        return [(r[0], _event(r)) for r in rows]

    def load_active(self) -> list[Stored]:
        conn = self._conn()
        marks = ",".join("?" for _ in ACTIVE_STATUSES)
        names = [s.value for s in ACTIVE_STATUSES]
        conn.execute("BEGIN")  # one snapshot for rows, histories and pending inputs
        try:
            records: dict[str, Stored] = {
                row[0]: Stored(_record(row), [], [])
                for row in conn.execute(f"SELECT {_COLUMNS} FROM instances WHERE status IN ({marks})", names)
            }
            for table in ("history", "pending_events"):
                rows = conn.execute(
                    f"SELECT t.instance_id, seq, type, ts, task_id, t.name, data, extra FROM {table} t "
                    f"JOIN instances i USING (instance_id) WHERE i.status IN ({marks}) "
                    "ORDER BY t.instance_id, seq",
                    names,
                )
                for r in rows:
                    stored = records[r[0]]
                    (stored.history if table == "history" else stored.pending).append((r[1], _event(r[1:])))
        finally:
            conn.execute("COMMIT")
        return list(records.values())

    def pending(self, instance_id: str) -> list[tuple[int, Event]]:
        rows = self._conn().execute(
            f"SELECT {_EVENT_COLUMNS} FROM pending_events WHERE instance_id=? ORDER BY seq", (instance_id,)
        )
        return [(r[0], _event(r)) for r in rows]

    def list_instances(self, query: InstanceQuery) -> Page:
        clauses: list[str] = []
        params: list[Any] = []
        if query.statuses:
            clauses.append(f"status IN ({','.join('?' for _ in query.statuses)})")
            params.extend(s.value for s in query.statuses)
        if query.name is not None:
            clauses.append("name=?")
            params.append(query.name)
        if query.created_after is not None:
            clauses.append("created_at >= ?")
            params.append(query.created_after)
        if query.created_before is not None:
            clauses.append("created_at < ?")
            params.append(query.created_before)
        if query.id_prefix:
            # substr, not LIKE: LIKE ignores ASCII case and treats % and _ as wildcards
            clauses.append("substr(instance_id, 1, ?) = ?")
            params.extend((len(query.id_prefix), query.id_prefix))
        if query.token:
            created, last_id = _decode_token(query.token)
            clauses.append("(created_at < ? OR (created_at = ? AND instance_id < ?))")
            params.extend((created, created, last_id))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        page_size = query.page_size
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

    def expired(self, cutoffs: Mapping[Status, float], limit: int) -> list[str]:
        if not cutoffs:
            return []
        conn = self._conn()
        clauses = " OR ".join("(status=? AND updated_at<?)" for _ in cutoffs)
        params: list[Any] = [value for status, cutoff in cutoffs.items() for value in (status.value, cutoff)]
        roots = [
            row[0]
            for row in conn.execute(
                f"SELECT instance_id FROM instances i WHERE ({clauses}) AND (i.parent_id IS NULL "
                "OR NOT EXISTS (SELECT 1 FROM instances p WHERE p.instance_id = i.parent_id)) LIMIT ?",
                [*params, limit],
            )
        ]
        doomed = list(roots)
        frontier = list(roots)
        while frontier:
            parent = frontier.pop()
            for child, status in conn.execute(
                "SELECT instance_id, status FROM instances WHERE parent_id=?", (parent,)
            ):
                if Status(status).is_terminal:
                    doomed.append(child)
                    frontier.append(child)
        return doomed

    def count_by_status(self) -> dict[Status, int]:
        rows = self._conn().execute("SELECT status, count(*) FROM instances GROUP BY status")
        return {Status(status): count for status, count in rows}

    def inbox_backlog(self, after_id: int) -> tuple[int, float | None]:
        count, oldest = (
            self._conn()
            .execute("SELECT count(*), min(created_at) FROM inbox WHERE id > ?", (after_id,))
            .fetchone()
        )
        return int(count), oldest

    def read_inbox(self, after_id: int, limit: int) -> list[InboxMessage]:
        rows = self._conn().execute(
            "SELECT id, instance_id, kind, name, data, reason, recursive FROM inbox "
            "WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [
            InboxMessage(
                r[0],
                Command(CommandKind(r[2]), r[1], name=r[3], data=r[4], reason=r[5], recursive=bool(r[6])),
            )
            for r in rows
        ]


def _delete(conn: sqlite3.Connection, ids: Iterable[str]) -> None:
    params = [(i,) for i in ids]
    conn.executemany("DELETE FROM history WHERE instance_id=?", params)
    conn.executemany("DELETE FROM pending_events WHERE instance_id=?", params)
    conn.executemany("DELETE FROM instances WHERE instance_id=?", params)


# -- the codec: records and events to rows and back ------------------------------------------------


def _row(r: InstanceRecord) -> tuple[Any, ...]:
    f = r.failure
    return (
        r.instance_id, r.name, r.status.value, r.created_at, r.updated_at, r.input, r.output,
        r.custom_status, f.error_type if f else None, f.message if f else None, f.stack_trace if f else None,
        r.parent_id, _NONE_STORED if r.parent_task_id is None else r.parent_task_id, r.execution_id,
    )  # fmt: skip


def _update_row(r: InstanceRecord) -> tuple[Any, ...]:
    f = r.failure
    return (
        r.status.value, r.updated_at, r.input, r.output, r.custom_status, f.error_type if f else None,
        f.message if f else None, f.stack_trace if f else None, r.execution_id, r.instance_id,
    )  # fmt: skip


def _record(row: Sequence[Any]) -> InstanceRecord:
    return InstanceRecord(
        instance_id=row[0],
        name=row[1],
        status=Status(row[2]),
        created_at=row[3],
        updated_at=row[4],
        input=row[5],
        output=row[6],
        custom_status=row[7],
        failure=FailureDetails(row[9] or "", row[8], row[10]) if row[8] is not None else None,
        parent_id=row[11],
        parent_task_id=None if row[12] == _NONE_STORED else row[12],
        execution_id=row[13],
    )


def _event_row(instance_id: str, seq: int, e: Event) -> tuple[Any, ...]:
    extra: dict[str, Any] | None = None
    if (
        e.failure is not None
        or e.fire_at is not None
        or e.child_id is not None
        or e.execution_id is not None
        or e.origin is not None
        or e.task_execution_id is not None
        or e.target_id is not None
        or e.version is not None
        or e.patches is not None
        or e.trace is not None
    ):
        extra = {
            key: value
            for key, value in (
                ("failure", None if e.failure is None else _failure_json(e.failure)),
                ("fireAt", e.fire_at),
                ("childId", e.child_id),
                ("executionId", e.execution_id),
                ("origin", e.origin),
                ("taskExecutionId", e.task_execution_id),
                ("targetId", e.target_id),
                ("version", e.version),
                ("patches", None if e.patches is None else list(e.patches)),
                ("trace", None if e.trace is None else dict(e.trace)),
            )
            if value is not None
        }
    task_id = _NONE_STORED if e.task_id is None else e.task_id
    return (
        instance_id, seq, int(e.type), e.timestamp, task_id, e.name, e.data,
        None if extra is None else json.dumps(extra),
    )  # fmt: skip


def _event(r: Sequence[Any]) -> Event:
    """An event from a row of ``_EVENT_COLUMNS`` (the sequence number first)."""
    task_id = None if r[3] == _NONE_STORED else r[3]
    if r[6] is None:
        return Event(EventType(r[1]), r[2], task_id, r[4], r[5])
    extra = json.loads(r[6])
    failure = extra.get("failure")
    patches = extra.get("patches")
    return Event(
        EventType(r[1]),
        r[2],
        task_id,
        r[4],
        r[5],
        failure=None if failure is None else _failure(failure),
        fire_at=extra.get("fireAt"),
        child_id=extra.get("childId"),
        execution_id=extra.get("executionId"),
        origin=extra.get("origin"),
        task_execution_id=extra.get("taskExecutionId"),
        target_id=extra.get("targetId"),
        version=extra.get("version"),
        patches=None if patches is None else tuple(patches),
        trace=extra.get("trace"),
    )


def _failure_json(f: FailureDetails) -> dict[str, Any]:
    facts: dict[str, Any] = {"message": f.message, "error_type": f.error_type, "stack_trace": f.stack_trace}
    if f.inner is not None:
        facts["inner"] = _failure_json(f.inner)
    if f.non_retriable:
        facts["non_retriable"] = True
    return facts


def _failure(facts: dict[str, Any]) -> FailureDetails:
    inner = facts.get("inner")
    return FailureDetails(
        str(facts.get("message", "")),
        str(facts.get("error_type", "Exception")),
        facts.get("stack_trace"),
        inner=None if inner is None else _failure(inner),
        non_retriable=bool(facts.get("non_retriable", False)),
    )


def _encode_token(created_at: float, instance_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at!r}|{instance_id}".encode()).decode()


def _decode_token(token: str) -> tuple[float, str]:
    try:
        created, _, last_id = base64.urlsafe_b64decode(token.encode()).decode().partition("|")
        return float(created), last_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidContinuationTokenError(f"invalid continuation token {token!r}") from exc
