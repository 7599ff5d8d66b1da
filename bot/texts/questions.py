"""What the bot says when answering questions."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.models import Question

DECLINE = "这个问题我还答不上来，已经转告导学教师，老师看到后会回复你。"
DECLINE_NO_ADVISOR = "这个问题我还答不上来，已经转告老师，老师看到后会回复你。"
REPEAT = "这个问题刚才已经回答过了（{when}回复{asker}的那条），请往上翻看一下哦。"
FORWARD_HEAD = "【{group}】有 {n} 个同学的问题我没能回答，请您看一下："
FORWARD_HEAD_UNKNOWN = "【私聊】有 {n} 个问题我没能回答，提问的人不在花名册里，请您看一下："
FORWARD_HEAD_NO_ADVISOR = "【{group}】有 {n} 个同学的问题我没能回答，这里还没有绑定导学教师，请您看一下或转给负责的老师："
FORWARD_FOOT = "可以直接在群里回复；也可以在这里发“/答复 编号 回复内容”，我会在群里@这位同学转达。"
REPLY_POSTED = "{name}回复你的问题“{question}”：\n{answer}"
REPLY_DONE = ("已在{where}回复{student}。想让我以后自动回答类似问题，可以发送：\n"
              "/问答 添加 {question} | {answer}")
REPLY_USAGE = "用法：/答复 编号 回复内容（编号见我转给您的未答问题，例如 /答复 12 学校不提供住宿）"
REPLY_NOT_FOUND = "没有编号为 {id} 的未答问题。"
REPLY_NOT_YOURS = "这个问题来自{group}，不在您负责的班级里。"
REPLY_NO_ROOM = "还没有找到{group}的微信群，暂时无法转达。"
FAQ_ADDED = "已添加问答 #{id}，现在起同学问到就会自动回答。"
FAQ_USAGE = "用法：\n/问答 添加 问题 | 答案\n/问答 列表\n/问答 删除 编号"
FAQ_DELETED = "已删除问答 #{id}。"
FAQ_NOT_FOUND = "没有编号为 {id} 的问答（配置文件里的固定问答请在 data/faq.yaml 中修改）。"


def teacher_title(name: str) -> str:
    """王芳 -> 王老师; names that already carry a title stay as they are."""
    return name if name.endswith(("老师", "主任", "校长")) else f"{name[:1]}老师"


SOURCE_FAQ = "——常见问答"
SOURCE_HANDBOOK = "——《学生手册》§{title}"
STAFF_MISS = "这个问题手册里没有找到答案。"
FAQ_LIST_HEAD = "常见问答：固定 {fixed} 条，老师添加 {added} 条。"


def forwarded(group: str, questions: Sequence[Question], *, has_advisor: bool, private: bool, tz: ZoneInfo) -> str:
    """The batch of unanswered questions sent privately to the advisor (or the admins)."""
    head = FORWARD_HEAD if has_advisor else FORWARD_HEAD_UNKNOWN if private else FORWARD_HEAD_NO_ADVISOR
    lines = [head.format(group=group, n=len(questions))]
    for q in questions[:20]:
        where = "，私聊" if q.in_private else ""
        lines.append(f"#{q.id} {q.name}（{q.at.astimezone(tz):%m-%d %H:%M}{where}）：{q.text[:80]}")
    lines.append(FORWARD_FOOT)
    return "\n".join(lines)
