"""Commands and message rules: declared next to their code, checked and run by the dispatcher.

A command declares its name and aliases, who may use it and where, its argument parser (pure: text and the local
time in, a typed value or a UsageError out), its usage line, whether it asks for 确认 and when:

    router = Router("notices")

    @router.command("通知", aliases=("notice",), roles=Role.STAFF, rooms=Where.GROUP, scoped=True,
                    parse=parse_notice, usage="/通知 [截止 时间] 内容", example="/通知 周五前完成形考作业2",
                    confirm=fan_out_summary, help="发布通知并统计“收到”")
    def publish(ctx: Context, args: NoticeArgs) -> None: ...

Messages that are not commands go to the message rules in order; a rule returns whether it matched, and a rule
that `claims` stops the chain when it matched. Cross-cutting work — permissions, confirmation, audit and the error
reply — runs around the handler as middleware, never inside it.
"""

from __future__ import annotations

import difflib
import enum
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.config import ClassGroup, CoordinatorGroup
from bot.gateways.base import Incoming
from bot.people import ROLE_NAMES, Person, Role
from bot.texts import common as texts

if TYPE_CHECKING:
    from bot.calendar.service import Calendar
    from bot.collect import Collections
    from bot.config import Config
    from bot.digests.service import Digests
    from bot.friends import Friends
    from bot.handbook.service import Handbook
    from bot.notices.service import Notices
    from bot.people import People
    from bot.progress.service import Progress
    from bot.questions import Questions
    from bot.roster import Roster
    from bot.services import Services
    from bot.staff import Staff
    from bot.uploads import Uploads
    from bot.weblogin import WebAccess

log = logging.getLogger("banzhu.router")

CONFIRM_WORDS = {"确认", "确定", "确认发送", "是", "好", "yes", "y", "ok", "导入", "确认导入"}
CANCEL_WORDS = {"取消", "算了", "不", "否", "no", "n"}

T = TypeVar("T")


class Where(enum.IntFlag):
    CLASS = 1
    COORDINATOR = 2
    PRIVATE = 4
    GROUP = CLASS | COORDINATOR
    ANYWHERE = CLASS | COORDINATOR | PRIVATE


WHERE_NAMES = {Where.CLASS: texts.PLACE_NAMES["class"], Where.COORDINATOR: texts.PLACE_NAMES["coordinator"],
               Where.PRIVATE: texts.PLACE_NAMES["private"]}


class UsageError(ValueError):
    """Arguments a command cannot take; the message (Chinese, for the person typing) is the reply. Empty: reply
    with the command's declared usage."""


@dataclass
class Context:
    """Everything a handler needs, passed explicitly: the message, who sent it where, and the services."""

    services: Services
    msg: Incoming
    sender: Person
    group: ClassGroup | CoordinatorGroup | None
    text: str = ""  # cleaned, without a leading @bot
    at_bot: bool = False
    command: Command[Any] | None = None
    confirmed: bool = False  # the re-run of a command its sender has just confirmed
    commands: list[Command[Any]] = field(default_factory=list)  # every declared command (for /帮助)

    # -- who, where, when ----------------------------------------------------------------------------------------
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

    @property
    def coordinator_group(self) -> CoordinatorGroup | None:
        return self.group if isinstance(self.group, CoordinatorGroup) else None

    @property
    def place(self) -> str:
        """For the audit log: the group's name, or 私聊."""
        return self.group.name if self.group else "私聊"

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.services.config.tz)

    # -- the services, typed -------------------------------------------------------------------------------------
    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def people(self) -> People:
        return self.services.people

    @property
    def roster(self) -> Roster:
        return self.services.roster

    @property
    def staff(self) -> Staff:
        return self.services.staff

    @property
    def notices(self) -> Notices:
        return self.services.notices

    @property
    def calendar(self) -> Calendar:
        return self.services.calendar

    @property
    def handbook(self) -> Handbook:
        return self.services.handbook

    @property
    def questions(self) -> Questions:
        return self.services.questions

    @property
    def digests(self) -> Digests:
        return self.services.digests

    @property
    def friends(self) -> Friends:
        return self.services.friends

    @property
    def web(self) -> WebAccess:
        return self.services.web

    @property
    def progress(self) -> Progress:
        return self.services.progress

    @property
    def uploads(self) -> Uploads:
        return self.services.uploads

    @property
    def collections(self) -> Collections:
        return self.services.collections

    # -- replying ------------------------------------------------------------------------------------------------
    def reply(self, text: str, *, mention: bool = True, mentions: Iterable[str] = (), file_path: str | None = None,
              priority: int = 0) -> None:
        """Answer where the message came from: in the room @-mentioning the sender, or privately."""
        outbox = self.services.outbox
        if self.msg.room:
            ids = ([self.sender.contact_id] if mention else []) + [m for m in mentions if m != self.sender.contact_id]
            outbox.enqueue(text=text, room_id=self.msg.room.room_id, mentions=ids, file_path=file_path,
                           priority=priority)
        else:
            outbox.enqueue(text=text, contact_id=self.sender.contact_id, file_path=file_path, priority=priority)

    def say(self, text: str, *, mentions: Iterable[str] = (), priority: int = 0) -> None:
        """Post to the current conversation without mentioning the sender."""
        self.reply(text, mention=False, mentions=mentions, priority=priority)

    def tell(self, contact_id: str, text: str, file_path: str | None = None, priority: int = 0) -> None:
        """A private message to one contact."""
        self.services.outbox.enqueue(text=text, contact_id=contact_id, file_path=file_path, priority=priority)

    def audit(self, action: str, detail: str = "", result: str = "ok") -> None:
        self.services.audit.record(self.sender, self.place, action, detail, result)


