"""Engine creation, transactions and schema setup for SQLite (WAL) and PostgreSQL.

`with db.tx() as s:` is one transaction. Inside another `db.tx()` on the same thread it joins the outer one, so a
message and everything it causes (acknowledgements, replies queued in the outbox, the journal row marked done)
commit together or not at all. `db.read()` is for long read-only work (digests): on SQLite it does not take the
write lock, so a digest being built never delays the next 收到.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, inspect, text
from sqlmodel import Session, SQLModel, create_engine

from bot import models
from bot.dbtypes import UTCDateTime

SCHEMA_VERSION = 10


def _columns(conn: Any, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


def _v2_delivery_group(conn: Any) -> None:
    """Deliveries remember their group, so digests count reminders per class in SQL."""
    if "group_name" not in _columns(conn, "delivery"):
        conn.execute(text("ALTER TABLE delivery ADD COLUMN group_name VARCHAR NOT NULL DEFAULT ''"))
    for name, column in (("ix_delivery_group_name", "group_name"), ("ix_delivery_kind", "kind"),
                         ("ix_delivery_claimed_at", "claimed_at")):
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON delivery ({column})"))


def _v3_notice_nudges(conn: Any) -> None:
    """Per-notice nudge times (/通知 催 1天,2小时 …)."""
    if "nudge_offsets" not in _columns(conn, "notice"):
        conn.execute(text("ALTER TABLE notice ADD COLUMN nudge_offsets JSON"))


def _v4_question_private(conn: Any) -> None:
    """Questions asked in private are answered in private (/答复), never echoed in the class group."""
    if "in_private" not in _columns(conn, "question"):
        conn.execute(text("ALTER TABLE question ADD COLUMN in_private BOOLEAN NOT NULL DEFAULT FALSE"))


def _v5_notice_members(conn: Any) -> None:
    """Notices from before v5 get their expected members from the group's current members (the best we know)."""
    conn.execute(text("""
        INSERT INTO noticemember (notice_id, contact_id, acked)
        SELECT n.id, m.contact_id, :f FROM notice n JOIN roommember m ON m.room_id = n.room_id
        WHERE m.active = :t AND n.is_fanout = :f
          AND NOT EXISTS (SELECT 1 FROM noticemember x WHERE x.notice_id = n.id)"""), {"t": True, "f": False})


