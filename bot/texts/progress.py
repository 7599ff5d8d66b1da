"""What the bot says about learning progress (督学): import reports, /进度, reminders, the 台账 and the 数据通报.

Group messages say counts and rates only, or @-mention with neutral words: never a student's figure or item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.config import ProgressConfig
from bot.kernel.dates import format_when
from bot.models import ProgressContact, ProgressImport, ProgressValue, Student
from bot.progress.columns import FIELD_NAMES, Kind
from bot.progress.importer import Part, RowError
from bot.progress.reader import Problem
from bot.progress.report import Comparison, Figures, Month, meets, ranked
from bot.progress.status import Behind, ClassProgress, ItemCount, Level, StudentStatus, next_target, target_at
from bot.progress.values import ChaseResult, HistoryEntry, ImportReport, PhoneEntry

WHAT_IS_IMPORTED = "学习进度"
WHAT_CAN_BE_IMPORTED = "学习进度（形考、网检、直播及腾讯会议参会名单、选课、报考、预警名单）"
MAX_ERRORS = 20

# -- where a snapshot's day came from
FROM_EVENT = "直播时间"
FROM_OPTION = "按指定日期"
FROM_TITLE = "取自表格标题"
FROM_TODAY = "按今天"

FILE_EMPTY = "{name}：文件里没有数据。"
NOTHING_IN_SCOPE = "{name}：没有您负责班级的学生（{n} 行属于其他班级），未导入。"
UNKNOWN_EVENT = "台历里没有直播“{event}”。可用的直播：{known}（例如 --event live-admin-2026-11-10）。"
EVENT_NOT_YOURS = "直播“{title}”不面向您负责的班级，未导入。"
NO_EVENT = ("这是一份参会名单，但看不出是哪场直播。请在文件名里写上课程和日期（例如“行政管理学 直播课 2026-11-10.xlsx”）"
            "再发送；命令行可以用 --event 指定（例如 --event live-admin-2026-11-10）。")
SEVERAL_EVENTS = "{day}有几场直播（{titles}），看不出是哪一场。请在文件名里写上课程名再发送，或用 --event 指定。"

METHOD_PRIVATE = "私聊提醒"
METHOD_GROUP = "群内@提醒"
METHOD_REPLY = "学生回复"
METHOD_OTHER = "其他"
NO_PROBLEM = "暂无未完成事项"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".rstrip("0").rstrip(".")


def when(at: datetime) -> str:
    return format_when(at)


def day(d: date) -> str:
    return f"{d.month}月{d.day}日"


# -- import reports ----------------------------------------------------------------------------------------------------
def unknown_layout(name: str, problem: Problem, lines: Sequence[tuple[str, str]]) -> str:
    """One message: what was found, and the config lines that would map it."""
    headers = "、".join(problem.headers[:20]) or "（没有找到表头）"
    why = {"no student_no": "找不到学号列", "unknown kind": "看不出是哪种学习数据（形考、网检、直播、选课、报考还是预警）",
           "no values": "找到了学号，但没有可以导入的数据列",
           "wrong kind": f"这看起来是{problem.kind.value if problem.kind else '别的'}数据，不是指定的种类"}[problem.reason]
    text = [f"{name}：{why}，未导入。", f"表头是：{headers}"]
    if lines:
        text.append("如果这些列就是平台的数据，请在 config.yaml 里加上（然后 python -m bot check 检查）：")
        text.append("progress:\n  columns:\n" + "\n".join(f"    {h}: {f}    # {FIELD_NAMES[f]}" for h, f in lines))
    else:
        text.append("请在 config.yaml 的 progress.columns 里写上列名对应的字段，例如：\nprogress:\n  columns:\n"
                    "    学员编号: student_no\n    累计学习天数: online_days")
    text.append("可用的字段：" + "、".join(f"{k}（{v}）" for k, v in list(FIELD_NAMES.items())[:12]) + " 等，见 README“督学”。")
    return "\n".join(text)


def _row(err: RowError, sheets: int) -> str:
    where = f"工作表“{err.sheet}”" if sheets > 1 and err.sheet else ""
    return f"{where}第{err.row}行：{err.message}"


def _part(part: Part) -> list[str]:
    kind = part.kind
    classes = part.classes()
    who = "、".join(f"{c} {n}" for c, n in list(classes.items())[:6]) + ("等" if len(classes) > 6 else "")
    students = len(part.students)
    if part.event:
        head = f"· 直播（{part.event_title} {day(part.as_of)}）" if part.as_of else f"· 直播（{part.event_title}）"
        done = sum(1 for v in part.values if v.done)
        lines = [f"{head}：名单对应到学生 {part.attendees} 人，其中时长不足 {num(part.min_minutes)} 分钟 {part.short} 人；"
                 f"计入 {students} 人（{who}），参加 {done}/{students}"]
        if part.unmatched:
            shown = "、".join(f"{nick}（第{n}行）" for n, nick in part.unmatched[:10])
            lines.append(f"  未对应到学生（老师、访客或没按群昵称入会）：{shown}" + (
                f" 等 {len(part.unmatched)} 行" if len(part.unmatched) > 10 else ""))
        return lines
    source = f"截至 {part.as_of:%Y-%m-%d}，{part.as_of_from}" if part.as_of else ""
    head = f"· {kind.value}（{source}）：{students} 人（{who}）"
    completion = [v for v in part.values if v.done is not None]
    if kind == Kind.HOMEWORK:
        items = {(v.course, v.item) for v in completion}
        done = sum(1 for v in completion if v.done)
        head += f"，{len(items)} 项，已完成 {done}/{len(completion)}"
        linked = {(v.course, v.item) for v in completion if v.ref}
        if items and len(linked) < len(items):
            head += f"（{len(items) - len(linked)} 项在台历里找不到截止时间）"
    elif kind in (Kind.SELECTION, Kind.REGISTRATION):
        done = sum(1 for v in completion if v.done)
        head += f"，已{kind.value} {done}/{len(completion)}"
    elif kind == Kind.ONLINE:
        days = [v.value for v in part.values if v.item == "在线天数" and v.value is not None]
        active = {v.student_no for v in part.values if v.item in ("在线天数", "登录次数", "行为次数") and (v.value or 0) > 0}
        head += f"，已上线 {len(active)}/{students}"
        if days:
            head += f"，人均在线 {num(sum(days) / len(days))} 天"
    elif kind == Kind.LIVE:
        got = sum(v.value or 0 for v in part.values if v.item == "直播")
        of = sum(v.total or 0 for v in part.values if v.item == "直播")
        head += f"，参加 {num(got)}/{num(of)} 场" if of else ""
    elif kind == Kind.WARNING:
        head = f"· 预警名单（{source}）：{students} 人（{who}）"
    lines = [head]
    unused = sorted({u for la in part.layouts for u in la.unused})
    if unused:
        lines.append("  没有导入的列：" + "、".join(unused[:10]))
    if part.empty_items:
        lines.append("  整列为空、没有导入：" + "、".join(list(dict.fromkeys(part.empty_items))[:10]))
    return lines


def import_report(r: ImportReport) -> str:
    """The report of an import, the same on the command line and in chat."""
    if r.refused:
        return r.refused
    sheets = len({la.sheet.name for p in r.parts for la in p.layouts})
    if r.errors:
        lines = [f"{r.file_name}：有 {len(r.errors)} 处问题，未导入任何数据："]
        lines += [_row(e, sheets) for e in r.errors[:MAX_ERRORS]]
        if len(r.errors) > MAX_ERRORS:
            lines.append(f"……还有 {len(r.errors) - MAX_ERRORS} 处")
        lines.append("改好后请重新导入。")
        return "\n".join(lines)
    lines = [f"{r.file_name}：" + ("检查通过（未写入）" if r.dry_run else "导入完成")]
    for part in r.parts:
        lines += _part(part)
        before = r.previous.get(part.kind.value)
        if before:
            lines.append(f"  上次：已完成 {before[0]}/{before[1]}")
    if r.out_of_scope:
        lines.append(f"· 另有 {r.out_of_scope} 行不是您负责的班级（或不在配置里），未导入。")
    for p in r.skipped:
        lines.append(f"· 工作表“{p.sheet}”看不出是学习数据，已跳过。")
    if r.empty_sheets and len(r.empty_sheets) < sheets + len(r.empty_sheets):
        lines.append("· 空白工作表：" + "、".join(r.empty_sheets))
    if r.confirmed:
        lines.append(f"· {r.confirmed} 项“交了”已由本次数据确认。")
    if r.contradicted:
        lines.append("· 说已交、但本次数据仍显示未完成：" + "、".join(f"{n}（{i}）" for n, i in r.contradicted[:10]))
    if r.phone:
        lines.append(f"· 提醒两次以上仍未完成的 {r.phone} 人已列入“需要电话联系”，名单已私聊发给导学教师。")
    return "\n".join(lines)


# -- /进度 -------------------------------------------------------------------------------------------------------------
NO_DATA = ("还没有导入学习进度数据。把平台导出的 Excel 或 CSV 私聊发给我即可导入（形考、网检、直播、选课、报考、预警名单），"
           "或用命令行 python -m bot progress import 文件。")
STUDENT_IN_GROUP = "请私聊我发送 /进度，查看你自己的学习进度。"
STUDENT_UNBOUND = "我还不知道你的学号，请先发送 /绑定 学号 姓名，再发送 /进度。"
DETAIL_SENT = "名单和每位同学的情况已私聊发给您。"
DETAIL_SENT_GROUP = "名单和每位同学的情况已私聊发给老师。"
NOT_FOUND = "您负责的班级里没有“{what}”（学生姓名、学号、班级、课程或作业，例如 形考作业2）。"
PROGRESS_USAGE = "/进度 [课程 | 作业 | 学生姓名]"
LEVELS = {Level.ON_TRACK: "正常", Level.BEHIND: "落后", Level.AT_RISK: "需重点关注"}
INDICATORS = {"homework": "形考完成率", "live": "直播参与率", "login_rate": "上线比例", "online_days": "生均在线天数",
              "actions": "生均行为次数", "forum_rate": "回帖率"}  # bot/progress/report.py indicators()


def item_line(i: ItemCount) -> str:
    due = f"（截止 {when(i.deadline)}）" if i.deadline else ""
    verb = "已完成" if i.kind == Kind.HOMEWORK else f"已{i.kind.value}"
    return f"{i.label}：{verb} {i.done}/{i.total}{due}"


def class_counts(p: ClassProgress, items: Sequence[ItemCount], what: str, month_no: int,
                 online_target: float | None, *, detail_sent: bool) -> str:
    """For a class group: counts and rates only, no names."""
    asof = f"（数据截至 {day(p.as_of)}）" if p.as_of else ""
    lines = [f"【学习进度】{p.name}{asof}"]
    lines += [item_line(i) for i in items]
    wants_all = not what or what in ("全部", Kind.ONLINE.value, Kind.LIVE.value)
    if p.online_counted and wants_all and what != Kind.LIVE.value:
        days = p.online.get("在线天数")
        avg = f"，生均在线 {num(days[1] / p.online_counted)} 天" if days else ""
        target = f"（目标 {num(online_target)} 天）" if online_target is not None and days else ""
        lines.append(f"网检：已上线 {p.logged_in}/{p.online_counted}{avg}{target}")
    if p.live[1] and wants_all and what != Kind.ONLINE.value:
        lines.append(f"直播（{month_no}月）：参与率 {pct(p.live[0] / p.live[1])}")
    if len(lines) == 1:
        lines.append("（没有相应的数据）")
    if detail_sent:
        lines.append(DETAIL_SENT_GROUP)
    return "\n".join(lines)


def _student_line(s: StudentStatus, tz: ZoneInfo) -> str:
    parts = []
    for b in s.behind:
        text = (b.figure and f"{b.label}（{b.figure}）") or b.label
        if b.deadline:
            text += f"（截止 {b.deadline.astimezone(tz).month}月{b.deadline.astimezone(tz).day}日）"
        parts.append(text)
    warn = f"（预警：{s.warning}）" if s.warning else ""
    return f"· {s.student.name}{warn}：" + ("、".join(parts) or "—")


def class_detail(p: ClassProgress, what: str, tz: ZoneInfo, *, wanted: Sequence[StudentStatus]) -> str:
    """For staff, privately: who is behind on what."""
    asof = f"数据截至 {day(p.as_of)}" if p.as_of else "暂无数据"
    risk = [s for s in wanted if s.level == Level.AT_RISK]
    behind = [s for s in wanted if s.level == Level.BEHIND]
    ok = len(p.students) - len(risk) - len(behind)
    lines = [f"【{p.name} 学习进度明细】{asof}" + (f"（{what}）" if what else ""),
             f"正常 {ok} 人，落后 {len(behind)} 人，需重点关注 {len(risk)} 人。"]
    if risk:
        lines.append("需重点关注：")
        lines += [_student_line(s, tz) for s in risk]
    if behind:
        lines.append("落后：")
        lines += [_student_line(s, tz) for s in behind]
    if risk or behind:
        lines.append(f"逐个提醒：/督学 {what or '全部'}　记录电话联系：/跟进 姓名 情况")
    return "\n".join(lines)


def student_detail(s: StudentStatus, cfg: ProgressConfig, today: date, tz: ZoneInfo, *, for_staff: bool,
                   recent: Sequence[HistoryEntry] = ()) -> str:
    st = s.student
    level = f"{LEVELS[s.level]}（{len(s.behind)} 项）" if s.level == Level.BEHIND else LEVELS[s.level]
    head = f"【{st.name} 学习进度】{st.class_name}" + (f" · 学号 {st.student_no}" if for_staff else "")
    lines = [head, f"状态：{level}"]
    if s.warning:
        lines.append(f"预警：{s.warning}")
    done, total = s.homework
    if total:
        lines.append(f"形考：已完成 {done}/{total}")
    for b in s.behind:
        due = f"，截止 {when(b.deadline.astimezone(tz))}" if b.deadline else ""
        lines.append(f"· {b.label}{'：' + b.figure if b.figure else ' 未完成'}{due}")
    for b in s.later:
        lines.append(f"· {b.label} 未完成，截止 {when(b.deadline.astimezone(tz))}" if b.deadline else f"· {b.label} 未完成")
    if s.online:
        bits = [f"{k} {num(v)}" for k, v in s.online.items()]
        target = target_at(cfg.targets.online_days, today)
        nxt = next_target(cfg.targets.online_days, today)
        goal = (f"（要求在线 {num(target)} 天）" if target is not None else
                f"（{day(nxt.by)}前要求在线 {num(nxt.value)} 天）" if nxt else "")
        lines.append("网检：" + "，".join(bits) + goal)
    if s.live[1]:
        lines.append(f"直播（本月）：参加 {s.live[0]}/{s.live[1]} 场")
    if for_staff and st.phone:
        lines.append(f"手机：{st.phone}")
    if recent:
        lines.append("最近联系：" + "；".join(f"{e.at.astimezone(tz):%m-%d} {e.text}" for e in recent[-3:]))
    if not for_staff and s.behind:
        lines.append("完成后回复“交了”；有问题可以直接问我。")
    return "\n".join(lines)


def coordinator_counts(title: str, classes: Sequence[ClassProgress], points: dict[str, str]) -> str:
    """Per teaching point and class, counts and rates only."""
    lines = [f"【学习进度】{title}"]
    by_point: dict[str, list[ClassProgress]] = {}
    for p in classes:
        by_point.setdefault(points.get(p.name, ""), []).append(p)
    for point, members in by_point.items():
        if len(by_point) > 1 or len(members) > 1:
            lines.append(_counts_line(point or "—", [p for p in members if p.as_of is not None], point=True))
        for p in members:
            lines.append(f"· {p.name}：暂无数据" if p.as_of is None else _counts_line(p.name, [p]))
    return "\n".join(lines)


def _counts_line(name: str, classes: Sequence[ClassProgress], *, point: bool = False) -> str:
    if not classes:
        return f"{name}：暂无数据"
    hw = [i for p in classes for i in p.items if i.kind == Kind.HOMEWORK]
    done, total = sum(i.done for i in hw), sum(i.total for i in hw)
    online, counted = sum(p.logged_in for p in classes), sum(p.online_counted for p in classes)
    live_done, live_total = sum(p.live[0] for p in classes), sum(p.live[1] for p in classes)
    students = sum(len(p.students) for p in classes)
    bits = [f"形考 {pct(done / total) if total else '—'}"]
    if counted:
        bits.append(f"上线 {online}/{counted}")
    if live_total:
        bits.append(f"直播 {pct(live_done / live_total)}")
    behind = sum(p.level_count(Level.BEHIND) for p in classes)
    risk = sum(p.level_count(Level.AT_RISK) for p in classes)
    bits.append(f"落后 {behind}、重点关注 {risk}")
    return (f"{name}（{len(classes)}个班，{students}人）：" if point else f"· {name}（{students}人）：") + "，".join(bits)


def ambiguous(command: str, found: Sequence[Student], rest: str) -> str:
    lines = [f"有 {len(found)} 位“{found[0].name}”，请用学号指定："]
    lines += [f"{command} {st.student_no} {rest}".rstrip() + f"　（{st.class_name}）" for st in found[:10]]
    return "\n".join(lines)


# -- /督学 -------------------------------------------------------------------------------------------------------------
CHASE_GROUP = ("【学习提醒】请以上同学留意：学习平台上还有需要尽快完成的学习任务。私聊我发送 /进度 可以查看自己的情况，"
               "有困难请联系导学教师。")
CHASE_IN_GROUP = "已发出提醒，结果已私聊发给您。"
CHASE_USAGE = "/督学 [形考作业2 | 网检 | 直播 | 选课 | 报考 | 全部]"


def chase_private(name: str, items: Sequence[Behind], tz: ZoneInfo) -> str:
    lines = [f"【学习提醒】{name}同学，你好！以下学习任务还需要完成："]
    for b in items:
        if b.kind == Kind.ONLINE:
            text = "国开学习网：" + (b.figure or "本学期还没有登录学习") + "，请每天登录学习"
        elif b.kind == Kind.LIVE:
            text = f"直播课：{b.figure}，请按时参加直播（或观看回放）"
        else:
            text = b.label + (f"，截止 {when(b.deadline.astimezone(tz))}" if b.deadline else "")
        lines.append(f"· {text}")
    lines.append("完成后回复“交了”；如果有困难，可以直接问我或联系导学教师。")
    return "\n".join(lines)


def problem(items: Sequence[Behind]) -> str:
    """The 台账's 问题 column."""
    return "；".join(f"{b.label}（{b.figure}）" if b.figure else b.label if b.kind in (Kind.ONLINE, Kind.LIVE)
                    else f"{b.label} 未完成" for b in items)