Parser = Callable[[str, datetime], Any]
Handler = Callable[[Context, Any], None]
Confirm = Callable[[Context, Any], "str | None"]
Rule = Callable[[Context], bool]


def no_args(text: str, now: datetime) -> None:
    """The parser of a command that takes no arguments (anything typed after it is ignored)."""
    return None


def raw_args(text: str, now: datetime) -> str:
    return text


@dataclass
class Command(Generic[T]):
    name: str
    handler: Callable[[Context, T], None]
    aliases: tuple[str, ...] = ()
    roles: Role = Role.ANYONE
    rooms: Where = Where.ANYWHERE
    help: str = ""
    usage: str = ""
    example: str = ""
    scoped: bool = False  # in a class group, only staff responsible for that class may use it
    parse: Parser = raw_args
    confirm: Confirm | None = None  # a summary to confirm first, or None to run at once
    audited: bool = True  # staff use is written to the audit log

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass
class MessageRule:
    name: str
    handler: Rule
    rooms: Where = Where.ANYWHERE
    claims: bool = True  # a match stops the rules after it


@dataclass
class Router:
    """A feature's commands and message rules; routers are included into the dispatcher in order."""

    name: str
    commands: list[Command[Any]] = field(default_factory=list)
    rules: list[MessageRule] = field(default_factory=list)

    def command(self, name: str, *, aliases: tuple[str, ...] = (), roles: Role = Role.ANYONE,
                rooms: Where = Where.ANYWHERE, help: str = "", usage: str = "", example: str = "",
                scoped: bool = False, parse: Parser = raw_args, confirm: Confirm | None = None,
                audited: bool = True) -> Callable[[Callable[[Context, T], None]], Callable[[Context, T], None]]:
        def deco(fn: Callable[[Context, T], None]) -> Callable[[Context, T], None]:
            self.commands.append(Command(name, fn, aliases, roles, rooms, help, usage or f"/{name}", example,
                                         scoped, parse, confirm, audited))
            return fn
        return deco

    def message(self, name: str, *, rooms: Where = Where.ANYWHERE, claims: bool = True) -> Callable[[Rule], Rule]:
        def deco(fn: Rule) -> Rule:
            self.rules.append(MessageRule(name, fn, rooms, claims))
            return fn
        return deco


