"""Engine creation, transactions and schema setup for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, inspect, text
from sqlmodel import Session, SQLModel, create_engine

from bot import models
from bot.dbtypes import UTCDateTime

SCHEMA_VERSION = 5


def _v2_delivery_group(conn: Any) -> None:
    """Deliveries remember their group, so digests count reminders per class in SQL."""
    columns = {c["name"] for c in inspect(conn).get_columns("delivery")}
    if "group_name" not in columns:
        conn.execute(text("ALTER TABLE delivery ADD COLUMN group_name VARCHAR NOT NULL DEFAULT ''"))
    for name, column in (("ix_delivery_group_name", "group_name"), ("ix_delivery_kind", "kind"),
                         ("ix_delivery_claimed_at", "claimed_at")):
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON delivery ({column})"))


def _v3_notice_nudges(conn: Any) -> None:
    """Per-notice nudge times (/通知 催 1天,2小时 …)."""
    columns = {c["name"] for c in inspect(conn).get_columns("notice")}
    if "nudge_offsets" not in columns:
        conn.execute(text("ALTER TABLE notice ADD COLUMN nudge_offsets JSON"))


def _v4_question_private(conn: Any) -> None:
    """Questions asked in private are answered in private (/答复), never echoed in the class group."""
    columns = {c["name"] for c in inspect(conn).get_columns("question")}
    if "in_private" not in columns:
        conn.execute(text("ALTER TABLE question ADD COLUMN in_private BOOLEAN NOT NULL DEFAULT FALSE"))


def _v5_notice_members(conn: Any) -> None:
    """Notices from before v5 get their expected members from the group's current members (the best we know)."""
    conn.execute(text("""
        INSERT INTO noticemember (notice_id, contact_id)
        SELECT n.id, m.contact_id FROM notice n JOIN roommember m ON m.room_id = n.room_id
        WHERE m.active = :t AND n.is_fanout = :f
          AND NOT EXISTS (SELECT 1 FROM noticemember x WHERE x.notice_id = n.id)"""), {"t": True, "f": False})


# Migrations: version -> function(connection). create_all() builds new tables; a change to an existing table
# bumps SCHEMA_VERSION and adds a step here, applied once at start in order.
MIGRATIONS: dict[int, Callable[[Any], None]] = {2: _v2_delivery_group, 3: _v3_notice_nudges,
                                                 4: _v4_question_private, 5: _v5_notice_members}


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for every transaction."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
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
            # A read-then-write transaction begun DEFERRED fails with "database is locked" under concurrency.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Create missing tables and apply pending migrations."""
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        row = s.get(models.Meta, "schema_version")
        current = int(row.value) if row else SCHEMA_VERSION
        for version in sorted(v for v in MIGRATIONS if v > current):
            MIGRATIONS[version](s.connection())
        if row is None:
            s.add(models.Meta(key="schema_version", value=str(SCHEMA_VERSION)))
        else:
            row.value = str(SCHEMA_VERSION)
            s.add(row)
        s.commit()


class Database:
    """The one handle services use: `with db.tx() as s:` is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self._insert_sql: dict[tuple[str, tuple[str, ...]], str] = {}
        self._hot: Any = None
        create_schema(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextmanager
    def tx(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def insert_ignore(self, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
        """INSERT rows in one transaction, skipping those that break a unique constraint.

        The hot path of acknowledgement ingest: straight to the driver with one prepared statement, because the
        ORM's per-statement overhead is ten times the cost of the write itself.
        """
        if not rows:
            return
        table = model.__table__  # type: ignore[attr-defined]
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
        if self._hot is None:
            self._hot = self.engine.raw_connection()  # kept checked out: one connection for the hot path
        raw = self._hot
        try:
            cur = raw.cursor()
            if self.is_sqlite:
                cur.execute("BEGIN IMMEDIATE")
            cur.executemany(sql, params)
            if self.is_sqlite:
                cur.execute("COMMIT")
            else:
                raw.commit()
            cur.close()
        except BaseException:
            try:
                raw.rollback()
            finally:
                raw.invalidate()
                self._hot = None
            raise

    def _bind(self, type_: Any, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(type_, UTCDateTime):
            naive = type_.process_bind_param(value, None)
            return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self.is_sqlite else naive  # type: ignore[union-attr]
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False)
        return value

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        if self._hot is not None:
            self._hot.close()
            self._hot = None
        self.engine.dispose()
