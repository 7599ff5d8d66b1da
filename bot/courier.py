"""Sending what the outbox holds, paced, through one account's gateway.

Sent no faster than `min_interval` plus random jitter (WeChat restricts accounts that send fast), retried with
backoff while the gateway fails, and marked sent once the gateway confirms it, so it is never sent again. When
WeChat refuses a send as 操作过于频繁, the whole queue pauses and then runs slower until a calm period has passed
(kept across restarts, per account).
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.accounts import Accounts
from bot.clock import Clock
from bot.config import OutboxConfig
from bot.db import Database
from bot.gateways.base import Gateway, GatewayError, GatewayRefused, GatewayThrottled, Outgoing
from bot.kernel.enums import SendStatus
from bot.models import OutboxItem, SenderState
from bot.outbox import Outbox
from bot.texts import common as texts

log = logging.getLogger("banzhu.courier")

MAX_SLOWDOWN = 8


def throttle_note(db: Database, now: datetime, account: str = "") -> str | None:
    """For `status`: why an account sends slowly right now, if it does (as the running bot recorded it)."""
    with db.read() as s:
        row = s.get(SenderState, account)
    if row is None:
        return None
    if row.paused_until and row.paused_until > now:
        return f"paused after 操作过于频繁 until {row.paused_until:%Y-%m-%d %H:%M:%S %Z}"
    if row.slowdown > 1:
        return f"sending at 1/{row.slowdown} speed after 操作过于频繁"
    return None


class Courier:
    """Paced, durable delivery through one gateway (one bot account)."""

    def __init__(self, db: Database, gateway: Gateway, clock: Clock, cfg: OutboxConfig, outbox: Outbox,
                 accounts: Accounts, *, account: str = "", rng: random.Random | None = None) -> None:
        self.db = db
        self.outbox = outbox
        self.accounts = accounts
        self.gateway = gateway
        self.clock = clock
        self.cfg = cfg
        self.account = account
        self.rng = rng or random.Random()
        self._next_slot: datetime | None = None
        self.slowdown = 1  # pacing multiplier after 操作过于频繁; back to 1 after calm periods
        self._strikes = 0  # refusals since the last full-speed period: picks the pause
        self._last_throttle: datetime | None = None
        self._paused_until: datetime | None = None
        self.sent_listeners: list = []  # callables(OutboxItem) told after each confirmed send
        self.failing_since: datetime | None = None  # sends have failed without a success since then
        self.last_error = ""
        self._load_throttle()

    # -- state ---------------------------------------------------------------------------------------------------
    def recover(self) -> int:
        """When the bot starts: a message caught mid-send by a crash may or may not have reached WeChat. It is
        held as uncertain until `settle_uncertain` can ask the gateway, and never sent again silently. Only the
        sending process may do this; a command-line tool on the same database must not."""
        with self.db.tx() as s:
            rows = list(s.exec(select(OutboxItem).where(OutboxItem.status == SendStatus.SENDING,
                                                        OutboxItem.account == self.account)))
            for item in rows:
                item.status = SendStatus.UNCERTAIN
                s.add(item)
        if rows:
            log.warning("%s message(s) were being sent when the bot stopped: checking them", len(rows))
        return len(rows)

    async def settle_uncertain(self) -> int:
        """Ask the gateway about each uncertain message: delivered → sent; not delivered → pending; cannot tell
        → sent again, marked as a possible repeat (and counted; the admins are told). Returns how many marked."""
        rows = await asyncio.to_thread(self._uncertain)
        marked = 0
        for item in rows:
            out = Outgoing(text=item.text, room_id=item.room_id, contact_id=item.contact_id,
                           mentions=tuple(item.mentions or ()), file_path=item.file_path)
            try:
                verdict = await self.gateway.verify(out, item.created_at)
            except Exception:
                log.exception("could not verify outbox item %s", item.id)
                verdict = None
            await asyncio.to_thread(self._settle, item, verdict)
            marked += verdict is None
        return marked

    def _uncertain(self) -> list[OutboxItem]:
        with self.db.tx() as s:
            return list(s.exec(select(OutboxItem).where(OutboxItem.status == SendStatus.UNCERTAIN,
                                                        OutboxItem.account == self.account)
                               .order_by(col(OutboxItem.id))))

    def _settle(self, item: OutboxItem, verdict: bool | None) -> None:
        with self.db.tx() as s:
            if verdict:
                item.status, item.sent_at, item.last_error = SendStatus.SENT, self.clock.now(), "verified after a crash"
            else:
                item.status = SendStatus.PENDING
                if verdict is None:
                    item.repeat_marked = True
                    if item.text:
                        item.text = f"{item.text}\n{texts.POSSIBLE_REPEAT}"
                    log.warning("outbox item %s is sent again marked as a possible repeat", item.id)
            s.add(item)

    def _load_throttle(self) -> None:
        """A throttle in force before a restart stays in force."""
        with self.db.read() as s:
            row = s.get(SenderState, self.account)
        if row is not None:
            self.slowdown, self._strikes = row.slowdown, row.strikes
            self._last_throttle = row.last_throttle
            if row.paused_until:
                self._next_slot = self._paused_until = row.paused_until

    def _save_throttle(self) -> None:
        with self.db.tx() as s:
            row = s.get(SenderState, self.account) or SenderState(account=self.account)
            row.slowdown, row.strikes = self.slowdown, self._strikes
            row.last_throttle, row.paused_until = self._last_throttle, self._paused_until
            s.add(row)

    def throttle_note(self, now: datetime) -> str | None:
        """For `status`: why sending is slow right now, if it is."""
        if self._paused_until and self._paused_until > now:
            return f"paused after 操作过于频繁 until {self._paused_until:%Y-%m-%d %H:%M:%S %Z}"
        if self.slowdown > 1:
            return f"sending at 1/{self.slowdown} speed after 操作过于频繁"
        return None

    def _pending(self):  # the rows this courier sends
        return select(OutboxItem).where(OutboxItem.status == SendStatus.PENDING, OutboxItem.account == self.account)

    def _head(self, s: Session) -> OutboxItem | None:
        return s.exec(self._pending().order_by(col(OutboxItem.not_before), col(OutboxItem.priority), col(OutboxItem.id))
                      .limit(1)).first()

    def _first_ready(self, s: Session, now: datetime) -> OutboxItem | None:
        # Messages that failed before go after the healthy ones: one unreachable contact must not starve a queue.
        # On PostgreSQL the row is locked, and rows another process holds are skipped, not waited for.
        return s.exec(self._pending().where(col(OutboxItem.not_before) <= now)
                      .order_by(col(OutboxItem.attempts) > 0, col(OutboxItem.priority), col(OutboxItem.not_before),
                                col(OutboxItem.id))
                      .limit(1).with_for_update(skip_locked=True)).first()

    def next_wake(self) -> datetime | None:
        """When the next send may happen, or None when nothing is pending."""
        if not self.gateway.connected:
            return None
        with self.db.read() as s:
            head = self._head(s)
        if head is None:
            return None
        if self._next_slot and self._next_slot > head.not_before:
            return self._next_slot
        return head.not_before

    # -- sending -------------------------------------------------------------------------------------------------
    def claim_next(self, now: datetime) -> OutboxItem | None:
        """The next message pacing allows at `now`, marked sending (recorded before any attempt)."""
        if not self.gateway.connected or (self._next_slot and now < self._next_slot):
            return None
        with self.db.tx() as s:
            item = self._first_ready(s, now)
            if item is None:
                return None
            item.status = SendStatus.SENDING
            item.attempts += 1
            s.add(item)
        return item

    async def drain(self, now: datetime) -> int:
        """Send what pacing allows at `now` (at most one message); return how many were sent."""
        item = self.claim_next(now)
        if item is None:
            return 0
        return await self.deliver(item, now)

    async def deliver(self, item: OutboxItem, now: datetime) -> int:
        out = Outgoing(text=item.text, room_id=item.room_id, contact_id=item.contact_id,
                       mentions=tuple(item.mentions or ()), file_path=item.file_path)
        gap = (self.cfg.min_interval + self.cfg.jitter * self.rng.random()) * self.slowdown
        if item.contact_id and not item.action:
            refusal = await asyncio.to_thread(self.accounts.refusal, item.contact_id, item.account)
            if refusal:  # known not to arrive (not a friend …): straight to the fallback, nothing tried
                await asyncio.to_thread(self.outbox.undeliverable, item, refusal)
                return 0
        try:
            if item.action == "accept-friend":
                await self.gateway.accept_friend(item.ref or "")
                platform_id: str | None = None
            else:
                platform_id = await self.gateway.send(out)
        except GatewayThrottled as exc:
            await asyncio.to_thread(self._throttled, item, now, str(exc))
            return 0
        except GatewayRefused as exc:
            await asyncio.to_thread(self.outbox.undeliverable, item, str(exc))
            self._next_slot = now + gap
            return 0
        except GatewayError as exc:
            await asyncio.to_thread(self._retry, item, now, str(exc))
            self._next_slot = now + gap
            return 0
        except Exception as exc:  # a bug in a gateway must not lose the message either
            log.exception("gateway crashed while sending outbox item %s", item.id)
            await asyncio.to_thread(self._retry, item, now, f"{type(exc).__name__}: {exc}")
            self._next_slot = now + gap
            return 0
        await asyncio.to_thread(self.confirm, item, now, platform_id)
        self._next_slot = now + gap
        await asyncio.to_thread(self._calm_down, now)
        return 1

    def confirm(self, item: OutboxItem, now: datetime, platform_id: str | None) -> None:
        """WeChat took it: never send it again."""
        self.failing_since = None
        with self.db.tx() as s:
            item.status = SendStatus.SENT
            item.sent_at = now
            item.platform_id = platform_id
            item.last_error = None
            s.add(item)
        for listener in self.sent_listeners:
            listener(item)

    def _throttled(self, item: OutboxItem, now: datetime, error: str) -> None:
        """WeChat refused as too frequent: pause everything, then send slower."""
        pauses = self.cfg.throttle_pause or [timedelta(minutes=10)]
        pause = pauses[min(self._strikes, len(pauses) - 1)]
        self._strikes += 1
        self.slowdown = min(self.slowdown * 2, MAX_SLOWDOWN)
        self._last_throttle = now
        self._next_slot = self._paused_until = now + pause
        with self.db.tx() as s:  # not the message's fault: it keeps its place and its attempts
            item.status = SendStatus.PENDING
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
        self.failing_since = self.failing_since or now
        self.last_error = error
        backoff = self.cfg.retry_backoff or [timedelta(seconds=30)]
        delay = backoff[min(item.attempts - 1, len(backoff) - 1)]
        with self.db.tx() as s:
            item.last_error = error[:500]
            if now - item.created_at > self.cfg.give_up_after:
                item.status = SendStatus.FAILED
                log.error("giving up on outbox item %s after %s attempts: %s", item.id, item.attempts, error)
            else:
                item.status = SendStatus.PENDING
                item.not_before = now + delay
                log.warning("send failed (attempt %s), retrying in %s: %s", item.attempts, delay, error)
            s.add(item)
