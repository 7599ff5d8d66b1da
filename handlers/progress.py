"""Learning progress (督学) in chat: /进度, /督学, /跟进, /台账, /汇总 进度, and students' replies to reminders.

In a class group only counts and rates are said; names, items and figures go privately to staff (or to the
student themself)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.models import Student
from bot.people import Role
from bot.progress.status import ClassProgress, Level, counts_for, target_at, wanted
from bot.router import Context, Router, UsageError, Where
from bot.texts import progress as texts

router = Router("progress")

_FILLER = re.compile(r"^(查看|查询|看看|看一下|看下|查一下|查下)|(的)?(进度|情况|学习情况)$|一下$")


def parse_what(text: str, now: datetime) -> str:
    """What /进度 or /督学 is about (a course, an assignment, a kind, a class or a student), forgiving filler
    words: '/进度 看一下形考作业2的情况' -> '形考作业2'."""
    text = " ".join(text.replace("，", " ").replace(",", " ").split())
    for _ in range(3):
        text = _FILLER.sub("", text).strip()
    return text


def _classes_named(ctx: Context, words: list[str]) -> tuple[list[str], list[str]]:
    """(classes named among the words that the sender commands, the other words)."""
    names = {c.name for c in ctx.config.groups.classes}
    points = {p: [c.name for c in ctx.config.groups.classes if c.point == p] for p in ctx.config.teaching_points}
    classes: list[str] = []
    rest = []
    for w in words:
        if w in names:
            classes.append(w)
        elif w in points:
            classes += points[w]
        else:
            rest.append(w)
    return [c for c in dict.fromkeys(classes) if c in ctx.sender.classes], rest


def _students(ctx: Context, what: str, classes: list[str]) -> list[Student]:
    return ctx.progress.find_students(what, classes) if what and " " not in what else []


def _points(ctx: Context) -> dict[str, str]:
    return {c.name: c.point for c in ctx.config.groups.classes}


def _no_data(ctx: Context, classes: list[str]) -> bool:
    if ctx.progress.has_data(classes):
        return False
    ctx.reply(texts.NO_DATA)
    return True


# -- /进度 -------------------------------------------------------------------------------------------------------------
@router.command("进度", aliases=("progress", "学习进度"), parse=parse_what, audited=False,
                help="学习进度：形考、网检、直播（群里只说人数和比例，名单私聊给老师；同学私聊查看自己的）",
                usage=texts.PROGRESS_USAGE, example="/进度 · /进度 形考作业2 · /进度 熊晓明")
def show_progress(ctx: Context, what: str) -> None:
    if not ctx.sender.is_staff:
        _own_progress(ctx)
        return
    klass = ctx.class_group
    if klass is not None and klass.name not in ctx.sender.classes:
        ctx.reply(texts.NOT_YOUR_CLASS_TEXT)
        return
    if klass is not None:
        _class_group(ctx, klass.name, what)
    elif ctx.coordinator_group is not None:
        _coordinator_group(ctx, what)
    else:
        _private(ctx, what)


def _own_progress(ctx: Context) -> None:
    if ctx.where != Where.PRIVATE:
        ctx.reply(texts.STUDENT_IN_GROUP)
        return
    student = ctx.progress.student_of(ctx.sender.contact_id)
    if student is None:
        ctx.reply(texts.STUDENT_UNBOUND)
        return
    status = ctx.progress.student_status(student, ctx.now)
    ctx.reply(texts.student_detail(status, ctx.config.progress, ctx.local(ctx.now).date(), ctx.config.tz,
                                   for_staff=False))


def _counts(ctx: Context, p: ClassProgress, what: str, *, detail_sent: bool) -> str:
    today = ctx.local(ctx.now).date()
    return texts.class_counts(p, counts_for(p, what), what, today.month,
                              target_at(ctx.config.progress.targets.online_days, today), detail_sent=detail_sent)


def _detail(ctx: Context, p: ClassProgress, what: str) -> str:
    chosen = [s for s in p.students if s.level != Level.ON_TRACK and (not what or wanted(s, what))]
    return texts.class_detail(p, what, ctx.config.tz, wanted=chosen)


def _student(ctx: Context, found: list[Student], what: str) -> None:
    """Privately, to staff: one student's status and latest contacts; a choice when the name is ambiguous."""
    ctx.audit("/进度", " ".join(st.student_no for st in found))  # 学号, not a name: `forget` finds it
    if len(found) > 1:
        ctx.tell(ctx.sender.contact_id, texts.ambiguous("/进度", found, ""))
        return
    st = found[0]
    status = ctx.progress.student_status(st, ctx.now)
    recent = ctx.progress.history(st, limit=3)
    ctx.tell(ctx.sender.contact_id, texts.student_detail(status, ctx.config.progress, ctx.local(ctx.now).date(),
                                                         ctx.config.tz, for_staff=True,
                                                         recent=[e for e in recent if e.kind != "import"]))


