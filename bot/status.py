"""Account health as the running bot reports it (connection, last message in and out, a heartbeat), and what
`python -m bot status` makes of it — including saying plainly when no bot process is running."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot import revisions
from bot.clock import Clock
from bot.db import Database
from bot.models import GatewayState

HEARTBEAT = timedelta(seconds=30)
ALIVE = timedelta(minutes=2)  # a heartbeat older than this: the process is gone


class Health:
    """Kept in memory as things happen; written on connection changes and by the heartbeat job."""

    def __init__(self, db: Database, clock: Clock, gateway: str, account: str = "") -> None:
        self.db = db
        self.clock = clock
        self.gateway = gateway
        self.account = account
        self.last_received: datetime | None = None
        self.last_sent: datetime | None = None
        self.last_beat: datetime | None = None
        self.connected_at: datetime | None = None  # when this process last connected
        self._lock = threading.Lock()

    def received(self, at: datetime) -> None:
        with self._lock:
            self.last_received = max(at, self.last_received) if self.last_received else at

    def sent(self, at: datetime) -> None:
        with self._lock:
            self.last_sent = at

    def connection(self, up: bool, self_id: str = "") -> None:
        now = self.clock.now()
        self.connected_at = now if up else None
        with self.db.tx() as s:
            row = self._row(s)
            row.connected, row.since, row.heartbeat_at = up, now, now
            if self_id and row.self_id != self_id:
                row.self_id = self_id
                revisions.bump(self.db, "bots")  # every process learns this account's own contact id
            s.add(row)
        self.last_beat = now

    def quiet_since(self) -> datetime | None:
        """Since when nothing came in or went out on a live connection (None when not connected)."""
        if self.connected_at is None:
            return None
        return max(t for t in (self.connected_at, self.last_received, self.last_sent) if t is not None)

    def next_beat(self, now: datetime) -> datetime:
        return now if self.last_beat is None else self.last_beat + HEARTBEAT

    def beat(self) -> None:
        """The process is alive; record what it last saw and sent."""
        now = self.clock.now()
        with self.db.tx() as s:
            row = self._row(s)
            row.heartbeat_at = now
            row.gateway = self.gateway
            if self.last_received:
                row.last_received_at = self.last_received
            if self.last_sent:
                row.last_sent_at = self.last_sent
            s.add(row)
        self.last_beat = now

    def stopped(self) -> None:
        """A clean stop: not connected, and no heartbeat to mistake for a live process."""
        with self.db.tx() as s:
            row = self._row(s)
            row.connected, row.heartbeat_at = False, None
            s.add(row)

    def _row(self, s: Session) -> GatewayState:
        return s.get(GatewayState, self.account) or GatewayState(account=self.account, gateway=self.gateway)


@dataclass(frozen=True)
class Report:
    running: bool
    state: GatewayState | None


def read(db: Database, now: datetime, account: str = "") -> Report:
    with db.read() as s:
        row = s.get(GatewayState, account)
    running = bool(row and row.heartbeat_at and now - row.heartbeat_at <= ALIVE)
    return Report(running, row)
