"""Real WeChat through Wechaty: the python-wechaty client talking to a puppet service (token + endpoint).

The only module of the core that touches wechaty. It keeps one supervised connection: on a dropped stream or a
logout it reconnects with capped exponential backoff, while the outbox keeps pending messages (it sends only
while `connected`). Redelivered messages are dropped by the router; the bot's own echoes by the app.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.config import Config, ConfigError
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
    looks_refused,
    looks_throttled,
)
from bot.gateways.wechat_text import parse_text

log = logging.getLogger("banzhu.wechaty")


def _timestamp(value: float | int | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    seconds = value / 1000 if value > 2_145_888_000 else value  # puppets send seconds or milliseconds
    return datetime.fromtimestamp(seconds, UTC)


class WechatyGateway:
    def __init__(self, clock: Clock, *, token: str, endpoint: str, bot_name: str = "班助",
                 reconnect_min: float = 2.0, reconnect_max: float = 300.0, incoming: Path | None = None,
                 friend_check: bool = True) -> None:
        self.clock = clock
        self.incoming = incoming or Path("data/incoming")  # where images and files people send are saved
        self.friend_check = friend_check
        self.token = token
        self.endpoint = endpoint
        self.bot_name = bot_name
        self.reconnect_min = reconnect_min
        self.reconnect_max = reconnect_max
        self.self_id = ""
        self.connected = False
        self.connected_since: datetime | None = None
        self._bot: Any = None
        self._events: GatewayEvents | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # Message ids in the order the puppet announced them. Reading a message takes several round trips, so two
        # messages can finish reading out of order (a 收到 overtaken by the /统计 sent after it); each waits for
        # the ones announced before it, so the core receives them in the order people sent them.
        self._announced: list[str] = []
        self._turn: asyncio.Condition | None = None

    @classmethod
    def from_config(cls, config: Config, clock: Clock, account: str = "") -> WechatyGateway:
        """Token and endpoint come from the environment (endpoint may also be in config); never from the repo.
        With several accounts, each has its own variables (gateway.accounts[].token_env / endpoint_env)."""
        w = config.gateway.wechaty
        token_env, endpoint_env, endpoint_cfg, where = w.token_env, w.endpoint_env, w.endpoint, "gateway.wechaty"
        if account:
            a = config.account(account)
            token_env, endpoint_env, endpoint_cfg = a.token_env, a.endpoint_env, a.endpoint
            i = [x.name for x in config.gateway.accounts].index(account)
            where = f"gateway.accounts[{i}]"
        token = os.environ.get(token_env, "")
        endpoint = os.environ.get(endpoint_env, "") or (endpoint_cfg or "")
        if not token:
            raise ConfigError("config.yaml", f"set the puppet service token in the environment variable "
                                             f"{token_env}", f"{where}.token_env")
        if not endpoint:
            raise ConfigError("config.yaml", f"set the puppet service endpoint (host:port) in {endpoint_env} "
                                             "or the endpoint key; without it wechaty would look the token "
                                             "up on a public server", f"{where}.endpoint")
        return cls(clock, token=token, endpoint=endpoint, bot_name=config.gateway.bot_name,
                   reconnect_min=w.reconnect_min.total_seconds(), reconnect_max=w.reconnect_max.total_seconds(),
                   incoming=config.path(config.files.incoming), friend_check=w.friend_check)

    # -- lifecycle -----------------------------------------------------------------------------------------------
    async def start(self, events: GatewayEvents) -> None:
        self._events = events
        self._task = asyncio.create_task(self._supervise(), name="wechaty-supervisor")

    async def stop(self) -> None:
        self._stopping = True
        await self._disconnect()
        if self._task:
            self._task.cancel()

    async def _supervise(self) -> None:
        """Connect, run until the stream ends, wait, connect again: backoff doubles up to reconnect_max."""
        delay = self.reconnect_min
        while not self._stopping:
            started = asyncio.get_running_loop().time()
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("WeChat connection failed: %s: %s", type(exc).__name__, exc)
            await self._disconnect()
            if self._stopping:
                return
            if asyncio.get_running_loop().time() - started > 60:
                delay = self.reconnect_min  # it ran for a while: start the backoff again
            log.info("reconnecting to the puppet service in %.0f s", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_max)

    async def _run_once(self) -> None:
        from bot.gateways.wechaty_compat import PuppetOptions, WechatyOptions

        gateway = self
        base = _bot_class()

        class Bot(base):  # type: ignore[misc,valid-type]  # wechaty's class is only known at run time
            async def on_login(self, contact: Any) -> None:
                await gateway._on_login(contact)

            async def on_logout(self, contact: Any) -> None:
                await gateway._on_logout()

            async def on_message(self, msg: Any) -> None:
                await gateway._on_message(msg)

            async def on_room_join(self, room: Any, *args: Any) -> None:
                await gateway._on_room_change(room)

            async def on_room_leave(self, room: Any, *args: Any) -> None:
                await gateway._on_room_change(room)

            async def on_room_topic(self, room: Any, *args: Any) -> None:
                await gateway._on_room_change(room)

            async def on_error(self, payload: Any) -> None:
                log.warning("puppet error: %s", payload)

            async def on_friendship(self, friendship: Any) -> None:
                await gateway._on_friendship(friendship)

            async def on_scan(self, qr_code: str, status: Any, data: Any = None) -> None:
                await gateway._on_scan(qr_code, status)

        options = WechatyOptions(puppet="wechaty-puppet-service",
                                 puppet_options=PuppetOptions(token=self.token, end_point=self.endpoint))
        bot = Bot(options)
        self._bot = bot
        await bot.init_puppet()
        # wechaty 0.10.7 keeps one pool of Contact/Room objects for every bot it ever made, each holding the puppet
        # it was loaded with: after a reconnect they would talk to the closed connection. Fresh pools per connection.
        for name in ("Contact", "ContactSelf", "Room", "Tag"):
            cls = getattr(bot, name, None)
            if cls is not None:
                cls._pool = {}

        journaled: dict[str, asyncio.Event] = {}

        async def arrival(payload: Any) -> None:  # registered first: runs before wechaty reads the message
            if self._events is not None and getattr(payload, "message_id", None):
                self._announced.append(payload.message_id)  # before any await: the order of announcement
                done = journaled.setdefault(payload.message_id, asyncio.Event())
                try:
                    await self._events.on_arrival(payload.message_id)
                finally:
                    done.set()

        # Journal before reading: once the puppet service has handed a message over it will not announce it again,
        # so wechaty's read of a message waits until its arrival is journaled (a crash in between loses nothing).
        read_payload = bot.puppet.message_payload

        async def message_payload(message_id: str) -> Any:
            done = journaled.get(message_id)
            if done is not None:
                try:
                    await asyncio.wait_for(done.wait(), timeout=10)
                except TimeoutError:
                    log.warning("message %s read before its arrival was journaled", message_id)
                journaled.pop(message_id, None)
            return await read_payload(message_id)

        bot.puppet.message_payload = message_payload
        bot.puppet.on("message", arrival)
        await bot.init_puppet_event_bridge(bot.puppet)
        log.info("connecting to the puppet service at %s", self.endpoint)
        await bot.puppet.start()  # returns when the event stream ends (server gone, network down)
        log.warning("the puppet service event stream ended")

    async def _disconnect(self) -> None:
        was = self.connected
        self.connected = False
        bot, self._bot = self._bot, None
        self._announced.clear()  # what was announced and not read stays journaled: read again after connecting
        if bot is not None:
            try:
                await asyncio.wait_for(bot.puppet.stop(), timeout=5)
            except Exception as exc:
                log.debug("puppet stop: %s", exc)
        if was and self._events:
            await self._events.on_connection(False)

    # -- events from wechaty -------------------------------------------------------------------------------------
    async def _on_login(self, contact: Any) -> None:
        self.self_id = contact.contact_id
        self.connected = True
        self.connected_since = self.clock.now()
        log.info("logged in to WeChat as %s", self.self_id)
        if self._events:
            await self._events.on_connection(True)

    async def _on_logout(self) -> None:
        log.warning("logged out of WeChat")
        was = self.connected
        self.connected = False
        if was and self._events:
            await self._events.on_connection(False)
        if self._events:
            await self._events.on_account("logout", "")
        # wechaty 0.10.7 ignores a second login on the same connection: start a fresh one to see the next login.
        asyncio.get_running_loop().call_later(1.0, lambda: asyncio.ensure_future(self._disconnect()))

    async def _on_scan(self, qr_code: str, status: Any) -> None:
        log.warning("WeChat asks for a QR code scan (%s)", getattr(status, "name", status))
        if self._events and qr_code:
            await self._events.on_account("scan", qr_code)

    async def _on_friendship(self, friendship: Any) -> None:
        """A friend request (passed to the core to decide), or a friendship confirmed (the contact is reachable)."""
        if self._events is None:
            return
        try:
            from bot.gateways.wechaty_compat import FriendshipType

            await friendship.ready()
            contact = friendship.contact()
            await contact.ready(force_sync=True)
            who = Member(contact.contact_id, contact.name or contact.contact_id)
            kind = friendship.type()
            if kind == FriendshipType.FRIENDSHIP_TYPE_RECEIVE:
                await self._events.on_friend_request(FriendRequest(friendship.friendship_id, who,
                                                                   friendship.hello() or "", self.clock.now()))
            elif kind == FriendshipType.FRIENDSHIP_TYPE_CONFIRM:
                await self._events.on_friend_added(who)
        except Exception:
            log.exception("could not read friendship event %s", getattr(friendship, "friendship_id", "?"))

    async def _on_message(self, msg: Any) -> None:
        if self._events is None:
            return
        try:
            incoming = await self._incoming(msg)
        except Exception:
            log.exception("could not read message %s", getattr(msg, "message_id", "?"))
            await self._my_turn(msg.message_id)
            return  # stays journaled as arrived: read again after the next restart
        await self._my_turn(msg.message_id)
        if incoming is not None:
            await self._events.on_message(incoming)  # journaled before its first await: order is kept
        else:
            await self._events.on_ignored(msg.message_id)

    async def _my_turn(self, message_id: str, patience: float = 15.0) -> None:
        """Wait until every message announced before this one was handed on (at most `patience` seconds: one
        that cannot be read does not hold the others up, and is not waited for again), then let the next go."""
        if self._turn is None:
            self._turn = asyncio.Condition()
        async with self._turn:
            try:
                await asyncio.wait_for(self._turn.wait_for(
                    lambda: not self._announced or self._announced[0] == message_id
                    or message_id not in self._announced), timeout=patience)
            except TimeoutError:  # the earlier ones are stuck reading: they go whenever they are read
                ahead = self._announced.index(message_id) if message_id in self._announced else 0
                log.warning("message %s waited %.0f s for %s; handled now", message_id, patience,
                            ", ".join(self._announced[:ahead]))
                del self._announced[:ahead]
            if message_id in self._announced:
                self._announced.remove(message_id)
            self._turn.notify_all()

    async def fetch(self, message_id: str) -> Incoming | None:
        """Read a message announced before a crash (the puppet service keeps recent messages)."""
        if self._bot is None:
            return None
        msg = self._bot.Message.load(message_id)
        await msg.ready()
        return await self._incoming(msg)

    async def _incoming(self, msg: Any) -> Incoming | None:
        if msg.is_self():
            return None
        talker = msg.talker()
        await talker.ready()
        room = msg.room()
        info = None
        alias = ""
        if room is not None:
            await room.ready()
            info = RoomInfo(room.room_id, await room.topic())
            alias = await room.alias(talker) or ""
        sender = Member(talker.contact_id, talker.name or talker.contact_id, alias)
        when = _timestamp(msg.payload.timestamp)
        saved = await self._save_file(msg)
        if saved is not None:
            kind, path, name = saved
            return Incoming(message_id=msg.message_id, time=when, sender=sender, text="", room=info, kind=kind,
                            file_path=str(path), file_name=name)
        parsed = parse_text(msg.text() or "")
        mentions: tuple[str, ...] = ()
        if room is not None and parsed.kind == "text":
            mentions = tuple(c.contact_id for c in await msg.mention_list())
        return Incoming(message_id=msg.message_id, time=when, sender=sender, text=parsed.text, room=info,
                        mentions=mentions, quote=parsed.quote, kind=parsed.kind)

    async def _save_file(self, msg: Any) -> tuple[str, Path, str] | None:
        """An image or a file: saved under `incoming` as <message id>_<name>; (kind, path, name as sent)."""
        from bot.gateways.wechaty_compat import MessageType

        kinds = {MessageType.MESSAGE_TYPE_IMAGE: "image", MessageType.MESSAGE_TYPE_ATTACHMENT: "file"}
        kind = kinds.get(msg.type())
        if kind is None:
            return None
        box = await msg.to_file_box()
        name = Path(box.name or f"{msg.message_id}.{'jpg' if kind == 'image' else 'bin'}").name
        safe = re.sub(r"[^\w.\-\u4e00-\u9fff（）()]+", "_", name)[-120:] or "file"
        self.incoming.mkdir(parents=True, exist_ok=True)
        path = self.incoming / f"{re.sub(r'[^A-Za-z0-9_-]', '', msg.message_id)[:40]}_{safe}"
        await box.to_file(str(path), overwrite=True)
        return kind, path, name

    async def _on_room_change(self, room: Any) -> None:
        if self._events is None:
            return
        try:
            await self._events.on_room_change(await self._room_info(room))
        except Exception:
            log.exception("could not refresh room %s", getattr(room, "room_id", "?"))

    async def _room_info(self, room: Any) -> RoomInfo:
        await room.ready(force_sync=True)  # member lists go stale: ask the puppet again on every change
        members = []
        for m in await room.member_list():
            await m.ready()
            members.append(Member(m.contact_id, m.name or m.contact_id, await room.alias(m) or ""))
        return RoomInfo(room.room_id, await room.topic(), tuple(members))

    # -- the gateway boundary ------------------------------------------------------------------------------------
    async def rooms(self) -> list[RoomInfo]:
        if self._bot is None:
            return []
        out = []
        for room in await self._bot.Room.find_all():
            out.append(await self._room_info(room))
        return out

    async def verify(self, message: Outgoing, since: datetime) -> bool | None:
        """python-wechaty 0.10.7 over a puppet service cannot search sent messages (its message_search returns
        nothing), so whether a message caught by a crash went out cannot be told: the courier resends it marked."""
        return None

    async def accept_friend(self, request_id: str) -> None:
        if not self.connected or self._bot is None:
            raise GatewayError("WeChat is not connected")
        try:
            friendship = self._bot.Friendship.load(request_id)
            await friendship.ready()
            await friendship.accept()
        except Exception as exc:
            kind = GatewayThrottled if looks_throttled(str(exc)) else GatewayError
            raise kind(f"{type(exc).__name__}: {exc}") from exc

    async def reconnect(self) -> None:
        """The watchdog's remedy: end the stream; the supervisor connects again."""
        log.warning("reconnecting to the puppet service (watchdog)")
        await self._disconnect()

    async def send(self, message: Outgoing) -> str:
        if not self.connected or self._bot is None:
            raise GatewayError("WeChat is not connected")
        bot = self._bot
        try:
            if message.room_id:
                target = bot.Room.load(message.room_id)
            else:
                target = bot.Contact.load(message.contact_id)
            await target.ready()
            if not message.room_id and self.friend_check and target.payload is not None \
                    and getattr(target.payload, "friend", None) is False:
                raise GatewayRefused("not a friend of this account")
            if message.file_path:
                from bot.gateways.wechaty_compat import FileBox

                result = await target.say(FileBox.from_file(message.file_path))
            elif message.room_id and message.mentions:
                result = await target.say(message.text, mention_ids=list(message.mentions))
            else:
                result = await target.say(message.text)
        except GatewayError:
            raise
        except Exception as exc:
            text = str(exc)
            kind = GatewayThrottled if looks_throttled(text) else GatewayRefused if (
                message.contact_id and looks_refused(text)) else GatewayError
            raise kind(f"{type(exc).__name__}: {exc}") from exc
        return getattr(result, "message_id", "") or ""


def _bot_class() -> type:
    from bot.gateways.wechaty_compat import Wechaty

    return Wechaty
