"""One process per account, and one process at a time running the timed jobs, over a shared database.

On PostgreSQL: session advisory locks, held by a dedicated connection for the life of the process; the server
releases them the moment that connection dies (a killed process, a lost network), so another process takes over
at once. On SQLite: an exclusive `flock` on a file next to the database, which the kernel releases when the
process dies. A second process for the same account is refused with a message naming the holder.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import socket
from pathlib import Path
from typing import Any

from bot.db import Database

log = logging.getLogger("banzhu.locks")


class Busy(Exception):
    """The lock is held by another process."""


def _key(name: str, scope: str = "") -> int:
    return int.from_bytes(hashlib.sha1(f"banzhu:{scope}:{name}".encode()).digest()[:8], "big", signed=True)


def _scope(conn: Any) -> str:
    """Advisory locks are per database, not per schema: two deployments in one database (schemas, as the tests
    and a staging copy use) must not share a lock, so the key names the schema."""
    row = conn.execute("SELECT current_schema()").fetchone()
    return str(row[0]) if row and row[0] else ""


def _holder() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


class ProcessLock:
    """`try_acquire()` → True when this process now holds `name`; released by `release()` or by dying."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self.held = False
        self._conn: Any = None
        self._file: Any = None
        self._pg_key = 0

    def _sqlite_path(self) -> Path:
        db_path = self.db.url.split("///", 1)[1] if "///" in self.db.url else "banzhu.db"
        safe = hashlib.sha1(self.name.encode()).hexdigest()[:12]
        return Path(f"{db_path}.lock-{safe}")

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.db.is_sqlite:
            path = self._sqlite_path()
            f = open(path, "a+")  # kept open: the lock lives as long as this file descriptor
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                return False
            f.seek(0)
            f.truncate()
            f.write(_holder())
            f.flush()
            self._file = f
        else:
            import psycopg

            url = self.db.url.replace("postgresql+psycopg://", "postgresql://", 1)
            conn = psycopg.connect(url, autocommit=True)
            self._pg_key = _key(self.name, _scope(conn))
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (self._pg_key,)).fetchone()
            if not got or not got[0]:
                conn.close()
                return False
            conn.execute("SELECT set_config('application_name', %s, false)", (f"banzhu {_holder()}"[:63],))
            self._conn = conn
        self.held = True
        return True

    def holder(self) -> str:
        """Who holds the lock, as far as can be told (for the refusal message)."""
        if self.db.is_sqlite:
            try:
                return self._sqlite_path().read_text().strip() or "another process"
            except OSError:
                return "another process"
        import psycopg

        url = self.db.url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url, autocommit=True) as conn:
            key = _key(self.name, _scope(conn))
            row = conn.execute("""SELECT a.application_name, a.client_addr FROM pg_locks l
                                  JOIN pg_stat_activity a ON a.pid = l.pid
                                  WHERE l.locktype = 'advisory' AND l.granted
                                    AND ((l.classid::bigint << 32) | l.objid::bigint) = %s""",
                               (key & 0xFFFFFFFFFFFFFFFF,)).fetchone()
        return (row[0] or "another process") if row else "another process"

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._conn is not None:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._pg_key,))
            finally:
                self._conn.close()
                self._conn = None
        self.held = False

    def alive(self) -> bool:
        """Still held (on PostgreSQL: the lock's connection is still up)."""
        if not self.held:
            return False
        if self._conn is not None:
            try:
                self._conn.execute("SELECT 1")
            except Exception:
                log.error("lost the connection holding lock %s", self.name)
                self.held = False
                return False
        return True
