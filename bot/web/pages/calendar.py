"""日程: the term's events for the viewer's classes, as a list and a month; add, change and delete events with the
calendar file's own validation (errors shown by field), and see when their reminders will go out."""

from __future__ import annotations

import calendar as cal
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from bot.calendar.events import TYPES, Event
from bot.calendar.service import EventInvalid, StoredEvent
from bot.people import Role
from bot.texts import web as texts
from bot.web.base import Req, not_found, page

EDITORS = Role.ADMIN | Role.COORDINATOR
LIST_DAYS = 120

def chinese(message: str) -> str:
    """The validator's message in the console's language (its own words when there is no translation)."""
    for english, words in texts.EVENT_ERRORS:
        if english in message:
            return words
    return message


@dataclass
class Occurrence:
    event: Event
    stored: StoredEvent
    classes: list[str]


def _visible(req: Req) -> list[StoredEvent]:
    """Events that reach at least one of the viewer's classes (admins: all)."""
    services = req.services
    out = []
    for st in services.calendar.listing():
        if req.person.role & Role.ADMIN or set(services.calendar.classes_of(st.event)) & req.person.classes:
            out.append(st)
    return out


def _occurrences(req: Req, start: datetime, end: datetime) -> list[Occurrence]:
    out = []
    for st in _visible(req):
        reached = [c for c in req.services.calendar.classes_of(st.event) if c in req.person.classes]
        for occ in st.event.occurrences(start, end):
            if start <= occ.when <= end:
                out.append(Occurrence(occ, st, reached))
    return sorted(out, key=lambda o: o.event.when)


@page()
def show(req: Req) -> Response:
    tz = req.services.config.tz
    now_local = req.now.astimezone(tz)
    view = req.query("view", "list")
    if view == "month":
        month = req.query("m", f"{now_local:%Y-%m}")
        try:
            first = datetime.strptime(month + "-01", "%Y-%m-%d").replace(tzinfo=tz)
        except ValueError:
            first = now_local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        days = cal.monthrange(first.year, first.month)[1]
        end = first + timedelta(days=days) - timedelta(seconds=1)
        occ = _occurrences(req, first, end)
        by_day: dict[int, list[Occurrence]] = {}
        for o in occ:
            by_day.setdefault(o.event.when.astimezone(tz).day, []).append(o)
        weeks = cal.Calendar(firstweekday=0).monthdayscalendar(first.year, first.month)
        prev = (first - timedelta(days=1)).strftime("%Y-%m")
        nxt = (first + timedelta(days=days)).strftime("%Y-%m")
        return req.render("calendar_month.html", first=first, weeks=weeks, by_day=by_day, prev=prev, nxt=nxt,
                          today=now_local.date() if (now_local.year, now_local.month) == (first.year, first.month)
                          else None, can_edit=bool(req.person.role & EDITORS))
    occ = _occurrences(req, now_local - timedelta(days=1), now_local + timedelta(days=LIST_DAYS))
    return req.render("calendar_list.html", items=occ, can_edit=bool(req.person.role & EDITORS), days=LIST_DAYS)


def _form_item(req: Req) -> dict[str, Any]:
    """The form as a calendar-file entry, so the file's validation applies unchanged."""
    item: dict[str, Any] = {"type": req.field("type"), "title": req.field("title")}
    for key in ("start", "deadline", "link", "place", "teacher", "notes"):
        if req.field(key):
            item[key] = req.field(key)
    targets = {k: req.fields(k) for k in ("points", "classes", "majors", "grades") if req.fields(k)}
    item["targets"] = targets or "all"
    remind = [x for x in req.field("remind").replace("，", ",").replace("、", ",").split(",") if x.strip()]
    if remind:
        item["remind"] = remind
    if req.field("until"):
        item["weekly"] = True
        item["until"] = req.field("until")
    if req.field("id"):
        item["id"] = req.field("id")
    return item


def _values(ev: Event | None, tz: Any) -> dict[str, Any]:
    """An event as form values."""
    if ev is None:
        return {"type": "其他", "targets": {}}

    def t(when: datetime | None) -> str:
        return when.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if when else ""

    return {"id": ev.id, "type": ev.type, "title": ev.title, "start": t(ev.start), "deadline": t(ev.deadline),
            "link": ev.link, "place": ev.place, "teacher": ev.teacher, "notes": ev.notes,
            "until": ev.weekly_until.isoformat() if ev.weekly_until else "",
            "remind": ", ".join(_duration(o.before) for o in ev.offsets),
            "targets": {k: list(v) for k, v in vars(ev.targets).items()}}


