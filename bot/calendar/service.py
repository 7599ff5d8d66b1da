"""The calendar service: all events (file, imports, chat), the current plan, and delivering it exactly once.

APScheduler never decides what is sent: the delivery log (a unique key per reminder and group) does, in the same
transaction that queues the message. A crash between claiming and sending leaves the message queued in the
outbox, which sends it after the restart; a reminder whose time passed while the bot was down goes out once,
marked 补发, if its event has not passed, and is skipped and logged otherwise.
"""

from __future__ import annotations

import bisect
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlmodel import col, select

from bot import revisions
from bot.calendar.events import Event, Offset, Targets, known_targets, load_calendar, parse_event
from bot.calendar.importers import ImportResult, read_any
from bot.calendar.planner import Batch, Due, batches, due_items
from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.deliveries import claim
from bot.kernel.enums import DeliveryStatus, EventType
from bot.models import ChatReminder, Delivery, EventSeen, ImportedEvent
from bot.outbox import PRIORITY_BULK, Outbox
from bot.people import People, Person, Role
from bot.texts import calendar as texts
from bot.yamlio import Located, YamlError

log = logging.getLogger("banzhu.calendar")

LATE_GRACE = timedelta(minutes=10)  # later than this after its due time, a reminder is marked 补发
HORIZON = timedelta(days=45)
VERSION_POLL = timedelta(seconds=30)
LOOKBACK = timedelta(days=7)
_TYPE_WORDS = (("直播", EventType.LIVE), ("考试", EventType.EXAM), ("选课", EventType.SELECTION),
               ("报考", EventType.REGISTRATION), ("作业", EventType.HOMEWORK), ("截止", EventType.HOMEWORK),
               ("提交", EventType.HOMEWORK))


def guess_type(title: str) -> EventType:
    """The kind of a reminder a teacher typed, from its words (直播课 → 直播, 交表截止 → 作业)."""
    return next((t for word, t in _TYPE_WORDS if word in title), EventType.OTHER)


@dataclass(frozen=True)
class ImportReport:
    added: int
    changed: int
    unchanged: int
    errors: list[str]


def event_from_data(data: dict, source: str) -> Event:
    """Imported events are stored as plain JSON."""
    def t(key: str) -> datetime | None:
        return datetime.fromisoformat(data[key]) if data.get(key) else None

    offsets = tuple(Offset(anchor, timedelta(seconds=secs)) for anchor, secs in data.get("remind") or [])
    return Event(data["id"], data["type"], data["title"], t("start"), t("deadline"), data.get("link", ""),
                 data.get("place", ""), data.get("teacher", ""), data.get("notes", ""),
                 Targets(**{k: tuple(v) for k, v in (data.get("targets") or {}).items()}), offsets,
                 datetime.fromisoformat(data["weekly_until"]).date() if data.get("weekly_until") else None, source)


def event_to_data(ev: Event) -> dict:
    return {"id": ev.id, "type": ev.type, "title": ev.title,
            "start": ev.start.isoformat() if ev.start else None,
            "deadline": ev.deadline.isoformat() if ev.deadline else None,
            "link": ev.link, "place": ev.place, "teacher": ev.teacher, "notes": ev.notes,
            "targets": {k: list(v) for k, v in vars(ev.targets).items() if v},
            "weekly_until": ev.weekly_until.isoformat() if ev.weekly_until else None,
            **({"remind": [[o.anchor, int(o.before.total_seconds())] for o in ev.offsets]} if ev.offsets else {})}


WEB_SOURCE = "后台"  # the source of events added in the web console


