"""The persistent send queue: every message the bot sends is written here first, in the transaction of whatever
caused it (a crash loses nothing pending, and a message is queued exactly once), then sent by the courier.

`Outbox` only queues (any service may hold one); `Courier` (bot/courier.py) sends, paced, through one account.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, func, select

from bot.accounts import Accounts
from bot.clock import Clock
from bot.config import OutboxConfig
from bot.db import Database
from bot.kernel.enums import SendStatus
from bot.models import OutboxItem

log = logging.getLogger("banzhu.outbox")

PRIORITY_REPLY = 0
PRIORITY_BULK = 5
PART_MARK = 10  # room kept for the "（i/n）" marker of a split message


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters, at line breaks where possible."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single over-long line: cut it, preferring a sentence end
            room = limit - len(current) - 1 if current else limit
            if room < limit // 2:  # too little room left beside what we have: start a new chunk
                chunks.append(current)
                current, room = "", limit
            cut = max(line.rfind(p, 0, room) for p in "。！？；，,. ")
            cut = cut + 1 if cut > room // 2 else room
            chunks.append(f"{current}\n{line[:cut]}" if current else line[:cut])
            current = ""
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    total = len(chunks)
    if total > 1:
        # Mark the parts so a reader on a phone knows more is coming; the marker fits in the slack we keep.
        return [f"{c}\n（{i}/{total}）" for i, c in enumerate(chunks, 1)]
    return chunks


class Outbox:
    """Queue messages for the courier; count what waits."""

    def __init__(self, db: Database, clock: Clock, cfg: OutboxConfig, accounts: Accounts) -> None:
        self.db = db
        self.clock = clock
        self.cfg = cfg
        self.accounts = accounts  # which account sends what: the one serving the room, or reaching the contact
        self.listeners: list = []  # callables() told when something was queued (the runtime wakes up)

    @property
    def max_text(self) -> int:
        """The longest text that goes out as one message."""
        return self.cfg.max_chars - PART_MARK

    def enqueue(self, *, text: str = "", room_id: str | None = None, contact_id: str | None = None,
                mentions: Sequence[str] = (), file_path: str | None = None, priority: int = PRIORITY_REPLY,
                not_before: datetime | None = None, dedupe_key: str | None = None,
                account: str | None = None) -> list[int]:
        """Persist a message (split as needed) for paced delivery, in the current transaction; returns the ids.
        With a dedupe key, a second enqueue of the same key queues nothing. The sending account is the one that
        serves the room, or can reach the contact, unless given."""
        if not (room_id or contact_id):
            raise ValueError("a message needs a room or a contact")
        if account is None:
            account = self.accounts.of_room(room_id) if room_id else self.accounts.for_contact(contact_id or "")
        now = self.clock.now()
        parts = split_text(text, self.max_text) if text else ([] if file_path and not mentions else [""])
        size = self.cfg.max_mentions
        mention_groups = [list(mentions[i:i + size]) for i in range(0, len(mentions), size)] or [[]]
        due = not_before or now
        def item(text: str = "", mentions: list[str] | None = None, file: str | None = None) -> OutboxItem:
            return OutboxItem(room_id=room_id, contact_id=contact_id, priority=priority, not_before=due, created_at=now,
                              account=account, text=text, mentions=mentions or [], file_path=file)

        rows: list[OutboxItem] = []
        # Mentions ride on the first text part; further mention groups repeat the last part's text.
        for i, part in enumerate(parts):
            rows.append(item(part, mention_groups[0] if i == 0 else []))
        for group in mention_groups[1:] if parts else []:
            rows.append(item(parts[-1] if len(parts) == 1 else "", group))
        if file_path:
            rows.append(item(file=file_path))
        if dedupe_key:
            for i, row in enumerate(rows):
                row.dedupe_key = dedupe_key if i == 0 else f"{dedupe_key}#{i}"
        with self.db.tx() as s:
            if dedupe_key and s.exec(select(OutboxItem.id).where(OutboxItem.dedupe_key == dedupe_key)).first():
                return []
            for r in rows:
                s.add(r)
            s.flush()
            ids = [r.id for r in rows if r.id is not None]
        for listener in self.listeners:
            listener()
        return ids

    def pending_count(self, account: str | None = None) -> int:
        with self.db.read() as s:
            q = select(func.count()).select_from(OutboxItem).where(
                col(OutboxItem.status).in_((SendStatus.PENDING, SendStatus.SENDING, SendStatus.UNCERTAIN)))
            if account is not None:
                q = q.where(OutboxItem.account == account)
            return s.exec(q).one()

    def failed_count(self, since: datetime) -> int:
        with self.db.read() as s:
            return s.exec(select(func.count()).select_from(OutboxItem).where(
                OutboxItem.status == SendStatus.FAILED, OutboxItem.created_at >= since)).one()

    def recent_failures(self, limit: int = 20) -> list[OutboxItem]:
        """Messages given up on, newest first (for the web console's health page)."""
        with self.db.read() as s:
            return list(s.exec(select(OutboxItem).where(OutboxItem.status == SendStatus.FAILED)
                               .order_by(col(OutboxItem.id).desc()).limit(limit)))

    def last_sent(self) -> OutboxItem | None:
        with self.db.read() as s:
            return s.exec(select(OutboxItem).where(OutboxItem.status == SendStatus.SENT)
                          .order_by(col(OutboxItem.sent_at).desc()).limit(1)).first()

    def prune(self, before: datetime) -> int:
        """Forget sent and failed messages older than `before` (retention); pending ones always stay."""
        from sqlmodel import delete

        with self.db.tx() as s:
            result = s.exec(delete(OutboxItem).where(
                col(OutboxItem.created_at) < before, col(OutboxItem.status).in_((SendStatus.SENT, SendStatus.FAILED))))
            return int(result.rowcount or 0)


__all__ = ["PRIORITY_BULK", "PRIORITY_REPLY", "Outbox", "split_text"]
