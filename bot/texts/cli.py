"""What the command-line tools print for the operator (a 教务 teacher): results in Chinese; errors about the
configuration stay in English with the file, key and line."""

from __future__ import annotations

from collections.abc import Sequence

from bot.handbook.source import HandbookImport

ASK_DECLINE = "（手册中没有找到可靠的答案，建议转交导学教师）"
FORGOTTEN = "已删除该学生的花名册数据、学习进度、台账记录和收集的文件。"
NO_SUCH_STUDENT = "没有这个学号。"
RELOADED = "已通知运行中的机器人重新加载台历（30秒内生效）。"
WRITTEN = "已写入 {path}"
NO_CHART = "（这段时间没有通知，未生成图表）"
NOTICE_EXPORTED = "已导出通知 #{n} 到 {path}"
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


# -- the whole report of an import: printed by the command line, sent in chat (bot/importers.py) ---------------------
MAX_ROWS = 20  # bad rows listed; the rest are counted


def _rows(errors: Sequence[str]) -> list[str]:
    shown = list(errors[:MAX_ROWS])
    if len(errors) > MAX_ROWS:
        shown.append(f"……还有 {len(errors) - MAX_ROWS} 处")
    return shown


def roster_import(name: str, dry_run: bool, added: int, updated: int, unchanged: int, errors: Sequence[str],
                  ok: bool) -> str:
    """`roster import` (a refusal when `ok` is false: nothing imported)."""
    if not ok:
        return "\n".join([f"{name}：有错误，未导入任何数据（共 {len(errors)} 处）：", *_rows(errors), "改好后请重新导入。"])
    return "\n".join([f"{name}：{roster_report(dry_run, added, updated, unchanged)}", *_rows(errors)])


def calendar_import(name: str, dry_run: bool, added: int, changed: int, unchanged: int,
                    errors: Sequence[str]) -> str:
    """`calendar import`: the good rows are imported, the bad ones listed (nothing when no row is good)."""
    if errors and not (added or changed or unchanged):
        return "\n".join([f"{name}：没有可以导入的日程，未导入（共 {len(errors)} 处问题）：", *_rows(errors)])
    lines = [f"{name}：{calendar_report(dry_run, added, changed, unchanged, len(errors))}"]
    if errors:
        lines += ["以下各行有问题，不会导入：", *_rows(errors)]
    return "\n".join(lines)


HANDBOOK_PROBLEMS = {
    "format": "{name}：不支持这种手册文件，请发送 .docx、.pdf 或 .md 文件。",
    "unreadable": "{name}：文件打不开（可能已损坏，或不是真正的 Word/PDF 文件），未导入。",
    "empty": ("{name}：没有找到问答小节，未导入。Word 里请用“标题 3”样式写每个问题（“标题 2”是章），"
              "PDF 里用“1. ”这样编号的标题，Markdown 里用 ### 标题。"),
    "duplicate": "{name}：小节“{title}”出现了两次（编号相同），未导入。请改成不同的标题或编号后重新导入。",
}


def handbook_import(r: HandbookImport) -> str:
    """`handbook import`: what the handbook will answer from, or why it cannot."""
    if not r.ok:
        return HANDBOOK_PROBLEMS.get(r.problem, HANDBOOK_PROBLEMS["unreadable"]).format(name=r.name, title=r.title)
    verb = "检查通过（未写入）" if r.dry_run else "导入完成"
    head = f"{r.name}：{verb}：{r.chapters} 章，{r.sections} 个问答小节"
    lines = [head + ("。" if r.dry_run else f"，已写入 {r.written}，机器人会用新手册回答问题。")]
    if r.generated:
        lines.append(f"· {r.generated} 个小节没有 {{#编号}}，已按标题生成。")
    if r.empty:
        more = f" 等{len(r.empty)}个" if len(r.empty) > 10 else ""
        lines.append("· 没有正文、已跳过的小节：" + "、".join(f"“{t}”" for t in r.empty[:10]) + more)
    return "\n".join(lines)
