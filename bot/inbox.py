"""The journal of incoming messages. Every message is written here on arrival (one small insert, grouped when a
burst arrives together) and processed from here, so a crash between receipt and processing loses nothing: a
restart processes what is left. The unique id and content fingerprint drop redeliveries, even with new ids.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select

from bot.clock import Clock
from bot.db import Database
from bot.gateways.base import Incoming, Member, Quote, RoomInfo
from bot.models import Inbound

log = logging.getLogger("banzhu.inbox")


def fingerprint(msg: Incoming, account: str = "") -> str:
    """The same message redelivered after a reconnect may carry a new id but not a new time, sender or text. Two
    accounts in one room each receive it: each account's copy is its own (only the serving one acts on it)."""
    room = msg.room.room_id if msg.room else "-"
    raw = f"{room}|{msg.sender.contact_id}|{int(msg.time.timestamp())}|{msg.text}|{msg.file_path or ''}"
    if account:
        raw = f"{account}|{raw}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def to_payload(msg: Incoming) -> dict[str, Any]:
    return {
        "id": msg.message_id, "time": msg.time.isoformat(), "kind": msg.kind, "text": msg.text,
        "sender": [msg.sender.contact_id, msg.sender.name, msg.sender.alias],
        "room": [msg.room.room_id, msg.room.topic] if msg.room else None,
        "mentions": list(msg.mentions),
        "quote": [msg.quote.text, msg.quote.sender_id, msg.quote.message_id] if msg.quote else None,
        "file": [msg.file_path, msg.file_name] if msg.file_path else None,
    }


def from_payload(data: dict[str, Any]) -> Incoming:
    room = RoomInfo(*data["room"]) if data.get("room") else None
    quote = Quote(*data["quote"]) if data.get("quote") else None
    file = data.get("file") or [None, None]
    return Incoming(message_id=data["id"], time=datetime.fromisoformat(data["time"]), sender=Member(*data["sender"]),
                    text=data["text"], room=room, mentions=tuple(data.get("mentions") or ()), quote=quote,
                    kind=data.get("kind", "text"), file_path=file[0], file_name=file[1])


class RecentMessages:
    """A bounded memory of recent message ids and fingerprints: the cheap first line of dedupe."""

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._order: deque[tuple[str, str]] = deque()
        self._seen: set[str] = set()

    def add(self, message_id: str, print_: str) -> bool:
        if message_id in self._seen or print_ in self._seen:
            return False
        self._order.append((message_id, print_))
        self._seen.update((message_id, print_))
        if len(self._order) > self.size:
            for key in self._order.popleft():
                self._seen.discard(key)
        return True


