"""Command registry, parsing, role checks and dedupe.

A handler declares its command name, aliases, who may use it and where, next to its code:

    router = Router("notices")

    @router.command("通知", aliases=("notice",), roles=Role.STAFF, rooms=Where.CLASS | Where.COORDINATOR,
                    help="发布通知并统计“收到”", example="/通知 周五前完成形考作业2")
    async def publish(ctx: Context, args: str) -> None: ...

Non-command messages go to `@router.message(...)` handlers in order; the first that returns True consumes it.
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import json
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from bot.config import ClassGroup, CoordinatorGroup
from bot.gateways.base import Incoming
from bot.models import Inbound, Meta
from bot.people import ROLE_NAMES, Person, Role
from bot.texts.common import NOT_YOUR_CLASS

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("banzhu.router")

MAX_INPUT_CHARS = 4000
CONFIRM_MINUTES = 10
CONFIRM_WORDS = {"确认", "确定", "确认发送", "是", "好", "yes", "y", "ok"}
CANCEL_WORDS = {"取消", "算了", "不", "否", "no", "n"}  # longer messages are cut before parsing; WeChat itself caps far below 100 KB


class Where(enum.IntFlag):
    CLASS = 1
    COORDINATOR = 2
    PRIVATE = 4
    GROUP = CLASS | COORDINATOR
    ANYWHERE = CLASS | COORDINATOR | PRIVATE


WHERE_NAMES = {Where.CLASS: "班级群", Where.COORDINATOR: "负责人群", Where.PRIVATE: "私聊"}


@dataclass
class Context:
    """Everything a handler needs, passed explicitly."""

    app: App
    msg: Incoming
    sender: Person
    group: ClassGroup | CoordinatorGroup | None
    text: str = ""  # normalised, without a leading @bot
    at_bot: bool = False
    command: Command | None = None
    confirmed: bool = False  # re-run of a command the sender has just confirmed
    then: Callable[[], Awaitable[None]] | None = None  # the confirmed action, run by the dispatcher

    @property
    def room_id(self) -> str | None:
        return self.msg.room.room_id if self.msg.room else None

    @property
    def where(self) -> Where:
        if self.group is None:
            return Where.PRIVATE
        return Where.CLASS if isinstance(self.group, ClassGroup) else Where.COORDINATOR

    @property
    def class_group(self) -> ClassGroup | None:
        return self.group if isinstance(self.group, ClassGroup) else None

    def reply(self, text: str, *, mention: bool = True, mentions: Iterable[str] = (), file_path: str | None = None,
              priority: int = 0) -> None:
        """Answer where the message came from: in the room @-mentioning the sender, or privately."""
        if self.msg.room:
            ids = ([self.sender.contact_id] if mention else []) + [m for m in mentions if m != self.sender.contact_id]
            self.app.outbox.enqueue(text=text, room_id=self.msg.room.room_id, mentions=ids, file_path=file_path,
                                    priority=priority)
        else:
            self.app.outbox.enqueue(text=text, contact_id=self.sender.contact_id, file_path=file_path,
                                    priority=priority)

    def say(self, text: str, *, mentions: Iterable[str] = (), priority: int = 0) -> None:
        """Post to the current conversation without mentioning the sender."""
        self.reply(text, mention=False, mentions=mentions, priority=priority)

    def tell(self, contact_id: str, text: str, file_path: str | None = None, priority: int = 0) -> None:
        """A private message to one contact."""
        self.app.outbox.enqueue(text=text, contact_id=contact_id, file_path=file_path, priority=priority)

    def confirm(self, summary: str, action: Callable[[], Awaitable[None]]) -> None:
        """Ask the sender to confirm a far-reaching action (a fan-out) before it runs. What is kept is the command
        itself (in the database, so a restart forgets nothing); on “确认” it runs again, confirmed, and acts."""
        if self.confirmed:
            self.then = action
            return
        self.app.dispatcher.ask(self)  # type: ignore[union-attr]
        self.reply(f"{summary}\n回复“确认”发送，回复“取消”放弃（{CONFIRM_MINUTES}分钟内有效）。")

    def audit(self, action: str, detail: str = "", result: str = "ok") -> None:
        self.app.audit(self.sender, self.group.name if self.group else "私聊", action, detail, result)


Handler = Callable[[Context, str], Awaitable[None]]
MessageHandler = Callable[[Context], Awaitable[bool]]


@dataclass
class Command:
    name: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    roles: Role = Role.ANYONE
    rooms: Where = Where.ANYWHERE
    help: str = ""
    example: str = ""
    scoped: bool = False  # in a class group, only staff responsible for that class may use it

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass
class MessageRule:
    name: str
    handler: MessageHandler
    rooms: Where = Where.ANYWHERE


@dataclass
class Router:
    """A feature's commands and message handlers; routers are included into the dispatcher in order."""

    name: str
    commands: list[Command] = field(default_factory=list)
    rules: list[MessageRule] = field(default_factory=list)

    def command(self, name: str, *, aliases: tuple[str, ...] = (), roles: Role = Role.ANYONE,
                rooms: Where = Where.ANYWHERE, help: str = "", example: str = "",
                scoped: bool = False) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.commands.append(Command(name, fn, aliases, roles, rooms, help, example, scoped))
            return fn
        return deco

    def message(self, name: str, *, rooms: Where = Where.ANYWHERE) -> Callable[[MessageHandler], MessageHandler]:
        def deco(fn: MessageHandler) -> MessageHandler:
            self.rules.append(MessageRule(name, fn, rooms))
            return fn
        return deco