class Dispatcher:
    """Routes one message to a command or the message rules, with the cross-cutting checks around it."""

    def __init__(self, routers: list[Router]) -> None:
        self.routers = routers
        self.commands: dict[str, Command[Any]] = {}
        for r in routers:
            for c in r.commands:
                for n in c.names:
                    key = n.lower()
                    if key in self.commands:
                        raise ValueError(f"command name {n!r} is registered twice")
                    self.commands[key] = c
        # Longest first, so /未确认 wins over a shorter prefix and "/通知周五…" (no space) still parses.
        self._names = sorted(self.commands, key=len, reverse=True)

    def all_commands(self) -> list[Command[Any]]:
        seen: list[Command[Any]] = []
        for r in self.routers:
            seen.extend(c for c in r.commands if c not in seen)
        return seen

    # -- parsing -------------------------------------------------------------------------------------------------
    def parse(self, text: str) -> tuple[Command[Any] | None, str, str] | None:
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
    def dispatch(self, ctx: Context) -> None:
        ctx.commands = self.all_commands()
        if self._answer_pending(ctx):
            return
        parsed = self.parse(ctx.text) if ctx.msg.kind == "text" else None
        if parsed is None:
            self._rules(ctx)
            return
        command, typed, args = parsed
        if command is None:
            hint = self.suggest(typed, ctx.sender)
            tip = texts.DID_YOU_MEAN.format(name=hint) if hint else ""
            ctx.reply(texts.UNKNOWN_COMMAND.format(typed=typed, tip=tip))
            return
        self.run(ctx, command, args)

    def _rules(self, ctx: Context) -> None:
        for router in self.routers:
            for rule in router.rules:
                if not rule.rooms & ctx.where:
                    continue
                try:
                    with ctx.services.db.savepoint():
                        matched = rule.handler(ctx)
                except Exception:  # one broken feature must not take the others down
                    log.exception("message rule %s failed", rule.name)
                    if ctx.where == Where.PRIVATE:
                        ctx.reply(texts.MESSAGE_FAILED)
                    return
                if matched and rule.claims:
                    return

    def run(self, ctx: Context, command: Command[Any], args: str) -> None:
        """Check who may run `command` here, parse its arguments, confirm if it must, run it, audit it."""
        ctx.command = command
        if not self._allowed(ctx, command, args):
            return
        try:
            value = command.parse(args, ctx.local(ctx.msg.time))
        except UsageError as exc:
            ctx.reply(str(exc) or texts.USAGE.format(usage=command.usage, example=command.example or command.usage))
            return
        if command.confirm is not None and not ctx.confirmed:
            summary = command.confirm(ctx, value)
            if summary:
                ctx.services.confirmations.ask(ctx.room_id, ctx.sender.contact_id, ctx.text)
                ctx.reply(texts.CONFIRM_ASK.format(summary=summary, minutes=10))
                return
        try:
            with ctx.services.db.savepoint():
                command.handler(ctx, value)
        except Exception:
            log.exception("command /%s failed", command.name)
            ctx.reply(texts.COMMAND_FAILED)
            if ctx.sender.is_staff and command.audited:
                ctx.audit(f"/{command.name}", args[:200], "error")
            return
        if ctx.sender.is_staff and command.audited:
            ctx.audit(f"/{command.name}" + (" 确认" if ctx.confirmed else ""), args[:200], "ok")

    def _allowed(self, ctx: Context, command: Command[Any], args: str) -> bool:
        if not command.roles & ctx.sender.role:
            allowed = "、".join(v for k, v in ROLE_NAMES.items() if k & command.roles)
            ctx.reply(texts.ROLE_DENIED.format(name=command.name, allowed=allowed))
            log.warning("denied /%s to %s (%s)", command.name, ctx.sender.contact_id, ctx.sender.role.name)
            ctx.audit(f"/{command.name}", args[:200], "denied: role")
            return False
        if not command.rooms & ctx.where:
            places = "或".join(v for k, v in WHERE_NAMES.items() if k & command.rooms)
            ctx.reply(texts.WRONG_PLACE.format(name=command.name, places=places))
            return False
        if command.scoped and ctx.class_group and ctx.class_group.name not in ctx.sender.classes:
            ctx.reply(texts.NOT_YOUR_CLASS)
            ctx.audit(f"/{command.name}", args[:200], "denied: scope")
            return False
        return True

    # -- confirmations -------------------------------------------------------------------------------------------
    def _answer_pending(self, ctx: Context) -> bool:
        word = ctx.text.strip("。！!. ").lower()
        if word not in CONFIRM_WORDS and word not in CANCEL_WORDS:
            return False
        pending = ctx.services.confirmations.take(ctx.room_id, ctx.sender.contact_id, ctx.msg.time)
        if pending is None:
            return False
        if pending.expired:
            if word in CONFIRM_WORDS:
                ctx.reply(texts.CONFIRM_EXPIRED)
                return True
            return False
        if word in CANCEL_WORDS:
            ctx.reply(texts.CONFIRM_CANCELLED)
            return True
        parsed = self.parse(pending.text)
        if parsed is None or parsed[0] is None:
            return False
        ctx.confirmed = True
        ctx.text = pending.text
        self.run(ctx, parsed[0], parsed[2])
        return True


__all__ = ["Command", "Context", "Dispatcher", "Router", "UsageError", "Where", "no_args", "raw_args"]