def chase_summary(result: ChaseResult, what: str) -> str:
    private, group, none = result.count("private"), result.count("group"), result.count("none")
    reached = private + group
    scope = "、".join(result.classes[:4]) + ("等" if len(result.classes) > 4 else "")
    if not result.reminded:
        return f"{scope}没有需要提醒的同学（{what or '全部'}）。"
    lines = [f"督学（{what or '全部'}，{scope}）：已提醒 {reached} 人，其中私聊 {private} 人，在班级群@ {group} 人。"]
    if result.held_until and reached:
        lines.append(f"现在是休息时间，提醒将在 {result.held_until:%H:%M} 发出。")
    if group:
        lines.append("群里@的同学还没有私聊过班助，提醒里没有写具体事项；他们私聊我之后就能收到私聊提醒。")
    if none:
        lines.append(f"无法联系 {none} 人（未进群或微信未对应到学号）：" + "、".join(result.names("none")[:20]))
    if result.count("today"):
        lines.append(f"今天已提醒过、这次跳过 {result.count('today')} 人：" + "、".join(result.names("today")[:20]))
    if result.count("claimed"):
        lines.append(f"说已交、等下次导入核对 {result.count('claimed')} 人：" + "、".join(result.names("claimed")[:20]))
    names = [f"{r.student.name}（{'、'.join(b.label for b in r.items[:3])}）" for r in result.reminded
             if r.how in ("private", "group")]
    if names:
        lines.append("已提醒：" + "、".join(names[:40]) + (f" 等{len(names)}人" if len(names) > 40 else ""))
    if none:
        lines.append("电话联系后可以记入台账：/跟进 姓名 电话联系，答应周五前补交")
    return "\n".join(lines)


