"""The paced, persistent send queue: every message the bot sends goes through here.

A message is written to the database before anything is sent (a crash loses nothing pending), sent no faster than
`min_interval` plus random jitter (WeChat restricts accounts that send fast), retried with backoff while the
gateway fails, and marked sent once the gateway confirms it, so it is never sent again. When WeChat refuses a send
as 操作过于频繁, the whole queue pauses and then runs slower until a calm period has passed (kept across restarts).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.config import OutboxConfig
from bot.db import Database
from bot.gateways.base import Gateway, GatewayError, GatewayThrottled, Outgoing
from bot.models import Meta, OutboxItem

log = logging.getLogger("banzhu.outbox")

PRIORITY_REPLY = 0
PRIORITY_BULK = 5
MAX_SLOWDOWN = 8
THROTTLE_KEY = "outbox_throttle"


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters, at line breaks where possible."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single over-long line: cut it, preferring a sentence end
            cut = max(line.rfind(p, 0, limit) for p in "。！？；，,. ")
            cut = cut + 1 if cut > limit // 2 else limit
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:cut])
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
    """Paced, durable delivery through one gateway (one bot account)."""

    def __init__(self, db: Database, gateway: Gateway, clock: Clock, cfg: OutboxConfig,
                 rng: random.Random | None = None) -> None:
        self.db = db
        self.gateway = gateway
        self.clock = clock
        self.cfg = cfg
        self.rng = rng or random.Random()
        self._next_slot: datetime | None = None
        self.slowdown = 1  # pacing multiplier after 操作过于频繁; back to 1 after calm periods
        self._strikes = 0  # refusals since the last full-speed period: picks the pause
        self._last_throttle: datetime | None = None
        self._paused_until: datetime | None = None
        self.sent_listeners: list = []  # callables(OutboxItem) told after each confirmed send
        self._load_throttle()

    # -- enqueue -------------------------------------------------------------------------------------------------
    def enqueue(self, *, text: str = "", room_id: str | None = None, contact_id: str | None = None,
                mentions: Sequence[str] = (), file_path: str | None = None, priority: int = PRIORITY_REPLY,
                not_before: datetime | None = None, dedupe_key: str | None = None,
                session: Session | None = None) -> list[int]:
        """Persist a message (split as needed) for paced delivery; returns the outbox ids."""
        if not (room_id or contact_id):
            raise ValueError("a message needs a room or a contact")
        now = self.clock.now()
        limit = self.cfg.max_chars - 10  # room for the (i/n) marker
        parts = split_text(text, limit) if text else ([] if file_path and not mentions else [""])
        mention_groups = [list(mentions[i:i + self.cfg.max_mentions])
                          for i in range(0, len(mentions), self.cfg.max_mentions)] or [[]]
        rows: list[OutboxItem] = []
        # Mentions ride on the first text part; further mention groups repeat the last part's text.
        for i, part in enumerate(parts):
            rows.append(OutboxItem(room_id=room_id, contact_id=contact_id, text=part,
                                   mentions=mention_groups[0] if i == 0 else [], priority=priority,
                                   not_before=not_before or now, created_at=now))
        for group in mention_groups[1:] if parts else []:
            rows.append(OutboxItem(room_id=room_id, contact_id=contact_id, text=parts[-1] if len(parts) == 1 else "",
                                   mentions=group, priority=priority, not_before=not_before or now, created_at=now))
        if file_path:
            rows.append(OutboxItem(room_id=room_id, contact_id=contact_id, file_path=file_path, priority=priority,
                                   not_before=not_before or now, created_at=now))
        if dedupe_key:
            for i, row in enumerate(rows):
                row.dedupe_key = dedupe_key if i == 0 else f"{dedupe_key}#{i}"

        def _write(s: Session) -> list[int]:
            if dedupe_key and s.exec(select(OutboxItem.id).where(OutboxItem.dedupe_key == dedupe_key)).first():
                return []
            for r in rows:
                s.add(r)
            s.flush()
            return [r.id for r in rows if r.id is not None]

        if session is not None:
            return _write(session)
        with self.db.tx() as s:
            return _write(s)

    # -- state ---------------------------------------------------------------------------------------------------
    def recover(self) -> None:
        """When the bot starts: a message caught mid-send by a crash was never confirmed, so make it pending again.
        Only the sending process may do this; a command-line tool on the same database must not."""
        with self.db.tx() as s:
            for item in s.exec(select(OutboxItem).where(OutboxItem.status == "sending")):
                item.status = "pending"
                s.add(item)

    def _load_throttle(self) -> None:
        """A throttle in force before a restart stays in force."""
        with self.db.tx() as s:
            row = s.get(Meta, THROTTLE_KEY)
        if row is not None:
            state = json.loads(row.value)
            self.slowdown, self._strikes = state["slowdown"], state["strikes"]
            self._last_throttle = datetime.fromisoformat(state["last"]) if state.get("last") else None
            if state.get("paused_until"):
                self._next_slot = self._paused_until = datetime.fromisoformat(state["paused_until"])

    def _save_throttle(self) -> None:
        state = {"slowdown": self.slowdown, "strikes": self._strikes,
                 "last": self._last_throttle.isoformat() if self._last_throttle else None,
                 "paused_until": self._paused_until.isoformat() if self._paused_until else None}
        with self.db.tx() as s:
            row = s.get(Meta, THROTTLE_KEY) or Meta(key=THROTTLE_KEY, value="{}")
            row.value = json.dumps(state)
            s.add(row)

    def throttle_note(self, now: datetime) -> str | None:
        """For `status`: why sending is slow right now, if it is."""
        if self._paused_until and self._paused_until > now:
            return f"paused after 操作过于频繁 until {self._paused_until:%Y-%m-%d %H:%M:%S %Z}"
        if self.slowdown > 1:
            return f"sending at 1/{self.slowdown} speed after 操作过于频繁"
        return None

    def pending_count(self) -> int:
        with self.db.tx() as s:
            return s.exec(select(func.count()).select_from(OutboxItem)
                          .where(col(OutboxItem.status).in_(("pending", "sending")))).one()

    def _head(self, s: Session) -> OutboxItem | None:
        return s.exec(select(OutboxItem).where(OutboxItem.status == "pending")
                      .order_by(OutboxItem.not_before, OutboxItem.priority, OutboxItem.id).limit(1)).first()

    def _first_ready(self, s: Session, now: datetime) -> OutboxItem | None:
        # Messages that failed before go after the healthy ones: one unreachable contact must not starve a queue.
        return s.exec(select(OutboxItem).where(OutboxItem.status == "pending", OutboxItem.not_before <= now)
                      .order_by(OutboxItem.attempts > 0, OutboxItem.priority, OutboxItem.not_before, OutboxItem.id)
                      .limit(1)).first()

    def next_wake(self) -> datetime | None:
        """When the next send may happen, or None when nothing is pending."""
        if not self.gateway.connected:
            return None
        with self.db.tx() as s:
            head = self._head(s)
        if head is None:
            return None
        if self._next_slot and self._next_slot > head.not_before:
            return self._next_slot
        return head.not_before

    # -- sending -------------------------------------------------------------------------------------------------
    async def drain(self, now: datetime) -> int:
        """Send what pacing allows at `now` (at most one message); return how many were sent."""
        if not self.gateway.connected or (self._next_slot and now < self._next_slot):
            return 0
        with self.db.tx() as s:
            item = self._first_ready(s, now)
            if item is None:
                return 0
            item.status = "sending"
            item.attempts += 1
            s.add(item)
        out = Outgoing(text=item.text, room_id=item.room_id, contact_id=item.contact_id,
                       mentions=tuple(item.mentions or ()), file_path=item.file_path)
        gap = (self.cfg.min_interval + self.cfg.jitter * self.rng.random()) * self.slowdown
        try:
            platform_id = await self.gateway.send(out)
        except GatewayThrottled as exc:
            self._throttled(item, now, str(exc))
            return 0
        except GatewayError as exc:
            self._retry(item, now, str(exc))
            self._next_slot = now + gap
            return 0
        except Exception as exc:  # a bug in a gateway must not lose the message either
            log.exception("gateway crashed while sending outbox item %s", item.id)
            self._retry(item, now, f"{type(exc).__name__}: {exc}")
            self._next_slot = now + gap
            return 0
        with self.db.tx() as s:
            item.status = "sent"
            item.sent_at = now
            item.platform_id = platform_id
            item.last_error = None
            s.add(item)
        self._next_slot = now + gap
        self._calm_down(now)
        for listener in self.sent_listeners:
            listener(item)
        return 1

    def _throttled(self, item: OutboxItem, now: datetime, error: str) -> None:
        """WeChat refused as too frequent: pause everything, then send slower."""
        pauses = self.cfg.throttle_pause or [timedelta(minutes=10)]
        pause = pauses[min(self._strikes, len(pauses) - 1)]
        self._strikes += 1
        self.slowdown = min(self.slowdown * 2, MAX_SLOWDOWN)
        self._last_throttle = now
        self._next_slot = self._paused_until = now + pause
        with self.db.tx() as s:  # not the message's fault: it keeps its place and its attempts
            item.status = "pending"
            item.attempts -= 1
            item.last_error = error[:500]
            s.add(item)
        self._save_throttle()
        log.warning("WeChat refused a send as too frequent: pausing %s, then sending at 1/%s speed",
                    pause, self.slowdown)

    def _calm_down(self, now: datetime) -> None:
        """After each calm period without a refusal, double the speed again."""
        if self.slowdown == 1 or self._last_throttle is None or now - self._last_throttle < self.cfg.throttle_calm:
            return
        self.slowdown //= 2
        self._last_throttle = now
        if self.slowdown == 1:
            self._strikes = 0
        self._save_throttle()
        log.info("no refusal for %s: sending at 1/%s speed", self.cfg.throttle_calm, self.slowdown)

    def _retry(self, item: OutboxItem, now: datetime, error: str) -> None:
        backoff = self.cfg.retry_backoff or [timedelta(seconds=30)]
        delay = backoff[min(item.attempts - 1, len(backoff) - 1)]
        with self.db.tx() as s:
            item.last_error = error[:500]
            if now - item.created_at > self.cfg.give_up_after:
                item.status = "failed"
                log.error("giving up on outbox item %s after %s attempts: %s", item.id, item.attempts, error)
            else:
                item.status = "pending"
                item.not_before = now + delay
                log.warning("send failed (attempt %s), retrying in %s: %s", item.attempts, delay, error)
            s.add(item)