def _v6_typed_state(conn: Any) -> None:
    """The key/value drawer `meta` becomes typed tables; the inbound table becomes a journal of messages."""
    cols = _columns(conn, "inbound")
    if "payload" not in cols:
        conn.execute(text("ALTER TABLE inbound ADD COLUMN payload JSON"))
    if "status" not in cols:
        conn.execute(text("ALTER TABLE inbound ADD COLUMN status VARCHAR NOT NULL DEFAULT 'done'"))
    if "processed_at" not in cols:
        conn.execute(text("ALTER TABLE inbound ADD COLUMN processed_at TIMESTAMP"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_inbound_status ON inbound (status)"))
    if "account" not in _columns(conn, "outboxitem"):
        conn.execute(text("ALTER TABLE outboxitem ADD COLUMN account VARCHAR NOT NULL DEFAULT ''"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_outboxitem_account ON outboxitem (account)"))
    if "meta" not in inspect(conn).get_table_names():
        return
    rows = dict(conn.execute(text("SELECT key, value FROM meta")).all())
    if "outbox_throttle" in rows:
        state = json.loads(rows["outbox_throttle"])
        conn.execute(text("INSERT INTO senderstate (account, slowdown, strikes, last_throttle, paused_until) "
                          "VALUES ('', :sd, :st, :last, :paused)"),
                     {"sd": state.get("slowdown", 1), "st": state.get("strikes", 0),
                      "last": _naive(state.get("last")), "paused": _naive(state.get("paused_until"))})
    if "calendar_version" in rows:
        conn.execute(text("INSERT INTO revision (topic, revision) VALUES ('calendar', :v)"),
                     {"v": int(rows["calendar_version"])})
    conn.execute(text("DROP TABLE meta"))  # pending 确认 and the last connection note are short-lived: dropped


def _naive(iso: str | None) -> Any:
    from datetime import datetime

    if not iso:
        return None
    return UTCDateTime().process_bind_param(datetime.fromisoformat(iso), None)


def _v7_accounts(conn: Any) -> None:
    """Several accounts: which account sees a room; a timed send remembers the message that carries it."""
    if "account" not in _columns(conn, "room"):
        conn.execute(text("ALTER TABLE room ADD COLUMN account VARCHAR NOT NULL DEFAULT ''"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_room_account ON room (account)"))
    if "outbox_id" not in _columns(conn, "delivery"):
        conn.execute(text("ALTER TABLE delivery ADD COLUMN outbox_id INTEGER"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_delivery_outbox_id ON delivery (outbox_id)"))
    if "self_id" not in _columns(conn, "gatewaystate"):
        conn.execute(text("ALTER TABLE gatewaystate ADD COLUMN self_id VARCHAR NOT NULL DEFAULT ''"))
    if "repeat_marked" not in _columns(conn, "outboxitem"):
        conn.execute(text("ALTER TABLE outboxitem ADD COLUMN repeat_marked BOOLEAN NOT NULL DEFAULT FALSE"))
    _notice_counters(conn)


def _notice_counters(conn: Any) -> None:
    """Per-notice counters and noticemember.acked, backfilled from the acknowledgements and members (the bot's own
    contact id is not known here: for old notices it may count once among the expected, never as acknowledged)."""
    cols = _columns(conn, "notice")
    for name in ("expected_count", "ack_count", "late_count"):
        if name not in cols:
            conn.execute(text(f"ALTER TABLE notice ADD COLUMN {name} INTEGER NOT NULL DEFAULT 0"))
    if "acked" not in _columns(conn, "noticemember"):
        conn.execute(text("ALTER TABLE noticemember ADD COLUMN acked BOOLEAN NOT NULL DEFAULT FALSE"))
    conn.execute(text("""UPDATE noticemember SET acked = :t WHERE EXISTS (SELECT 1 FROM ack a
                         WHERE a.notice_id = noticemember.notice_id AND a.contact_id = noticemember.contact_id)"""),
                 {"t": True})
    live = """FROM noticemember nm JOIN roommember m ON m.room_id = notice.room_id AND m.contact_id = nm.contact_id
              WHERE nm.notice_id = notice.id AND m.active = :t
                AND nm.contact_id NOT IN (SELECT contact_id FROM staffbinding)"""
    conn.execute(text(f"""UPDATE notice SET
        expected_count = (SELECT COUNT(*) {live}),
        ack_count = (SELECT COUNT(*) {live} AND nm.acked = :t),
        late_count = (SELECT COUNT(*) {live} AND EXISTS (SELECT 1 FROM ack a WHERE a.notice_id = notice.id
                                                         AND a.contact_id = nm.contact_id AND a.late = :t))
        WHERE is_fanout = :f"""), {"t": True, "f": False})
    where = "acked = 0" if conn.dialect.name == "sqlite" else "acked = false"
    conn.execute(text(f"CREATE INDEX IF NOT EXISTS ix_noticemember_unacked ON noticemember (notice_id) WHERE {where}"))


def _v8_reach(conn: Any) -> None:
    """Private delivery that can fail: outbox actions and fallbacks; when a contact refused."""
    cols = _columns(conn, "outboxitem")
    if "action" not in cols:
        conn.execute(text("ALTER TABLE outboxitem ADD COLUMN action VARCHAR NOT NULL DEFAULT ''"))
    if "ref" not in cols:
        conn.execute(text("ALTER TABLE outboxitem ADD COLUMN ref VARCHAR"))
    if "fallback" not in cols:
        conn.execute(text("ALTER TABLE outboxitem ADD COLUMN fallback JSON"))
    if "refused_at" not in _columns(conn, "contactreach"):
        conn.execute(text("ALTER TABLE contactreach ADD COLUMN refused_at TIMESTAMP"))


def _v9_notice_kind(conn: Any) -> None:
    """Collections (/收集) are notices answered with a file: a notice says which it is."""
    if "kind" not in _columns(conn, "notice"):
        conn.execute(text("ALTER TABLE notice ADD COLUMN kind VARCHAR NOT NULL DEFAULT 'notice'"))


def _v10_inbound_account(conn: Any) -> None:
    """The journal of incoming messages says which account received each (a city shares one journal)."""
    if "account" not in _columns(conn, "inbound"):
        conn.execute(text("ALTER TABLE inbound ADD COLUMN account VARCHAR NOT NULL DEFAULT ''"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_inbound_account ON inbound (account)"))


# Migrations: version -> function(connection). create_all() builds new tables; a change to an existing table
# bumps SCHEMA_VERSION and adds a step here, applied once at start in order.
MIGRATIONS: dict[int, Callable[[Any], None]] = {2: _v2_delivery_group, 3: _v3_notice_nudges,
                                                 4: _v4_question_private, 5: _v5_notice_members,
                                                 6: _v6_typed_state, 7: _v7_accounts, 8: _v8_reach,
                                                 9: _v9_notice_kind, 10: _v10_inbound_account}


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A read-then-write transaction begun DEFERRED fails with "database is locked" under concurrency; a long
        # read-only one begun IMMEDIATE would block every writer for its whole length.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for every transaction."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, immediate=True)
    return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)


def read_schema_version(conn: Any) -> int | None:
    tables = set(inspect(conn).get_table_names())
    if "schemainfo" in tables:
        row = conn.execute(text("SELECT version FROM schemainfo WHERE id = 1")).first()
        if row:
            return int(row[0])
    if "meta" in tables:
        row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
        if row:
            return int(row[0])
    return None


SCHEMA_LOCK = 0x62616E7A  # a PostgreSQL advisory lock key ("banz"): one process sets the schema up at a time


def create_schema(engine: Engine) -> None:
    """Create missing tables and apply pending migrations, in one transaction that other processes starting at the
    same moment wait for (a PostgreSQL advisory lock; SQLite's BEGIN IMMEDIATE): a city's processes start together."""
    with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCHEMA_LOCK})
            conn.commit()
        try:
            with conn.begin():
                existing = read_schema_version(conn)
                SQLModel.metadata.create_all(conn)
                current = existing if existing is not None else SCHEMA_VERSION
                for version in sorted(v for v in MIGRATIONS if v > current):
                    MIGRATIONS[version](conn)
                with Session(bind=conn) as s:
                    row = s.get(models.SchemaInfo, 1) or models.SchemaInfo(id=1, version=SCHEMA_VERSION)
                    row.version = SCHEMA_VERSION
                    s.add(row)
                    s.flush()
        finally:
            if postgres:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEMA_LOCK})
                conn.commit()


class Database:
    """The one handle services use: `with db.tx() as s:` is one transaction (joined when nested)."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self._reader = _sqlite_engine(self.url, immediate=False) if self.is_sqlite else self.engine
        self._local = threading.local()
        self._insert_sql: dict[tuple[str, tuple[str, ...]], str] = {}
        create_schema(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def in_tx(self) -> bool:
        return getattr(self._local, "session", None) is not None

    def serialise(self, session: Session, topic: str) -> None:
        """Inside a transaction: wait until no other process holds `topic` (until this transaction ends). SQLite's
        BEGIN IMMEDIATE already serialises writers; PostgreSQL takes a transaction-scoped advisory lock."""
        if not self.is_sqlite:
            session.connection().execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':' || :t))"),
                                         {"t": topic})

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One transaction; inside another on this thread, the same one (committed by the outermost)."""
        current: Session | None = getattr(self._local, "session", None)
        if current is not None:
            yield current
            current.flush()  # as after a commit: new rows have their ids when the block ends
            return
        with Session(self.engine, expire_on_commit=False) as session:
            self._local.session = session
            self._local.undo = []
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                for undo in self._local.undo:
                    undo()
                raise
            finally:
                self._local.session = None
                self._local.undo = []

    @contextmanager
    def savepoint(self) -> Iterator[Session]:
        """A part of the current transaction that can fail on its own (one message of a batch)."""
        with self.tx() as s:
            undo_before = len(self._local.undo)
            nested = s.begin_nested()
            try:
                yield s
                nested.commit()
            except BaseException:
                nested.rollback()
                for undo in self._local.undo[undo_before:]:
                    undo()
                del self._local.undo[undo_before:]
                raise

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Run `undo` if the current transaction (or savepoint) rolls back: for in-memory caches."""
        if self.in_tx:
            self._local.undo.append(undo)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session; joins the current transaction if there is one."""
        if self.in_tx:
            with self.tx() as s:
                yield s
            return
        with Session(self._reader, expire_on_commit=False) as session:
            yield session  # closing ends the transaction without expiring what was loaded

    def insert_ignore(self, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
        """INSERT rows, skipping those that break a unique constraint, in the current transaction.

        The hot path of acknowledgement ingest: straight to the driver with one prepared statement, because the
        ORM's per-statement overhead is ten times the cost of the write itself.
        """
        if not rows:
            return
        table = model.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
        # Columns the rows leave out get their model default: an omitted NOT NULL column would otherwise make
        # SQLite's INSERT OR IGNORE drop the row silently.
        defaults = {c.name: c.default.arg for c in table.columns
                    if c.name not in rows[0] and c.default is not None and c.default.is_scalar}
        if defaults:
            rows = [{**defaults, **r} for r in rows]
        cols = list(rows[0])
        key = (table.name, tuple(cols))
        sql = self._insert_sql.get(key)
        if sql is None:
            names = ", ".join(f'"{c}"' for c in cols)
            if self.is_sqlite:
                sql = f'INSERT OR IGNORE INTO "{table.name}" ({names}) VALUES ({", ".join("?" for _ in cols)})'
            else:
                sql = (f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("%s" for _ in cols)}) '
                       "ON CONFLICT DO NOTHING")
            self._insert_sql[key] = sql
        types = [table.c[c].type for c in cols]
        params = [tuple(self._bind(t, r[c]) for t, c in zip(types, cols, strict=True)) for r in rows]
        with self.tx() as s:
            s.connection().exec_driver_sql(sql, params)

    def _bind(self, type_: Any, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(type_, UTCDateTime):
            naive = type_.process_bind_param(value, None)
            assert naive is not None
            return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self.is_sqlite else naive
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False)
        return value

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()
        if self._reader is not self.engine:
            self._reader.dispose()
