"""A scripted chat on a virtual clock: the one harness behind `python -m bot simulate`, the tests and the console.

    chat = Chat(config, start)                       # the configured groups, no members yet
    chat.add_room("2024秋行政管理1班", members=[...])
    [reply] = await chat.say("王老师", "行管1班", "/通知 周五前完成形考作业2")
    await chat.advance("3h")                         # timed work fires at its virtual times

`say` runs the bot until it is idle (paced sends included, advancing virtual time by the pacing) and returns
exactly the messages sent in response, so silence is `== []`.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.app import App, build_app
from bot.clock import VirtualClock
from bot.config import ClassGroup, Config
from bot.db import Database
from bot.durations import parse_duration
from bot.gateways.base import Incoming, Member, Quote
from bot.gateways.fake import FakeGateway, FakeRoom, Sent
from bot.models import StaffBinding

SETTLE_LIMIT = timedelta(hours=2)  # `say` never advances virtual time further than this


@dataclass(frozen=True)
class Event:
    """One line of the transcript."""

    time: datetime
    direction: str  # in | out
    room: str | None
    sender: str
    to: str | None
    text: str
    mentions: tuple[str, ...] = ()


class Chat:
    def __init__(self, config: Config, start: datetime, *, db: Database | None = None, seed: int = 7) -> None:
        self.config = config
        self.clock = VirtualClock(start)
        self.gateway = FakeGateway(self.clock, config.gateway.bot_name)
        self.app: App = build_app(config, self.gateway, self.clock, db=db, rng=random.Random(seed))
        self.people: dict[str, Member] = {}  # display name in scripts -> member
        self.transcript: list[Event] = []
        self._ids = itertools.count(1)
        self._seen_sent = 0
        self._started = False
        self.seed = seed

    # -- world building ------------------------------------------------------------------------------------------
    def add_room(self, topic: str, members: list[dict[str, Any]] = (), *, group: str | None = None,
                 kind: str = "class", room_id: str | None = None) -> FakeRoom:
        """A room with members ({name, id, alias, role}); `group` may declare a group not in config."""
        if group and self.config.group_by_name(group) is None:
            self._declare_group(group, topic, kind)
        room = FakeRoom(room_id or f"r{hashlib.sha1(topic.encode()).hexdigest()[:10]}@chatroom", topic)
        self.gateway.rooms_by_id[room.room_id] = room
        for spec in members:
            self.add_member(room, spec)
        return room

    def _declare_group(self, name: str, topic: str, kind: str) -> None:
        groups = self.config.groups
        if kind == "coordinator":
            from bot.config import CoordinatorGroup

            new = groups.model_copy(update={"coordinators": [*groups.coordinators,
                                                             CoordinatorGroup(name=name, topic=topic)]})
        else:
            point = self.config.teaching_points[0]
            new = groups.model_copy(update={"classes": [*groups.classes, ClassGroup(name=name, topic=topic,
                                                                                     point=point)]})
        self.config = self.config.model_copy(update={"groups": new})
        self.app.config = self.config
        self.app.people.config = self.config
        self.app.people.invalidate()

    def add_member(self, room: FakeRoom, spec: dict[str, Any]) -> Member:
        name = str(spec["name"])
        cid = str(spec.get("id") or self.people.get(name, Member(f"wxid_{len(self.people) + 1:04d}", name)).contact_id)
        member = Member(cid, name, str(spec.get("alias", "")))
        room.members[cid] = member
        self.people.setdefault(name, member)
        self.gateway.contacts[cid] = name
        role = spec.get("role")
        if role in ("teacher", "coordinator", "admin") and cid not in self.app.people.staff_ids():
            group = self.config.group_by_topic(room.topic)
            with self.app.db.tx() as s:
                s.add(StaffBinding(contact_id=cid, name=name, role=role, source="script",
                                   classes=[group.name] if isinstance(group, ClassGroup) else [],
                                   points=list(self.config.teaching_points) if role == "coordinator" else [],
                                   created_at=self.clock.now()))
            self.app.people.invalidate()
        return member

    def room(self, name_or_topic: str) -> FakeRoom:
        group = self.config.group_by_name(name_or_topic)
        topic = group.topic if group else name_or_topic
        for r in self.gateway.rooms_by_id.values():
            if r.topic == topic or r.topic == name_or_topic:
                return r
        raise KeyError(f"no room {name_or_topic!r} in this chat")

    def rename(self, name: str, *, alias: str, room: str | None = None) -> None:
        """Change a member's room alias (in one room, or every room they are in)."""
        member = self.people[name]
        for r in self.gateway.rooms_by_id.values():
            if member.contact_id in r.members and (room is None or r is self.room(room)):
                r.members[member.contact_id] = Member(member.contact_id, member.name, alias)

    async def join(self, room: str, spec: dict[str, Any]) -> None:
        r = self.room(room)
        self.add_member(r, spec)
        await self.app.room_changed(r.info())

    async def leave(self, room: str, name: str) -> None:
        r = self.room(room)
        r.members.pop(self.people[name].contact_id, None)
        await self.app.room_changed(r.info())

    async def start(self) -> None:
        if not self._started:
            self._started = True
            await self.app.start()

    # -- talking -------------------------------------------------------------------------------------------------
    async def say(self, name: str, room: str | None, text: str, *, quote: str | None = None, kind: str = "text",
                  mentions: tuple[str, ...] = (), message_id: str | None = None,
                  at: datetime | None = None) -> list[Sent]:
        """`name` says `text` in `room` (None: privately to the bot); returns what the bot sent in response."""
        await self.start()
        member = self.people[name]
        info = None
        if room is not None:
            r = self.room(room)
            member = r.members.get(member.contact_id, member)
            info = r.info()
        mention_ids = tuple(self.gateway.self_id if m == self.config.gateway.bot_name else self.people[m].contact_id
                            for m in mentions)
        msg = Incoming(message_id=message_id or f"msg-{next(self._ids)}", time=at or self.clock.now(),
                       sender=member, text=text, room=info, mentions=mention_ids,
                       quote=Quote(quote) if quote else None, kind=kind)
        self.transcript.append(Event(self.clock.now(), "in", info.topic if info else None, member.shown, None
                                     if info else self.config.gateway.bot_name, text))
        await self.app.handle(msg)
        return await self.settle()

    async def private(self, name: str, text: str) -> list[Sent]:
        return await self.say(name, None, text)

    async def deliver(self, msg: Incoming) -> list[Sent]:
        """Push a raw incoming message (for redelivery tests)."""
        await self.start()
        await self.app.handle(msg)
        return await self.settle()

    # -- time ----------------------------------------------------------------------------------------------------
    async def settle(self) -> list[Sent]:
        """Run until nothing is left to send (advancing virtual time by the pacing), then return new sends."""
        limit = self.clock.now() + SETTLE_LIMIT
        while True:
            await self.app.run_due(self.clock.now())
            if self.app.outbox.pending_count() == 0:
                break
            wake = self.app.next_wake()
            if wake is None or wake > limit:
                break
            self.clock.set(wake)
        return self._new_sends()

    async def advance(self, by: str | timedelta) -> list[Sent]:
        """Let virtual time pass, running everything that comes due on the way."""
        await self.start()
        return await self.run_until(self.clock.now() + parse_duration(by))

    async def run_until(self, target: datetime) -> list[Sent]:
        await self.start()
        while True:
            wake = self.app.next_wake()
            if wake is None or wake > target:
                break
            self.clock.set(wake)
            await self.app.run_due(self.clock.now())
        self.clock.set(target)
        await self.app.run_due(target)
        return self._new_sends()

    def _new_sends(self) -> list[Sent]:
        new = self.gateway.sent[self._seen_sent:]
        self._seen_sent = len(self.gateway.sent)
        for s in new:
            self.transcript.append(Event(s.time, "out", s.room_topic, self.config.gateway.bot_name, s.to_name,
                                         s.text, s.mention_names))
        return new

    async def restart(self) -> list[Sent]:
        """Stop the bot as a crash would and start a new one on the same database and chat world."""
        url = self.app.db.url
        self.app.db.close()
        self.app = build_app(self.config, self.gateway, self.clock, db=Database(url), rng=random.Random(self.seed))
        self._started = False
        await self.start()
        return await self.settle()

    def close(self) -> None:
        self.app.db.close()