def _class_group(ctx: Context, class_name: str, what: str) -> None:
    if _no_data(ctx, [class_name]):
        return
    found = _students(ctx, what, [class_name])
    if found:
        _student(ctx, found, what)
        ctx.reply(texts.DETAIL_SENT)
        return
    ctx.audit("/进度", what)
    p = ctx.progress.class_progress(class_name, ctx.now)
    if what and not counts_for(p, what) and what not in ("网检", "直播", "全部"):
        ctx.reply(texts.NOT_FOUND.format(what=what))
        return
    behind = any(s.level != Level.ON_TRACK for s in p.students)
    ctx.reply(_counts(ctx, p, what, detail_sent=behind), mention=False)
    if behind:
        ctx.tell(ctx.sender.contact_id, _detail(ctx, p, what))


def _coordinator_group(ctx: Context, what: str) -> None:
    group = ctx.coordinator_group
    assert group is not None
    mine = [c.name for c in ctx.config.groups.classes if c.name in ctx.sender.classes
            and (group.points == "all" or c.point in group.points)]
    named, rest = _classes_named(ctx, what.split())
    classes = [c for c in named if c in mine] or mine
    if not classes:
        ctx.reply(texts.NO_CLASSES)
        return
    if _no_data(ctx, classes):
        return
    ctx.audit("/进度", what)
    progress = [ctx.progress.class_progress(c, ctx.now) for c in classes]
    if len(progress) == 1:
        ctx.reply(_counts(ctx, progress[0], " ".join(rest), detail_sent=False), mention=False)
    else:
        ctx.reply(texts.coordinator_counts("、".join(named) or group.name, progress, _points(ctx)), mention=False)


def _private(ctx: Context, what: str) -> None:
    mine = sorted(ctx.sender.classes)
    if not mine:
        ctx.reply(texts.NO_CLASSES)
        return
    named, rest = _classes_named(ctx, what.split())
    classes = named or mine
    if _no_data(ctx, classes):
        return
    what = " ".join(rest)
    found = _students(ctx, what, classes)
    if found:
        _student(ctx, found, what)
        return
    ctx.audit("/进度", what)
    progress = [ctx.progress.class_progress(c, ctx.now) for c in classes]
    if len(progress) > 4 and not named:  # a coordinator's overview: counts; names per class on request
        ctx.reply(texts.coordinator_counts(texts.ALL_MY_CLASSES, progress, _points(ctx)))
        return
    texts_ = []
    for p in progress:
        if what and not counts_for(p, what) and what not in ("网检", "直播", "全部"):
            continue
        texts_.append(_counts(ctx, p, what, detail_sent=False))
        if any(s.level != Level.ON_TRACK for s in p.students):
            texts_.append(_detail(ctx, p, what))
    ctx.reply("\n\n".join(texts_) if texts_ else texts.NOT_FOUND.format(what=what))


# -- /督学 -------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChaseArgs:
    words: tuple[str, ...]


def parse_chase(text: str, now: datetime) -> ChaseArgs:
    return ChaseArgs(tuple(parse_what(text, now).split()))


def _chase_scope(ctx: Context, args: ChaseArgs) -> tuple[list[str], str]:
    if ctx.class_group is not None:
        return [ctx.class_group.name], " ".join(args.words)
    named, rest = _classes_named(ctx, list(args.words))
    return named or sorted(ctx.sender.classes), " ".join(rest)


def _chase_confirm(ctx: Context, args: ChaseArgs) -> str | None:
    """Reminding several classes at once asks for 确认 first."""
    classes, what = _chase_scope(ctx, args)
    if len(classes) < 2:
        return None
    students, with_someone = ctx.progress.chase_preview(classes, what, ctx.now)
    return texts.chase_confirm(students, with_someone, what) if students else None


@router.command("督学", aliases=("chase", "督促"), roles=Role.STAFF, rooms=Where.CLASS | Where.PRIVATE, scoped=True,
                parse=parse_chase, confirm=_chase_confirm,
                help="逐个提醒没完成的同学（能私聊的私聊，其余在群里@，不写具体事项）",
                usage=texts.CHASE_USAGE, example="/督学 形考作业2 · /督学 网检 · /督学 全部")
def chase(ctx: Context, args: ChaseArgs) -> None:
    classes, what = _chase_scope(ctx, args)
    if not classes:
        ctx.reply(texts.NO_CLASSES)
        return
    if _no_data(ctx, classes):
        return
    result = ctx.progress.chase(ctx.sender, classes, what, ctx.now)
    ctx.tell(ctx.sender.contact_id, texts.chase_summary(result, what))
    if ctx.where != Where.PRIVATE:
        ctx.reply(texts.CHASE_IN_GROUP)


# -- /跟进 and /台账 ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FollowArgs:
    who: str
    text: str


def parse_follow(text: str, now: datetime) -> FollowArgs:
    """'张三 电话联系，答应周五前补交', '2024201010001：电话…'; without a separator the handler matches a name at the
    start ('/跟进张三电话联系')."""
    text = text.strip()
    if not text:
        raise UsageError(texts.FOLLOW_USAGE)
    m = re.match(r"^(\d{6,13}|[\u4e00-\u9fff·]{2,6}?)[\s,，:：、]+(.+)$", text, re.S)
    if m:
        return FollowArgs(m.group(1), m.group(2).strip())
    return FollowArgs("", text)


