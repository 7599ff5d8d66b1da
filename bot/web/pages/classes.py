"""A class: its notices (who acknowledged, when), its students (who has not acknowledged, who is not in the group,
who is on track, behind or at risk in their learning), its progress and contact log (台账); a notice's status; a
student's history, items and 台账, and a follow-up (/跟进) form. Progress comes from the same service calls as
/进度, /台账 and /跟进 in chat. Everything outside the viewer's classes is 404, whatever id is typed into the URL."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from starlette.responses import Response
from starlette.routing import Route

from bot.config import ClassGroup
from bot.gateways.base import Member
from bot.models import Notice, ProgressContact, ProgressState, Student
from bot.notices.values import NoticeError
from bot.people import Role
from bot.progress import report
from bot.progress.status import ItemCount, Level, StudentStatus, shown
from bot.progress.values import PhoneEntry
from bot.texts import notices as notice_texts
from bot.texts import progress as progress_texts
from bot.texts import web as texts
from bot.web.base import Req, not_found, page
from bot.web.pages.overview import PERIODS, window

STATES = texts.STUDENT_STATES
LEVEL_FILTERS = texts.PROGRESS_FILTERS
LEVEL_OF = {"ok": Level.ON_TRACK, "behind": Level.BEHIND, "risk": Level.AT_RISK}


def resolve_class(req: Req, cid: str) -> ClassGroup:
    """The class behind an opaque id, if the viewer may see it."""
    web = req.services.web
    for c in req.services.config.groups.classes:
        if c.name in req.person.classes and web.opaque("class", c.name) == cid:
            return c
    raise not_found()


@dataclass
class StudentRow:
    sid: str
    name: str
    student_no: str
    in_group: bool
    bound: bool
    alias: str
    missing: int  # unacknowledged notices in the period
    progress: StudentStatus | None = None  # learning status, when the class has progress data

    @property
    def level(self) -> str:
        """ok / behind / risk ('' without progress data)."""
        if self.progress is None:
            return ""
        return next(k for k, v in LEVEL_OF.items() if v == self.progress.level)

    @property
    def states(self) -> set[str]:
        out = {"all"}
        if self.missing:
            out.add("behind")
        if not self.in_group:
            out.add("out")
        if not self.bound:
            out.add("unbound")
        return out


def student_key(student_no: str | None, contact_id: str | None) -> str:
    return f"no:{student_no}" if student_no else f"cid:{contact_id}"


def class_people(req: Req, group: ClassGroup, missing: dict[str, int],
                 progress: dict[str, StudentStatus]) -> list[StudentRow]:
    """Room members (not staff) and roster students of a class, one row each (with their learning status)."""
    services = req.services
    web = services.web
    room_id = services.people.room_of_group(group.name)
    members = [m for m in services.people.members(room_id)] if room_id else []
    staff = services.people.not_members()
    members = [m for m in members if m.contact_id not in staff]
    names = services.roster.display_names(room_id or "", members)
    bound = services.roster.by_contact(m.contact_id for m in members)
    rows: list[StudentRow] = []
    for m in members:
        st = bound.get(m.contact_id)
        rows.append(StudentRow(web.opaque("student", student_key(st.student_no if st else None, m.contact_id)),
                               names[m.contact_id], st.student_no if st else "", True, st is not None, m.alias,
                               missing.get(m.contact_id, 0), progress.get(st.student_no) if st else None))
    present = {m.contact_id for m in members}
    for st in services.roster.students_of(group.name):
        if st.contact_id and st.contact_id in present:
            continue
        rows.append(StudentRow(web.opaque("student", student_key(st.student_no, None)), st.name, st.student_no,
                               False, bool(st.contact_id), "", 0, progress.get(st.student_no)))
    worst = {"risk": 0, "behind": 1, "ok": 2, "": 3}
    rows.sort(key=lambda r: (worst[r.level], -r.missing, not r.in_group, r.name))
    return rows


@page()
def show_class(req: Req) -> Response:
    group = resolve_class(req, req.param("cid"))
    services = req.services
    key = req.query("p", "month")
    key = key if key in PERIODS else "month"
    state = req.query("s", "all")
    state = state if state in STATES else "all"
    level = req.query("g", "all")
    level = level if level in LEVEL_FILTERS else "all"
    start, end = window(key, req.now.astimezone(services.config.tz))
    figures = services.digests.figures(start, end, [group.name], behind_at=1).classes[group.name]
    notices = list(reversed(services.digests.per_notice(start, end, [group.name])))
    progress = class_progress(req, group)
    statuses = {s.student.student_no: s for s in progress.students} if progress else {}
    people = class_people(req, group, dict(figures.behind), statuses)
    shown = [p for p in people if state in p.states and level in ("all", p.level)]
    questions = [q for q in services.questions.unanswered(req.person) if q.group_name == group.name]
    counts = {k: sum(1 for p in people if k in p.states) for k in STATES}
    levels = {k: sum(1 for p in people if k in ("all", p.level)) for k in LEVEL_FILTERS}
    return req.render("class.html", group=group, cid=req.param("cid"), figures=figures, notices=notices,
                      people=shown, counts=counts, state=state, states=STATES, key=key, periods=PERIODS,
                      questions=questions, progress=progress, level=level, levels=levels, level_names=LEVEL_FILTERS,
                      names=progress_texts.INDICATORS, phone_after=services.config.progress.phone_after,
                      ledger_result=progress_texts.ledger_result, advisor=services.people.advisor_of(group.name))


@dataclass
class ClassProgressView:
    """What /进度 knows of one class, the month's indicators as the 数据通报 marks them, who needs a phone call
    (/台账) and the class's 台账, for its page."""

    students: list[StudentStatus]
    items: list[ItemCount]  # in deadline order, as /进度 lists them
    as_of: date | None
    logged_in: int
    online_counted: int
    online_days: float | None  # 生均在线天数 of those the 网检 export lists
    live: tuple[int, int]
    indicators: list[report.Indicator]
    month: str
    phone: list[PhoneEntry]  # 需要电话联系
    log: list[ProgressContact]  # newest first
    names: dict[str, tuple[str, str]]  # 学号 -> (name, opaque id), for the 台账's lines


