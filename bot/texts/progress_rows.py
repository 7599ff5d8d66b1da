"""What the bot says about one row of a progress export (the importer's problems, each with its row number)."""

from __future__ import annotations

AMBIGUOUS_NAME = "有 {n} 位“{name}”，请在表里补上学号"
UNKNOWN_NO = "学号 {no} 不在花名册里（{name}）"
NO_NAME_GIVEN = "没有姓名"
UNKNOWN_NAME = "花名册里没有“{name}”，请补上学号"
NO_STUDENT = "缺少学号和姓名"
DUPLICATE = "{name} 重复出现（与{where}第{first}行相同）"
UNREADABLE = "{name} 的“{column}”是“{value}”，看不出是否完成或具体数值（可以填 已提交/未提交、是/否 或数字）"
EMPTY_VALUE = "空白"
ON_WARNING_LIST = "在预警名单上"
SHEET = "工作表“{name}”"
