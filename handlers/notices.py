"""Notices: /通知 and /收集 (a notice answered with a file), /未确认, /统计, /催, /导出, and crediting 收到 in class
groups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.kernel.dates import DateError, When, find_when
from bot.kernel.durations import parse_durations
from bot.kernel.text import is_negation, is_question
from bot.models import Notice
from bot.notices.acks import AckMatch, classify, is_solitaire
from bot.notices.service import COLLECTION, NOTICE
from bot.notices.values import NoticeError
from bot.people import Role
from bot.router import Context, Router, UsageError, Where
from bot.texts import collect as collect_texts
from bot.texts import common
from bot.texts import notices as texts

router = Router("notices")

NO_ACK = re.compile(r"^(无需确认|无需回复|不用回复|不需确认|不用确认|仅通知)\s*")
NO_NUDGE = re.compile(r"^(不催|不用催|不要催|不自动催|不提醒)\s*")
NUDGE_AT = re.compile(r"^催\s*[:：]?\s*((?:\d+(?:\.\d+)?\s*(?:天|小时|分钟|d|h|m)\s*[,，、和]?\s*)+)")
EXPLICIT_DEADLINE = re.compile(r"^(截止|截至|ddl|DDL)\s*[:：]?\s*")
TARGETS = re.compile(r"^(?:(?P<all>全部班级|所有班级|全部)|教学点\s*[:：]\s*(?P<points>[^\s]+)|"
                     r"班级\s*[:：]\s*(?P<classes>[^\s]+))\s*")
NUMBER = re.compile(r"#\s*(\d+)")


# -- parsers (pure) ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoticeArgs:
    body: str
    deadline: datetime | None = None
    needs_ack: bool = True
    nudges: list[timedelta] | None = None  # None: the configured defaults; []: none
    target: str | None = None  # a coordinator's fan-out: all | points | classes
    names: tuple[str, ...] = ()


def parse_notice(text: str, now: datetime) -> NoticeArgs:
    """Targets first (全部班级 / 教学点:城区 / 班级:行管1班,行管2班), then options in any order (无需确认, 不催,
    催 1天,2小时, 截止 <时间>), then the text; a "<时间>前" in the text is its deadline."""
    target: str | None = None
    names: tuple[str, ...] = ()
    if m := TARGETS.match(text.lstrip()):
        target = "all" if m.group("all") else "points" if m.group("points") else "classes"
        names = tuple(x for x in re.split(r"[,，、]", m.group("points") or m.group("classes") or "") if x)
        text = text.lstrip()[m.end():]
    deadline, needs_ack, nudges, explicit = None, True, None, False
    while True:
        text = text.lstrip()
        if m := NO_ACK.match(text):
            needs_ack, text = False, text[m.end():]
        elif m := NO_NUDGE.match(text):
            nudges, text = [], text[m.end():]
        elif m := NUDGE_AT.match(text):
            nudges, text = parse_durations(m.group(1).strip(" ,，、和")), text[m.end():]
        elif m := EXPLICIT_DEADLINE.match(text):
            when = _when(text[m.end():], now)
            if when is None:
                raise UsageError(texts.DEADLINE_UNREADABLE)
            deadline, text, explicit = when.at, when.rest, True
        else:
            break
    body = text.strip()
    if not body:
        raise UsageError(texts.EMPTY_NOTICE)
    if not explicit:
        when = _when(body, now)
        if when and when.before:  # "周五前完成形考作业2": the notice keeps its words, and gets a deadline
            deadline = when.at
    if deadline is not None and deadline <= now:
        raise UsageError(texts.DEADLINE_PAST)
    return NoticeArgs(body, deadline, needs_ack, nudges, target, names)


def _when(text: str, now: datetime) -> When | None:
    try:
        return find_when(text, now)
    except DateError as exc:  # nothing is published: the teacher fixes the date first
        raise UsageError(texts.bad_date(str(exc))) from None


def parse_number(text: str, now: datetime) -> int | None:
    """'#12', '12' or nothing (the latest notice of this class group)."""
    m = NUMBER.search(text) or re.match(r"^\s*(\d+)\s*$", text)
    return int(m.group(1)) if m else None  # anything else: the latest notice (forgiving: "/统计 一下")


# -- commands ------------------------------------------------------------------------------------------------------
def _fan_out_summary(ctx: Context, args: NoticeArgs, title: str = "通知") -> str | None:
    """A coordinator's notice reaches many groups: confirm first (with the list of classes)."""
    group = ctx.coordinator_group
    if group is None or args.target is None:
        return None
    groups = ctx.notices.targets(ctx.sender, group, args.target, list(args.names))
    return texts.fanout_confirm([g.name for g in groups], args.body, title) if groups else None


