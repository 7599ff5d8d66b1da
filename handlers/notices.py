"""Notices: /通知, /未确认, /统计, /催, /导出, and crediting 收到 in class groups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.acks import AckMatch, classify, is_solitaire, solitaire_names
from bot.config import ClassGroup, CoordinatorGroup
from bot.durations import parse_duration
from bot.exports import notice_workbook
from bot.models import Notice
from bot.people import Role
from bot.router import Context, Router, Where
from bot.texts import notices as texts
from bot.texts.common import NOT_YOUR_CLASS
from bot.zhdate import find_when
from schedules.nudges import nudge_plan

router = Router("notices")

NO_ACK = re.compile(r"^(无需确认|无需回复|不用回复|不需确认|不用确认|仅通知)\s*")
NO_NUDGE = re.compile(r"^(不催|不用催|不要催|不自动催|不提醒)\s*")
NUDGE_AT = re.compile(r"^催\s*[:：]?\s*((?:\d+(?:\.\d+)?\s*(?:天|小时|分钟|d|h|m)\s*[,，、和]?\s*)+)")
EXPLICIT_DEADLINE = re.compile(r"^(截止|截至|ddl|DDL)\s*[:：]?\s*")
_ZH_UNITS = {"天": "d", "小时": "h", "分钟": "m"}


def _nudge_offsets(text: str) -> list[timedelta]:
    return [parse_duration(num + _ZH_UNITS.get(unit, unit))
            for num, unit in re.findall(r"(\d+(?:\.\d+)?)\s*(天|小时|分钟|d|h|m)", text)]
NUMBER = re.compile(r"#\s*(\d+)")


@dataclass
class NoticeSpec:
    body: str
    deadline: datetime | None = None
    needs_ack: bool = True
    nudges: list[timedelta] | None = None  # None: the configured defaults


def parse_notice(args: str, now_local: datetime) -> NoticeSpec:
    """Options in any order before the text: 无需确认, 不催, 催 1天,2小时, 截止 <时间>; or "<时间>前" in the text."""
    spec = NoticeSpec("")
    deadline_found = False
    while True:
        args = args.lstrip()
        if m := NO_ACK.match(args):
            spec.needs_ack, args = False, args[m.end():]
        elif m := NO_NUDGE.match(args):
            spec.nudges, args = [], args[m.end():]
        elif m := NUDGE_AT.match(args):
            spec.nudges, args = _nudge_offsets(m.group(1)), args[m.end():]
        elif (m := EXPLICIT_DEADLINE.match(args)) and (when := find_when(args[m.end():], now_local)):
            spec.deadline, args, deadline_found = when.at, when.rest, True
        else:
            break
    spec.body = args.strip()
    if not deadline_found:
        when = find_when(spec.body, now_local)
        if when and when.before:  # "周五前完成形考作业2": the notice keeps its words, and gets a deadline
            spec.deadline = when.at
    return spec


def _targets(ctx: Context, spec: str) -> tuple[list[ClassGroup], str] | None:
    """Parse 全部班级 / 教学点:城区 / 班级:行管1班,行管2班 at the start of a coordinator's notice."""
    classes = ctx.app.config.groups.classes
    group = ctx.group
    assert isinstance(group, CoordinatorGroup)
    allowed_points = None if group.points == "all" else set(group.points)
    in_scope = [c for c in classes if c.name in ctx.sender.classes
                and (allowed_points is None or c.point in allowed_points)]
    m = re.match(r"^(全部班级|所有班级|全部)\s*", spec)
    if m:
        return in_scope, spec[m.end():]
    m = re.match(r"^教学点\s*[:：]\s*([^\s]+)\s*", spec)
    if m:
        points = set(re.split(r"[,，、]", m.group(1)))
        return [c for c in in_scope if c.point in points], spec[m.end():]
    m = re.match(r"^班级\s*[:：]\s*([^\s]+)\s*", spec)
    if m:
        names = set(re.split(r"[,，、]", m.group(1)))
        return [c for c in in_scope if c.name in names], spec[m.end():]
    return None


@router.command("通知", aliases=("notice",), roles=Role.STAFF, rooms=Where.GROUP, scoped=True,
                help="发布通知，统计“收到”", example="/通知 周五前完成形考作业2")