class Inbox:
    """Record arrivals; hand out what is still to process, in arrival order."""

    BATCH = 50

    def __init__(self, db: Database, clock: Clock, account: str = "") -> None:
        self.db = db
        self.clock = clock
        self.account = account  # this process's account: it journals, reads and processes only its own
        self._recent = RecentMessages()

    def arrived(self, message_ids: list[str]) -> None:
        """The platform announced messages by id (before anything about them was fetched): journal the ids, so
        a crash while they are being read loses nothing (`arrivals` after a restart)."""
        now = self.clock.now()
        self.db.insert_ignore(Inbound, [{"message_id": i, "fingerprint": f"arrived:{i}", "at": now,
                                         "status": "arrived", "account": self.account} for i in message_ids])

    def ignored(self, message_id: str) -> None:
        """An announced message that is not for the core (the bot's own echo): forget its arrival."""
        from sqlmodel import delete

        with self.db.tx() as s:
            s.exec(delete(Inbound).where(col(Inbound.message_id) == message_id, col(Inbound.status) == "arrived"))

    def unreadable(self, message_id: str) -> None:
        """An announced message the platform can no longer give us: kept, marked, for the operator."""
        with self.db.tx() as s:
            s.connection().execute(update(Inbound).where(col(Inbound.message_id) == message_id,
                                                         col(Inbound.status) == "arrived")
                                   .values(status="unreadable", processed_at=self.clock.now()))

    def arrivals(self) -> list[str]:
        """This account's messages announced but never read (a crash came in between), oldest first."""
        with self.db.read() as s:
            return list(s.exec(select(Inbound.message_id).where(Inbound.status == "arrived",
                                                                Inbound.account == self.account)
                               .order_by(col(Inbound.id))))

    def record(self, messages: list[Incoming]) -> list[bool]:
        """Journal messages in one transaction; for each, False when it is a redelivery (dropped)."""
        now = self.clock.now()
        prints = [fingerprint(m, self.account) for m in messages]
        fresh = [self._recent.add(m.message_id, fp) for m, fp in zip(messages, prints, strict=True)]
        candidates = [(m, fp) for (m, fp), ok in zip(zip(messages, prints, strict=True), fresh, strict=True) if ok]
        if not candidates:
            return fresh
        with self.db.tx() as s:
            ids = [m.message_id for m, _ in candidates]
            fps = [fp for _, fp in candidates]
            known: set[str] = set()
            announced: set[str] = set()  # journaled on arrival, now read: fill the row in
            for mid, fp, status in s.exec(select(Inbound.message_id, Inbound.fingerprint, Inbound.status).where(
                    or_(col(Inbound.message_id).in_(ids), col(Inbound.fingerprint).in_(fps)))):
                if status == "arrived":
                    announced.add(mid)
                else:
                    known.update((mid, fp))
            rows = [{"message_id": m.message_id, "fingerprint": fp, "at": now, "payload": to_payload(m),
                     "status": "pending", "account": self.account} for m, fp in candidates
                    if m.message_id not in known and fp not in known and m.message_id not in announced]
            self.db.insert_ignore(Inbound, rows)
            for m, fp in candidates:
                if m.message_id in announced:
                    dup = fp in known
                    s.connection().execute(update(Inbound).where(col(Inbound.message_id) == m.message_id).values(
                        fingerprint=f"dup:{m.message_id}" if dup else fp, payload=None if dup else to_payload(m),
                        status="done" if dup else "pending", processed_at=now if dup else None))
                    if dup:
                        known.add(m.message_id)
        dropped = {m.message_id for m, fp in candidates if m.message_id in known or fp in known}
        if dropped:
            log.info("redelivered messages dropped: %s", ", ".join(sorted(dropped))[:200])
        return [ok and m.message_id not in dropped for m, ok in zip(messages, fresh, strict=True)]

    def pending(self, limit: int = BATCH) -> list[tuple[int, Incoming]]:
        """This account's oldest messages not yet processed."""
        with self.db.tx() as s:
            rows = s.exec(select(Inbound).where(Inbound.status == "pending", Inbound.account == self.account)
                          .order_by(col(Inbound.id)).limit(limit)).all()
        out = []
        for r in rows:
            if r.payload is None or r.id is None:
                continue
            out.append((r.id, from_payload(r.payload)))
        return out

    def done(self, row_ids: list[int], *, failed: bool = False) -> None:
        """Mark messages processed (in the transaction that holds their effects). A processed message's words need
        not be kept twice; a failed one keeps them, for the operator."""
        if not row_ids:
            return
        values: dict[str, object] = {"status": "failed" if failed else "done", "processed_at": self.clock.now()}
        if not failed:
            values["payload"] = None
        with self.db.tx() as s:
            s.connection().execute(update(Inbound).where(col(Inbound.id).in_(row_ids)).values(**values))

    def backlog(self) -> int:
        with self.db.tx() as s:
            return len(s.exec(select(Inbound.id).where(Inbound.status == "pending")).all())

    def prune(self, before: datetime) -> int:
        """Forget processed messages older than `before` (retention)."""
        from sqlmodel import delete

        with self.db.tx() as s:
            result = s.exec(delete(Inbound).where(col(Inbound.at) < before, col(Inbound.status) != "pending"))
            return int(result.rowcount or 0)


__all__ = ["Inbox", "fingerprint", "from_payload", "to_payload"]
