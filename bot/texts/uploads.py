"""What the bot says about files sent to it for import."""

from __future__ import annotations

CONFIRM = "回复“导入”确认导入（只导入您负责的班级），回复“取消”放弃（10分钟内有效）。"
CONFIRM_ALL = "回复“导入”确认导入，回复“取消”放弃（10分钟内有效）。"
UNKNOWN = "这个文件（{name}）我还不认识，目前可以导入的是：{what}。"
AMBIGUOUS = "这个文件（{name}）看不出是{kinds}，没有导入；请用命令行 python -m bot … import 导入。"
NOT_ALLOWED = "{name} 是{kind}，{kind}只能由管理员导入（私聊发给我，或用命令行）。"
WRONG_TYPE = "{name}：这种文件不能导入，请发送 {types} 文件（可以导入：{what}）。"
LOST = "{name}：文件没有收完整，请重新发送。"
NOT_FOUND = "没有找到待导入的文件 {token}，请重新发送文件。"
DONE_BEFORE = "{name} 已经导入过了。"
EXPIRED = "{name} 已过期，请重新发送文件。"
TOKEN_USAGE = "格式：/导入 编号（发送文件后会告诉您编号；一般直接回复“导入”即可）"
NOTHING_REGISTERED = "（暂无）"
NOTHING_WAITING = "没有等待导入的文件。请先把要导入的文件（例如平台导出的 .xlsx 或 .csv）私聊发给我，我检查后再回复“导入”。"