class EventInvalid(ValueError):
    """An event from a form that the calendar's own validation refuses: the field (a key of the YAML form) and
    the validator's message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class StoredEvent:
    """An event as the console lists it: where it comes from and whether it can be changed there."""

    event: Event
    source: str  # the calendar file's name, an import's file name, 后台, or /提醒
    editable: bool


class Calendar:
    def __init__(self, db: Database, clock: Clock, config: Config, people: People, outbox: Outbox) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.people = people
        self.outbox = outbox
        self._lock = threading.RLock()  # the plan is read by chat commands and advanced by the reminder job
        self._file_mtime: float | None = None
        self._file_events: list[Event] = []
        self._plan: list[Batch] = []
        self._releases: list[datetime] = []
        self._cursor = 0
        self._window: tuple[datetime, datetime] | None = None
        self._delivered: set[str] | None = None
        self._first_seen: dict[str, datetime] = {}
        self._dirty = True
        self._version: str | None = "unread"
        self._warned: set[str] = set()
        self._version_checked: datetime | None = None

    # -- events --------------------------------------------------------------------------------------------------
    def _load_file(self) -> list[Event]:
        cfg = self.config
        path = cfg.path(cfg.files.calendar)
        mtime = path.stat().st_mtime if path.exists() else None
        if mtime != self._file_mtime:
            self._file_mtime = mtime
            try:
                self._file_events = load_calendar(path, cfg.tz, cfg.groups.classes, cfg.teaching_points) \
                    if mtime is not None else []
            except YamlError as exc:
                # An edit with a mistake must not stop the bot: keep the last good calendar and say why.
                log.error("calendar not reloaded, keeping the previous one: %s", exc)
                return self._file_events
            self._dirty = True
        return self._file_events

    def events(self) -> list[Event]:
        """Every event: the calendar file, imports and teachers' /提醒."""
        events = list(self._load_file())
        with self.db.tx() as s:
            events += [event_from_data(r.data, "import") for r in s.exec(select(ImportedEvent))]
            for r in s.exec(select(ChatReminder).where(ChatReminder.cancelled == False)):  # noqa: E712
                events.append(self.chat_event(r))
        return events

    @staticmethod
    def chat_event(r: ChatReminder) -> Event:
        anchor = {"deadline": r.at} if r.type in ("作业", "选课", "报考") else {"start": r.at}
        return Event(f"chat-{r.id}", r.type, r.title, anchor.get("start"), anchor.get("deadline"),
                     targets=Targets(classes=(r.group_name,)), source="chat")

    def reload(self) -> None:
        """Re-plan from the current files and tables (file edits are also noticed by themselves)."""
        self._file_mtime = None
        self._dirty = True

    def _check_version(self, now: datetime) -> None:
        """`python -m bot reload` and `calendar import` bump a version in the database; notice it within 30 s."""
        if self._version_checked and now - self._version_checked < VERSION_POLL:
            return
        self._version_checked = now
        version = str(revisions.current(self.db, "calendar"))
        if version != self._version:
            if self._version != "unread":
                log.info("calendar changed (version %s): re-planning", version)
                self.reload()
            self._version = version

    # -- planning ------------------------------------------------------------------------------------------------
    def _gap(self) -> timedelta:
        out = self.config.outbox
        return (out.min_interval + out.jitter) * 1.15  # worst-case pacing, plus room for replies in between

    def _ensure_plan(self, now: datetime) -> None:
        self._check_version(now)
        self._load_file()
        if not self._dirty and self._window and now < self._window[1] - HORIZON / 2:
            return
        cfg = self.config
        events = self.events()
        self._note_first_seen(events, now)
        start, end = now - LOOKBACK, now + HORIZON
        items = due_items(events, cfg.groups.classes, start, end, cfg.quiet_hours, cfg.tz)
        self._plan = batches(items, self._gap(), cfg.quiet_hours, cfg.tz)
        self._releases = [b.release for b in self._plan]
        self._cursor = 0
        self._window = (start, end)
        self._dirty = False
        if self._delivered is None:
            with self.db.tx() as s:
                self._delivered = set(s.exec(select(Delivery.key).where(Delivery.kind == "reminder")))
        self._advance_cursor()

    def _note_first_seen(self, events: list[Event], now: datetime) -> None:
        with self.db.tx() as s:
            if not self._first_seen:
                self._first_seen = {r.event_id: r.first_seen for r in s.exec(select(EventSeen))}
            for ev in events:
                if ev.id not in self._first_seen:
                    self._first_seen[ev.id] = now
                    s.add(EventSeen(event_id=ev.id, first_seen=now))

    def _done(self, b: Batch) -> bool:
        assert self._delivered is not None
        return all(d.key in self._delivered for d in b.items)

    def _advance_cursor(self) -> None:
        while self._cursor < len(self._plan) and self._done(self._plan[self._cursor]):
            self._cursor += 1

    def next_due(self, now: datetime) -> datetime | None:
        self._ensure_plan(now)
        if self._cursor < len(self._plan):
            return self._plan[self._cursor].release
        return self._window[1] - HORIZON / 2 if self._window else None

    def plan(self, now: datetime) -> list[Batch]:
        self._ensure_plan(now)
        return self._plan

    # -- delivering ----------------------------------------------------------------------------------------------
    def deliver_due(self, now: datetime) -> int:
        """Claim and queue every message whose release time has come; returns how many were queued."""
        self._ensure_plan(now)
        assert self._delivered is not None
        end = bisect.bisect_right(self._releases, now)
        queued = 0
        for b in self._plan[self._cursor:end]:
            if not self._done(b):
                queued += self._deliver(b, now)
        self._advance_cursor()
        return queued

    def _deliver(self, b: Batch, now: datetime) -> int:
        assert self._delivered is not None
        tz = self.config.tz
        room_id = self.people.room_of_group(b.group)
        pending = [d for d in b.items if d.key not in self._delivered]
        lines, claims = [], []
        for d in pending:
            base = d.event.id.split("@", 1)[0]
            seen = self._first_seen.get(base, now)
            if d.planned < seen - LATE_GRACE:
                claims.append((d, "skipped", "planned before the event was known"))
            elif now > d.event.when:
                claims.append((d, "skipped", "event already passed"))
                log.info("reminder %s skipped: event passed", d.key)
            elif room_id is None:
                claims.append((d, "skipped", "group's room not found"))
                if b.group not in self._warned:
                    self._warned.add(b.group)
                    log.warning("reminders for %s are skipped: its WeChat room has not been found", b.group)
            elif self._superseded(d, now):
                claims.append((d, "skipped", "a later reminder for the same event is due"))
            else:
                late = now - d.due > LATE_GRACE
                claims.append((d, DeliveryStatus.LATE if late else DeliveryStatus.SENT, ""))
                lines.append(texts.reminder_line(d.event, d.offset.before == timedelta(0) and d.offset.anchor == "start",
                                                 max(now, d.due), tz, late))
        with self.db.tx() as s:
            fresh: list[Delivery] = []
            for d, status, detail in claims:
                row = Delivery(key=d.key, kind="reminder", group_name=d.group, due_at=d.due, claimed_at=now,
                               status=status, detail=detail)
                if claim(s, row):
                    fresh.append(row)
            going = [r for r in fresh if r.status in (DeliveryStatus.SENT, DeliveryStatus.LATE)]
            if lines and room_id and going:
                ids = self.outbox.enqueue(text=texts.reminder_message(lines), room_id=room_id,
                                          priority=PRIORITY_BULK, not_before=b.release,
                                          dedupe_key=f"batch:{pending[0].key}")
                for r in going:  # a reminder counts as sent when WeChat took the message that carries it
                    r.outbox_id = ids[0] if ids else None
                    s.add(r)
        for d, _status, _detail in claims:
            self._delivered.add(d.key)
        return 1 if lines else 0

    def _superseded(self, d: Due, now: datetime) -> bool:
        """A missed reminder is dropped when a later one for the same event and group is already due."""
        if now - d.due <= LATE_GRACE:
            return False
        for o in d.event.reminders():
            anchor = d.event.anchor(o.anchor)
            if anchor is None:
                continue
            t = anchor - o.before
            if d.planned < t <= now:
                return True
        return False

    # -- chat ----------------------------------------------------------------------------------------------------
    def add_chat_reminder(self, group: str, title: str, at: datetime, author: str,
                          now: datetime) -> tuple[ChatReminder, list[datetime]] | None:
        """/提醒: a reminder for one class group; (reminder, when it will be announced), or None when `at` has
        already passed."""
        if at <= now:
            return None
        with self.db.tx() as s:
            r = ChatReminder(group_name=group, type=guess_type(title), title=title, at=at, author_id=author,
                             created_at=now)
            s.add(r)
        self._dirty = True
        ev = self.chat_event(r)
        cfg = self.config
        group_cfg = [g for g in cfg.groups.classes if g.name == group]
        times = sorted({d.due for d in due_items([ev], group_cfg, now, at, cfg.quiet_hours, cfg.tz)})
        return r, [t.astimezone(cfg.tz) for t in times]

    def cancel(self, rid: int, group: str) -> bool:
        with self.db.tx() as s:
            r = s.get(ChatReminder, rid)
            if r is None or r.group_name != group or r.cancelled:
                return False
            r.cancelled = True
            s.add(r)
        self._dirty = True
        return True

    def upcoming(self, group: str, start: datetime, end: datetime) -> list[Event]:
        g = self.config.class_group(group)
        if g is None:
            return []
        out = []
        for ev in self.events():
            if ev.targets.matches(g):
                out += [o for o in ev.occurrences(start, end) if start <= o.when <= end]
        return sorted(out, key=lambda e: e.when)

    # -- the web console -----------------------------------------------------------------------------------------
    def listing(self) -> list[StoredEvent]:
        """Every event with its source; those kept in the database (web, imports) can be changed in the console,
        the calendar file's only in the file, teachers' /提醒 only in chat."""
        file_name = Path(self.config.files.calendar).name
        out = [StoredEvent(ev, file_name, False) for ev in self._load_file()]
        with self.db.read() as s:
            for r in s.exec(select(ImportedEvent)):
                out.append(StoredEvent(event_from_data(r.data, "import"), r.source, True))
            for c in s.exec(select(ChatReminder).where(ChatReminder.cancelled == False)):  # noqa: E712
                out.append(StoredEvent(self.chat_event(c), "/提醒", False))
        return out

    def find(self, event_id: str) -> StoredEvent | None:
        return next((e for e in self.listing() if e.event.id == event_id), None)

    def validate(self, item: dict) -> Event:
        """A form's event, checked exactly as a calendar file's entry is (bot/calendar/events.parse_event).
        EventInvalid names the field."""
        cfg = self.config
        located = Located({"events": [item]}, {}, WEB_SOURCE)
        try:
            return parse_event(item, 0, located, cfg.tz, known_targets(cfg.groups.classes, cfg.teaching_points))
        except YamlError as exc:
            key = exc.key.removeprefix("events[0]").lstrip(".")
            raise EventInvalid(key.split(".")[0].split("[")[0], exc.message) from None

    def classes_of(self, ev: Event) -> list[str]:
        return [g.name for g in self.config.groups.classes if ev.targets.matches(g)]

    def may_edit(self, person: Person, ev: Event) -> bool:
        """Admins change anything; a coordinator events that reach only their own classes; teachers nothing (their
        reminders are /提醒 in chat)."""
        if person.role & Role.ADMIN:
            return True
        if not person.role & Role.COORDINATOR or ev.targets == Targets():
            return False
        reached = self.classes_of(ev)
        return bool(reached) and set(reached) <= person.classes

    def save_event(self, item: dict, person: Person, *, replaces: str | None = None) -> Event:
        """Add (or change) an event from the console; EventInvalid when it does not validate or reaches classes the
        person may not schedule for. The running bot re-plans (this process at once, others within 30 s)."""
        ev = self.validate(item)
        if not self.may_edit(person, ev):
            raise EventInvalid("targets", "not yours")
        now = self.clock.now()
        with self.db.tx() as s:
            if replaces and replaces != ev.id:
                old = s.get(ImportedEvent, replaces)
                if old is not None:
                    s.delete(old)
            row = s.get(ImportedEvent, ev.id) or ImportedEvent(id=ev.id, source=WEB_SOURCE, updated_at=now)
            row.data, row.updated_at = event_to_data(ev), now
            s.add(row)
            self.bump_revision()
        self._dirty = True
        return ev

    def delete_event(self, event_id: str) -> bool:
        with self.db.tx() as s:
            row = s.get(ImportedEvent, event_id)
            if row is None:
                return False
            s.delete(row)
            self.bump_revision()
        self._dirty = True
        return True

    def planned(self, ev: Event, now: datetime, limit: int = 50) -> list[tuple[datetime, list[str]]]:
        """When this event's reminders will go out from now on (quiet hours applied), and to which classes."""
        cfg = self.config
        items = due_items([ev], cfg.groups.classes, now, ev.end + HORIZON, cfg.quiet_hours, cfg.tz)
        by_time: dict[datetime, list[str]] = {}
        for d in items:
            if d.due >= now:
                by_time.setdefault(d.due, []).append(d.group)
        return sorted(by_time.items())[:limit]

    def sent_for(self, event_id: str) -> int:
        """How many reminders of this event were claimed in the delivery log (sent, late or skipped)."""
        with self.db.read() as s:
            return len(s.exec(select(Delivery.key).where(Delivery.kind == "reminder",
                                                         col(Delivery.key).startswith(f"rem:{event_id}")))
                       .all())

    # -- imports -------------------------------------------------------------------------------------------------
    def store_imported(self, events: list[Event], source: str, dry_run: bool) -> tuple[int, int, int]:
        """(added, changed, unchanged) — imported events are kept in the database, keyed by their id."""
        added = changed = same = 0
        now = self.clock.now()
        with self.db.tx() as s:
            for ev in events:
                data = event_to_data(ev)
                row = s.get(ImportedEvent, ev.id)
                if row is None:
                    added += 1
                    if not dry_run:
                        s.add(ImportedEvent(id=ev.id, data=data, source=source, updated_at=now))
                elif row.data != data:
                    changed += 1
                    if not dry_run:
                        row.data, row.updated_at = data, now
                        s.add(row)
                else:
                    same += 1
            # A dry run writes nothing (every write above is guarded); no rollback here, which inside the chat's
            # transaction would end the whole message's transaction.
        if not dry_run:
            self.bump_revision()
        self._dirty = True
        return added, changed, same

    def import_file(self, path: Path, *, dry_run: bool) -> ImportReport:
        """A live timetable (CSV/XLSX) or an ICS file: every event stored, or a report of the bad rows."""
        result: ImportResult = read_any(path, self.config)
        if result.errors and not result.events:
            return ImportReport(0, 0, 0, result.errors)
        added, changed, same = self.store_imported(result.events, path.name, dry_run)
        return ImportReport(added, changed, same, result.errors)

    def bump_revision(self) -> None:
        """Tell a running bot (maybe another process) to re-plan."""
        revisions.bump(self.db, "calendar")

    def agenda(self, group: str, which: str, now: datetime) -> tuple[str, list[Event]]:
        """/日程: this week (default), next week or everything ahead; (title, events)."""
        now_local = now.astimezone(self.config.tz)
        monday = datetime.combine((now_local - timedelta(days=now_local.weekday())).date(), time(0),
                                  tzinfo=self.config.tz)
        if which == "next":
            start, end, title = monday + timedelta(days=7), monday + timedelta(days=14), "下周安排"
        elif which == "all":
            start, end, title = now_local, now_local + timedelta(days=120), "近期全部安排"
        else:
            start, end, title = now_local, monday + timedelta(days=7), "本周安排"
        return title, self.upcoming(group, start, end)[:30]



