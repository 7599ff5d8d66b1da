"""Who is who: staff codes in private chats, /绑定 for students, /成员 for staff, roster matching by 群昵称."""

from __future__ import annotations

import re

from bot.people import ROLE_BY_KEY, ROLE_NAMES, Role
from bot.router import Context, Router, Where

router = Router("members")

CODE = re.compile(r"^\s*BZ-?[A-Z0-9]{4}-?[A-Z0-9]{4}\s*$", re.I)


@router.message("staff-code", rooms=Where.PRIVATE)
async def redeem_code(ctx: Context) -> bool:
    if not CODE.match(ctx.text):
        return False
    code = re.sub(r"[^A-Z0-9]", "", ctx.text.upper())
    grant, why = ctx.app.staff.redeem(f"BZ-{code[2:6]}-{code[6:]}", ctx.sender.contact_id)
    if grant is None:
        ctx.reply({"used": "这个授权码已经用过了。", "expired": "这个授权码已过期，请联系管理员重新生成。"}
                  .get(why, "授权码不正确，请核对后再发。"))
        ctx.app.audit(ctx.sender, "私聊", "redeem code", code, f"refused: {why}")
        return True
    role = ROLE_NAMES[ROLE_BY_KEY[grant.role]]
    scope = "、".join(grant.classes or grant.points) or "全部"
    ctx.reply(f"{grant.name}您好，已确认您的{role}身份（范围：{scope}）。发送 /帮助 查看可用命令。")
    ctx.app.audit(ctx.sender, "私聊", "redeem code", f"{grant.name} as {grant.role}", "ok")
    return True


@router.message("roster-match", rooms=Where.CLASS)
async def match_alias(ctx: Context) -> bool:
    """Quietly match a member to the roster by 群昵称; tell the advisor privately about conflicts."""
    group = ctx.class_group
    if group is None or ctx.sender.is_staff or not ctx.msg.sender.alias:
        return False
    _student, conflict = ctx.app.roster.match_alias(group.name, ctx.msg.sender)
    if conflict:
        notify_advisor(ctx, group.name, conflict, key=f"conflict:{group.name}:{ctx.sender.contact_id}:{conflict}")
    return False  # never consumes the message


def notify_advisor(ctx: Context, class_name: str, text: str, key: str) -> None:
    advisor = ctx.app.people.advisor_of(class_name)
    if advisor:
        ctx.app.outbox.enqueue(text=f"【{class_name}名单核对】{text}，请核实。", contact_id=advisor.contact_id,
                               dedupe_key=key[:200])


@router.command("绑定", aliases=("bind",), roles=Role.STUDENT, help="把微信和学号对应起来",
                example="/绑定 2024110001 张三")
async def bind(ctx: Context, args: str) -> None:
    m = re.match(r"^(\d{6,13})\s*([\u4e00-\u9fff·]{2,6})$", args.replace(" ", " ").strip()) or \
        re.match(r"^([\u4e00-\u9fff·]{2,6})\s*(\d{6,13})$", args.strip())
    if not m:
        ctx.reply("格式：/绑定 学号 姓名，例如 /绑定 2024110001 张三（建议私聊我发送）")
        return
    no, name = (m.group(1), m.group(2)) if m.group(1).isdigit() else (m.group(2), m.group(1))
    group = ctx.class_group
    student, reason = ctx.app.roster.bind(group.name if group else None, ctx.sender.contact_id, no, name)
    ctx.app.audit(ctx.sender, group.name if group else "私聊", "/绑定", f"{name}", "ok" if student else reason)
    if student is None:
        ctx.reply(reason)
        if "其他微信号" in reason:
            cls = group.name if group else _class_of(ctx, no)
            if cls:
                notify_advisor(ctx, cls, f"“{ctx.msg.sender.shown}”用 /绑定 认领了已被其他人绑定的学号（{name}）",
                               key=f"bind-conflict:{no}:{ctx.sender.contact_id}")
        return
    ctx.reply(f"{student.name}同学，绑定成功。")


def _class_of(ctx: Context, student_no: str) -> str | None:
    from bot.models import Student

    with ctx.app.db.tx() as s:
        st = s.get(Student, student_no)
        return st.class_name if st else None


@router.command("成员", aliases=("members",), roles=Role.STAFF, rooms=Where.CLASS, scoped=True,
                help="本群成员与花名册对照（已匹配/未匹配/未进群）", example="/成员")
async def members(ctx: Context, args: str) -> None:
    group = ctx.class_group
    assert group is not None
    staff = ctx.app.people.staff_ids() | {ctx.app.gateway.self_id}
    present = [m for m in ctx.app.people.members(ctx.room_id or "") if m.contact_id not in staff]
    bound = ctx.app.roster.by_contact(m.contact_id for m in present)
    roster = ctx.app.roster.students_of(group.name)
    unmatched = [m for m in present if m.contact_id not in bound]
    present_ids = {m.contact_id for m in present}
    missing = [s for s in roster if not s.contact_id or s.contact_id not in present_ids]
    lines = [f"{group.name}：群成员 {len(present)} 人（不含老师），花名册 {len(roster)} 人。",
             f"已匹配 {len(bound)} 人。"]
    if unmatched:
        names = "、".join(m.shown for m in unmatched[:40])
        lines.append(f"未匹配 {len(unmatched)} 人：{names}" + ("…" if len(unmatched) > 40 else ""))
    if roster:
        names = "、".join(s.name for s in missing[:40])
        lines.append(f"未进群 {len(missing)} 人" + (f"：{names}" if missing else "") + ("…" if len(missing) > 40 else ""))
    lines.append("请未匹配的同学把群昵称改为“姓名-学号”，或私聊我发送 /绑定 学号 姓名。")
    ctx.tell(ctx.sender.contact_id, "\n".join(lines))
    ctx.reply("成员对照已私聊发给您。")
