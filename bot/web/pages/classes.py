"""A class: its notices (who acknowledged, when), its students (who is behind, who is not in the group), the contact
log when progress data exists; a notice's status; a student's history. Everything outside the viewer's classes is
404, whatever id is typed into the URL."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from starlette.responses import Response
from starlette.routing import Route

from bot.config import ClassGroup
from bot.gateways.base import Member
from bot.models import Notice, Student
from bot.notices.values import NoticeError
from bot.people import Role
from bot.texts import notices as notice_texts
from bot.texts import web as texts
from bot.web.base import Req, not_found, page
from bot.web.pages.overview import PERIODS, window

STATES = texts.STUDENT_STATES


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


def class_people(req: Req, group: ClassGroup, missing: dict[str, int]) -> list[StudentRow]:
    """Room members (not staff) and roster students of a class, one row each."""
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
                               missing.get(m.contact_id, 0)))
    present = {m.contact_id for m in members}
    for st in services.roster.students_of(group.name):
        if st.contact_id and st.contact_id in present:
            continue
        rows.append(StudentRow(web.opaque("student", student_key(st.student_no, None)), st.name, st.student_no,
                               False, bool(st.contact_id), "", 0))
    rows.sort(key=lambda r: (-r.missing, not r.in_group, r.name))
    return rows


@page()
def show_class(req: Req) -> Response:
    group = resolve_class(req, req.param("cid"))
    services = req.services
    key = req.query("p", "month")
    key = key if key in PERIODS else "month"
    state = req.query("s", "all")
    state = state if state in STATES else "all"
    start, end = window(key, req.now.astimezone(services.config.tz))
    figures = services.digests.figures(start, end, [group.name], behind_at=1).classes[group.name]
    notices = list(reversed(services.digests.per_notice(start, end, [group.name])))
    people = class_people(req, group, dict(figures.behind))
    shown = [p for p in people if state in p.states]
    questions = [q for q in services.questions.unanswered(req.person) if q.group_name == group.name]
    progress = req.console.progress
    indicators = progress.class_indicators([group.name], req.now).get(group.name, []) if progress else []
    log = progress.contact_log(group.name) if progress else []
    counts = {k: sum(1 for p in people if k in p.states) for k in STATES}
    return req.render("class.html", group=group, cid=req.param("cid"), figures=figures, notices=notices,
                      people=shown, counts=counts, state=state, states=STATES, key=key, periods=PERIODS,
                      questions=questions, indicators=indicators, log=log, has_progress=progress is not None,
                      advisor=services.people.advisor_of(group.name))


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
    progress = req.console.progress
    indicators = progress.student_indicators(student.student_no, req.now) if progress and student else []
    log = progress.contact_log(group.name, student.student_no) if progress and student else []
    acked = sum(1 for _, a in history if a)
    return req.render("student.html", group=group, cid=req.param("cid"), student=student, member=member, name=name,
                      history=history, acked=acked, questions=questions, indicators=indicators, log=log,
                      has_progress=progress is not None, Role=Role)


routes = [Route("/c/{cid}", show_class), Route("/c/{cid}/s/{sid}", show_student),
          Route("/n/{nid:int}", show_notice), Route("/n/{nid:int}/nudge", nudge, methods=["POST"]),
          Route("/n/{nid:int}/export.xlsx", notice_workbook)]