def chase_confirm(students: int, classes: int, what: str) -> str:
    return f"将提醒 {classes} 个班共 {students} 位同学（{what or '全部'}）：能私聊的私聊，其余在班级群@提醒（不含具体事项）。"


def auto_chase_summary(class_name: str, title: str, deadline: datetime, result: ChaseResult) -> str:
    private, group, none = result.count("private"), result.count("group"), result.count("none")
    text = (f"【自动督学】{class_name}｜{title}（截止 {when(deadline)}）：已提醒未完成的 {private + group} 人"
            f"（私聊 {private}，群里@ {group}）")
    if none:
        text += f"；无法联系 {none} 人：" + "、".join(result.names("none")[:20])
    return text + "。"


# -- replies to a reminder ---------------------------------------------------------------------------------------------
def reply_done(items: Sequence[str]) -> str:
    what = "、".join(items) if items else "这项任务"
    return f"好的，已记下你说已完成：{what}。下次导入平台数据时会核对，谢谢！"


def reply_promise(items: Sequence[str], deadline: datetime | None) -> str:
    what = "、".join(items) if items else "学习任务"
    due = f"在 {when(deadline)} 前" if deadline else "尽快"
    return f"好的，请记得{due}完成：{what}。完成后回复“交了”。"


# -- /跟进 and /台账 ---------------------------------------------------------------------------------------------------
FOLLOW_USAGE = "格式：/跟进 姓名或学号 联系情况，例如 /跟进 张三 电话联系，答应周五前补交"
LEDGER_USAGE = "格式：/台账 姓名或学号（不写姓名：需要电话联系的名单和本班台账 Excel）"
NOT_IN_CLASSES = "您负责的班级里没有“{who}”，请核对姓名，或用学号。"
LEDGER_SENT = "{class_name}台账（{n} 条记录）"
NO_CLASSES = "您还没有负责的班级。"


