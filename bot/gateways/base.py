"""The gateway boundary: what crosses between a chat platform and the core, and nothing platform-specific."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Member:
    """A contact as seen in one room: the stable id, the WeChat name and the room alias (群昵称)."""

    contact_id: str
    name: str
    alias: str = ""

    @property
    def shown(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True)
class RoomInfo:
    room_id: str
    topic: str
    members: tuple[Member, ...] = ()


@dataclass(frozen=True)
class Quote:
    """The message a reply quotes (WeChat 引用), as far as the platform tells it."""

    text: str
    sender_id: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One message into the bot."""

    message_id: str
    time: datetime
    sender: Member
    text: str
    room: RoomInfo | None = None  # None for a private chat
    mentions: tuple[str, ...] = ()  # contact ids
    quote: Quote | None = None
    kind: str = "text"  # text | solitaire (接龙) | app | image | file | other
    file_path: str | None = None  # an image or file the gateway saved locally
    file_name: str | None = None  # its name as sent

    @property
    def is_private(self) -> bool:
        return self.room is None


@dataclass(frozen=True)
class Outgoing:
    """One message out of the bot: to a room (with real @mentions) or to a contact; text, or a file."""

    text: str = ""
    room_id: str | None = None
    contact_id: str | None = None
    mentions: tuple[str, ...] = ()
    file_path: str | None = None


@dataclass(frozen=True)
class FriendRequest:
    """Someone asks the bot's account to be friends (WeChat 好友申请), with what they wrote."""

    request_id: str
    contact: Member
    hello: str = ""
    time: datetime | None = None


class GatewayError(Exception):
    """The platform did not take a message; the outbox will retry."""


class GatewayRefused(GatewayError):
    """The platform will never deliver this to that contact as things stand: not a friend, blocked, deleted.
    Not retried; the outbox's fallback takes over."""


class GatewayThrottled(GatewayError):
    """The platform refused because the account sends too fast (微信: 操作过于频繁): every send must slow down."""


THROTTLE_SIGNS = ("频繁", "频率", "too frequent", "frequently", "rate limit", "ratelimit", "throttl")


def looks_throttled(error: str) -> bool:
    """Whether a platform error says the account is sending too fast."""
    text = error.lower()
    return any(sign in text for sign in THROTTLE_SIGNS)


REFUSAL_SIGNS = ("不是好友", "非好友", "not friend", "not a friend", "拉黑", "拒收", "blocked", "删除", "deleted",
                 "开启了朋友验证", "friend verification")


def looks_refused(error: str) -> bool:
    """Whether a platform error says the contact cannot be reached privately (not a friend, blocked, deleted)."""
    text = error.lower()
    return any(sign in text for sign in REFUSAL_SIGNS)


@dataclass
class GatewayEvents:
    """Callbacks the core gives a gateway."""

    on_message: Callable[[Incoming], Awaitable[object]]
    on_room_change: Callable[[RoomInfo], Awaitable[None]] = field(default=lambda room: _noop())
    on_connection: Callable[[bool], Awaitable[None]] = field(default=lambda up: _noop())
    on_friend_request: Callable[[FriendRequest], Awaitable[None]] = field(default=lambda request: _noop())
    on_friend_added: Callable[[Member], Awaitable[None]] = field(default=lambda contact: _noop())
    # A message announced by id, before anything about it is read (journaled at once); one that turned out not to
    # be for the core (the bot's own echo) is then `on_ignored`.
    on_arrival: Callable[[str], Awaitable[None]] = field(default=lambda message_id: _noop())
    on_ignored: Callable[[str], Awaitable[None]] = field(default=lambda message_id: _noop())
    # The account needs a person: "logout" (logged out), "scan" (a QR code must be scanned; detail: its URL).
    on_account: Callable[[str, str], Awaitable[None]] = field(default=lambda kind, detail: _noop())


async def _noop() -> None:
    return None


class Gateway(Protocol):
    """What every gateway provides: start/stop, identity, sending, and room lookups."""

    self_id: str
    connected: bool

    async def start(self, events: GatewayEvents) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, message: Outgoing) -> str:
        """Deliver one message; return the platform's message id; raise GatewayError on failure."""
        ...

    async def rooms(self) -> list[RoomInfo]:
        """All rooms the bot is in, with members."""
        ...

    async def verify(self, message: Outgoing, since: datetime) -> bool | None:
        """Whether WeChat has this message from us since `since` (a crash hit while it was being sent): True,
        False, or None when the platform cannot tell."""
        ...

    async def accept_friend(self, request_id: str) -> None:
        """Accept a friend request; raise GatewayError when the platform does not."""
        ...

    async def fetch(self, message_id: str) -> Incoming | None:
        """A message by id (one announced before a crash), or None when it is gone or not for the core."""
        ...

    async def reconnect(self) -> None:
        """Drop the connection and connect again (the watchdog's remedy for a silent connection)."""
        ...
