"""Revision counters: how a running bot learns that another process (a command-line tool, the web console, another
account's bot) changed data it caches. The writer bumps the topic; the reader polls it at most every few seconds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.clock import Clock
from bot.db import Database
from bot.models import Revision

POLL = timedelta(seconds=5)
T = TypeVar("T")


def bump(db: Database, topic: str) -> None:
    """Record a change of `topic` (in the current transaction, if any)."""
    with db.tx() as s:
        row = s.get(Revision, topic) or Revision(topic=topic, revision=0)
        row.revision += 1
        s.add(row)


def current(db: Database, topic: str) -> int:
    with db.tx() as s:
        row = s.get(Revision, topic)
        return row.revision if row else 0


class Watcher:
    """`changed()` is True once after someone bumped the topic (checked at most every `every`)."""

    def __init__(self, db: Database, clock: Clock, topic: str, every: timedelta = POLL) -> None:
        self.db = db
        self.clock = clock
        self.topic = topic
        self.every = every
        self._seen: int | None = None
        self._checked: datetime | None = None
        self._lock = threading.Lock()

    def changed(self) -> bool:
        """True when the topic moved since the last check (and on the first check: caches start cold)."""
        now = self.clock.now()
        with self._lock:
            if self._checked is not None and now - self._checked < self.every:
                return False
            self._checked = now
            previous = self._seen
        value = current(self.db, self.topic)
        with self._lock:
            self._seen = value
        return previous is None or value != previous


class Cached(Generic[T]):
    """A value computed from the database and kept until it is invalidated here, or until another process bumps
    the watched topic. Keeps the engine's idle wake cheap: next-due times are not recomputed on every wake."""

    def __init__(self, compute: Callable[[], T], watcher: Watcher | None = None) -> None:
        self._compute = compute
        self._watcher = watcher
        self._value: T | None = None
        self._valid = False
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._watcher is not None and self._watcher.changed():
            self.invalidate()
        with self._lock:
            if self._valid:
                return self._value  # type: ignore[return-value]  # valid implies set
        value = self._compute()
        with self._lock:
            self._value, self._valid = value, True
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._valid = False
