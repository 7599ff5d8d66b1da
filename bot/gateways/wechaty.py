"""Real WeChat through Wechaty: the python-wechaty client talking to a puppet service (token + endpoint).

The only module of the core that touches wechaty. It keeps one supervised connection: on a dropped stream or a
logout it reconnects with capped exponential backoff, while the outbox keeps pending messages (it sends only
while `connected`). Redelivered messages are dropped by the router; the bot's own echoes by the app.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime
from typing import Any

from bot.clock import Clock
from bot.config import Config, ConfigError
from bot.gateways.base import (
    GatewayError,
    GatewayEvents,
    GatewayThrottled,
    Incoming,
    Member,
    Outgoing,
    RoomInfo,
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
                 reconnect_min: float = 2.0, reconnect_max: float = 300.0) -> None:
        self.clock = clock
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
                   reconnect_min=w.reconnect_min.total_seconds(), reconnect_max=w.reconnect_max.total_seconds())

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

        options = WechatyOptions(puppet="wechaty-puppet-service",
                                 puppet_options=PuppetOptions(token=self.token, end_point=self.endpoint))
        bot = Bot(options)
        self._bot = bot
        await bot.init_puppet()
        await bot.init_puppet_event_bridge(bot.puppet)
        log.info("connecting to the puppet service at %s", self.endpoint)
        await bot.puppet.start()  # returns when the event stream ends (server gone, network down)
        log.warning("the puppet service event stream ended")

    async def _disconnect(self) -> None:
        was = self.connected
        self.connected = False
        bot, self._bot = self._bot, None
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

    async def _on_message(self, msg: Any) -> None:
        if self._events is None:
            return
        try:
            incoming = await self._incoming(msg)
        except Exception:
            log.exception("could not read message %s", getattr(msg, "message_id", "?"))
            return
        if incoming is not None:
            await self._events.on_message(incoming)

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
        parsed = parse_text(msg.text() or "")
        mentions: tuple[str, ...] = ()
        if room is not None and parsed.kind == "text":
            mentions = tuple(c.contact_id for c in await msg.mention_list())
        return Incoming(message_id=msg.message_id, time=_timestamp(msg.payload.timestamp),
                        sender=Member(talker.contact_id, talker.name or talker.contact_id, alias), text=parsed.text,
                        room=info, mentions=mentions, quote=parsed.quote, kind=parsed.kind)

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
            kind = GatewayThrottled if looks_throttled(str(exc)) else GatewayError
            raise kind(f"{type(exc).__name__}: {exc}") from exc
        return getattr(result, "message_id", "") or ""


def _bot_class() -> type:
    from bot.gateways.wechaty_compat import Wechaty

    return Wechaty
