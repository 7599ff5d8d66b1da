"""What the bot says about notices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.kernel.dates import format_when
from bot.models import Notice
from bot.notices.values import ClassRow, NoticeError
from bot.texts.common import NOT_YOUR_CLASS


@dataclass(frozen=True)
class Words:
    """How a notice or a collection (/收集: answered with a file) is spoken of."""

    title: str  # 通知 | 收集
    act: str  # 确认 | 提交
    done: str  # 已确认 | 已提交
    missing: str  # 未确认 | 未提交
    answer: str  # what is asked of students, for nudges


NOTICE_WORDS = Words("通知", "确认", "已确认", "未确认", "回复“收到”")
COLLECTION_WORDS = Words("收集", "提交", "已提交", "未提交", "交文件")


def words(n: Notice) -> Words:
    return COLLECTION_WORDS if n.kind == "collection" else NOTICE_WORDS


def notice(n: Notice, deadline: datetime | None) -> str:
    w = words(n)
    lines = [f"【{w.title} #{n.id}】", n.text]
    if n.kind == "collection":
        by = f"请在 {format_when(deadline)} 前" if deadline else "请"
        lines.append(f"{by}把图片或文件发在本群，或私聊发给我（每人一份，重发以最新的为准）。")
    elif n.needs_ack:
        if deadline:
            lines.append(f"请在 {format_when(deadline)} 前回复“收到”。")
        else:
            lines.append("请回复“收到”。")
    lines.append(f"——{n.author_name}")
    return "\n".join(lines)


def published(n: Notice, deadline: datetime | None, expected: int, nudges: list[datetime]) -> str:
    if not n.needs_ack:
        return f"已发布通知 #{n.id}（无需确认）。"
    tail = f"，截止 {format_when(deadline)}" if deadline else ""
    if n.kind == "collection":
        text = (f"已发布收集 #{n.id}，需提交 {expected} 人{tail}。发送 /未确认 查看谁还没交，/催 提醒未交的同学，"
                f"/导出 #{n.id} 私聊收取全部文件。")
    else:
        text = f"已发布通知 #{n.id}，需确认 {expected} 人{tail}。发送 /未确认 查看名单，/催 提醒未回复的同学。"
    if deadline:
        who = "未交的同学" if n.kind == "collection" else "未回复的同学"
        text += ("\n将在 " + "、".join(format_when(t) for t in nudges) + f" 自动提醒{who}。") if nudges \
            else "\n不会自动提醒。"
    return text


def names_list(names: list[str], limit: int = 60) -> str:
    shown = "、".join(names[:limit])
    return shown + (f" 等{len(names)}人" if len(names) > limit else "")


def not_acked(n: Notice, missing: list[str], total: int, not_in_group: list[str]) -> str:
    w = words(n)
    if not missing:
        text = f"{w.title} #{n.id}：全部 {total} 人{w.done} 👍"
    else:
        text = f"{w.title} #{n.id} {w.missing} {len(missing)}/{total} 人：\n{names_list(missing)}"
    if not_in_group:
        text += f"\n未进群 {len(not_in_group)} 人：{names_list(not_in_group)}"
    return text


def stats(n: Notice, done: int, total: int, late: int, not_in_group: int, deadline: datetime | None) -> str:
    rate = f"{done / total:.0%}" if total else "—"
    w = words(n)
    parts = [f"{w.title} #{n.id}：{w.done} {done}/{total}（{rate}）"]
    if late:
        parts.append(f"其中逾期 {late} 人")
    if deadline:
        parts.append(f"截止 {format_when(deadline)}")
    if not_in_group:
        parts.append(f"未进群 {not_in_group} 人")
    return "，".join(parts) + "。"


def fanout_stats(parent: Notice, rows: Sequence[ClassRow]) -> str:
    done = sum(r.done for r in rows)
    total = sum(r.expected for r in rows)
    w = words(parent)
    lines = [f"{w.title} #{parent.id}（{len(rows)}个班级）：{w.done} {done}/{total}（{done / total:.0%}）" if total
             else f"{w.title} #{parent.id}：还没有需要{w.act}的同学。"]
    for r in sorted(rows, key=lambda r: (r.done / r.expected) if r.expected else 1):
        lines.append(f"· {r.group}：{r.done}/{r.expected}" + (f"（{r.done / r.expected:.0%}）" if r.expected else ""))
    return "\n".join(lines)


def nudge(n: Notice, deadline: datetime | None, count: int) -> str:
    when = f"，截止 {format_when(deadline)}" if deadline else ""
    if n.kind == "collection":
        return (f"提醒：收集 #{n.id}「{short(n.text)}」还没有交{when}。请以上 {count} 位同学把图片或文件发在本群或私聊发给我，"
                "谢谢！")
    return f"提醒：通知 #{n.id}「{short(n.text)}」还没有回复“收到”{when}。请以上 {count} 位同学看到后回复“收到”，谢谢！"


def short(text: str, limit: int = 20) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[:limit] + "…"


def deadline_summary(n: Notice, done: int, total: int, late: int, missing: list[str]) -> str:
    rate = f"{done / total:.0%}" if total else "—"
    w = words(n)
    text = f"【{w.title} #{n.id} 已截止】「{short(n.text)}」{w.done} {done}/{total}（{rate}）"
    if late:
        text += f"，逾期 {late} 人"
    if missing:
        text += f"\n{w.missing}：{names_list(missing)}"
    if n.kind == "collection":
        text += f"\n发送 /导出 #{n.id} 私聊收取全部文件。"
    return text


def fanout_summary(parent: Notice, rows: Sequence[ClassRow]) -> str:
    return "【已截止】" + fanout_stats(parent, rows)


def bad_date(problem: str) -> str:
    return f"{problem}通知没有发出，请改正后重新发送。"


NO_NOTICE = "本群还没有通知。"
NOT_FOUND = "没有找到通知 #{n}。"


ROOM_UNKNOWN = "还没找到“{group}”的微信群，通知暂时发不出去，请确认机器人已在群里。"
DEADLINE_UNREADABLE = "没看懂截止时间，请这样写：/通知 截止 明天18:00 上传照片"
DEADLINE_PAST = "截止时间已经过去了，请检查一下日期。"
EMPTY_NOTICE = "请在 /通知 后面写上通知内容，例如：/通知 周五前完成形考作业2"
NOBODY_MISSING = "{title} #{n}：大家都{done}，不用催了 👍"
NEED_NUMBER = "请带上通知编号，例如：{example}"

VIA = {"reply": "回复", "quote": "引用通知", "number": "回复编号", "solitaire": "接龙", "file": "提交文件"}
TOO_LONG = "通知太长了（{length}字），一条通知最多{limit}字。请精简一下，或者分成几条发布。"
FANOUT_NUDGE = "群发的通知请到各班级群里催，或等系统自动提醒。"
FANOUT_TARGETS = "请写明发给哪些班级，例如：\n/通知 全部班级 周五前完成形考作业2\n/通知 教学点:城区 …\n/通知 班级:行管1班,行管2班 …"
NO_CLASSES_IN_SCOPE = "没有找到您负责范围内的这些班级。"
NUDGED_PRIVATELY = "已在{group}群里提醒 {n} 位同学。"
EXPORT_SENT = "通知 #{n} 的确认情况见附件。"
EXPORT_PRIVATELY = "表格已私聊发给您。"


def fanout_confirm(groups: list[str], body: str, title: str = "通知") -> str:
    names = "、".join(groups[:8]) + (f" 等{len(groups)}个班级" if len(groups) > 8 else "")
    return f"将把{title}发到 {len(groups)} 个班级群（{names}）：\n{short(body, 60)}"


def fanned_out(parent_id: int, sent: int, unbound: list[str], title: str = "通知") -> str:
    act = "提交" if title == "收集" else "确认"
    text = f"已发送{title} #{parent_id} 到 {sent} 个班级群。发送 /统计 #{parent_id} 查看各班{act}情况。"
    if unbound:
        text += f"\n未找到微信群、没有发出：{'、'.join(unbound)}"
    return text


def error(exc: NoticeError, example: str = "") -> str:
    """The sentence for a NoticeError the service raised."""
    d = exc.detail
    return {
        "room unknown": lambda: ROOM_UNKNOWN.format(group=d.get("group", "")),
        "too long": lambda: TOO_LONG.format(length=d.get("length"), limit=d.get("limit")),
        "not found": lambda: NOT_FOUND.format(n=d.get("n")),
        "no notice": lambda: NO_NOTICE,
        "need number": lambda: NEED_NUMBER.format(example=example),
        "not yours": lambda: NOT_YOUR_CLASS,
        "fan-out": lambda: FANOUT_NUDGE,
    }[exc.reason]()
