"""One bot: its services, its gateway (one account) and courier, the dispatcher and the timed jobs.

Threads: the event loop only talks to the gateway and waits. Database work runs in worker threads: incoming
messages are journaled on arrival and processed in order by one worker (one transaction per batch, a savepoint
per message, so a message and everything it causes commit together); each timed job runs in a worker of its own,
so a large digest never delays the next message.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.clock import Clock
from bot.config import ClassGroup, Config
from bot.courier import Courier
from bot.db import Database
from bot.gateways.base import FriendRequest, Gateway, GatewayEvents, Incoming, Member, RoomInfo
from bot.handbook.service import IndexCache
from bot.jobs import Job
from bot.kernel.text import clean, strip_mention
from bot.models import OutboxItem
from bot.router import Context, Dispatcher, Router
from bot.services import Services, build_services
from bot.texts import common as texts
from bot.texts import people as people_texts

log = logging.getLogger("banzhu.app")
T = TypeVar("T")
R = TypeVar("R")

JOB_RETRY = timedelta(minutes=1)
MAX_INPUT_CHARS = 100_000  # longer messages are cut before anything else; commands declare their own limits


class Batches(Generic[T, R]):
    """Calls arriving together share one call of `work` in a worker thread, in the order they came; each caller
    gets its own item's result (or the batch's error)."""

    def __init__(self, work: Callable[[list[T]], list[R]]) -> None:
        self.work = work
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, fut))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        return await fut

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await asyncio.to_thread(self.work, [item for item, _ in batch])
            except Exception as exc:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for (_, fut), result in zip(batch, results, strict=True):
                if not fut.done():
                    fut.set_result(result)


@dataclass
class App:
    services: Services
    gateway: Gateway
    courier: Courier
    dispatcher: Dispatcher
    jobs: list[Job]
    on_activity: Callable[[], None] = lambda: None
    leader: bool = True  # this process runs the timed jobs (one process of a city at a time)
    _failed_until: dict[str, datetime] = field(default_factory=dict)
    _wanted: int = 0  # process() calls so far
    _completed: int = 0  # the calls a finished pass over the journal has answered
    _pass: asyncio.Task[None] | None = None
    _passed: asyncio.Condition | None = None
    _journal: Batches[Incoming, bool] | None = None  # messages read, journaled together (see receive)
    _arrivals: Batches[str, None] | None = None  # message ids announced, journaled together (see arrival)
    # Whether anything was journaled since the last pass over the journal found it empty (only this process
    # journals its account's messages, so an idle wake can skip the pass: no thread hop, no query).
    _journaled: bool = True

    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def db(self) -> Database:
        return self.services.db

    # -- incoming ------------------------------------------------------------------------------------------------
    async def receive(self, msg: Incoming) -> bool:  # the gateway ignores the result
        """Journal a message (grouped with others arriving at the same moment), then process the journal.
        False when it was a redelivery."""
        if self._journal is None:
            self._journal = Batches(self._record)
        fresh = await self._journal.submit(msg)
        await self.process()
        return fresh

    async def arrival(self, message_id: str) -> None:
        """Journal a message's id the moment it is announced (before it is read). The journal's order is the order
        of processing, so announcements are written one batch at a time, in the order they came (separate threads
        would race: a /统计 could be journaled before the 收到 sent just before it)."""
        if self._arrivals is None:
            self._arrivals = Batches(self._announce)
        await self._arrivals.submit(message_id)

    def _announce(self, message_ids: list[str]) -> list[None]:
        self.services.inbox.arrived(message_ids)
        return [None] * len(message_ids)

    def _record(self, messages: list[Incoming]) -> list[bool]:
        fresh = self.services.inbox.record(messages)
        self._journaled = True  # a worker thread sets it; the loop reads it in process() after this batch
        return fresh

    async def ignored(self, message_id: str) -> None:
        await asyncio.to_thread(self.services.inbox.ignored, message_id)

    async def recover_arrivals(self) -> None:
        """Messages announced before a crash but never read: read them now, or say they are gone."""
        for message_id in await asyncio.to_thread(self.services.inbox.arrivals):
            try:
                msg = await self.gateway.fetch(message_id)
            except Exception as exc:
                log.warning("message %s, announced before a restart, cannot be read: %s", message_id, exc)
                await asyncio.to_thread(self.services.inbox.unreadable, message_id)
                continue
            if msg is None:  # the bot's own, or nothing for the core
                await asyncio.to_thread(self.services.inbox.ignored, message_id)
            else:
                log.info("message %s, announced before a restart, read now", message_id)
                await self.receive(msg)

    async def process(self) -> None:
        """Return once everything journaled before this call is processed. Calls arriving together (a burst of
        收到) share one pass over the journal instead of queueing one each."""
        if self._passed is None:
            self._passed = asyncio.Condition()
        if not self._journaled and (self._pass is None or self._pass.done()):
            return  # nothing new since the journal was last found empty
        self._wanted += 1
        mine = self._wanted
        if self._pass is None or self._pass.done():
            self._pass = asyncio.create_task(self._run_passes())
        async with self._passed:
            await self._passed.wait_for(lambda: self._completed >= mine or (self._pass is not None
                                                                             and self._pass.done()))
        if self._pass is not None and self._pass.done() and self._pass.exception():
            raise self._pass.exception()  # type: ignore[misc]

    async def _run_passes(self) -> None:
        assert self._passed is not None
        try:
            while self._completed < self._wanted:
                target = self._wanted
                done = 0
                self._journaled = False  # what is journaled from here on is seen by this pass or the next
                while n := await asyncio.to_thread(self._process_batch):
                    done += n
                self._completed = target
                async with self._passed:
                    self._passed.notify_all()
                if done:
                    self.on_activity()
        finally:
            async with self._passed:
                self._passed.notify_all()

    def _process_batch(self) -> int:
        """One transaction for a batch of journaled messages; a failing message rolls back alone."""
        services = self.services
        batch = services.inbox.pending()
        if not batch:
            return 0
        done: list[int] = []
        with services.db.tx():
            for row_id, msg in batch:
                services.health.received(msg.time)
                try:
                    with services.db.savepoint():
                        self._handle(msg)
                    done.append(row_id)
                except Exception:
                    log.exception("message %s could not be processed", msg.message_id)
                    services.invalidate_caches()
                    services.inbox.done([row_id], failed=True)
            services.inbox.done(done)
        return len(batch)

    def _handle(self, msg: Incoming) -> None:
        """Process one message: who sent it where, then the dispatcher."""
        services = self.services
        people = services.people
        if msg.sender.contact_id in people.bot_ids or msg.sender.contact_id == self.gateway.self_id:
            return  # our own sends echoed back
        group = None
        if msg.room is not None:
            group = people.group_for_room(msg.room)
            if group is None or not services.accounts.serves(group.name):
                return  # a room we were not configured for, or another account's: stay silent
        else:
            services.accounts.saw_private(msg.sender.contact_id, msg.time)
        people.seen(msg.room.room_id if msg.room else None, msg.sender)
        person = people.person(msg.sender.contact_id, msg.sender.shown)
        text = clean(msg.text[:MAX_INPUT_CHARS])
        text, at_bot = strip_mention(text, [services.config.gateway.bot_name])
        at_bot = at_bot or bool(self.gateway.self_id and self.gateway.self_id in msg.mentions)
        self.dispatcher.dispatch(Context(services, msg, person, group, text=text, at_bot=at_bot))

    # -- rooms and connection ------------------------------------------------------------------------------------
    async def room_changed(self, room: RoomInfo) -> None:
        """Joins, leaves and renames from the gateway."""
        await asyncio.to_thread(self._room_changed, room)
        self.on_activity()

    def _room_changed(self, room: RoomInfo) -> None:
        services = self.services
        group = services.people.group_for_room(room) if room.members else None
        if group is None:
            return
        sync = services.people.sync_room(room)
        relinked: set[str] = set()
        if sync.left or sync.new:  # a re-login may have changed contact ids: follow the people first
            relinked = {new for _old, new in services.identity.relink_changed_ids()}
        newcomers = [m for m in sync.new if m.contact_id not in relinked]
        if isinstance(group, ClassGroup) and newcomers and not sync.first:
            services.welcome.joined(room.room_id, group, newcomers)

    async def connection_changed(self, up: bool) -> None:
        log.info("gateway %s", "connected" if up else "disconnected")
        if self.gateway.self_id:
            self.services.people.bot_ids.add(self.gateway.self_id)
        await asyncio.to_thread(self.services.health.connection, up, self.gateway.self_id)
        if up:
            await self.recover_arrivals()
            marked = await self.courier.settle_uncertain()
            if marked:
                await asyncio.to_thread(self._tell_admins_of_repeats, marked)
            await self.sync_rooms()
        self.on_activity()

    async def sync_rooms(self) -> None:
        try:
            rooms = await self.gateway.rooms()
        except Exception:
            log.exception("could not list rooms")
            return
        for room in rooms:
            await self.room_changed(room)
        await asyncio.to_thread(self._report_rooms)

    def _tell_admins_of_repeats(self, marked: int) -> None:
        for admin in self.services.people.admins():
            self.services.outbox.enqueue(text=texts.REPEATS_TO_ADMINS.format(n=marked), contact_id=admin.contact_id)

    def _report_rooms(self) -> None:
        """Tell the admins privately which configured groups were not found, or found twice (same topic)."""
        people, config = self.services.people, self.services.config
        bound = people.bound_rooms()
        missing = [f"{g.name}（{g.topic}）" for g in config.all_groups() if g.name not in bound]
        twice = sorted(people.ambiguous)
        if not (missing or twice):
            return
        text = people_texts.room_check(missing, twice)
        log.warning("room check: missing %s, ambiguous %s", missing, twice)
        day = self.clock.now().astimezone(config.tz).strftime("%Y%m%d")
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        for admin in people.admins():
            self.services.outbox.enqueue(text=text, contact_id=admin.contact_id,
                                         dedupe_key=f"room-check:{day}:{admin.contact_id}:{digest}")

    # -- friends and the account's own state --------------------------------------------------------------------
    async def friend_request(self, request: FriendRequest) -> None:
        await asyncio.to_thread(self.services.friends.requested, request)
        self.on_activity()

    async def friend_added(self, contact: Member) -> None:
        await asyncio.to_thread(self.services.friends.added, contact)
        self.on_activity()

    def _sent(self, item: OutboxItem) -> None:
        self.services.health.sent(self.clock.now())
        if item.action == "accept-friend" and item.contact_id:  # some puppets confirm with no event
            self.services.friends.added(Member(item.contact_id, self.services.people.name_of(item.contact_id)),
                                        item.account)

    async def check_health(self) -> None:
        """Each heartbeat: sends failing for `alerts.refused_for` → alert; a connection that claims to be up but
        moves nothing while messages wait for `alerts.watchdog_after` → alert and reconnect."""
        now = self.clock.now()
        cfg, services = self.config.alerts, self.services
        failing = self.courier.failing_since
        if failing and now - failing >= cfg.refused_for:
            await asyncio.to_thread(services.alerts.sends_failing, failing, self.courier.last_error)
        quiet = services.health.quiet_since()
        if not self.gateway.connected or quiet is None or now - quiet < cfg.watchdog_after:
            return
        waiting = await asyncio.to_thread(services.outbox.pending_count, self.courier.account)
        if not waiting:
            return
        log.warning("watchdog: connected but nothing in or out since %s with %s waiting: reconnecting", quiet, waiting)
        await asyncio.to_thread(services.alerts.watchdog, quiet, waiting)
        services.health.connected_at = now  # give the new connection its own grace period
        await self.gateway.reconnect()

    async def account_event(self, kind: str, detail: str) -> None:
        """The account needs a person (logged out, a QR code to scan): the admins hear it through a channel that
        does not depend on this account."""
        await asyncio.to_thread(self.services.alerts.account_needs_attention, kind, detail)

    def events(self) -> GatewayEvents:
        return GatewayEvents(on_message=self.receive, on_room_change=self.room_changed,
                             on_connection=self.connection_changed, on_friend_request=self.friend_request,
                             on_friend_added=self.friend_added, on_account=self.account_event,
                             on_arrival=self.arrival, on_ignored=self.ignored)

    # -- timed work ----------------------------------------------------------------------------------------------
    async def next_wake(self) -> datetime | None:
        """The earliest time anything (a paced send or a job) is due."""
        return await asyncio.to_thread(self._next_wake)

    def _next_wake(self) -> datetime | None:
        now = self.clock.now()
        jobs = self.jobs if self.leader else []
        times = [t for t in [self.courier.next_wake(), *(self._job_due(j, now) for j in jobs)] if t]
        return min(times) if times else None

    def _job_due(self, job: Job, now: datetime) -> datetime | None:
        due = job.next_due(self.services, now)
        held = self._failed_until.get(job.name)
        if due is not None and held is not None and due < held:
            return held  # a failing job waits before it is tried again, instead of spinning
        return due

    async def run_due(self, now: datetime) -> None:
        """Run everything due at `now`: jobs first (they enqueue; only on the leading process), then one paced
        send (every process sends its own account's queue)."""
        jobs = list(self.jobs) if self.leader else []
        # One trip to a worker thread asks every job (a dozen hops cost more than the questions themselves).
        due_now = await asyncio.to_thread(lambda: [j for j in jobs if (d := self._job_due(j, now)) and d <= now])
        for job in due_now:
            try:
                await asyncio.to_thread(job.tick, self.services, now)
                self._failed_until.pop(job.name, None)
            except Exception:
                log.exception("job %s failed; retrying in %s", job.name, JOB_RETRY)
                self._failed_until[job.name] = now + JOB_RETRY
        await self.drain(now)

    async def drain(self, now: datetime) -> int:
        item = await asyncio.to_thread(self.courier.claim_next, now)
        if item is None:
            return 0
        return await self.courier.deliver(item, now)

    # -- lifecycle -----------------------------------------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.to_thread(self._prepare)
        await self.gateway.start(self.events())
        await self.process()  # what the journal held when the last run stopped

    def _prepare(self) -> None:
        self.services.outbox.rehome()
        self.courier.recover()
        self.services.people.sync_config_staff()

    async def stop(self) -> None:
        await self.gateway.stop()
        await asyncio.to_thread(self.services.health.stopped)
        self.db.close()


def build_app(config: Config, gateway: Gateway, clock: Clock, *, db: Database | None = None,
              rng: random.Random | None = None, indexes: IndexCache | None = None,
              routers: list[Router] | None = None, account: str = "") -> App:
    """Wire one bot (one WeChat account): storage, services, the gateway's courier, handlers and timed jobs."""
    from handlers import ROUTERS
    from schedules import JOBS

    db = db or Database(config.effective_database_url())
    services = build_services(config, db, clock, indexes, account=account)
    courier = Courier(db, gateway, clock, config.outbox, services.outbox, services.accounts, account=account, rng=rng)
    app = App(services, gateway, courier, Dispatcher(routers or ROUTERS), list(JOBS))
    courier.sent_listeners.append(app._sent)
    services.outbox.listeners.append(lambda: app.on_activity())
    services.people.sync_config_staff()
    return app


__all__ = ["App", "Job", "build_app"]