LOG_LINES = 50


def class_progress(req: Req, group: ClassGroup) -> ClassProgressView | None:
    """The class's learning progress (None before any import for it)."""
    progress = req.services.progress
    if not progress.has_data([group.name]):
        return None
    now = req.now
    p = progress.class_progress(group.name, now)
    start, end = progress.month_bounds(texts.PROGRESS_MONTH_WORDS["this"], now)
    month = progress.compare([group.name], start, end)
    f = month.now.classes[group.name]
    indicators = report.indicators(f, month.before.classes.get(group.name), month.targets)
    phone = progress.phone_list([group.name], now, {group.name: p}).get(group.name, [])
    web = req.services.web
    names = {s.student.student_no: (s.student.name, web.opaque("student", student_key(s.student.student_no, None)))
             for s in p.students}
    days = p.online.get("在线天数")
    return ClassProgressView(p.students, p.items, p.as_of, p.logged_in, p.online_counted,
                             days[1] / p.online_counted if days and p.online_counted else None, p.live, indicators,
                             texts.PROGRESS_MONTHS["this"], phone, progress.contact_log(group.name, LOG_LINES), names)


def resolve_notice(req: Req, notice_id: str) -> Notice:
    """A notice the viewer may see: one of their classes', or a fan-out they sent (admins: any)."""
    if not notice_id.isdigit():
        raise not_found()
    try:
        return req.services.notices.pick(req.person, int(notice_id), None)
    except NoticeError:
        raise not_found() from None


@page()
def show_notice(req: Req) -> Response:
    notice = resolve_notice(req, req.param("nid"))
    services = req.services
    web = services.web
    if notice.is_fanout:
        rows = services.notices.class_rows(notice)
        classes = {c.name: web.opaque("class", c.name) for c in services.config.groups.classes
                   if c.name in req.person.classes}
        return req.render("fanout.html", notice=notice, rows=rows, classes=classes)
    status = services.notices.status(notice)
    roster = services.roster.by_contact(m.contact_id for m in status.expected)
    lines = []
    for m in status.expected:
        ack = status.acked.get(m.contact_id)
        st = roster.get(m.contact_id)
        sid = web.opaque("student", student_key(st.student_no if st else None, m.contact_id))
        lines.append((status.names[m.contact_id], sid, ack))
    lines.sort(key=lambda x: (x[2] is not None, x[2].at if x[2] else datetime.min.replace(tzinfo=notice.created_at.tzinfo)))
    cid = web.opaque("class", notice.group_name)
    return req.render("notice.html", notice=notice, st=status, lines=lines, cid=cid, via=notice_texts.VIA,
                      can_nudge=bool(status.missing) and services.notices.is_open(notice, req.now))


