"""Friend requests and new friends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

REASON_STAFF = "工作人员"
REASON_MEMBER = "{group}成员"
REASON_CODE = "授权码（{name}）"
REASON_ROSTER = "学号姓名与花名册一致（{class_name}）"
REASON_ADMIN = "{name}同意"

WELCOME = ("你好，我是班助，班级群的助手。可以直接问我学生手册里的问题（比如“忘记密码怎么办”），"
           "发送 /日程 查看近期安排，/绑定 学号 姓名 绑定花名册，/帮助 查看全部。")
WELCOME_STAFF = "您好，我是班助。已加为好友，私聊文件、名单和提醒都会发到这里。发送 /帮助 查看您可以使用的命令。"


def pending_list(rows: Sequence[Any], tz: ZoneInfo) -> str:
    lines = [f"【班助】有 {len(rows)} 个好友申请等待处理（不是群成员，也没有写学号姓名或授权码）："]
    for r in rows[:30]:
        hello = f"：“{r.hello}”" if r.hello else ""
        lines.append(f"{r.id}. {r.name}（{r.at.astimezone(tz):%m-%d %H:%M}）{hello}")
    if len(rows) > 30:
        lines.append(f"……另有 {len(rows) - 30} 个")
    lines.append("回复 /好友申请 接受 编号（或 接受 全部）通过，/好友申请 忽略 编号 忽略。")
    return "\n".join(lines)


NONE_PENDING = "没有等待处理的好友申请。"
ACCEPTED = "已通过 {n} 个好友申请（按微信的频率限制陆续通过）：{names}"
IGNORED = "已忽略 {n} 个好友申请。"
NOTHING_MATCHED = "没有找到这些编号的待处理申请，发送 /好友申请 查看列表。"
USAGE = "用法：/好友申请（查看）· /好友申请 接受 1,2 · /好友申请 接受 全部 · /好友申请 忽略 3"
