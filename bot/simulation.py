"""A scripted chat on a virtual clock: the one harness behind `python -m bot simulate`, the tests and the console.

    chat = Chat(config, start)                       # the configured groups, no members yet
    chat.add_room("2024秋行政管理1班", members=[...])
    [reply] = await chat.say("王老师", "行管1班", "/通知 周五前完成形考作业2")
    await chat.advance("3h")                         # timed work fires at its virtual times

`say` runs the bot until it is idle (paced sends included, advancing virtual time by the pacing) and returns
exactly the messages sent in response, so silence is `== []`. What it returns is a `Replies` list that notices
being read: a test that lets the bot send something it never looked at fails (`Chat.assert_all_read`).
"""

from __future__ import annotations

import hashlib
import itertools
import random
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.app import App, build_app
from bot.clock import VirtualClock
from bot.config import ClassGroup, Config
from bot.db import Database
from bot.gateways.base import FriendRequest, Incoming, Member, Quote
from bot.gateways.fake import FakeGateway, FakeRoom, Sent
from bot.handbook.service import IndexCache
from bot.kernel.durations import parse_duration
from bot.models import StaffBinding
from bot.services import Services

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


class Replies(list[Sent]):
    """What the bot sent in response to one step. Looking at it in any way marks it read."""

    def __init__(self, items: list[Sent]) -> None:
        super().__init__(items)
        self.read = not items  # nothing sent: nothing to read

    def _mark(self) -> None:
        self.read = True

    def __iter__(self) -> Iterator[Sent]:
        self._mark()
        return super().__iter__()

    def __getitem__(self, i: Any) -> Any:
        self._mark()
        return super().__getitem__(i)

    def __len__(self) -> int:
        self._mark()
        return super().__len__()

    def __eq__(self, other: object) -> bool:
        self._mark()
        return list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __bool__(self) -> bool:
        self._mark()
        return list.__len__(self) > 0

    __hash__ = None  # type: ignore[assignment,unused-ignore]  # a list: not hashable (mypy disagrees by version)

    def __contains__(self, item: object) -> bool:
        self._mark()
        return super().__contains__(item)

    @property
    def texts(self) -> list[str]:
        self._mark()
        return [s.text for s in list.__iter__(self)]

    @property
    def text(self) -> str:
        """Everything sent, one message per line."""
        return "\n".join(self.texts)


