"""build_app() wires storage, gateway, people, router, outbox and the timed jobs. No module-level state."""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.gateways.base import Gateway, GatewayEvents, Incoming, RoomInfo
from bot.models import AuditLog
from bot.outbox import Outbox
from bot.people import People, Person
from bot.router import MAX_INPUT_CHARS, Context, Dispatcher, normalise, strip_mention

if TYPE_CHECKING:
    from bot.calendar.service import Calendar
    from bot.digests.service import Digests
    from bot.handbook.service import Answers
    from bot.notices import Notices
    from bot.roster import Roster
    from bot.staff import Staff

log = logging.getLogger("banzhu.app")

JOB_RETRY = timedelta(minutes=1)


class Job(Protocol):
    """A kind of timed work. The engine asks when it is next due and runs it; APScheduler only wakes the engine."""

    name: str

    def next_due(self, app: App, now: datetime) -> datetime | None: ...

    async def tick(self, app: App, now: datetime) -> None: ...


@dataclass
class App:
    config: Config
    db: Database
    gateway: Gateway
    clock: Clock
    outbox: Outbox
    people: People
    notices: Notices = None  # type: ignore[assignment]  # set by build_app
    roster: Roster = None  # type: ignore[assignment]
    staff: Staff = None  # type: ignore[assignment]
    answers: Answers = None  # type: ignore[assignment]
    calendar: Calendar = None  # type: ignore[assignment]
    digests: Digests = None  # type: ignore[assignment]
    jobs: list[Job] = field(default_factory=list)
    dispatcher: Dispatcher | None = None
    on_activity: Callable[[], None] = lambda: None
    _failed_until: dict[str, datetime] = field(default_factory=dict)

    @property
    def tz(self):
        return self.config.tz

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.config.tz)

    # -- incoming ------------------------------------------------------------------------------------------------
    async def handle(self, msg: Incoming) -> None:
        """Process one incoming message from the gateway."""
        assert self.dispatcher is not None
        if msg.sender.contact_id == self.gateway.self_id:
            return  # our own sends echoed back
        if not self.dispatcher.first_time(msg):
            return
        group = None
        if msg.room is not None:
            group = self.people.group_for_room(msg.room)
            if group is None:
                return  # a room we were not configured for: stay silent
        self.people.seen(msg.room.room_id if msg.room else None, msg.sender)
        person = self.people.person(msg.sender.contact_id, msg.sender.shown)
        text = normalise(msg.text[:MAX_INPUT_CHARS])
        text, at_bot = strip_mention(text, [self.config.gateway.bot_name])
        at_bot = at_bot or self.gateway.self_id in msg.mentions
        ctx = Context(self, msg, person, group, text=text, at_bot=at_bot)
        try:
            await self.dispatcher.dispatch(ctx, text)
        finally:
            self.on_activity()

    async def room_changed(self, room: RoomInfo) -> None:
        """Joins, leaves and renames from the gateway."""
        if self.people.group_for_room(room) is not None and room.members:
            self.people.sync_room(room)

    async def connection_changed(self, up: bool) -> None:
        from bot.status import write_status

        log.info("gateway %s", "connected" if up else "disconnected")
        write_status(self, up)
        if up:
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
        self._report_rooms()

    def _report_rooms(self) -> None:
        """Tell the admins privately which configured groups were not found, or found twice (same topic)."""
        bound = self.people.bound_rooms()
        groups = [*self.config.groups.classes, *self.config.groups.coordinators]
        missing = [g.name for g in groups if g.name not in bound]
        twice = sorted(self.people.ambiguous)
        if not (missing or twice):
            return
        lines = ["【班助】群绑定检查："]
        if missing:
            lines.append("没有找到这些群（请确认机器人已在群里、群名称与配置一致）：" + "、".join(
                f"{g.name}（{g.topic}）" for g in groups if g.name in missing))
        if twice:
            lines.append("这些群名称对应了不止一个微信群，已使用最先找到的那个：" + "、".join(twice))
        text = "\n".join(lines)
        log.warning("room check: missing %s, ambiguous %s", missing, twice)
        day = self.local(self.clock.now()).strftime("%Y%m%d")
        for admin in self.people.admins():
            self.outbox.enqueue(text=text, contact_id=admin.contact_id,
                                dedupe_key=f"room-check:{day}:{admin.contact_id}:{hashlib.sha1(text.encode()).hexdigest()[:12]}")

    def events(self) -> GatewayEvents:
        return GatewayEvents(on_message=self.handle, on_room_change=self.room_changed,
                             on_connection=self.connection_changed)

    # -- timed work ----------------------------------------------------------------------------------------------
    def next_wake(self) -> datetime | None:
        """The earliest time anything (a paced send or a job) is due."""
        now = self.clock.now()
        times = [t for t in [self.outbox.next_wake(), *(self._job_due(j, now) for j in self.jobs)] if t]
        return min(times) if times else None

    def _job_due(self, job: Job, now: datetime) -> datetime | None:
        due = job.next_due(self, now)
        held = self._failed_until.get(job.name)
        if due is not None and held is not None and due < held:
            return held  # a failing job waits before it is tried again, instead of spinning
        return due

    async def run_due(self, now: datetime) -> None:
        """Run everything due at `now`: jobs first (they enqueue), then one paced send."""
        for job in self.jobs:
            due = self._job_due(job, now)
            if due is not None and due <= now:
                try:
                    await job.tick(self, now)
                    self._failed_until.pop(job.name, None)
                except Exception:
                    log.exception("job %s failed; retrying in %s", job.name, JOB_RETRY)
                    self._failed_until[job.name] = now + JOB_RETRY
        await self.outbox.drain(now)

    # -- helpers shared by features ------------------------------------------------------------------------------
    def audit(self, actor: Person, where: str, action: str, detail: str = "", result: str = "ok") -> None:
        with self.db.tx() as s:
            s.add(AuditLog(at=self.clock.now(), actor_id=actor.contact_id, actor_name=actor.name, where=where,
                           action=action, detail=detail, result=result))

    async def start(self) -> None:
        self.outbox.recover()
        self.people.sync_config_staff()
        await self.gateway.start(self.events())

    async def stop(self) -> None:
        await self.gateway.stop()
        self.db.close()


def build_app(config: Config, gateway: Gateway, clock: Clock, *, db: Database | None = None,
              rng: random.Random | None = None) -> App:
    """Wire one bot: storage, outbox, people, services, handlers and timed jobs."""
    from bot.calendar.service import Calendar
    from bot.digests.service import Digests
    from bot.handbook.service import Answers
    from bot.notices import Notices
    from bot.roster import Roster
    from bot.staff import Staff
    from handlers import ROUTERS
    from schedules import JOBS

    db = db or Database(config.effective_database_url())
    outbox = Outbox(db, gateway, clock, config.outbox, rng=rng)
    people = People(db, config, clock)
    app = App(config=config, db=db, gateway=gateway, clock=clock, outbox=outbox, people=people)
    app.roster = Roster(app)
    app.notices = Notices(app)
    app.staff = Staff(app)
    app.answers = Answers(app)
    app.calendar = Calendar(app)
    app.digests = Digests(app)
    app.dispatcher = Dispatcher(app, ROUTERS)
    app.jobs = [make() for make in JOBS]
    people.sync_config_staff()
    return app