@router.command("通知", aliases=("notice",), roles=Role.STAFF, rooms=Where.GROUP, scoped=True, parse=parse_notice,
                confirm=_fan_out_summary, help="发布通知，统计“收到”",
                usage="/通知 [截止 时间] [催 1天,3小时 | 不催] [无需确认] 通知内容",
                example="/通知 周五前完成形考作业2")
def publish(ctx: Context, args: NoticeArgs) -> None:
    _publish_as(ctx, args, NOTICE)


def _publish_as(ctx: Context, args: NoticeArgs, kind: str) -> None:
    """/通知 or /收集 (a notice answered with a file): in a class group, or fanned out from a coordinator group."""
    if (group := ctx.coordinator_group) is not None:
        if args.target is None:
            ctx.reply(texts.FANOUT_TARGETS)
            return
        groups = ctx.notices.targets(ctx.sender, group, args.target, list(args.names))
        if not groups:
            ctx.reply(texts.NO_CLASSES_IN_SCOPE)
            return
        try:
            done = ctx.notices.fan_out(groups, ctx.sender, args.body, deadline=args.deadline,
                                       needs_ack=args.needs_ack, nudges=args.nudges, kind=kind)
        except NoticeError as exc:
            ctx.reply(texts.error(exc))
            return
        ctx.reply(texts.fanned_out(done.parent.id or 0, len(done.children), done.unbound,
                                   texts.words(done.parent).title))
        return
    klass = ctx.class_group
    assert klass is not None
    try:
        published = ctx.notices.publish_here(klass, ctx.sender, args.body, deadline=args.deadline,
                                             needs_ack=args.needs_ack, nudges=args.nudges, kind=kind)
    except NoticeError as exc:
        ctx.reply(texts.error(exc))
        return
    deadline = ctx.local(args.deadline) if args.deadline else None
    ctx.tell(ctx.sender.contact_id, texts.published(published.notice, deadline, published.expected,
                                                    published.nudges))


def parse_collection(text: str, now: datetime) -> NoticeArgs:
    """As /通知 (截止, 催/不催, targets for a fan-out); a collection always waits for its files."""
    if not text.strip():
        raise UsageError(collect_texts.EMPTY)
    args = parse_notice(text, now)
    if not args.needs_ack:
        raise UsageError(collect_texts.NO_ACK_OPTION)
    return args


def _collection_fan_out_summary(ctx: Context, args: NoticeArgs) -> str | None:
    return _fan_out_summary(ctx, args, "收集")


@router.command("收集", aliases=("collect",), roles=Role.STAFF, rooms=Where.GROUP, scoped=True,
                parse=parse_collection, confirm=_collection_fan_out_summary, help="收集照片或文件（同学发图片或文件即算提交）",
                usage="/收集 [截止 时间] [催 1天,3小时 | 不催] 要交什么",
                example="/收集 截止 周五18:00 毕业电子照片（白底）")
def collect(ctx: Context, args: NoticeArgs) -> None:
    _publish_as(ctx, args, COLLECTION)


def _picked(ctx: Context, number: int | None, example: str) -> Notice | None:
    try:
        return ctx.notices.pick(ctx.sender, number, ctx.class_group)
    except NoticeError as exc:
        ctx.reply(texts.error(exc, example=example))
        return None


@router.command("未确认", aliases=("未回复", "unacked"), roles=Role.STAFF, parse=parse_number,
                help="查看谁还没回复“收到”", usage="/未确认 [#通知编号]", example="/未确认 #12")
