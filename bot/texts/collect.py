"""What the bot says about collections (/收集): confirmations to students, limits, the export."""

from __future__ import annotations

from bot.models import Notice
from bot.texts.notices import short

NO_ACK_OPTION = "收集需要同学们交文件，不能设为“无需确认”。请去掉“无需确认”后重新发送。"
EMPTY = "请在 /收集 后面写上要交什么，例如：/收集 截止 周五18:00 毕业电子照片（白底）"
LOST = "文件没有收完整（{name}），请重新发送。"
EXPORT_PRIVATELY = "文件和表格已私聊发给您。"


def _which(n: Notice) -> str:
    return f"收集 #{n.id}「{short(n.text)}」"


def saved(n: Notice, *, replaced: bool, bound: bool, others: list[Notice]) -> str:
    if replaced:
        text = f"已收到新文件，替换了你之前交的（{_which(n)}以最新的为准）。"
    else:
        text = f"已收到你的文件，{_which(n)}已记为提交。"
    if not bound:
        text += "\n我还不知道你的学号，文件暂按微信名保存；发送 /绑定 学号 姓名 后，老师导出时会按学号姓名命名。"
    if others:
        text += "\n你还有" + "、".join(_which(o) for o in others[:3]) + "没交。"
    return text


def too_big(n: Notice, name: str, size_mb: float, limit_mb: int) -> str:
    return f"这个文件（{name}，{size_mb:.1f} MB）太大，没有保存：{_which(n)}每份最多 {limit_mb} MB，请压缩后重新发送。"


def wrong_type(n: Notice, name: str, types: list[str]) -> str:
    return f"这个文件（{name}）没有保存：{_which(n)}只收 {'、'.join(types)} 文件（图片、PDF 或 Word）。"


def exported(n: Notice, files: int, done: int, expected: int, pruned: bool) -> str:
    if pruned:
        return f"收集 #{n.id}：文件已按保留期限删除，附件只有提交情况表（已提交 {done}/{expected}）。"
    return f"收集 #{n.id} 的文件（{files} 份）和提交情况表见附件（已提交 {done}/{expected}）。"