def followed(name: str, class_name: str, problem_: str, method: str, result: str) -> str:
    return f"已记入台账：{name}（{class_name}）\n问题：{problem_}\n方式：{method}\n结果：{result}"


def history_import(imp: ProgressImport, values: Sequence[ProgressValue]) -> str:
    kind = imp.kind
    completion = [v for v in values if v.done is not None]
    if imp.event:
        attended = any(v.done for v in values)
        return f"导入 直播 {values[0].course} {values[0].item}：{'参加' if attended else '未参加'}"
    if kind in (Kind.HOMEWORK.value, Kind.SELECTION.value, Kind.REGISTRATION.value) and completion:
        missing = [v.item if not v.course or v.course in v.item else f"{v.course} {v.item}"
                   for v in completion if not v.done]
        text = f"导入 {kind}：完成 {len(completion) - len(missing)}/{len(completion)}"
        return text + (f"，未完成 {'、'.join(missing[:5])}" if missing else "")
    if kind == Kind.ONLINE.value:
        return "导入 网检：" + "，".join(f"{v.item} {num(v.value)}" for v in values if v.value is not None)
    if kind == Kind.WARNING.value:
        return f"导入 预警名单：{values[0].note}"
    return f"导入 {kind}"


def history_contact(c: ProgressContact) -> str:
    if c.kind == "reply":
        return f"学生回复：“{c.result}”"
    if c.kind == "reminder":
        return f"{c.method}（{c.actor_name}）：{c.problem}"
    return f"{c.actor_name} {c.method}：{c.result}"


