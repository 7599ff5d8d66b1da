"""Scheduled digests to coordinator groups: daily, weekly and monthly, each once (the delivery log decides).

A digest whose time passed while the bot was down is sent late if it is recent enough (digests.catch_up);
older ones are skipped and logged.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.digests.service import SCHEDULED, scheduled_times

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("banzhu.digests")


class DigestJob:
    name = "digests"

    @staticmethod
    def _pending(app: App, kind: str, now: datetime) -> datetime | None:
        prev, nxt = scheduled_times(app, kind, now)
        if prev is not None and now - prev <= app.config.digests.catch_up and not all(
                app.digests.delivered(k) for k, _ in app.digests.scheduled_keys(kind, prev)):
            return prev
        return nxt

    @staticmethod
    def next_due(app: App, now: datetime) -> datetime | None:
        if not app.config.groups.coordinators:
            return None
        times = [t for kind in SCHEDULED if (t := DigestJob._pending(app, kind, now))]
        return min(times) if times else None

    @staticmethod
    async def tick(app: App, now: datetime) -> None:
        for kind in SCHEDULED:
            due = DigestJob._pending(app, kind, now)
            if due is not None and due <= now:
                app.digests.run_scheduled(kind, due, now)
