"""Students' questions answered from the handbook; the rest handed to the advisor. /问答 for teachers."""

from __future__ import annotations

import re

from bot.handbook.service import PRIVATE
from bot.handbook.text import is_chitchat, reads_as_question
from bot.people import Role
from bot.router import Context, Router, Where
from bot.texts import questions as texts

router = Router("questions")


def wants_answer(ctx: Context) -> bool:
    """In a class group: a student's question or an @bot; in private: anything that is not small talk."""
    if ctx.sender.is_staff and not ctx.at_bot and ctx.where != Where.PRIVATE:
        return False  # never answer staff in groups
    if ctx.where == Where.PRIVATE:
        return not is_chitchat(ctx.text)
    group = ctx.class_group
    if group is None or not group.answer_questions:
        return False
    if is_chitchat(ctx.text):
        return False
    return ctx.at_bot or reads_as_question(ctx.text)


@router.message("question", rooms=Where.CLASS | Where.PRIVATE)
async def answer(ctx: Context) -> bool:
    if not ctx.text.strip() or not wants_answer(ctx):
        return False
    if not ctx.app.dispatcher.claim(ctx.msg):  # type: ignore[union-attr]
        return True  # a redelivery after a restart: answered already
    answers = ctx.app.answers
    reply = answers.answer(ctx.text)
    now = ctx.msg.time
    group = ctx.group.name if ctx.group else PRIVATE
    if reply.answered:
        unit_ids = [m.id for m in reply.matches if m.id]
        if ctx.where == Where.CLASS and all(answers.seen_recently(group, u, now) for u in unit_ids):
            when, asker = answers.seen_recently(group, unit_ids[0], now)  # type: ignore[misc]
            ctx.reply(texts.REPEAT.format(when=ctx.app.local(when).strftime("%H:%M"), asker=asker))
            return True
        for u in unit_ids:
            answers.remember(group, u, now, ctx.sender.name)
        ctx.reply(reply.text)
        return True
    if ctx.where == Where.PRIVATE and ctx.sender.is_staff:
        ctx.reply("这个问题手册里没有找到答案。")
        return True
    # Not confident: no guess. Log it for the advisor (batched) and the coordinators' digest.
    score = max((m.score for m in reply.matches), default=0.0)
    group_name = ctx.class_group.name if ctx.class_group else _class_of_student(ctx)
    fresh = answers.log_unanswered(group_name or PRIVATE, ctx.sender.contact_id, ctx.sender.name, ctx.text, score, now,
                                   in_private=ctx.where == Where.PRIVATE)
    if fresh:
        advisor = ctx.app.people.advisor_of(group_name) if group_name else None
        ctx.reply(texts.DECLINE if advisor else texts.DECLINE_NO_ADVISOR)
    return True


def _class_of_student(ctx: Context) -> str | None:
    from bot.models import Student

    with ctx.app.db.tx() as s:
        from sqlmodel import select

        st = s.exec(select(Student).where(Student.contact_id == ctx.sender.contact_id)).first()
        return st.class_name if st else None


@router.command("答复", aliases=("reply",), roles=Role.STAFF, help="转达您对未答问题的回复（在群里@提问的同学）",
                example="/答复 12 学校不提供住宿，可请教学点推荐附近住处")
async def reply_to_question(ctx: Context, args: str) -> None:
    m = re.match(r"^#?\s*(\d+)\s+(.+)$", args, re.S)
    if not m:
        ctx.reply(texts.REPLY_USAGE)
        return
    question = ctx.app.answers.question(int(m.group(1)))
    if question is None:
        ctx.reply(texts.REPLY_NOT_FOUND.format(id=m.group(1)))
        return
    if question.group_name not in ctx.sender.classes and not ctx.sender.role & Role.ADMIN:
        ctx.reply(texts.REPLY_NOT_YOURS.format(group=question.group_name))
        return
    answer = m.group(2).strip()
    asked = question.text.strip()
    text = texts.REPLY_POSTED.format(name=texts.teacher_title(ctx.sender.name), question=asked[:40], answer=answer)
    if question.in_private:  # asked in private: never echoed in the group
        ctx.app.outbox.enqueue(text=text, contact_id=question.contact_id)
        where = "私聊中"
    else:
        room_id = ctx.app.people.room_of_group(question.group_name)
        if room_id is None:
            ctx.reply(texts.REPLY_NO_ROOM.format(group=question.group_name))
            return
        ctx.app.outbox.enqueue(text=text, room_id=room_id, mentions=[question.contact_id])
        where = question.group_name
    ctx.app.answers.mark_replied(question.id or 0, ctx.sender.contact_id)
    ctx.reply(texts.REPLY_DONE.format(where=where, student=question.name, question=asked[:60], answer=answer))


@router.command("问答", aliases=("faq",), roles=Role.STAFF, help="管理自动问答（添加/列表/删除）",
                example="/问答 添加 教材在哪领 | 开学第一周在教学点凭学生证领取")
async def faq(ctx: Context, args: str) -> None:
    answers = ctx.app.answers
    m = re.match(r"^(添加|增加|新增|add)\s*(.+?)\s*[|｜]\s*(.+)$", args, re.S)
    if m:
        entry = answers.add_faq(m.group(2).strip(), m.group(3).strip(), ctx.sender.contact_id, ctx.app.clock.now())
        ctx.reply(texts.FAQ_ADDED.format(id=entry.id))
        return
    m = re.match(r"^(删除|删掉|del|delete)\s*#?\s*(\d+)$", args)
    if m:
        ok = answers.delete_faq(int(m.group(2)))
        ctx.reply((texts.FAQ_DELETED if ok else texts.FAQ_NOT_FOUND).format(id=m.group(2)))
        return
    if re.match(r"^(列表|全部|list)?$", args.strip()):
        fixed, added = answers.list_faq()
        lines = [f"常见问答：固定 {len(fixed)} 条，老师添加 {len(added)} 条。"]
        lines += [f"#{e.id} {e.question} → {e.answer[:30]}" for e in added[-20:]]
        ctx.reply("\n".join(lines), mention=False)
        return
    ctx.reply(texts.FAQ_USAGE)