def history(st: Student, entries: Sequence[HistoryEntry], tz: ZoneInfo) -> str:
    lines = [f"【{st.name} 台账】{st.class_name} · 学号 {st.student_no}" + (f" · 手机 {st.phone}" if st.phone else "")]
    if not entries:
        lines.append("还没有记录。")
    lines += [f"{e.at.astimezone(tz):%m-%d %H:%M} {e.text}" for e in entries]
    return "\n".join(lines)


def phone_list(class_name: str, entries: Sequence[PhoneEntry]) -> str:
    lines = [f"【需要电话联系】{class_name}：以下同学已提醒多次，平台数据仍显示未完成："]
    for e in entries:
        lines.append(f"· {e.student.name} {e.student.phone or '（花名册没有手机号）'}：{'、'.join(e.items)}"
                     f"（已提醒 {e.reminders} 次）")
    lines.append("联系后发 /跟进 姓名 电话联系，结果…… 记入台账。")
    return "\n".join(lines)


def ledger_intro(phone: dict[str, list[PhoneEntry]], files: int) -> str:
    if not phone:
        text = "目前没有需要电话联系的同学。"
    else:
        text = "\n\n".join(phone_list(c, e) for c, e in phone.items())
    return text + (f"\n台账 Excel（{files} 个班）随后发给您。" if files else "")