@page()
def nudge(req: Req) -> Response:
    """催一下: the same as /催 in the group — one message @-mentioning everyone missing."""
    notice = resolve_notice(req, req.param("nid"))
    try:
        n = req.services.notices.nudge_now(notice)
    except NoticeError:
        raise not_found() from None
    req.audit("/催", f"#{notice.id}")
    req.flash(texts.NUDGED.format(group=notice.group_name, n=n) if n else texts.NUDGE_NONE)
    return req.redirect(f"/n/{notice.id}")


@page()
def notice_workbook(req: Req) -> Response:
    notice = resolve_notice(req, req.param("nid"))
    with tempfile.TemporaryDirectory() as tmp:
        path = req.services.notices.workbook(notice, Path(tmp) / "notice.xlsx")
        body = path.read_bytes()
    req.audit("/导出", f"#{notice.id}")
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="notice-{notice.id}.xlsx"'})


def resolve_student(req: Req, group: ClassGroup, sid: str) -> tuple[Student | None, Member | None]:
    """A roster student or room member of this class behind an opaque id."""
    services = req.services
    web = services.web
    for st in services.roster.students_of(group.name):
        if web.opaque("student", student_key(st.student_no, None)) == sid:
            member = None
            room_id = services.people.room_of_group(group.name)
            if st.contact_id and room_id:
                member = next((m for m in services.people.members(room_id) if m.contact_id == st.contact_id), None)
            return st, member
    room_id = services.people.room_of_group(group.name)
    if room_id:
        staff = services.people.not_members()
        for m in services.people.members(room_id):
            if m.contact_id not in staff and web.opaque("student", student_key(None, m.contact_id)) == sid:
                return services.roster.student_of_contact(m.contact_id), m
    raise not_found()


@page()
def show_student(req: Req) -> Response:
    group = resolve_class(req, req.param("cid"))
    student, member = resolve_student(req, group, req.param("sid"))
    services = req.services
    contact_id = (member.contact_id if member else None) or (student.contact_id if student else None)
    history = services.notices.member_history(group.name, contact_id) if contact_id else []
    questions = services.questions.asked_by(contact_id) if contact_id else []
    if member:
        name = services.roster.display_names(services.people.room_of_group(group.name) or "", [member])[
            member.contact_id]
    else:
        name = student.name if student else ""
    acked = sum(1 for _, a in history if a)
    progress = services.progress
    status = progress.student_status(student, req.now) if student else None
    items = [ItemLine(r.kind, shown(r.course, r.item), r.done, _figure(r), r.as_of)
             for r in progress.student_items(student)] if student else []
    ledger = list(reversed(progress.history(student, limit=LOG_LINES))) if student else []
    return req.render("student.html", group=group, cid=req.param("cid"), sid=req.param("sid"), student=student,
                      member=member, name=name, history=history, acked=acked, questions=questions, learning=status,
                      items=items, ledger=ledger, level_names=progress_texts.LEVELS, Role=Role, Level=Level,
                      online_target=report.Targets.on(services.config.progress.targets,
                                                      services.progress.local(req.now).date()).online_days)


@dataclass(frozen=True)
class ItemLine:
    """One item of a student's, its latest value: done or not, and the figure behind it."""

    kind: str
    label: str
    done: bool | None
    figure: str  # a score, online days, sessions attended of held, a warning's reason
    as_of: date


def _figure(r: ProgressState) -> str:
    if r.total:
        return f"{r.value or 0:g}/{r.total:g}"
    if r.value is not None:
        return f"{r.value:g}"
    return r.note


@page()
def follow_up(req: Req) -> Response:
    """/跟进 from the student's page: the same service call as in chat, audited with the place 后台."""
    group = resolve_class(req, req.param("cid"))
    student, _member = resolve_student(req, group, req.param("sid"))
    if student is None:
        raise not_found()  # a member not matched to the roster has no 台账
    text = req.field("text")
    back = f"/c/{req.param('cid')}/s/{req.param('sid')}#ledger"
    if not text:
        req.flash(texts.FOLLOW_EMPTY)
        return req.redirect(back)
    done = req.services.progress.follow_up(req.person, student, text[:500], req.now)
    req.audit("/跟进", f"#{done.entry.id} {student.student_no}")
    req.flash(progress_texts.followed(student.name, student.class_name, done.problem, done.entry.method,
                                      done.entry.result))
    return req.redirect(back)


routes = [Route("/c/{cid}", show_class), Route("/c/{cid}/s/{sid}", show_student),
          Route("/c/{cid}/s/{sid}/follow", follow_up, methods=["POST"]),
          Route("/n/{nid:int}", show_notice), Route("/n/{nid:int}/nudge", nudge, methods=["POST"]),
          Route("/n/{nid:int}/export.xlsx", notice_workbook)]