async def publish(ctx: Context, args: str) -> None:
    now_local = ctx.app.local(ctx.app.clock.now())
    if isinstance(ctx.group, CoordinatorGroup):
        parsed = _targets(ctx, args)
        if parsed is None:
            ctx.reply("请写明发给哪些班级，例如：\n/通知 全部班级 周五前完成形考作业2\n/通知 教学点:城区 …\n"
                      "/通知 班级:行管1班,行管2班 …")
            return
        groups, rest = parsed
        spec = parse_notice(rest, now_local)
        body, deadline, needs_ack = spec.body, spec.deadline, spec.needs_ack
        if not body:
            ctx.reply(texts.EMPTY_NOTICE)
            return
        if not groups:
            ctx.reply("没有找到您负责范围内的这些班级。")
            return

        async def send() -> None:
            parent, children, unbound = ctx.app.notices.fan_out(groups, ctx.sender, body, deadline=deadline,
                                                                needs_ack=needs_ack, nudges=spec.nudges)
            text = f"已发送通知 #{parent.id} 到 {len(children)} 个班级群。发送 /统计 #{parent.id} 查看各班确认情况。"
            if unbound:
                text += f"\n未找到微信群、没有发出：{'、'.join(unbound)}"
            ctx.reply(text)
            ctx.audit("/通知 确认发送", f"#{parent.id} -> {len(children)} groups")

        names = "、".join(g.name for g in groups[:8]) + (f" 等{len(groups)}个班级" if len(groups) > 8 else "")
        ctx.confirm(f"将把通知发到 {len(groups)} 个班级群（{names}）：\n{texts.short(body, 60)}", send)
        return
    group = ctx.class_group
    assert group is not None
    spec = parse_notice(args, now_local)
    body, deadline = spec.body, spec.deadline
    if not body:
        ctx.reply(texts.EMPTY_NOTICE)
        return
    notice = ctx.app.notices.publish(group, ctx.sender, body, deadline=deadline, needs_ack=spec.needs_ack,
                                     nudges=spec.nudges)
    if notice is None:
        ctx.reply(texts.ROOM_UNKNOWN.format(group=group.name))
        return
    expected = len(ctx.app.notices.status(notice).expected)
    plan = [ctx.app.local(t) for t in nudge_plan(ctx.app, notice)]
    ctx.tell(ctx.sender.contact_id, texts.published(notice, ctx.app.local(deadline) if deadline else None, expected,
                                                    plan))


def _pick_notice(ctx: Context, args: str, example: str) -> Notice | None:
    """The notice a status command is about: #N, or the latest of this class group; replies when none."""
    m = NUMBER.search(args) or re.match(r"^\s*(\d+)\s*$", args)
    notices = ctx.app.notices
    if m:
        n = notices.get(int(m.group(1)))
        if n is None:
            ctx.reply(texts.NOT_FOUND.format(n=m.group(1)))
            return None
    elif ctx.class_group:
        n = notices.latest(ctx.class_group.name)
        if n is None:
            ctx.reply(texts.NO_NOTICE)
            return None
    else:
        ctx.reply(texts.NEED_NUMBER.format(example=example))
        return None
    in_scope = (n.group_name in ctx.sender.classes if not n.is_fanout
                else n.author_id == ctx.sender.contact_id or ctx.sender.role == Role.ADMIN)
    if not in_scope:
        ctx.reply(NOT_YOUR_CLASS)
        return None
    return n


def fanout_rows(ctx: Context, parent: Notice) -> list[tuple[str, int, int]]:
    rows = []
    for child in ctx.app.notices.children(parent.id or 0):
        st = ctx.app.notices.status(child)
        rows.append((child.group_name, st.done, len(st.expected)))
    return rows


@router.command("未确认", aliases=("未回复", "unacked"), roles=Role.STAFF, help="查看谁还没回复“收到”",
                example="/未确认 #12")
async def unacked(ctx: Context, args: str) -> None:
    n = _pick_notice(ctx, args, "/未确认 #12")
    if n is None:
        return
    if n.is_fanout:
        ctx.reply(texts.fanout_stats(n, fanout_rows(ctx, n)), mention=False)
        return
    st = ctx.app.notices.status(n)
    missing = [st.names[m.contact_id] for m in st.missing]
    ctx.reply(texts.not_acked(n, missing, len(st.expected), [s.name for s in st.not_in_group]), mention=False)


@router.command("统计", aliases=("stats",), roles=Role.STAFF, help="通知的确认人数和比例", example="/统计 #12")
async def stats(ctx: Context, args: str) -> None:
    n = _pick_notice(ctx, args, "/统计 #12")
    if n is None:
        return
    if n.is_fanout:
        ctx.reply(texts.fanout_stats(n, fanout_rows(ctx, n)), mention=False)
        return
    st = ctx.app.notices.status(n)
    deadline = ctx.app.local(n.deadline) if n.deadline else None
    ctx.reply(texts.stats(n, st.done, len(st.expected), st.late, len(st.not_in_group), deadline), mention=False)


