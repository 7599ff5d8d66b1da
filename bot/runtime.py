"""Running the bot in real time. APScheduler is only the alarm clock: it wakes the engine at the next due time;
the engine (App.run_due) and the database's delivery log decide what is sent.

Missed runs are never silently skipped: on every wake, and on start, the engine looks at what came due since, so
work that fell due while the process was down is caught up (or skipped and logged when too late). The clock is
injected: production uses the real one; the runtime test drives a virtual clock and APScheduler's own clock
together, with no real sleeps.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.locks import ProcessLock

log = logging.getLogger("banzhu.runtime")

HEARTBEAT = timedelta(seconds=30)  # a safety net: wake at least this often, and tell `status` we are alive
DRAIN_GRACE = timedelta(seconds=20)


class Runner:
    def __init__(self, app: App, jobs_lock: ProcessLock | None = None) -> None:
        """`jobs_lock`: when several processes share the database, the timed jobs run in the one that holds it
        (another takes over within a heartbeat when it dies). None: this process runs them."""
        self.app = app
        self.jobs_lock = jobs_lock
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.scheduler = AsyncIOScheduler(timezone=app.config.tz)
        self.started_at: datetime | None = None
        self._drain_until: datetime | None = None
        self.armed_for: datetime | None = None  # when the alarm is set to go off next
        self.idle = asyncio.Event()  # set while the engine waits for the next wake (tests wait on it)

    def kick(self) -> None:
        """Something changed (a message arrived, a send was queued): re-evaluate now. Safe from any thread."""
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    async def _alarm(self) -> None:
        self._wake.set()

    async def _heartbeat(self) -> None:
        self._wake.set()
        try:
            await asyncio.to_thread(self._lead)
            await asyncio.to_thread(self.app.services.health.beat)
            await self.app.check_health()
        except Exception:
            log.exception("heartbeat failed")

    def _lead(self) -> None:
        """Take over the timed jobs when their lock is free; give them up if its connection died."""
        if self.jobs_lock is None:
            return
        was = self.app.leader
        self.app.leader = self.jobs_lock.alive() or self.jobs_lock.try_acquire()
        if self.app.leader != was:
            log.warning("this process %s the timed jobs", "now runs" if self.app.leader else "no longer runs")

    async def _set_alarm(self) -> None:
        when = await self.app.next_wake()
        if when is None:
            self.armed_for = None
            return
        self.armed_for = max(when, self.app.clock.now())
        self.scheduler.add_job(self._alarm, "date", run_date=self.armed_for, id="wake", replace_existing=True,
                               misfire_grace_time=None, coalesce=True)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.app.on_activity = self.kick
        self.scheduler.add_job(self._heartbeat, "interval", seconds=HEARTBEAT.total_seconds(), id="heartbeat",
                               replace_existing=True, coalesce=True, misfire_grace_time=None)
        self.scheduler.start()
        self.started_at = self.app.clock.now()
        # Load the handbook index (jieba, the embedding model) now, not on the first student's question.
        try:
            await asyncio.to_thread(lambda: self.app.services.handbook.retriever)
        except Exception:
            log.exception("the handbook could not be indexed; questions will be declined until it is fixed")
        if self.jobs_lock is not None:
            self.app.leader = False
            await asyncio.to_thread(self._lead)
        await self.app.start()
        await asyncio.to_thread(self.app.services.health.beat)
        self.kick()
        try:
            while not self._stopping.is_set() or self._draining():
                self.idle.set()
                await self._wake.wait()
                self.idle.clear()
                self._wake.clear()
                await self.app.process()
                await self.app.run_due(self.app.clock.now())
                await self._set_alarm()  # a time already past fires at once
        finally:
            self.scheduler.shutdown(wait=False)
            await self.app.stop()
            if self.jobs_lock is not None:
                self.jobs_lock.release()

    def _draining(self) -> bool:
        """After stop(drain=True), keep sending until the outbox is empty or the grace time is over."""
        if self._drain_until is None or self.app.clock.now() > self._drain_until:
            return False
        return self.app.services.outbox.pending_count() > 0

    def stop(self, drain: bool = False) -> None:
        """Stop; with drain, first send what is queued (bounded). Unsent messages stay queued in any case."""
        if drain:
            self._drain_until = self.app.clock.now() + DRAIN_GRACE
        self._stopping.set()
        self.kick()
