"""What the command-line tools print for the operator (a 教务 teacher): results in Chinese; errors about the
configuration stay in English with the file, key and line."""

from __future__ import annotations

ASK_DECLINE = "（手册中没有找到可靠的答案，建议转交导学教师）"
FORGOTTEN = "已删除该学生的花名册数据、学习进度和台账记录。"
NO_SUCH_STUDENT = "没有这个学号。"
RELOADED = "已通知运行中的机器人重新加载台历（30秒内生效）。"
WRITTEN = "已写入 {path}"
NO_CHART = "（这段时间没有通知，未生成图表）"
NOTICE_EXPORTED = "已导出通知 #{n} 到 {path}"
HANDBOOK_IMPORTED = "已导入 {n} 个问答小节到 {path}"
MISS_ANSWERED = "现在回答 §{unit}"
MISS_DECLINED = "仍不回答（{reason}；最接近 §{nearest}）"
MISSES_TOTAL = "共 {n} 个未答问题，其中 {fixed} 个现在能回答。"
EXPORTED_TO = "已导出到 {path}"
ROSTER_PROGRESS = "\r导入中 [{bar}] {done}/{total}"
ROSTER_EXPORTED = "已导出 {n} 名学生到 {path}"
GRANTED = "授权码：{code}\n请{name}在 {expires:%m-%d %H:%M} 前私聊机器人发送这个授权码（只能用一次）。"
REVOKED = "已撤销 {name} 的 {n} 个绑定。"
NOT_BOUND = "没有找到 {name} 的绑定。"
LEDGER_EXPORTED = "已导出{class_name}台账 {n} 条记录到 {path}"
CLI_PLACE = "命令行"  # where the audit log says a command-line action happened


def roster_report(dry_run: bool, added: int, updated: int, unchanged: int) -> str:
    verb = "检查通过（未写入）" if dry_run else "导入完成"
    return f"{verb}：新增 {added}，更新 {updated}，未变 {unchanged}。"


def roster_refused(errors: int) -> str:
    return f"有错误，未导入任何数据（共 {errors} 处）。"


def calendar_report(dry_run: bool, added: int, changed: int, unchanged: int, bad_rows: int) -> str:
    verb = "检查（未写入）" if dry_run else "导入完成"
    return f"{verb}：新增 {added}，修改 {changed}，未变 {unchanged}，有问题的行 {bad_rows}。"