def _duration(d: timedelta) -> str:
    secs = int(d.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs and secs % size == 0:
            return f"{secs // size}{unit}"
    return "开始时" if not secs else f"{secs}s"


def _form(req: Req, values: dict[str, Any], errors: dict[str, str], editing: str | None, status: int = 200) -> Response:
    cfg = req.services.config
    mine = [c for c in cfg.groups.classes if c.name in req.person.classes]
    return req.render("event_form.html", values=values, errors=errors, editing=editing, types=TYPES,
                      points=sorted({c.point for c in mine}, key=cfg.teaching_points.index),
                      classes=[c.name for c in mine], majors=sorted({c.major for c in mine if c.major}),
                      grades=sorted({c.grade for c in mine if c.grade}), labels=texts.EVENT_FIELD, status=status)


def _editable(req: Req, event_id: str) -> StoredEvent:
    found = req.services.calendar.find(event_id)
    if found is None or not (req.person.role & Role.ADMIN or
                             set(req.services.calendar.classes_of(found.event)) & req.person.classes):
        raise not_found()
    return found


@page(EDITORS)
def new(req: Req) -> Response:
    if req.request.method == "GET":
        return _form(req, _values(None, req.services.config.tz), {}, None)
    return _save(req, None)


@page(EDITORS)
def edit(req: Req) -> Response:
    found = _editable(req, req.param("eid"))
    if not found.editable or not req.services.calendar.may_edit(req.person, found.event):
        req.flash(texts.EVENT_READONLY.format(source=found.source) if not found.editable else texts.EVENT_NOT_YOURS)
        return req.redirect(f"/calendar/e/{found.event.id}")
    if req.request.method == "GET":
        return _form(req, _values(found.event, req.services.config.tz), {}, found.event.id)
    return _save(req, found.event.id)


def _save(req: Req, replaces: str | None) -> Response:
    item = _form_item(req)
    if replaces:
        item["id"] = replaces
    try:
        ev = req.services.calendar.save_event(item, req.person, replaces=replaces)
    except EventInvalid as exc:
        values = {**item, "targets": item["targets"] if isinstance(item["targets"], dict) else {},
                  "remind": req.field("remind"), "until": req.field("until")}
        return _form(req, values, {exc.field or "": chinese(exc.message)}, replaces, status=422)
    req.audit("日程 修改" if replaces else "日程 添加", f"{ev.id} {ev.title}"[:200])
    req.flash(texts.EVENT_SAVED.format(title=ev.title))
    return req.redirect(f"/calendar/e/{ev.id}")


@page()
def detail(req: Req) -> Response:
    found = _editable(req, req.param("eid"))
    services = req.services
    ev = found.event
    planned = [(when, [c for c in classes if c in req.person.classes])
               for when, classes in services.calendar.planned(ev, req.now)]
    return req.render("event.html", stored=found, event=ev, planned=[p for p in planned if p[1]],
                      classes=[c for c in services.calendar.classes_of(ev) if c in req.person.classes],
                      sent=services.calendar.sent_for(ev.id),
                      can_edit=found.editable and services.calendar.may_edit(req.person, ev))


@page(EDITORS)
def delete(req: Req) -> Response:
    found = _editable(req, req.param("eid"))
    if not found.editable or not req.services.calendar.may_edit(req.person, found.event):
        raise not_found()
    req.services.calendar.delete_event(found.event.id)
    req.audit("日程 删除", f"{found.event.id} {found.event.title}"[:200])
    req.flash(texts.EVENT_DELETED.format(title=found.event.title))
    return req.redirect("/calendar")


routes = [Route("/calendar", show), Route("/calendar/new", new, methods=["GET", "POST"]),
          Route("/calendar/e/{eid}", detail), Route("/calendar/e/{eid}/edit", edit, methods=["GET", "POST"]),
          Route("/calendar/e/{eid}/delete", delete, methods=["POST"])]
