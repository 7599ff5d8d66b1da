"""The persistent send queue: every message the bot sends is written here first, in the transaction of whatever
caused it (a crash loses nothing pending, and a message is queued exactly once), then sent by the courier.

`Outbox` only queues (any service may hold one); `Courier` (bot/courier.py) sends, paced, through one account.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import col, func, select

from bot.accounts import Accounts
from bot.clock import Clock
from bot.config import OutboxConfig
from bot.db import Database
from bot.kernel.enums import SendStatus
from bot.models import OutboxItem
from bot.people import People
from bot.texts import common as texts

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


@dataclass(frozen=True)
class Fallback:
    """What to do instead when a private message cannot reach its contact (not the account's friend, blocked,
    deleted). Without one, a staff member's message goes to the admins and anyone else's is counted as not
    delivered."""

    room_id: str | None = None  # post `text` in this room instead, @-mentioning the contact
    text: str = ""  # neutral words for the room: never a figure, a score or a name of a task
    to_admins: bool = False  # pass the message (or file) to the admins, asking them to have the contact add the bot
    tell_room: str | None = None  # tell whoever asked for it, in the room they asked in …
    tell_contact: str | None = None  # … or privately


class Outbox:
    """Queue messages for the courier; count what waits; decide what happens to one that cannot be delivered."""

    def __init__(self, db: Database, clock: Clock, cfg: OutboxConfig, accounts: Accounts, people: People) -> None:
        self.db = db
        self.clock = clock
        self.cfg = cfg
        self.accounts = accounts  # which account sends what: the one serving the room, or reaching the contact
        self.people = people
        self.listeners: list = []  # callables() told when something was queued (the runtime wakes up)

    @property
    def max_text(self) -> int:
        """The longest text that goes out as one message."""
        return self.cfg.max_chars - PART_MARK

    def enqueue(self, *, text: str = "", room_id: str | None = None, contact_id: str | None = None,
                mentions: Sequence[str] = (), file_path: str | None = None, priority: int = PRIORITY_REPLY,
                not_before: datetime | None = None, dedupe_key: str | None = None,
                account: str | None = None, fallback: Fallback | None = None, action: str = "",
                ref: str | None = None) -> list[int]:
        """Persist a message (split as needed) for paced delivery, in the current transaction; returns the ids.
        With a dedupe key, a second enqueue of the same key queues nothing. The sending account is the one that
        serves the room, or can reach the contact, unless given."""
        if not (room_id or contact_id):
            raise ValueError("a message needs a room or a contact")
        if fallback is not None and not contact_id:
            raise ValueError("a fallback is for a private message")
        if account is None:
            account = self.accounts.of_room(room_id) if room_id else self.accounts.for_contact(contact_id or "")
        now = self.clock.now()
        parts = split_text(text, self.max_text) if text else ([] if file_path and not mentions else [""])
        plan = asdict(fallback) if fallback else None
        size = self.cfg.max_mentions
        mention_groups = [list(mentions[i:i + size]) for i in range(0, len(mentions), size)] or [[]]
        due = not_before or now
        def item(text: str = "", mentions: list[str] | None = None, file: str | None = None) -> OutboxItem:
            return OutboxItem(room_id=room_id, contact_id=contact_id, priority=priority, not_before=due, created_at=now,
                              account=account, text=text, mentions=mentions or [], file_path=file, fallback=plan,
                              action=action, ref=ref)

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

    # -- what cannot be delivered --------------------------------------------------------------------------------
    def undeliverable(self, item: OutboxItem, reason: str) -> None:
        """WeChat will not deliver this private message (not a friend, blocked, deleted): never retried; its
        fallback is queued instead (once for all the parts of one message) and the refusal remembered."""
        now = self.clock.now()
        contact = item.contact_id or ""
        with self.db.tx() as s:
            item.status = SendStatus.FAILED
            item.last_error = f"unreachable: {reason}"[:500]
            s.add(item)
            self.accounts.refused(contact, item.account, reason, now)
            plan = Fallback(**item.fallback) if item.fallback else self._default(contact)
            log.warning("cannot write to %s privately (%s): %s", contact, reason,
                        "falling back" if plan else "nobody else to tell")
            if plan is None:
                return
            name = self.people.name_of(contact)
            # Every part of one message shares its fallback: the key is the message, not the part.
            key = "fallback:" + hashlib.sha1(json.dumps(
                [contact, item.created_at.isoformat(), asdict(plan)], ensure_ascii=False).encode()).hexdigest()[:16]
            if plan.room_id and plan.text:
                self.enqueue(text=plan.text, room_id=plan.room_id, mentions=[contact], dedupe_key=f"{key}:room")
            if plan.to_admins:
                for admin in self.people.admins():
                    if admin.contact_id == contact:
                        continue
                    what = item.text or texts.A_FILE
                    self.enqueue(text=texts.UNREACHABLE_TO_ADMINS.format(name=name, text=what),
                                 contact_id=admin.contact_id, file_path=item.file_path,
                                 dedupe_key=f"{key}:admin:{admin.contact_id}:{item.id}")
            if plan.tell_room or plan.tell_contact:
                self.enqueue(text=texts.NOT_DELIVERED.format(name=name), room_id=plan.tell_room,
                             contact_id=None if plan.tell_room else plan.tell_contact, dedupe_key=f"{key}:tell")

    def _default(self, contact_id: str) -> Fallback | None:
        """A staff member's message goes to the admins; a student's private message has no safe substitute (the
        feature that sent it says what to post in the group instead)."""
        person = self.people.person(contact_id, "")
        return Fallback(to_admins=True) if person.is_staff and not person.is_admin else None

    def undelivered_count(self, since: datetime) -> int:
        """Private messages not delivered because the contact could not be reached (for `status`)."""
        with self.db.read() as s:
            return s.exec(select(func.count()).select_from(OutboxItem).where(
                OutboxItem.status == SendStatus.FAILED, OutboxItem.created_at >= since,
                col(OutboxItem.last_error).startswith("unreachable:"))).one()

    def relinked(self, old: str, new: str) -> None:
        """A contact id changed (a re-login): messages still waiting for them (or @-mentioning them) follow."""
        with self.db.tx() as s:
            for item in s.exec(select(OutboxItem).where(col(OutboxItem.status).in_(
                    (SendStatus.PENDING, SendStatus.UNCERTAIN)))).all():
                if item.contact_id == old or old in (item.mentions or []):
                    if item.contact_id == old:
                        item.contact_id = new
                    item.mentions = [new if m == old else m for m in item.mentions or []]
                    s.add(item)

    def rehome(self) -> int:
        """Pending messages follow their group when config moves it to another account (a banned account's groups
        handed over); private ones queued for an account no longer configured go through the account that reaches
        the contact now. Run by every process at start; returns how many moved."""
        if not self.accounts.several:
            return 0
        names = set(self.accounts.names())
        moved = 0
        with self.db.tx() as s:
            for item in s.exec(select(OutboxItem).where(OutboxItem.status == SendStatus.PENDING)):
                if item.room_id:
                    want = self.accounts.of_room(item.room_id)
                elif item.account in names:
                    continue
                else:
                    want = self.accounts.for_contact(item.contact_id or "")
                if want != item.account:
                    item.account = want
                    s.add(item)
                    moved += 1
        if moved:
            log.warning("%s queued message(s) moved to the account that now serves their group", moved)
        return moved

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


__all__ = ["PRIORITY_BULK", "PRIORITY_REPLY", "Fallback", "Outbox", "split_text"]