@router.command("催", aliases=("催收", "nudge"), roles=Role.STAFF, rooms=Where.CLASS | Where.PRIVATE,
                help="@所有还没回复的同学", example="/催 #12")
async def nudge(ctx: Context, args: str) -> None:
    n = _pick_notice(ctx, args, "/催 #12")
    if n is None or n.is_fanout:
        if n is not None:
            ctx.reply("群发的通知请到各班级群里催，或等系统自动提醒。")
        return
    st = ctx.app.notices.status(n)
    missing = st.missing
    if not missing:
        ctx.reply(texts.NOBODY_MISSING.format(n=n.id))
        return
    deadline = ctx.app.local(n.deadline) if n.deadline else None
    ctx.app.outbox.enqueue(text=texts.nudge(n, deadline, len(missing)), room_id=n.room_id,
                           mentions=[m.contact_id for m in missing])
    if ctx.where == Where.PRIVATE:
        ctx.reply(f"已在{n.group_name}群里提醒 {len(missing)} 位同学。")


@router.command("导出", aliases=("export",), roles=Role.STAFF, help="私聊发送通知确认情况的Excel表",
                example="/导出 #12")
async def export(ctx: Context, args: str) -> None:
    n = _pick_notice(ctx, args, "/导出 #12")
    if n is None:
        return
    path = notice_workbook(ctx.app, n)
    ctx.tell(ctx.sender.contact_id, f"通知 #{n.id} 的确认情况见附件。", file_path=str(path))
    if ctx.where != Where.PRIVATE:
        ctx.reply("表格已私聊发给您。")


@router.message("acknowledgement", rooms=Where.CLASS)
async def acknowledge(ctx: Context) -> bool:
    """Credit 收到 (and 接龙, quotes, `收到 #12`) silently: no reply to every 收到 in a 200-person group."""
    if ctx.sender.is_staff or ctx.group is None:
        return False
    msg, notices = ctx.msg, ctx.app.notices
    now = msg.time
    group_name = ctx.group.name
    if msg.kind == "solitaire" or is_solitaire(ctx.text):
        return _credit_solitaire(ctx, now)
    quoted = notices.quoted_number(msg.quote.text if msg.quote else None)
    match = classify(ctx.text, (msg.sender.name, msg.sender.alias))
    if quoted is not None and match is None and not _is_question_or_negation(ctx.text):
        match = AckMatch()  # quoting the notice counts, unless the reply asks or denies something
    if match is None:
        return False
    targets = notices.resolve_ack_targets(group_name, match, quoted, msg.sender.contact_id, now)
    if not targets:
        return True  # an ack with nothing open: still not a question, stay silent
    name = ctx.app.roster.display_names(ctx.room_id or "", [msg.sender])[msg.sender.contact_id]
    via = "quote" if quoted else ("number" if match.number else "reply")
    notices.credit(targets, msg.sender, name, at=now, via=via, message_id=msg.message_id, text=msg.text)
    return True


def _is_question_or_negation(text: str) -> bool:
    return bool(re.search(r"[?？吗怎哪几啥]|没|不", text))


def _credit_solitaire(ctx: Context, now: datetime) -> bool:
    """接龙: credit the sender, and every listed name that matches a member of this room."""
    notices, msg = ctx.app.notices, ctx.msg
    assert ctx.group is not None
    open_ = notices.open_notices(ctx.group.name, now)
    if not open_:
        return True
    target = [open_[-1]]  # a 接龙 answers the latest notice
    members = ctx.app.people.members(ctx.room_id or "")
    names = ctx.app.roster.display_names(ctx.room_id or "", members)
    by_name: dict[str, list] = {}
    for m in members:
        for key in {names[m.contact_id], m.name, m.alias}:
            if key:
                by_name.setdefault(key, []).append(m)
    credited = {msg.sender.contact_id}
    notices.credit(target, msg.sender, names.get(msg.sender.contact_id, msg.sender.shown), at=now,
                   via="solitaire", message_id=msg.message_id, text=msg.text)
    staff = ctx.app.people.staff_ids()
    for entry in solitaire_names(ctx.text):
        found = by_name.get(entry) or by_name.get(re.sub(r"\d+", "", entry).strip("-_ "))
        if found and len(found) == 1 and found[0].contact_id not in credited | staff:
            m = found[0]
            credited.add(m.contact_id)
            notices.credit(target, m, names[m.contact_id], at=now, via="solitaire", message_id=msg.message_id,
                           text=entry)
    return True