# -- text normalisation ----------------------------------------------------------------------------------------------
_FULLWIDTH = {ord("／"): "/", ord("＃"): "#", ord("　"): " "}  # the body keeps its own punctuation


def normalise(text: str) -> str:
    """Trim, fold full-width slash, hash and spaces, collapse runs of spaces (line breaks are kept)."""
    text = text.replace("\u2005", " ").replace("\u00a0", " ")
    text = text.strip().translate(_FULLWIDTH)
    return re.sub(r"[ \t]+", " ", text)


def strip_mention(text: str, bot_names: Iterable[str]) -> tuple[str, bool]:
    """Remove a leading @bot (as typed in WeChat) and say whether it was there."""
    for name in bot_names:
        for prefix in (f"@{name} ", f"@{name}"):
            if text.startswith(prefix):
                return text[len(prefix):].lstrip(), True
    return text, False


def fingerprint(msg: Incoming) -> str:
    """The same message redelivered after a reconnect may carry a new id but not a new time, sender or text."""
    room = msg.room.room_id if msg.room else "-"
    raw = f"{room}|{msg.sender.contact_id}|{int(msg.time.timestamp())}|{msg.text}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class RecentMessages:
    """A bounded memory of recent message ids and fingerprints, for the cheap first line of dedupe."""

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._order: deque[tuple[str, str]] = deque()
        self._ids: set[str] = set()
        self._prints: set[str] = set()

    def add(self, message_id: str, print_: str) -> bool:
        if message_id in self._ids or print_ in self._prints:
            return False
        self._order.append((message_id, print_))
        self._ids.add(message_id)
        self._prints.add(print_)
        if len(self._order) > self.size:
            old_id, old_print = self._order.popleft()
            self._ids.discard(old_id)
            self._prints.discard(old_print)
        return True


