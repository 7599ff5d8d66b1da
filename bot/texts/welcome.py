"""Welcomes for newcomers, and the advisors' list of members not matched to the roster."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.kernel.dates import format_when

EXAMPLE = {"姓名": "张三", "学号": "2024110001", "学号后四位": "0001"}


def convention(patterns: Sequence[str]) -> str:
    """'姓名-学号（例如 张三-2024110001）' for the first configured 群昵称 pattern."""
    if not patterns:
        return "真实姓名"
    pattern = patterns[0]
    example = pattern
    for key in sorted(EXAMPLE, key=len, reverse=True):
        example = example.replace(key, EXAMPLE[key])
    return f"{pattern}（例如 {example}）"


def welcome(group: Any, patterns: Sequence[str], upcoming: Sequence[Any], tz: ZoneInfo) -> str:
    lines = [f"欢迎新同学加入{group.name}！",
             f"1. 请把群昵称改为 {convention(patterns)}，方便老师核对；",
             "2. 私聊我发送 /绑定 学号 姓名，提醒和进度会更准确；",
             "3. 有问题可以直接在群里问，也可以私聊我。"]
    if upcoming:
        lines.append("近期安排：")
        lines += [f"· {format_when(e.when.astimezone(tz))} {e.type} {e.title}" for e in upcoming]
    lines.append("发送 /帮助 查看我能做什么。")
    return "\n".join(lines)


def unmatched(classes: Sequence[tuple[str, Sequence[str]]], patterns: Sequence[str]) -> str:
    total = sum(len(names) for _, names in classes)
    lines = [f"【班助】还有 {total} 位群成员没有对应到花名册（群昵称不是 {convention(patterns)}，也没有 /绑定）："]
    for name, names in classes:
        shown = "、".join(names[:30]) + (f" 等 {len(names)} 人" if len(names) > 30 else "")
        lines.append(f"· {name}：{shown}")
    lines.append("可以提醒他们改群昵称，或私聊我发送 /绑定 学号 姓名。")
    return "\n".join(lines)
