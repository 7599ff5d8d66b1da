"""What the bot says about people: staff codes, /绑定, /成员, roster conflicts, the admins' room check."""

from __future__ import annotations

from collections.abc import Sequence

CODE_USED = "这个授权码已经用过了。"
CODE_EXPIRED = "这个授权码已过期，请联系管理员重新生成。"
CODE_UNKNOWN = "授权码不正确，请核对后再发。"
CODE_OK = "{name}您好，已确认您的{role}身份（范围：{scope}）。发送 /帮助 查看可用命令。"

BIND_USAGE = "格式：/绑定 学号 姓名，例如 /绑定 2024110001 张三（建议私聊我发送）"
BIND_OK = "{name}同学，绑定成功。"
BIND_UNKNOWN = "没有找到这个学号，请核对后再试。"
BIND_OTHER_CLASS = "这个学号不在本班名单里，请核对。"
BIND_NAME = "学号和姓名对不上，请核对后再试。"
BIND_TAKEN = "这个学号已经被其他微信号绑定，已转告导学教师核实。"
BIND_TAKEN_ADVISOR = "“{shown}”用 /绑定 认领了已被其他人绑定的学号（{name}）"
ROSTER_CHECK = "【{group}名单核对】{text}，请核实。"
ALIAS_NAME_MISMATCH = "群昵称“{alias}”的姓名与学号 {no} 登记的姓名“{name}”不一致"
ALIAS_TAKEN = "学号 {no}（{name}）已被另一位群成员认领，现在又被“{alias}”认领"

MEMBERS_SENT = "成员对照已私聊发给您。"
FORGOTTEN = "（已删除）"  # the name left on a contact after `forget`
IMPERSONATOR = "{name}（群昵称：{alias}）"  # someone whose 群昵称 is a staff member's name


def members_report(group: str, present: int, roster: int, bound: int, unmatched: Sequence[str],
                   missing: Sequence[str], has_roster: bool) -> str:
    lines = [f"{group}：群成员 {present} 人（不含老师），花名册 {roster} 人。", f"已匹配 {bound} 人。"]
    if unmatched:
        lines.append(f"未匹配 {len(unmatched)} 人：{'、'.join(unmatched[:40])}" + ("…" if len(unmatched) > 40 else ""))
    if has_roster:
        names = "、".join(missing[:40])
        lines.append(f"未进群 {len(missing)} 人" + (f"：{names}" if missing else "") + ("…" if len(missing) > 40 else ""))
    lines.append("请未匹配的同学把群昵称改为“姓名-学号”，或私聊我发送 /绑定 学号 姓名。")
    return "\n".join(lines)


def room_check(missing: Sequence[str], twice: Sequence[str]) -> str:
    lines = ["【班助】群绑定检查："]
    if missing:
        lines.append("没有找到这些群（请确认机器人已在群里、群名称与配置一致）：" + "、".join(missing))
    if twice:
        lines.append("这些群名称对应了不止一个微信群，已使用最先找到的那个：" + "、".join(twice))
    return "\n".join(lines)

RELINKED = ("【班助】微信重新登录后，{group}的「{name}」换了新的微信标识，已按群昵称和昵称自动对应，"
            "确认记录、花名册绑定和进度都已保留。如有不对，请联系管理员。")
