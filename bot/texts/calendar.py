"""What the bot says about the calendar: reminders, /提醒 confirmations, /日程."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.calendar.events import Event
from bot.kernel.dates import format_when
from bot.kernel.durations import format_duration_zh

ICON = {"作业": "📝", "直播": "📺", "选课": "📚", "报考": "🗂", "考试": "✍️", "其他": "📌"}


def _left(delta: timedelta) -> str:
    if delta <= timedelta(0):
        return ""
    return f"，还有{format_duration_zh(delta)}"


def reminder_line(ev: Event, at_start: bool, now: datetime, tz, late: bool) -> str:
    tag = "（补发）" if late else ""
    icon = ICON.get(ev.type, "📌")
    if at_start and ev.deadline and ev.type in ("选课", "报考"):
        text = f"{icon}{tag}【{ev.type}】{ev.title} 现已开始，截止 {format_when(ev.deadline.astimezone(tz))}。"
    elif ev.type in ("作业", "选课", "报考") and ev.deadline:
        text = f"{icon}{tag}【{ev.type}】{ev.title} 将于 {format_when(ev.deadline.astimezone(tz))} 截止" \
               f"{_left(ev.deadline - now)}。"
    else:
        when = ev.start or ev.deadline
        assert when is not None
        verb = "开始" if ev.type in ("直播", "考试") else "进行"
        if ev.deadline and not ev.start:
            verb = "截止"
        text = f"{icon}{tag}【{ev.type}】{ev.title} 将于 {format_when(when.astimezone(tz))} {verb}{_left(when - now)}。"
    extras = []
    if ev.teacher:
        extras.append(f"主讲：{ev.teacher}")
    if ev.place:
        extras.append(f"地点：{ev.place}")
    if ev.link:
        extras.append(f"链接：{ev.link}")
    if ev.notes:
        extras.append(ev.notes)
    return text + ("\n" + "；".join(extras) if extras else "")


def reminder_message(lines: list[str]) -> str:
    return "【班助提醒】\n" + "\n".join(lines)


def reminder_set(rid: int, title: str, at: datetime, times: list[datetime]) -> str:
    shown = "、".join(format_when(t) for t in times) if times else "（时间太近，不再另行提醒）"
    return f"已设置提醒 #{rid}：{title}，时间 {format_when(at)}。\n将在 {shown} 提醒本群。发送 /取消提醒 {rid} 可取消。"


def agenda(title: str, events: list[Event], tz) -> str:
    if not events:
        return f"{title}：暂无安排。"
    lines = [f"{title}："]
    for ev in events:
        lines.append(f"· {format_when(ev.when.astimezone(tz))} {ICON.get(ev.type, '')}{ev.type}｜{ev.title}")
    return "\n".join(lines)


REMIND_USAGE = "用法：/提醒 时间 事项，例如 /提醒 11月30日18:00 形考作业3截止 或 /提醒 周五晚上8点 直播课"
def remind_bad_date(problem: str) -> str:
    return f"{problem}提醒没有设置。"


REMIND_PAST = "这个时间已经过去了，请检查一下日期。"
CANCELLED = "已取消提醒 #{id}。"
CANCEL_NOT_FOUND = "没有找到提醒 #{id}（只能取消本群用 /提醒 设置的提醒）。"
CANCEL_USAGE = "请写上提醒编号，例如：/取消提醒 3"
