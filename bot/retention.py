"""How long the bot keeps its working records: processed messages, sent messages, the delivery log and the audit
log are deleted after `retention.days` (180 by default). Pending messages are never deleted."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, delete

from bot.audit import Audit
from bot.clock import Clock
from bot.config import RetentionConfig
from bot.db import Database
from bot.inbox import Inbox
from bot.models import Delivery
from bot.outbox import Outbox

log = logging.getLogger("banzhu.retention")


@dataclass(frozen=True)
class Pruned:
    inbound: int
    outbox: int
    deliveries: int
    audit: int


class Retention:
    def __init__(self, db: Database, clock: Clock, cfg: RetentionConfig, inbox: Inbox, outbox: Outbox,
                 audit: Audit) -> None:
        self.db = db
        self.clock = clock
        self.cfg = cfg
        self.inbox = inbox
        self.outbox = outbox
        self.audit = audit
        self._last: datetime | None = None

    def next_due(self, now: datetime) -> datetime | None:
        """Once a day (and at start)."""
        if self.cfg.days is None:
            return None
        return now if self._last is None else self._last + self.cfg.every

    def prune(self, now: datetime) -> Pruned:
        """Delete what is older than the retention period."""
        self._last = now
        if self.cfg.days is None:
            return Pruned(0, 0, 0, 0)
        before = now - self.cfg.days
        with self.db.tx() as s:
            deliveries = int(s.exec(delete(Delivery).where(col(Delivery.claimed_at) < before)).rowcount or 0)
        pruned = Pruned(self.inbox.prune(before), self.outbox.prune(before), deliveries, self.audit.prune(before))
        if any(vars(pruned).values()):
            log.info("retention: deleted %s", pruned)
        return pruned