class Chat:
    def __init__(self, config: Config, start: datetime, *, db: Database | None = None, seed: int = 7,
                 indexes: IndexCache | None = None) -> None:
        self.config = config
        self.clock = VirtualClock(start)
        self.gateway = FakeGateway(self.clock, config.gateway.bot_name)
        self.indexes = indexes or IndexCache()
        self.seed = seed
        self.db = db or Database(f"sqlite:///{tempfile.mkdtemp(prefix='banzhu-chat-')}/chat.db")
        self.app: App = self._build()
        self.people: dict[str, Member] = {}  # display name in scripts -> member
        self.transcript: list[Event] = []
        self._ids = itertools.count(1)
        self._seen_sent = 0
        self._started = False
        self._handed_out: list[Replies] = []

    @property
    def services(self) -> Services:
        return self.app.services

    def _build(self) -> App:
        return build_app(self.config, self.gateway, self.clock, db=self.db, rng=random.Random(self.seed),
                         indexes=self.indexes)

    def assert_all_read(self) -> None:
        """Fail when the bot sent something no test looked at (an unexpected extra message)."""
        unread = [s.text for r in self._handed_out if not r.read for s in list.__iter__(r)]
        self._handed_out.clear()
        if unread:
            raise AssertionError("the bot sent messages the test never read:\n" + "\n---\n".join(unread))

    # -- world building ------------------------------------------------------------------------------------------
    def add_room(self, topic: str, members: Sequence[dict[str, Any]] = (), *, group: str | None = None,
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
        self.app = self._build()  # every service takes the config in its constructor

    def add_member(self, room: FakeRoom, spec: dict[str, Any]) -> Member:
        name = str(spec["name"])
        cid = str(spec.get("id") or self.people.get(name, Member(f"wxid_{len(self.people) + 1:04d}", name)).contact_id)
        member = Member(cid, name, str(spec.get("alias", "")))
        room.members[cid] = member
        self.people.setdefault(name, member)
        self.gateway.contacts[cid] = name
        role = spec.get("role")
        people = self.app.services.people
        if role in ("teacher", "coordinator", "admin") and cid not in people.staff_ids():
            group = self.config.group_by_topic(room.topic)
            with self.db.tx() as s:
                s.add(StaffBinding(contact_id=cid, name=name, role=role, source="script",
                                   classes=[group.name] if isinstance(group, ClassGroup) else [],
                                   points=list(self.config.teaching_points) if role == "coordinator" else [],
                                   created_at=self.clock.now()))
            people.invalidate()
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
                  mentions: tuple[str, ...] = (), message_id: str | None = None, at: datetime | None = None,
                  file_path: str | None = None, file_name: str | None = None) -> Replies:
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
                       quote=Quote(quote) if quote else None, kind=kind, file_path=file_path, file_name=file_name)
        shown = text or (f"[文件] {file_name}" if file_name else "")
        self.transcript.append(Event(self.clock.now(), "in", info.topic if info else None, member.shown, None
                                     if info else self.config.gateway.bot_name, shown))
        await self.app.receive(msg)
        return await self.settle()

    async def private(self, name: str, text: str) -> Replies:
        return await self.say(name, None, text)

    # -- friends -------------------------------------------------------------------------------------------------
    def not_friends(self, *names: str) -> None:
        """These people are not the bot account's friends: private messages to them cannot be delivered."""
        for name in names:
            self.gateway.not_friends.add(self.people[name].contact_id)

    async def friend_request(self, name: str, hello: str = "", *, contact_id: str | None = None) -> Replies:
        """`name` asks to be the bot's friend, writing `hello`."""
        await self.start()
        member = self.people.get(name) or Member(contact_id or f"wxid_{len(self.people) + 1:04d}", name)
        self.people.setdefault(name, member)
        self.gateway.contacts[member.contact_id] = name
        self.gateway.not_friends.add(member.contact_id)
        request = FriendRequest(f"friendship-{next(self._ids)}", Member(member.contact_id, name), hello,
                                self.clock.now())
        self.gateway.requests[request.request_id] = request
        self.transcript.append(Event(self.clock.now(), "in", None, name, self.config.gateway.bot_name,
                                     f"[好友申请] {hello}"))
        await self.app.friend_request(request)
        return await self.settle()

    async def deliver(self, msg: Incoming) -> Replies:
        """Push a raw incoming message (for redelivery tests)."""
        await self.start()
        await self.app.receive(msg)
        return await self.settle()

    # -- time ----------------------------------------------------------------------------------------------------
    async def settle(self) -> Replies:
        """Run until nothing is left to send (advancing virtual time by the pacing), then return new sends."""
        limit = self.clock.now() + SETTLE_LIMIT
        while True:
            await self.app.run_due(self.clock.now())
            if self.app.services.outbox.pending_count() == 0:
                break
            wake = await self.app.next_wake()
            if wake is None or wake > limit:
                break
            self.clock.set(wake)
        return self._new_sends()

    async def advance(self, by: str | timedelta) -> Replies:
        """Let virtual time pass, running everything that comes due on the way."""
        await self.start()
        return await self.run_until(self.clock.now() + parse_duration(by))

    async def run_until(self, target: datetime) -> Replies:
        await self.start()
        while True:
            wake = await self.app.next_wake()
            if wake is None or wake > target:
                break
            self.clock.set(wake)
            await self.app.run_due(self.clock.now())
        self.clock.set(target)
        await self.app.run_due(target)
        return self._new_sends()

    def _new_sends(self) -> Replies:
        new = self.gateway.sent[self._seen_sent:]
        self._seen_sent = len(self.gateway.sent)
        for s in new:
            self.transcript.append(Event(s.time, "out", s.room_topic, self.config.gateway.bot_name, s.to_name,
                                         s.text, s.mention_names))
        replies = Replies(new)
        self._handed_out.append(replies)
        return replies

    async def restart(self) -> Replies:
        """Stop the bot as a crash would and start a new one on the same database and chat world."""
        url = self.db.url
        self.db.close()
        self.db = Database(url)
        self.app = self._build()
        self._started = False
        await self.start()
        return await self.settle()

    def close(self) -> None:
        self.db.close()