def ledger_result(c: ProgressContact) -> str:
    if c.kind == "reminder":
        return "已发送" + ("（群内@，未写具体事项）" if c.method == METHOD_GROUP else "")
    return c.result


# -- the 数据通报 -------------------------------------------------------------------------------------------------------
REPORT_TITLE = "月度学习数据通报"
REPORT_TITLE_NOW = "本月学习数据（至今）"
REPORT_EMPTY = "{scope}还没有学习进度数据（形考、网检、直播）。"
REPORT_NO_CLASSES = "您还没有负责的班级。"
REPORT_SENT_PRIVATELY = "学习数据通报已私聊发给您。"
MARKS = {True: "✓", False: "✗", None: ""}  # against the target in force


def change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return ""
    diff = round((now - before) * 100)
    return "（持平）" if diff == 0 else f"（↑{diff}%）" if diff > 0 else f"（↓{-diff}%）"


def _mark(value: float | None, target: float | None) -> str:
    return MARKS[meets(value, target)]


def _section(lines: list[str], now: Month, before: Month, value: Callable[[Figures], float | None],
             show: Callable[[Figures, Figures | None], str]) -> None:
    """Teaching points ranked on one line, then the classes ranked (the top and bottom five when there are many)."""
    points, prev_points = now.points(), before.points()
    if len(points) > 1:
        ranked_ = ranked(list(points.values()), value)
        lines.append("教学点：" + "；".join(f"{i}. {show(p, prev_points.get(p.name))}" for i, p in enumerate(ranked_, 1)))
    rows = [f"{i}. {show(f, before.classes.get(f.name))}" for i, f in enumerate(ranked(list(now.classes.values()), value), 1)]
    if len(rows) > 12:
        rows = [*rows[:5], f"……（共 {len(rows)} 个班，完整排名见附件）", *rows[-5:]]
    lines.append("班级：")
    lines += rows


