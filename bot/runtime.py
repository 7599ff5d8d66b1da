"""Running the bot in real time. APScheduler is only the alarm clock: it wakes the engine at the next due time;
the engine (App.run_due) and the database's delivery log decide what is sent.

Missed runs are never silently skipped: on every wake, and on start, the engine looks at what came due since, so
work that fell due while the process was down is caught up (or skipped and logged when too late).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App

log = logging.getLogger("banzhu.runtime")

HEARTBEAT = timedelta(seconds=30)  # a safety net: wake at least this often
DRAIN_GRACE = timedelta(seconds=20)


class Runner:
    def __init__(self, app: App) -> None:
        self.app = app
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.scheduler = AsyncIOScheduler(timezone=app.config.tz)
        self.started_at: datetime | None = None
        self._drain_until: datetime | None = None

    def kick(self) -> None:
        """Something changed (a message arrived, a send was queued): re-evaluate now."""
        self._wake.set()

    async def _alarm(self) -> None:
        self._wake.set()

    def _set_alarm(self) -> None:
        when = self.app.next_wake()
        if when is None:
            return
        self.scheduler.add_job(self._alarm, "date", run_date=max(when, self.app.clock.now()), id="wake",
                               replace_existing=True, misfire_grace_time=None, coalesce=True)

    async def run(self) -> None:
        self.app.on_activity = self.kick
        self.scheduler.add_job(self._alarm, "interval", seconds=HEARTBEAT.total_seconds(), id="heartbeat",
                               replace_existing=True, coalesce=True, misfire_grace_time=None)
        self.scheduler.start()
        self.started_at = self.app.clock.now()
        # Load the handbook index (jieba, the embedding model) now, not on the first student's question.
        try:
            await asyncio.to_thread(lambda: self.app.answers.retriever)
        except Exception:
            log.exception("the handbook could not be indexed; questions will be declined until it is fixed")
        await self.app.start()
        self.kick()
        try:
            while not self._stopping.is_set() or self._draining():
                await self._wake.wait()
                self._wake.clear()
                now = self.app.clock.now()
                await self.app.run_due(now)
                self._set_alarm()  # a time already past fires at once
        finally:
            self.scheduler.shutdown(wait=False)
            await self.app.stop()

    def _draining(self) -> bool:
        """After stop(drain=True), keep sending until the outbox is empty or the grace time is over."""
        if self._drain_until is None or self.app.clock.now() > self._drain_until:
            return False
        return self.app.outbox.pending_count() > 0

    def stop(self, drain: bool = False) -> None:
        """Stop; with drain, first send what is queued (bounded). Unsent messages stay queued in any case."""
        if drain:
            self._drain_until = self.app.clock.now() + DRAIN_GRACE
        self._stopping.set()
        self._wake.set()
