"""What a digest says: a 数据通报 that fits a WeChat message (the outbox splits it at line breaks if not)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.calendar.events import Event
from bot.digests.figures import Figures
from bot.kernel.dates import format_when
from bot.kernel.enums import Period

KIND_TITLE = {"daily": "今日", "weekly": "本周", "monthly": "月度", "today": "今日", "week": "本周", "month": "本月"}


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return ""
    diff = round((now - before) * 100)
    if diff == 0:
        return "（持平）"
    return f"（↑{diff}%）" if diff > 0 else f"（↓{-diff}%）"


def period(start: datetime, end: datetime) -> str:
    last = end - timedelta(seconds=1)
    if start.date() == last.date():
        return f"{start.month}月{start.day}日"
    return f"{start.month}月{start.day}日—{last.month}月{last.day}日"


def digest(kind: Period, scope: str, now: Figures, before: Figures | None, names: dict[str, str],
           upcoming: list[tuple[Event, list[str]]], tz, ranked: bool = False) -> str:
    start, end = now.start.astimezone(tz), now.end.astimezone(tz)
    lines = [f"【{KIND_TITLE.get(kind, '')}数据通报】{period(start, end)}（{scope}）"]
    notices = now.total("notices")
    lines.append(f"通知 {notices} 条，确认率 {pct(now.rate)}{change(now.rate, before.rate if before else None)}，"
                 f"逾期确认 {now.total('late')} 人次")
    line = f"提醒 按时 {now.reminders('sent')} / 补发 {now.reminders('late')} / 跳过 {now.reminders('skipped')}"
    if now.reminders("queued"):
        line += f" / 待发 {now.reminders('queued')}"
    if now.reminders("failed"):
        line += f" / 未送达 {now.reminders('failed')}"
    lines.append(line)
    if now.total("questions"):
        top = [t for qs in now.questions_top.values() for t in qs][:3]
        lines.append(f"未答问题 {now.total('questions')} 个：" + "；".join(q[:20] for q in top))
    points = now.points()
    prev_points = {p.name: p for p in before.points()} if before else {}
    if len(points) > 1:
        lines.append("—— 教学点" + ("排名" if ranked else "") + " ——")
        order = sorted(points, key=lambda p: -(p.rate or 0)) if ranked else points
        for i, p in enumerate(order, 1):
            prev = prev_points.get(p.name)
            lines.append(f"{i}. {p.name}：确认率 {pct(p.rate)}{change(p.rate, prev.rate if prev else None)}，"
                         f"通知 {p.total('notices')}")
    lines.append("—— 班级（确认率从低到高）——" if not ranked else "—— 班级排名 ——")
    prev_classes = before.classes if before else {}
    classes = sorted(now.classes.values(), key=lambda c: (c.rate if c.rate is not None else 2, c.name))
    if ranked:
        classes = list(reversed([c for c in classes if c.rate is not None])) + [c for c in classes if c.rate is None]
    for i, c in enumerate(classes, 1):
        prev_class = prev_classes.get(c.name)
        text = f"{i}. {c.name}" if ranked else f"· {c.name}"
        text += f"：{pct(c.rate)}{change(c.rate, prev_class.rate if prev_class else None)}，通知 {c.notices}"
        if c.behind:
            shown = "、".join(names.get(cid, cid) for cid, _ in c.behind[:8])
            more = f"等{len(c.behind)}人" if len(c.behind) > 8 else ""
            text += f"；两条以上未确认 {len(c.behind)} 人：{shown}{more}"
        if c.not_in_group:
            text += f"；未进群 {c.not_in_group} 人"
        lines.append(text)
    if upcoming:
        lines.append("—— 未来7天 ——")
        for ev, groups in upcoming[:8]:
            who = "全部班级" if len(groups) == len(now.classes) > 4 else "、".join(groups[:4]) + (
                f"等{len(groups)}个班" if len(groups) > 4 else "")
            lines.append(f"· {format_when(ev.when.astimezone(tz))} {ev.type}｜{ev.title}（{who}）")
    return "\n".join(lines)


NO_CLASSES = "您还没有负责的班级。"
SENT_PRIVATELY = "汇总已私聊发给您。"
