"""What the bot says about files people send or import: unreadable tables, bad rows, reports."""

from __future__ import annotations

NOT_FOUND = "{name}：文件不存在"
TOO_BIG = "{name}：文件太大（{size:.1f} MB，上限 {limit} MB），请只导出需要的列或分批发送"
OLD_XLS = "{name}：是旧版 Excel（.xls）文件，请在 Excel 里“另存为” .xlsx 后再发送"
UNSUPPORTED = "{name}：不支持这种文件，请发送 .xlsx 或 .csv"
NOT_TEXT = "{name}：不是 UTF-8 或 GBK 编码的文本"
BINARY_CSV = "{name}：看起来不是文本表格（可能是改了扩展名的 Excel 文件）"
BAD_CSV = "{name}：CSV 格式有误（{error}）"
PASSWORD = "{name}：文件设置了打开密码（或是旧版 .xls），请取消密码、另存为 .xlsx 后再发送"
CORRUPT = "{name}：文件已损坏或不是 Excel 文件，无法打开（{error}）"
EMPTY = "{name}：文件是空的"

ROW = "第{row}行：{message}"
EMPTY_FILE = "文件是空的"
MISSING_COLUMNS = "缺少列：{columns}（表头需要 {required}）"

# The roster (花名册)
NO_STUDENT_NO = "缺少学号"
BAD_STUDENT_NO = "学号格式不对：{no}（应为6—13位数字）"
DUPLICATE_NO = "学号 {no} 重复（与第{first}行相同）"
NO_NAME = "缺少姓名"
NO_CLASS = "缺少班级"
UNKNOWN_CLASS = "班级“{name}”不在配置里（config.yaml 的 groups.classes）"

# Live timetables and ICS files
NO_TITLE = "缺少课程名称"
BAD_TIME = "直播时间看不懂：{text}（例如 2026-09-15 19:30）"
UNKNOWN_MAJOR_OR_CLASS = "不认识的专业或班级：{names}"
BAD_ICS = "{name}：不是有效的 ICS 日历文件（{error}）"
ICS_EVENT_INCOMPLETE = "事件 {uid}：缺少标题或开始时间"
EMPTY_CELL = "（空）"

# What can be sent to the bot to import (the sentence for a file nobody recognises lists these)
ROSTER_TITLE = "花名册"
ROSTER_LABEL = "花名册（学号、姓名、班级、教学点，.xlsx/.csv）"
CALENDAR_TITLE = "直播课表或日历"
CALENDAR_LABEL = "直播课表或日历（课程名称、直播时间…，.xlsx/.csv/.ics）"
HANDBOOK_TITLE = "学生手册"
HANDBOOK_LABEL = "学生手册（.docx/.pdf/.md）"