class Dispatcher:
    """Routes one incoming message to a command or a message rule."""

    def __init__(self, app: App, routers: list[Router]) -> None:
        self.app = app
        self.routers = routers
        self.commands: dict[str, Command] = {}
        for r in routers:
            for c in r.commands:
                for n in c.names:
                    key = n.lower()
                    if key in self.commands:
                        raise ValueError(f"command name {n!r} is registered twice")
                    self.commands[key] = c
        # Longest first, so /未确认 wins over a shorter prefix and "/通知周五…" (no space) still parses.
        self._names = sorted(self.commands, key=len, reverse=True)
        self._recent = RecentMessages()

    # -- confirmations -------------------------------------------------------------------------------------------
    @staticmethod
    def _confirm_key(ctx: Context) -> str:
        return f"confirm:{ctx.room_id or '-'}:{ctx.sender.contact_id}"

    def ask(self, ctx: Context) -> None:
        """Remember the command the sender must confirm (one per person and conversation)."""
        expires = self.app.clock.now() + timedelta(minutes=CONFIRM_MINUTES)
        with self.app.db.tx() as s:
            row = s.get(Meta, self._confirm_key(ctx)) or Meta(key=self._confirm_key(ctx), value="")
            row.value = json.dumps({"text": ctx.text, "expires": expires.isoformat()}, ensure_ascii=False)
            s.add(row)

    async def _answer_pending(self, ctx: Context, text: str) -> bool:
        word = text.strip("。！!. ").lower()
        if word not in CONFIRM_WORDS and word not in CANCEL_WORDS:
            return False
        with self.app.db.tx() as s:
            row = s.get(Meta, self._confirm_key(ctx))
            if row is None:
                return False
            pending = json.loads(row.value)
            s.delete(row)
        if self.app.clock.now() > datetime.fromisoformat(pending["expires"]):
            if word in CONFIRM_WORDS:
                ctx.reply("确认已超时，请重新发送命令。")
                return True
            return False
        if not self.claim(ctx.msg):
            return True  # a redelivered “确认”: done already
        if word in CANCEL_WORDS:
            ctx.reply("已取消，没有发送。")
            return True
        parsed = self.parse(pending["text"])
        if parsed is None or parsed[0] is None:
            return False
        ctx.confirmed = True
        await self._run(ctx, parsed[0], parsed[2])
        return True

    def all_commands(self) -> list[Command]:
        seen: list[Command] = []
        for r in self.routers:
            seen.extend(c for c in r.commands if c not in seen)
        return seen

    # -- dedupe --------------------------------------------------------------------------------------------------
    def first_time(self, msg: Incoming) -> bool:
        """False when this message (or a redelivery of it with another id) was seen recently, in memory."""
        return self._recent.add(msg.message_id, fingerprint(msg))

    def claim(self, msg: Incoming) -> bool:
        """Persist that a message with side effects (a command, an answer) was processed; False if it was already.

        Acknowledgements need no claim: crediting is idempotent. Commands do, so that a redelivery after a
        restart cannot publish a notice twice.
        """
        try:
            with self.app.db.tx() as s:
                s.add(Inbound(message_id=msg.message_id, fingerprint=fingerprint(msg), at=self.app.clock.now()))
        except IntegrityError:
            log.info("duplicate message %s dropped", msg.message_id)
            return False
        return True

    # -- parsing -------------------------------------------------------------------------------------------------
    def parse(self, text: str) -> tuple[Command | None, str, str] | None:
        """(command or None if unknown, the typed name, the arguments) for a command; None for plain text."""
        if not text or text[0] not in "/#":
            return None
        body = text[1:].lstrip()
        if not body or body[0].isdigit():  # "#12" is a notice number, not a command
            return None
        lowered = body.lower()
        for name in self._names:
            if lowered.startswith(name):
                rest = body[len(name):]
                # English aliases need a word boundary ("/helpme" is not "/help").
                if name.isascii() and rest[:1].isalnum():
                    continue
                return self.commands[name], body[: len(name)], rest.strip()
        if text[0] == "#":
            return None  # "#接龙", hashtags: only known commands are commands after '#'
        typed = re.split(r"\s", body, maxsplit=1)[0]
        return None, typed, ""

    def suggest(self, typed: str, person: Person) -> str | None:
        usable = {n: c for n, c in self.commands.items() if c.roles & person.role}
        match = difflib.get_close_matches(typed.lower(), list(usable), n=1, cutoff=0.5)
        if not match:
            match = [n for n in usable if typed and (n.startswith(typed[:1]) and len(typed) <= 3)][:1]
        return usable[match[0]].name if match else None

    # -- dispatch ------------------------------------------------------------------------------------------------
    async def dispatch(self, ctx: Context, text: str) -> None:
        if await self._answer_pending(ctx, text):
            return
        parsed = self.parse(text) if ctx.msg.kind == "text" else None
        if parsed is None:
            for router in self.routers:
                for rule in router.rules:
                    if not rule.rooms & ctx.where:
                        continue
                    try:
                        if await rule.handler(ctx):
                            return
                    except Exception:  # one broken feature must not take the others down
                        log.exception("message rule %s failed", rule.name)
                        if ctx.where == Where.PRIVATE:
                            ctx.reply("抱歉，出了点问题，已记录，请稍后再试。")
                        return
            return
        command, typed, args = parsed
        if command is None:
            hint = self.suggest(typed, ctx.sender)
            tip = f"你是不是想用 /{hint}？" if hint else ""
            ctx.reply(f"没有“/{typed}”这个命令。{tip}发送 /帮助 查看可用命令。")
            return
        if not self.claim(ctx.msg):
            return
        await self._run(ctx, command, args)

    async def _run(self, ctx: Context, command: Command, args: str) -> None:
        """Check who may run `command` here, run it, and run what it asked to be confirmed if that is done."""
        ctx.command = command
        if not command.roles & ctx.sender.role:
            allowed = "、".join(v for k, v in ROLE_NAMES.items() if k & command.roles)
            ctx.reply(f"抱歉，/{command.name} 只有{allowed}可以使用。")
            log.warning("denied /%s to %s (%s)", command.name, ctx.sender.contact_id, ctx.sender.role.name)
            ctx.audit(f"/{command.name}", args[:200], "denied: role")
            return
        if not command.rooms & ctx.where:
            places = "或".join(v for k, v in WHERE_NAMES.items() if k & command.rooms)
            ctx.reply(f"/{command.name} 请在{places}里使用。")
            return
        if command.scoped and ctx.class_group and ctx.class_group.name not in ctx.sender.classes:
            ctx.reply(NOT_YOUR_CLASS)
            ctx.audit(f"/{command.name}", args[:200], "denied: scope")
            return
        try:
            await command.handler(ctx, args)
            if ctx.then is not None:
                await ctx.then()
        except Exception:
            log.exception("command /%s failed", command.name)
            ctx.reply("抱歉，处理这条命令时出了问题，已记录，请稍后再试或联系管理员。")
            if ctx.sender.is_staff:
                ctx.audit(f"/{command.name}", args[:200], "error")
            return
        if ctx.sender.is_staff:
            ctx.audit(f"/{command.name}", args[:200], "ok")


__all__ = [
    "MAX_INPUT_CHARS",
    "Command",
    "Context",
    "Dispatcher",
    "Router",
    "Where",
    "normalise",
    "strip_mention",
]

