"""Who is who: staff codes in private chats, /绑定 for students, /成员 for staff, roster matching by 群昵称."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.people import ROLE_BY_KEY, ROLE_NAMES, Role
from bot.roster import Bind
from bot.router import Context, Router, UsageError, Where, no_args
from bot.staff import Redeem, looks_like_code
from bot.texts import people as texts

router = Router("members")


@router.message("staff-code", rooms=Where.PRIVATE)
def redeem_code(ctx: Context) -> bool:
    if not looks_like_code(ctx.text):
        return False
    done = ctx.staff.redeem(ctx.text, ctx.sender.contact_id)
    ctx.audit("redeem code", done.grant.name if done.grant else "", "ok" if done.result == Redeem.OK
              else f"refused: {done.result.value}")
    if done.result != Redeem.OK or done.grant is None:
        ctx.reply({Redeem.USED: texts.CODE_USED, Redeem.EXPIRED: texts.CODE_EXPIRED}.get(done.result, texts.CODE_UNKNOWN))
        return True
    grant = done.grant
    ctx.reply(texts.CODE_OK.format(name=grant.name, role=ROLE_NAMES[ROLE_BY_KEY[grant.role]],
                                   scope="、".join(grant.classes or grant.points) or "全部"))
    return True


@router.message("roster-match", rooms=Where.CLASS, claims=False)
def match_alias(ctx: Context) -> bool:
    """Quietly match a member to the roster by 群昵称; tell the advisor privately about conflicts."""
    klass = ctx.class_group
    if klass is None or ctx.sender.is_staff or not ctx.msg.sender.alias:
        return False
    _student, conflict = ctx.roster.match_alias(klass.name, ctx.msg.sender)
    if conflict:
        _tell_advisor(ctx, klass.name, conflict, key=f"conflict:{klass.name}:{ctx.sender.contact_id}:{conflict}")
    return False


def _tell_advisor(ctx: Context, class_name: str, text: str, key: str) -> None:
    advisor = ctx.people.advisor_of(class_name)
    if advisor:
        ctx.services.outbox.enqueue(text=texts.ROSTER_CHECK.format(group=class_name, text=text),
                                    contact_id=advisor.contact_id, dedupe_key=key[:200])


@dataclass(frozen=True)
class BindArgs:
    student_no: str
    name: str


def parse_bind(text: str, now: datetime) -> BindArgs:
    """'学号 姓名' or '姓名 学号', with or without a space."""
    text = text.strip()
    m = re.match(r"^(\d{6,13})\s*([\u4e00-\u9fff·]{2,6})$", text) or re.match(r"^([\u4e00-\u9fff·]{2,6})\s*(\d{6,13})$", text)
    if not m:
        raise UsageError(texts.BIND_USAGE)
    a, b = m.group(1), m.group(2)
    return BindArgs(a, b) if a.isdigit() else BindArgs(b, a)


@router.command("绑定", aliases=("bind",), roles=Role.STUDENT, parse=parse_bind, help="把微信和学号对应起来",
                usage="/绑定 学号 姓名", example="/绑定 2024110001 张三")
def bind(ctx: Context, args: BindArgs) -> None:
    klass = ctx.class_group
    result, student = ctx.roster.bind(klass.name if klass else None, ctx.sender.contact_id, args.student_no, args.name)
    ctx.audit("/绑定", args.name, "ok" if result == Bind.OK else result.value)
    if result == Bind.OK and student is not None:
        ctx.reply(texts.BIND_OK.format(name=student.name))
        return
    ctx.reply({Bind.UNKNOWN_NUMBER: texts.BIND_UNKNOWN, Bind.OTHER_CLASS: texts.BIND_OTHER_CLASS,
               Bind.NAME_MISMATCH: texts.BIND_NAME, Bind.TAKEN: texts.BIND_TAKEN}[result])
    if result == Bind.TAKEN and student is not None:
        _tell_advisor(ctx, klass.name if klass else student.class_name,
                      texts.BIND_TAKEN_ADVISOR.format(shown=ctx.msg.sender.shown, name=args.name),
                      key=f"bind-conflict:{args.student_no}:{ctx.sender.contact_id}")


@router.command("成员", aliases=("members",), roles=Role.STAFF, rooms=Where.CLASS, scoped=True, parse=no_args,
                help="本群成员与花名册对照（已匹配/未匹配/未进群）", example="/成员")
def members(ctx: Context, _: None) -> None:
    klass = ctx.class_group
    assert klass is not None and ctx.room_id is not None
    report = ctx.roster.compare(klass.name, ctx.people.members(ctx.room_id), ctx.people.not_members())
    ctx.tell(ctx.sender.contact_id, texts.members_report(klass.name, report.present, report.roster, report.bound,
                                                         report.unmatched, report.missing, report.roster > 0))
    ctx.reply(texts.MEMBERS_SENT)
