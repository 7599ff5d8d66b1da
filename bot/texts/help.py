"""/帮助 and the greeting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.people import Role
from bot.router import WHERE_NAMES, Command, Where

GREETING = "你好，我是{bot}，{school}的班级助手。可以问我学生手册里的问题，或发送 /帮助 查看我能做什么。"


def help_text(bot: str, role: Role, commands: Sequence[Command[Any]]) -> str:
    """The commands `role` may use: usage, what it does, where, and whether it asks for 确认."""
    lines = [f"{bot}可用命令："]
    for c in commands:
        if not c.roles & role or c.name == "帮助":
            continue
        where = "" if c.rooms == Where.ANYWHERE else "（" + "/".join(
            v for k, v in WHERE_NAMES.items() if k & c.rooms) + "）"
        # Only a command that can reach groups asks before reaching many (a private /导入 asks, but not that).
        confirm = "（发到多个群前会请您确认）" if c.confirm is not None and c.rooms & Where.GROUP else ""
        lines.append(f"· {c.usage}  {c.help}{where}{confirm}")
        if c.example and c.example != c.usage:
            lines.append(f"  例：{c.example}")
    if role == Role.STUDENT:
        lines.append("· 直接提问，例如：“忘记密码怎么办？”")
        lines.append("· 看到通知回复“收到”即可。")
        lines.append("· 老师收集照片或文件时，直接把图片或文件发在群里或私聊发给我。")
    return "\n".join(lines)
