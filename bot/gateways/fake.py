"""An in-memory gateway: a little WeChat with rooms and members, for tests, `simulate` and the console."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.gateways.base import (
    FriendRequest,
    GatewayError,
    GatewayEvents,
    GatewayRefused,
    GatewayThrottled,
    Incoming,
    Member,
    Outgoing,
    RoomInfo,
)

BOT_ID = "wxid_banzhu_bot"


@dataclass
class FakeRoom:
    room_id: str
    topic: str
    members: dict[str, Member] = field(default_factory=dict)

    def info(self) -> RoomInfo:
        return RoomInfo(self.room_id, self.topic, tuple(self.members.values()))


@dataclass(frozen=True)
class Sent:
    """One message the bot sent, as a member of the chat would see it."""

    time: datetime
    message: Outgoing
    text: str  # with the @mentions WeChat would show
    room_topic: str | None
    to_name: str | None
    mention_names: tuple[str, ...]


class FakeGateway:
    """Delivers nothing anywhere: records what the bot sends. Can be told to fail or disconnect."""

    def __init__(self, clock: Clock, bot_name: str = "班助") -> None:
        self.clock = clock
        self.self_id = BOT_ID
        self.bot_name = bot_name
        self.connected = True
        self.rooms_by_id: dict[str, FakeRoom] = {}
        self.contacts: dict[str, str] = {BOT_ID: bot_name}  # id -> WeChat name
        self.sent: list[Sent] = []
        self.fail_next = 0  # the next n sends fail (network)
        self.throttle_next = 0  # the next n sends are refused as too frequent
        self.can_verify = True  # whether verify() can look at what was delivered
        self.not_friends: set[str] = set()  # contacts a private message cannot reach (WeChat: not a friend)
        self.requests: dict[str, FriendRequest] = {}  # friend requests waiting, by id
        self.accepted: list[str] = []  # friend requests the bot accepted, in order
        self.reconnects = 0
        self.held: dict[str, Incoming] = {}  # messages announced and not read yet (fetch() reads them)
        self.events: GatewayEvents | None = None
        self._ids = itertools.count(1)

    async def start(self, events: GatewayEvents) -> None:
        self.events = events
        await events.on_connection(True)

    async def stop(self) -> None:
        self.connected = False

    async def rooms(self) -> list[RoomInfo]:
        return [r.info() for r in self.rooms_by_id.values()]

    async def verify(self, message: Outgoing, since: datetime) -> bool | None:
        """The fake knows what it delivered — unless told it cannot tell, as real WeChat often cannot."""
        if not self.can_verify:
            return None
        return any(s.message == message and s.time >= since for s in self.sent)

    async def accept_friend(self, request_id: str) -> None:
        if not self.connected:
            raise GatewayError("not connected")
        request = self.requests.pop(request_id, None)
        if request is None:
            raise GatewayError(f"unknown friend request {request_id}")
        self.accepted.append(request_id)
        self.not_friends.discard(request.contact.contact_id)
        self.contacts[request.contact.contact_id] = request.contact.name
        if self.events is not None:
            await self.events.on_friend_added(request.contact)

    async def announce(self, msg: Incoming) -> None:
        """What a real puppet does first: say a message exists, by id; reading it comes later (or, after a crash,
        from `fetch`)."""
        self.held[msg.message_id] = msg
        if self.events is not None:
            await self.events.on_arrival(msg.message_id)

    async def fetch(self, message_id: str) -> Incoming | None:
        return self.held.get(message_id)

    async def reconnect(self) -> None:
        self.reconnects += 1
        if self.events is not None:
            await self.events.on_connection(True)

    async def send(self, message: Outgoing) -> str:
        if not self.connected:
            raise GatewayError("not connected")
        if message.contact_id in self.not_friends:
            raise GatewayRefused("对方不是你的好友 (simulated)")
        if self.throttle_next > 0:
            self.throttle_next -= 1
            raise GatewayThrottled("操作过于频繁，请稍后再试 (simulated)")
        if self.fail_next > 0:
            self.fail_next -= 1
            raise GatewayError("连接超时 (simulated)")
        room = self.rooms_by_id.get(message.room_id or "")
        if message.room_id and room is None:
            raise GatewayError(f"unknown room {message.room_id}")
        names = tuple(self.contacts.get(cid, cid) for cid in message.mentions)
        text = message.text
        if names:
            text = "\u2005".join(f"@{n}" for n in names) + " " + text
        if message.file_path:
            text = (text + "\n" if text else "") + f"[文件] {message.file_path.rsplit('/', 1)[-1]}"
        to_name = self.contacts.get(message.contact_id or "", message.contact_id) if message.contact_id else None
        self.sent.append(Sent(self.clock.now(), message, text, room.topic if room else None, to_name, names))
        return f"sent-{next(self._ids)}"