def unacked(ctx: Context, number: int | None) -> None:
    n = _picked(ctx, number, "/未确认 #12")
    if n is None:
        return
    if n.is_fanout:
        ctx.reply(texts.fanout_stats(n, ctx.notices.class_rows(n)), mention=False)
        return
    st = ctx.notices.status(n)
    ctx.reply(texts.not_acked(n, st.missing_names, len(st.expected), [s.name for s in st.not_in_group]),
              mention=False)


@router.command("统计", aliases=("stats",), roles=Role.STAFF, parse=parse_number, help="通知的确认人数和比例",
                usage="/统计 [#通知编号]", example="/统计 #12")
def stats(ctx: Context, number: int | None) -> None:
    n = _picked(ctx, number, "/统计 #12")
    if n is None:
        return
    if n.is_fanout:
        ctx.reply(texts.fanout_stats(n, ctx.notices.class_rows(n)), mention=False)
        return
    st = ctx.notices.status(n)
    deadline = ctx.local(n.deadline) if n.deadline else None
    ctx.reply(texts.stats(n, st.done, len(st.expected), st.late, len(st.not_in_group), deadline), mention=False)


@router.command("催", aliases=("催收", "nudge"), roles=Role.STAFF, rooms=Where.CLASS | Where.PRIVATE,
                parse=parse_number, help="@所有还没回复的同学", usage="/催 [#通知编号]", example="/催 #12")
def nudge(ctx: Context, number: int | None) -> None:
    n = _picked(ctx, number, "/催 #12")
    if n is None:
        return
    try:
        count = ctx.notices.nudge_now(n)
    except NoticeError as exc:
        ctx.reply(texts.error(exc))
        return
    if not count:
        w = texts.words(n)
        ctx.reply(texts.NOBODY_MISSING.format(title=w.title, n=n.id, done=w.done))
    elif ctx.where == Where.PRIVATE:
        ctx.reply(texts.NUDGED_PRIVATELY.format(group=n.group_name, n=count))


@router.command("导出", aliases=("export",), roles=Role.STAFF, parse=parse_number,
                help="私聊发送通知确认情况的Excel表（收集：全部文件的压缩包和表格）",
                usage="/导出 #通知编号", example="/导出 #12")
def export(ctx: Context, number: int | None) -> None:
    n = _picked(ctx, number, "/导出 #12")
    if n is None:
        return
    if n.kind == COLLECTION:  # the files too, zipped with the status
        done = ctx.collections.export(n)
        ctx.tell(ctx.sender.contact_id, collect_texts.exported(n, done.files, done.done, done.expected, done.pruned),
                 file_path=str(done.path))
        if ctx.where != Where.PRIVATE:
            ctx.reply(collect_texts.EXPORT_PRIVATELY)
        return
    path = ctx.notices.workbook(n, ctx.notices.export_path(n))
    ctx.tell(ctx.sender.contact_id, texts.EXPORT_SENT.format(n=n.id), file_path=str(path))
    if ctx.where != Where.PRIVATE:
        ctx.reply(texts.EXPORT_PRIVATELY)


# -- acknowledgements ----------------------------------------------------------------------------------------------
@router.message("acknowledgement", rooms=Where.CLASS)
def acknowledge(ctx: Context) -> bool:
    """Credit 收到 (and 接龙, quotes, `收到 #12`) silently: no reply to every 收到 in a 200-person group."""
    klass, msg = ctx.class_group, ctx.msg
    if ctx.sender.is_staff or klass is None or ctx.room_id is None:
        return False
    if msg.kind == "solitaire" or is_solitaire(ctx.text):
        ctx.notices.acknowledge_solitaire(klass.name, ctx.room_id, msg.sender, ctx.text, at=msg.time,
                                          message_id=msg.message_id)
        return True
    quoted = ctx.notices.quoted_number(msg.quote.text if msg.quote else None)
    match = classify(ctx.text, (msg.sender.name, msg.sender.alias))
    if quoted is not None and match is None and not (is_question(ctx.text) or is_negation(ctx.text)):
        match = AckMatch()  # quoting the notice counts, unless the reply asks or denies something
    if match is None:
        return False
    ctx.notices.acknowledge(klass.name, ctx.room_id, msg.sender, match, quoted=quoted, at=msg.time,
                            message_id=msg.message_id, text=msg.text)
    return True  # an ack, credited or not (nothing open): never a question


__all__ = ["common", "router"]
