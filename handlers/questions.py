"""Students' questions answered from the handbook; the rest handed to the advisor. /答复 and /问答 for teachers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.people import Role
from bot.questions import Outcome, QuestionError
from bot.router import Context, Router, UsageError, Where
from bot.texts import questions as texts

router = Router("questions")


@router.message("question", rooms=Where.CLASS | Where.PRIVATE)
def answer(ctx: Context) -> bool:
    if not ctx.text.strip():
        return False
    asked = ctx.questions.ask(ctx.sender, ctx.class_group, ctx.text, at_bot=ctx.at_bot, at=ctx.msg.time,
                              in_private=ctx.where == Where.PRIVATE)
    match asked.outcome:
        case Outcome.IGNORED | Outcome.SMALL_TALK:
            return False
        case Outcome.ANSWERED:
            ctx.reply(asked.text)
        case Outcome.REPEAT:
            assert asked.repeat_of is not None
            when, asker = asked.repeat_of
            ctx.reply(texts.REPEAT.format(when=ctx.local(when).strftime("%H:%M"), asker=asker))
        case Outcome.STAFF_MISS:
            ctx.reply(texts.STAFF_MISS)
        case Outcome.DECLINED:
            ctx.reply(texts.DECLINE if asked.has_advisor else texts.DECLINE_NO_ADVISOR)
        case Outcome.DECLINED_AGAIN:
            pass
    return True


@dataclass(frozen=True)
class ReplyArgs:
    question_id: int
    answer: str


def parse_reply(text: str, now: datetime) -> ReplyArgs:
    m = re.match(r"^#?\s*(\d+)\s+(.+)$", text, re.S)
    if not m:
        raise UsageError(texts.REPLY_USAGE)
    return ReplyArgs(int(m.group(1)), m.group(2).strip())


@router.command("答复", aliases=("reply",), roles=Role.STAFF, parse=parse_reply,
                help="转达您对未答问题的回复（在群里@提问的同学）", usage="/答复 编号 回复内容",
                example="/答复 12 学校不提供住宿，可请教学点推荐附近住处")
def reply_to_question(ctx: Context, args: ReplyArgs) -> None:
    try:
        done = ctx.questions.reply(ctx.sender, args.question_id, args.answer)
    except QuestionError as exc:
        ctx.reply({"not found": texts.REPLY_NOT_FOUND, "not yours": texts.REPLY_NOT_YOURS,
                   "no room": texts.REPLY_NO_ROOM}[exc.reason].format(**{"id": args.question_id, **exc.detail}))
        return
    ctx.reply(texts.REPLY_DONE.format(where=done.where, student=done.question.name, question=done.text[:60],
                                      answer=args.answer))


@dataclass(frozen=True)
class FaqArgs:
    action: str  # add | delete | list
    question: str = ""
    answer: str = ""
    entry_id: int = 0


def parse_faq(text: str, now: datetime) -> FaqArgs:
    if m := re.match(r"^(添加|增加|新增|add)\s*(.+?)\s*[|｜]\s*(.+)$", text, re.S):
        return FaqArgs("add", m.group(2).strip(), m.group(3).strip())
    if m := re.match(r"^(删除|删掉|del|delete)\s*#?\s*(\d+)$", text):
        return FaqArgs("delete", entry_id=int(m.group(2)))
    if re.match(r"^(列表|全部|list)?$", text.strip()):
        return FaqArgs("list")
    raise UsageError(texts.FAQ_USAGE)


@router.command("问答", aliases=("faq",), roles=Role.STAFF, parse=parse_faq, help="管理自动问答（添加/列表/删除）",
                usage="/问答 添加 问题 | 答案 ｜ /问答 列表 ｜ /问答 删除 编号",
                example="/问答 添加 教材在哪领 | 开学第一周在教学点凭学生证领取")
def faq(ctx: Context, args: FaqArgs) -> None:
    handbook = ctx.handbook
    if args.action == "add":
        entry = handbook.add_faq(args.question, args.answer, ctx.sender.contact_id, ctx.now)
        ctx.reply(texts.FAQ_ADDED.format(id=entry.id))
    elif args.action == "delete":
        ok = handbook.delete_faq(args.entry_id)
        ctx.reply((texts.FAQ_DELETED if ok else texts.FAQ_NOT_FOUND).format(id=args.entry_id))
    else:
        fixed, added = handbook.list_faq()
        lines = [texts.FAQ_LIST_HEAD.format(fixed=len(fixed), added=len(added))]
        lines += [f"#{e.id} {e.question} → {e.answer[:30]}" for e in added[-20:]]
        ctx.reply("\n".join(lines), mention=False)
