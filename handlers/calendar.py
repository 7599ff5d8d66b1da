"""The calendar in chat: /提醒 and /取消提醒 for teachers, /日程 for everyone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from bot.kernel.dates import DateError, find_when
from bot.people import Role
from bot.router import Context, Router, UsageError, Where
from bot.texts import calendar as texts

router = Router("calendar")


@dataclass(frozen=True)
class RemindArgs:
    at: datetime
    title: str


def parse_remind(text: str, now: datetime) -> RemindArgs:
    """A time phrase and what to remind of, in either order: '11月30日18:00 形考作业3截止'. No time of day: 20:00."""
    try:
        when = find_when(text, now, default_time=time(20, 0))
    except DateError as exc:  # 2月30日, 25:99: say so, set nothing
        raise UsageError(texts.remind_bad_date(str(exc))) from None
    if when is None or not when.rest.strip():
        raise UsageError(texts.REMIND_USAGE)
    return RemindArgs(when.at, re.sub(r"^(的|在|于)\s*", "", " ".join(when.rest.split())))


@router.command("提醒", aliases=("remind",), roles=Role.STAFF, rooms=Where.CLASS, scoped=True, parse=parse_remind,
                help="设置提醒，自动按时提醒本群", usage="/提醒 时间 事项", example="/提醒 11月30日18:00 形考作业3截止")
def remind(ctx: Context, args: RemindArgs) -> None:
    klass = ctx.class_group
    assert klass is not None
    done = ctx.calendar.add_chat_reminder(klass.name, args.title, args.at, ctx.sender.contact_id, ctx.now)
    if done is None:
        ctx.reply(texts.REMIND_PAST)
        return
    reminder, times = done
    ctx.reply(texts.reminder_set(reminder.id or 0, args.title, args.at, times))


def parse_id(text: str, now: datetime) -> int:
    m = re.search(r"\d+", text)
    if not m:
        raise UsageError(texts.CANCEL_USAGE)
    return int(m.group())


@router.command("取消提醒", aliases=("unremind",), roles=Role.STAFF, rooms=Where.CLASS, scoped=True, parse=parse_id,
                help="取消用 /提醒 设置的提醒", usage="/取消提醒 编号", example="/取消提醒 3")
def cancel(ctx: Context, reminder_id: int) -> None:
    klass = ctx.class_group
    assert klass is not None
    ok = ctx.calendar.cancel(reminder_id, klass.name)
    ctx.reply((texts.CANCELLED if ok else texts.CANCEL_NOT_FOUND).format(id=reminder_id))


def parse_range(text: str, now: datetime) -> str:
    if "下周" in text:
        return "next"
    if "全部" in text or "所有" in text:
        return "all"
    return "week"


@router.command("日程", aliases=("agenda", "schedule"), rooms=Where.CLASS, parse=parse_range,
                help="本群接下来的安排", usage="/日程 [本周|下周|全部]", example="/日程 本周")
def agenda(ctx: Context, which: str) -> None:
    klass = ctx.class_group
    assert klass is not None
    title, events = ctx.calendar.agenda(klass.name, which, ctx.now)
    ctx.reply(texts.agenda(title, events, ctx.config.tz), mention=False)