def report(title: str, scope: str, figures: Comparison, stars: dict[str, list[Student]]) -> str:
    """The 数据通报: per section, teaching points and classes ranked, with ↑/↓ against the month before and ✓/✗
    against the target in force at the month's end."""
    now, before, t, last_day = figures.now, figures.before, figures.targets, figures.last_day
    hw_t, live_t, login_t, days_t = t.homework, t.live, t.login_rate, t.online_days
    actions_t, forum_t = t.actions, t.forum_rate
    lines = [f"【{title}】{day(now.start)}—{day(last_day)}（{scope}）"]
    total = now.total("")
    if total.homework.total:
        lines.append(f"—— 形考完成率（目标 {pct(hw_t)}）——" if hw_t is not None else "—— 形考完成率 ——")

        def hw(f: Figures, prev: Figures | None) -> str:
            return (f"{f.name} {pct(f.homework.rate)}{change(f.homework.rate, prev.homework.rate if prev else None)}"
                    f"{_mark(f.homework.rate, hw_t)}")

        _section(lines, now, before, lambda f: f.homework.rate, hw)
        if len(total.courses) > 1:
            lines.append("按课程：" + "；".join(f"{c} {pct(r.rate)}" for c, r in sorted(total.courses.items())))
    if total.live.total:
        goal = f"，目标参与率 {pct(live_t)}" if live_t is not None else ""
        lines.append(f"—— 直播（{now.start.month}月{goal}）——")

        def live(f: Figures, prev: Figures | None) -> str:
            lists = f"（已导入 {len(f.imported)} 场）" if f.imported and len(f.imported) < f.live_planned else ""
            return (f"{f.name} 安排 {f.live_planned} 场{lists}，人均参与 {num(f.live_average)} 场，"
                    f"参与率 {pct(f.live.rate)}{change(f.live.rate, prev.live.rate if prev else None)}"
                    f"{_mark(f.live.rate, live_t)}")

        _section(lines, now, before, lambda f: f.live.rate, live)
    if total.online.known:
        goals = [f"{name} {fmt(v)}" for name, v, fmt in (("上线", login_t, pct), ("生均在线天数", days_t, num),
                                                         ("生均行为次数", actions_t, num), ("回帖率", forum_t, pct))
                 if v is not None]
        lines.append("—— 网检" + (f"（目标：{'，'.join(goals)}）" if goals else "") + " ——")

        def online(f: Figures, prev: Figures | None) -> str:
            o = f.online
            bits = [f"上线 {pct(o.login_rate)}{change(o.login_rate, prev.online.login_rate if prev else None)}"
                    f"{_mark(o.login_rate, login_t)}",
                    f"生均在线 {num(o.avg_days)} 天{_mark(o.avg_days, days_t)}"]
            if o.actions or actions_t is not None:
                bits.append(f"生均行为 {num(o.avg_actions)} 次{_mark(o.avg_actions, actions_t)}")
            if o.posters or forum_t is not None:
                bits.append(f"回帖率 {pct(o.forum_rate)}{_mark(o.forum_rate, forum_t)}")
            return f"{f.name} " + "，".join(bits)

        _section(lines, now, before, lambda f: f.online.login_rate, online)
    if any(stars.values()):
        lines.append("—— 网上学习之星 ——")
        lines += [f"{p}：" + "、".join(st.name for st in sts) for p, sts in stars.items() if sts]
    lines.append("（↑↓ 与上月相比；✓ 达到目标，✗ 未达到；完整数据见附件 Excel）")
    return "\n".join(lines)


def praise(month_no: int, names: Sequence[str]) -> str:
    return f"🌟 {month_no}月网上学习之星：{'、'.join(names)}！坚持在线学习，值得大家学习，继续加油！"


# -- help ----------------------------------------------------------------------------------------------------------------
def report_usage() -> str:
    return "/汇总 进度 [本月|上月]"

NOT_YOUR_CLASS_TEXT = "抱歉，您不负责这个班级。"
ALL_MY_CLASSES = "您负责的班级（发送 /进度 班级名 查看名单）"
YOUR_CLASSES = "您负责的班级"
