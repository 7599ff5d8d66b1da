"""The calendar in chat: /提醒 and /取消提醒 for teachers, /日程 for everyone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.people import Role
from bot.router import Context, Router, Where
from bot.texts import calendar as texts
from bot.zhdate import find_when

router = Router("calendar")

_TYPE_WORDS = (("直播", "直播"), ("考试", "考试"), ("选课", "选课"), ("报考", "报考"), ("作业", "作业"),
               ("截止", "作业"), ("提交", "作业"))


def guess_type(title: str) -> str:
    return next((t for word, t in _TYPE_WORDS if word in title), "其他")


@router.command("提醒", aliases=("remind",), roles=Role.STAFF, rooms=Where.CLASS, scoped=True,
                help="设置提醒，自动按时提醒本群", example="/提醒 11月30日18:00 形考作业3截止")
async def remind(ctx: Context, args: str) -> None:
    group = ctx.class_group
    assert group is not None
    now = ctx.app.clock.now()
    when = find_when(args, ctx.app.local(now), default_time=datetime.min.time().replace(hour=20))
    if when is None or not when.rest.strip():
        ctx.reply(texts.REMIND_USAGE)
        return
    if when.at <= ctx.app.local(now):
        ctx.reply(texts.REMIND_PAST)
        return
    title = re.sub(r"^(的|在|于)\s*", "", when.rest.strip())
    r, times = ctx.app.calendar.add_chat_reminder(group.name, guess_type(title), title, when.at,
                                                 ctx.sender.contact_id, now)
    ctx.reply(texts.reminder_set(r.id or 0, title, when.at, times))


@router.command("取消提醒", aliases=("unremind",), roles=Role.STAFF, rooms=Where.CLASS, scoped=True,
                help="取消用 /提醒 设置的提醒", example="/取消提醒 3")
async def cancel(ctx: Context, args: str) -> None:
    m = re.search(r"\d+", args)
    group = ctx.class_group
    assert group is not None
    if not m:
        ctx.reply("请写上提醒编号，例如：/取消提醒 3")
        return
    ok = ctx.app.calendar.cancel(int(m.group()), group.name)
    ctx.reply((texts.CANCELLED if ok else texts.CANCEL_NOT_FOUND).format(id=m.group()))


@router.command("日程", aliases=("agenda", "schedule"), rooms=Where.CLASS, help="本群接下来的安排",
                example="/日程 本周")
async def agenda(ctx: Context, args: str) -> None:
    group = ctx.class_group
    assert group is not None
    now_local = ctx.app.local(ctx.app.clock.now())
    monday = (now_local - timedelta(days=now_local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    if "下周" in args:
        start, end, title = monday + timedelta(days=7), monday + timedelta(days=14), "下周安排"
    elif "全部" in args or "所有" in args:
        start, end, title = now_local, now_local + timedelta(days=120), "近期全部安排"
    else:
        start, end, title = now_local, monday + timedelta(days=7), "本周安排"
    events = ctx.app.calendar.upcoming(group.name, start, end)
    ctx.reply(texts.agenda(title, events[:30], ctx.app.tz), mention=False)
