"""Sentences shared by several features."""

NOT_YOUR_CLASS = "抱歉，您不负责这个班级，不能在这里操作。"
UNKNOWN_COMMAND = "没有“/{typed}”这个命令。{tip}发送 /帮助 查看可用命令。"
DID_YOU_MEAN = "你是不是想用 /{name}？"
ROLE_DENIED = "抱歉，/{name} 只有{allowed}可以使用。"
WRONG_PLACE = "/{name} 请在{places}里使用。"
COMMAND_FAILED = "抱歉，处理这条命令时出了问题，已记录，请稍后再试或联系管理员。"
MESSAGE_FAILED = "抱歉，出了点问题，已记录，请稍后再试。"
CONFIRM_ASK = "{summary}\n回复“确认”发送，回复“取消”放弃（{minutes}分钟内有效）。"
CONFIRM_EXPIRED = "确认已超时，请重新发送命令。"
CONFIRM_CANCELLED = "已取消，没有发送。"
USAGE = "用法：{usage}\n例如：{example}"
TOO_LONG_INPUT = "消息太长了（{length}字），请精简后再发。"
ROLE_NAMES = {"student": "学生", "teacher": "老师", "coordinator": "教学点负责人", "admin": "管理员"}
PLACE_NAMES = {"class": "班级群", "coordinator": "负责人群", "private": "私聊"}
POSSIBLE_REPEAT = "（班助刚才意外中断，这条消息可能重复，已收到请忽略）"
REPEATS_TO_ADMINS = "【班助】刚才意外中断时，有 {n} 条消息不能确定是否已经发出，已重新发送并标注“可能重复”。"

# -- private messages the account cannot deliver (not a friend, blocked, deleted) ----------------------------------
A_FILE = "（一个文件，见下）"
UNREACHABLE_TO_ADMINS = "【班助·转给管理员】这条消息无法私聊发给 {name}（还不是班助的微信好友），请转告，并请其先加班助为好友：\n{text}"
NOT_DELIVERED = "抱歉，刚才的私聊消息没能发给 {name}（还不是班助的微信好友），已转给管理员。请先加班助为好友。"
