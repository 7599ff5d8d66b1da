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


class GatewayError(Exception):
    """The platform did not take a message; the outbox will retry."""


class GatewayThrottled(GatewayError):
    """The platform refused because the account sends too fast (微信: 操作过于频繁): every send must slow down."""


THROTTLE_SIGNS = ("频繁", "频率", "too frequent", "frequently", "rate limit", "ratelimit", "throttl")


def looks_throttled(error: str) -> bool:
    """Whether a platform error says the account is sending too fast."""
    text = error.lower()
    return any(sign in text for sign in THROTTLE_SIGNS)


@dataclass
class GatewayEvents:
    """Callbacks the core gives a gateway."""

    on_message: Callable[[Incoming], Awaitable[object]]
    on_room_change: Callable[[RoomInfo], Awaitable[None]] = field(default=lambda room: _noop())
    on_connection: Callable[[bool], Awaitable[None]] = field(default=lambda up: _noop())


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