def _who(ctx: Context, args: FollowArgs, command: str) -> tuple[Student, str] | None:
    classes = sorted(ctx.sender.classes)
    who, rest = args.who, args.text
    found = ctx.progress.find_students(who, classes) if who else []
    if not found and not who:  # '/跟进张三电话联系': the longest roster name the text starts with
        for n in (4, 3, 2):
            found = ctx.progress.find_students(args.text[:n], classes)
            if found:
                who, rest = args.text[:n], args.text[n:].lstrip(" ，,：:")
                break
    if not found:
        ctx.reply(texts.NOT_IN_CLASSES.format(who=who or args.text[:6]))
        return None
    if len(found) > 1:
        ctx.reply(texts.ambiguous(command, found, rest))
        return None
    if command == "/跟进" and not rest:
        ctx.reply(texts.FOLLOW_USAGE)
        return None
    return found[0], rest


@router.command("跟进", aliases=("followup", "联系记录"), roles=Role.STAFF, rooms=Where.PRIVATE, parse=parse_follow,
                audited=False, help="记一条联系记录到台账（电话、微信、面谈……）",
                usage="/跟进 姓名或学号 联系情况", example="/跟进 张三 电话联系，答应周五前补交")
def follow_up(ctx: Context, args: FollowArgs) -> None:
    picked = _who(ctx, args, "/跟进")
    if picked is None:
        return
    student, text = picked
    done = ctx.progress.follow_up(ctx.sender, student, text, ctx.now)
    ctx.audit("/跟进", f"#{done.entry.id} {student.student_no}")
    ctx.reply(texts.followed(student.name, student.class_name, done.problem, done.entry.method, done.entry.result))


def parse_ledger(text: str, now: datetime) -> str:
    return parse_what(text, now)


@router.command("台账", aliases=("ledger",), roles=Role.STAFF, rooms=Where.PRIVATE, parse=parse_ledger, audited=False,
                help="学生的提醒和联系记录；不写姓名：需要电话联系的名单和台账 Excel",
                usage="/台账 [姓名或学号]", example="/台账 张三 · /台账")
def ledger(ctx: Context, who: str) -> None:
    classes = sorted(ctx.sender.classes)
    if not classes:
        ctx.reply(texts.NO_CLASSES)
        return
    if who:
        picked = _who(ctx, FollowArgs(who, ""), "/台账")
        if picked is None:
            return
        student = picked[0]
        ctx.audit("/台账", student.student_no)
        ctx.reply(texts.history(student, ctx.progress.history(student), ctx.config.tz))
        return
    ctx.audit("/台账", "名单")
    phone = ctx.progress.phone_list(classes, ctx.now)
    with_log = [c for c in classes if len(ctx.progress.ledger_rows(c)) > 1][:5]
    ctx.reply(texts.ledger_intro(phone, len(with_log)))
    for c in with_log:
        path = ctx.progress.ledger_path(c, ctx.now)
        n = ctx.progress.ledger(c, path)
        ctx.tell(ctx.sender.contact_id, texts.LEDGER_SENT.format(class_name=c, n=n), file_path=str(path))


# -- /汇总 进度 ---------------------------------------------------------------------------------------------------------
def parse_month(text: str, now: datetime) -> str:
    return "上月" if re.search(r"上月|上个月|上一个月", text) else "本月"


@router.command("汇总进度", aliases=("汇总 进度", "进度汇总", "数据通报"), roles=Role.STAFF, parse=parse_month,
                help="学习数据通报：形考、直播、网检，按教学点和班级排名（负责人群里发在群里，其他地方私聊）",
                usage=texts.report_usage(), example="/汇总 进度 · /汇总 进度 上月")
def report(ctx: Context, which: str) -> None:
    done = ctx.progress.report_on_demand(ctx.sender, ctx.coordinator_group, which, ctx.room_id, ctx.now)
    if done == "no classes":
        ctx.reply(texts.REPORT_NO_CLASSES)
    elif done == "empty":
        ctx.reply(texts.REPORT_EMPTY.format(scope=texts.YOUR_CLASSES))
    elif ctx.where == Where.CLASS:
        ctx.reply(texts.REPORT_SENT_PRIVATELY)


# -- replies to a reminder -------------------------------------------------------------------------------------------
@router.message("progress-reply", rooms=Where.PRIVATE)
def reply_to_reminder(ctx: Context) -> bool:
    """“交了” / “明天交” after a reminder; anything else goes on (a question to the handbook answers)."""
    if ctx.sender.is_staff or ctx.msg.kind != "text" or not ctx.text.strip():
        return False
    outcome = ctx.progress.student_reply(ctx.sender.contact_id, ctx.text, ctx.msg.time)
    if outcome is None:
        return False
    if outcome.kind == "done":
        ctx.reply(texts.reply_done(outcome.items))
    else:
        ctx.reply(texts.reply_promise(outcome.items, outcome.deadline))
    return True
