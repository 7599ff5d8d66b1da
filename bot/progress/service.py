"""The progress service (督学): imports of platform exports as dated snapshots, each student's status, chasing (by
command and before each linked deadline), students' replies, the contact log (台账) and the monthly 数据通报.
Handlers, jobs and the command line call this; it owns the rules and the SQL.

Privacy: figures and names about one student go only to that student and their staff. Group messages carry
counts and rates, or @-mentions with neutral wording — never a score, a rank or an indicator value.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule
from sqlalchemy import bindparam, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, delete, func, select

from bot import revisions
from bot.accounts import Accounts
from bot.calendar.events import Event
from bot.calendar.service import Calendar
from bot.clock import Clock
from bot.config import ClassGroup, Config, CoordinatorGroup
from bot.db import Database
from bot.deliveries import claim
from bot.kernel.aliases import compile_alias_pattern
from bot.kernel.enums import DeliveryStatus
from bot.kernel.tables import Sheet, TableError, read_sheets
from bot.models import (
    Contact,
    Delivery,
    ProgressClaim,
    ProgressContact,
    ProgressFigure,
    ProgressImport,
    ProgressState,
    ProgressValue,
    RoomMember,
    Student,
)
from bot.outbox import PRIORITY_BULK, Fallback, Outbox
from bot.people import People, Person
from bot.progress import replies, store
from bot.progress.columns import Kind, guess_field
from bot.progress.formula import compile_formula
from bot.progress.importer import Deadlines, Enrolled, Part, Reader, RosterIndex, course_of
from bot.progress.reader import Layout, Problem, find_day, kind_from_words, read_layout
from bot.progress.report import Comparison, Month, Targets, month, stars
from bot.progress.status import (
    ONLINE_ITEMS,
    Behind,
    ClassProgress,
    StudentStatus,
    assess,
    item_order,
    key_of,
    shown,
    wanted,
)
from bot.progress.values import (
    ChaseResult,
    FollowUp,
    HistoryEntry,
    ImportReport,
    PhoneEntry,
    ProgressReport,
    Reminded,
    ReplyOutcome,
)
from bot.quiet import postpone
from bot.roster import Roster
from bot.texts import progress as texts

log = logging.getLogger("banzhu.progress")

REPLY_WINDOW = timedelta(days=7)  # a reply to a reminder is read as such this long after it
PLAN_TTL = timedelta(minutes=10)  # the automatic chase re-reads the calendar at least this often
CHASED = (Kind.HOMEWORK.value, Kind.SELECTION.value, Kind.REGISTRATION.value)
AUTO = "班助（自动）"
METHODS = (("电话", "电话"), ("致电", "电话"), ("通话", "电话"), ("微信", "微信"), ("私聊", "微信"), ("短信", "短信"),
           ("面谈", "面谈"), ("当面", "面谈"), ("见面", "面谈"), ("家访", "家访"), ("qq", "QQ"), ("QQ", "QQ"))


@dataclass(frozen=True)
class ChaseDue:
    key: str
    ref: str
    class_name: str
    offset: timedelta
    due: datetime
    deadline: datetime
    title: str


class Progress:
    def __init__(self, db: Database, clock: Clock, config: Config, people: People, roster: Roster,
                 calendar: Calendar, outbox: Outbox, accounts: Accounts) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.cfg = config.progress
        self.people = people
        self.roster = roster
        self.calendar = calendar
        self.outbox = outbox
        self.accounts = accounts
        self._patterns = tuple(compile_alias_pattern(p) for p in config.alias_patterns)
        self._formula = compile_formula(self.cfg.star.formula)
        self._lock = threading.RLock()
        self._plan: list[ChaseDue] | None = None
        self._plan_at: datetime | None = None
        self._claimed: set[str] | None = None
        self._changes = revisions.Watcher(db, clock, "progress")

    @property
    def tz(self) -> ZoneInfo:
        return self.config.tz

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    # -- the calendar ----------------------------------------------------------------------------------------------
    def _events(self) -> list[Event]:
        return self.calendar.events()

    def deadlines(self) -> dict[str, datetime]:
        """Event id -> deadline, for the events items are linked to."""
        return {e.id: e.deadline for e in self._events() if e.deadline and not e.weekly_until}

    def courses(self) -> list[str]:
        """Course names the calendar knows (the part of a 作业 or 直播 title before the space)."""
        return sorted({course_of(e.title) for e in self._events() if e.type in ("作业", "直播") and " " in e.title})

    def _group(self, name: str) -> ClassGroup | None:
        return self.config.class_group(name)

    # -- import ----------------------------------------------------------------------------------------------------
    def max_bytes(self) -> int:
        return self.config.uploads.max_mb * 1024 * 1024

    def recognises(self, path: Path, sheets: Sequence[Sheet], file_name: str) -> str | None:
        """Whether a file looks like a progress export (for the chat's importer registry): "layout" when a sheet
        reads as one, "words" when only its name or title says so (its layout is then refused with the config
        lines that would map it), None otherwise."""
        now = self.local(self.clock.now())
        courses = self.courses()
        for sheet in sheets:
            got = read_layout(sheet, file_name=file_name, hint=None, columns=self.cfg.columns, courses=courses,
                              now=now)
            if isinstance(got, Layout):
                return "layout"
        titles = " ".join(" ".join(r) for s in sheets for r in s.rows[:5])
        return "words" if kind_from_words(file_name, *(s.name for s in sheets), titles) is not None else None

    def import_file(self, path: Path, *, actor: Person, classes: Collection[str] | None = None,
                    kind: Kind | None = None, as_of: date | None = None, event: str | None = None,
                    dry_run: bool = False, file_name: str | None = None) -> ImportReport:
        """Read a platform export and, unless a dry run or anything is wrong, store it as a dated snapshot for
        `classes` (everything when None). Nothing is stored when any row has a problem."""
        name = file_name or path.name
        report = ImportReport(name, dry_run)
        try:
            sheets = read_sheets(path, max_bytes=self.max_bytes())
        except TableError as exc:
            report.refused = str(exc)
            return report
        now = self.local(self.clock.now())
        courses = self.courses()
        layouts: list[Layout] = []
        for sheet in sheets:
            got = read_layout(sheet, file_name=name, hint=kind, columns=self.cfg.columns, courses=courses, now=now)
            if got is None:
                report.empty_sheets.append(sheet.name)
            elif isinstance(got, Problem):
                report.skipped.append(got)
            else:
                layouts.append(got)
        if not layouts:
            report.refused = (self.unknown_layout(report.skipped[0], name) if report.skipped
                              else texts.FILE_EMPTY.format(name=name))
            return report
        scope = frozenset(classes) if classes is not None else frozenset(c.name for c in self.config.groups.classes)
        events = self._events()
        deadlines = Deadlines(tuple(events))
        reader = Reader(self._index(nicknames_too=any(la.attendance for la in layouts)), scope, deadlines,
                        self.cfg.live_min, now)
        parts: dict[Kind, Part] = {}
        for layout in layouts:
            parts.setdefault(layout.kind, Part(layout.kind)).layouts.append(layout)
        for part in parts.values():
            if part.layouts[0].attendance:
                found = self._live_event(part, deadlines, event, scope, now, name)
                if isinstance(found, str):
                    report.refused = found
                    return report
                part.event, part.event_title = found.id, found.title
                part.as_of, part.as_of_from = self.local(found.when).date(), texts.FROM_EVENT
            elif as_of is not None:
                part.as_of, part.as_of_from = as_of, texts.FROM_OPTION
            elif days := [la.as_of for la in part.layouts if la.as_of]:
                part.as_of, part.as_of_from = days[0], texts.FROM_TITLE
            else:
                part.as_of, part.as_of_from = now.date(), texts.FROM_TODAY
            assert part.as_of is not None
            for layout in part.layouts:
                reader.read(layout, part, part.as_of)
        report.parts = list(parts.values())
        report.errors = reader.errors
        report.out_of_scope = reader.out_of_scope
        if not report.errors and not any(p.values for p in report.parts):
            report.refused = texts.NOTHING_IN_SCOPE.format(name=name, n=reader.out_of_scope)
            return report
        report.previous = self._previous(report.parts)
        if not report.ok or dry_run:
            return report
        self._store(report, actor, scope, now)
        return report

    def unknown_layout(self, problem: Problem, name: str) -> str:
        """One message: the headers found, and the config.yaml lines that would map them."""
        lines = []
        for header in problem.headers:
            field_ = guess_field(header)
            if field_ and header not in self.cfg.columns:
                lines.append((header, field_))
        return texts.unknown_layout(name, problem, lines)

    def _live_event(self, part: Part, deadlines: Deadlines, event: str | None, scope: frozenset[str],
                    now: datetime, file_name: str) -> Event | str:
        """The live session an attendance list is about: --event, or the title and first join time."""
        layout = part.layouts[0]
        if event:
            found = deadlines.live(event)
            if found is None:
                known = sorted({e.id for e in self._events() if e.type == "直播"})[:8]
                return texts.UNKNOWN_EVENT.format(event=event, known="、".join(known) or "（台历里没有直播）")
            groups = [g for g in self.config.groups.classes if g.name in scope and found.targets.matches(g)]
            if not groups:
                return texts.EVENT_NOT_YOURS.format(title=found.title)
            return found
        text_ = f"{layout.title}\n{layout.sheet.name}\n{file_name}"
        day = find_day(now, layout.title, layout.sheet.name, file_name)
        if day is None:
            joined = layout.field("joined_at")
            for _, row in layout.header.data():
                if joined is not None and joined.index < len(row) and (day := find_day(now, row[joined.index])):
                    break
        if day is None:
            return texts.NO_EVENT
        groups = [g for g in self.config.groups.classes if g.name in scope]
        found_ = deadlines.live_on(day, text_, groups)
        if len(found_) != 1:
            return texts.NO_EVENT if not found_ else texts.SEVERAL_EVENTS.format(
                day=f"{day.month}月{day.day}日", titles="、".join(e.title for e in found_[:4]))
        return found_[0]

    def _index(self, *, nicknames_too: bool) -> RosterIndex:
        """The roster for matching rows (the group aliases and WeChat names of bound students, for attendance
        lists, only when needed)."""
        with self.db.read() as s:
            students = [Enrolled(*r) for r in s.exec(select(Student.student_no, Student.name, Student.class_name,
                                                            Student.contact_id))]
        nicknames: dict[str, set[str]] = defaultdict(set)
        bound = {s.contact_id: s.student_no for s in students if s.contact_id}
        if bound and nicknames_too:
            with self.db.read() as s:
                ids = list(bound)
                for i in range(0, len(ids), 500):
                    chunk = ids[i:i + 500]
                    for cid, alias in s.exec(select(RoomMember.contact_id, RoomMember.alias)
                                             .where(col(RoomMember.contact_id).in_(chunk))):
                        if alias:
                            nicknames[alias].add(bound[cid])
                    for cid, name in s.exec(select(Contact.contact_id, Contact.name)
                                            .where(col(Contact.contact_id).in_(chunk))):
                        nicknames[name].add(bound[cid])
        return RosterIndex(students, self.config.groups.classes, nicknames, self._patterns)

    def _previous(self, parts: Sequence[Part]) -> dict[str, tuple[int, int]]:
        """Done / counted per completion kind before this import, in the classes it covers."""
        out = {}
        with self.db.read() as s:
            for part in parts:
                classes = sorted(part.classes())
                if part.kind.deadline_type is None or not classes:
                    continue
                n, done = s.connection().execute(PREVIOUS, {"k": part.kind.value, "classes": classes,
                                                            "t": True}).one()
                if n:
                    out[part.kind.value] = (int(done or 0), int(n))
        return out

    def _store(self, report: ImportReport, actor: Person, scope: frozenset[str], now: datetime) -> None:
        sizes = self._roster_sizes()
        points = {g.name: g.point for g in self.config.groups.classes}
        with self.db.tx() as s:
            for part in report.parts:
                if not part.values:
                    continue
                assert part.as_of is not None
                classes = part.classes()
                row = ProgressImport(kind=part.kind.value, as_of=part.as_of, event=part.event, file_name=report.file_name,
                                     actor_id=actor.contact_id, actor_name=actor.name, at=now, classes=list(classes),
                                     students=len(part.students), values=len(part.values))
                s.add(row)
                s.flush()
                assert row.id is not None
                report.import_ids.append(row.id)
                store.store_values(s, part.values, kind=part.kind, as_of=part.as_of, import_id=row.id)
                if part.kind == Kind.WARNING:  # a warning list replaces the earlier one for the importer's classes
                    s.exec(delete(ProgressState).where(
                        col(ProgressState.kind) == Kind.WARNING.value, col(ProgressState.class_name).in_(sorted(scope)),
                        col(ProgressState.student_no).not_in(sorted(part.students)),
                        col(ProgressState.as_of) <= part.as_of))
                store.recompute_figures(s, part.kind, classes, part.as_of, sizes, points)
                self._check_claims(s, part, report, now)
            revisions.bump(self.db, "progress")
            report.phone = self._phone_after_import(report, actor, now)
        self._forget_plan()
        self.db.on_rollback(self._forget_plan)

    def _roster_sizes(self) -> dict[str, int]:
        with self.db.read() as s:
            rows = s.exec(select(Student.class_name, func.count()).group_by(col(Student.class_name))).all()
        return {c: int(n) for c, n in rows}

    def _check_claims(self, s: Session, part: Part, report: ImportReport, now: datetime) -> None:
        """Students who said 交了: confirmed when this import shows the item done, reported when it does not."""
        new = {(v.student_no, v.course, v.item): v.done for v in part.values}
        names = {}
        for claim_ in s.exec(select(ProgressClaim).where(ProgressClaim.status == "open",
                                                         ProgressClaim.kind == part.kind.value,
                                                         col(ProgressClaim.student_no).in_(sorted(part.students)))):
            done = new.get((claim_.student_no, claim_.course, claim_.item))
            if done is None:
                continue
            claim_.status = "confirmed" if done else "contradicted"
            s.add(claim_)
            if done:
                report.confirmed += 1
            else:
                if claim_.student_no not in names:
                    st = s.get(Student, claim_.student_no)
                    names[claim_.student_no] = st.name if st else claim_.student_no
                report.contradicted.append((names[claim_.student_no], shown(claim_.course, claim_.item)))

    # -- status ----------------------------------------------------------------------------------------------------
    def state_rows(self, classes: Collection[str]) -> list[ProgressState]:
        with self.db.read() as s:
            return list(s.exec(select(ProgressState).where(col(ProgressState.class_name).in_(sorted(classes)))))

    def class_progress(self, class_name: str, now: datetime, deadlines: dict[str, datetime] | None = None
                       ) -> ClassProgress:
        students = self.roster.students_of(class_name)
        rows = self.state_rows([class_name])
        return assess(students, rows, self.deadlines() if deadlines is None else deadlines, self.cfg,
                      self.local(now), class_name)

    def has_data(self, classes: Collection[str]) -> bool:
        with self.db.read() as s:
            return s.exec(select(ProgressState.student_no).where(
                col(ProgressState.class_name).in_(sorted(classes))).limit(1)).first() is not None

    def _student_rows(self, student_no: str) -> list[ProgressState]:
        with self.db.read() as s:
            return list(s.exec(select(ProgressState).where(ProgressState.student_no == student_no)))

    def student_status(self, student: Student, now: datetime) -> StudentStatus:
        return assess([student], self._student_rows(student.student_no), self.deadlines(), self.cfg,
                      self.local(now)).students[0]

    def student_items(self, student: Student) -> list[ProgressState]:
        """The latest value of each of a student's items (staff only: scores and figures), by kind, course and
        item."""
        rows = self._student_rows(student.student_no)
        online = {item: i for i, item in enumerate(ONLINE_ITEMS)}
        rows.sort(key=lambda r: (r.kind, r.course, online.get(r.item, len(online)), *item_order(r.item)))
        return rows

    def student_of(self, contact_id: str) -> Student | None:
        """The student behind a contact: bound already, or matched now by the 群昵称 they carry in a class group."""
        found = self.roster.student_of_contact(contact_id)
        if found is not None:
            return found
        for c in self.config.groups.classes:
            room_id = self.people.room_of_group(c.name)
            member = next((m for m in self.people.members(room_id) if m.contact_id == contact_id), None) \
                if room_id else None
            if member is not None and member.alias:
                st, _conflict = self.roster.match_alias(c.name, member)
                if st is not None:
                    return st
        return None

    def find_students(self, text_: str, classes: Collection[str]) -> list[Student]:
        """Students of `classes` named by 学号 or by name (exactly)."""
        word = text_.strip()
        if not word:
            return []
        with self.db.read() as s:
            rows = s.exec(select(Student).where(col(Student.class_name).in_(sorted(classes)),
                                                (Student.student_no == word) | (Student.name == word))
                          .order_by(col(Student.class_name), col(Student.student_no))).all()
        return list(rows)

    # -- chasing ---------------------------------------------------------------------------------------------------
    def chase_preview(self, classes: Sequence[str], what: str, now: datetime) -> tuple[int, int]:
        """(students, classes) a /督学 would remind — for its confirmation."""
        deadlines = self.deadlines()
        n, k = 0, 0
        for c in classes:
            found = sum(1 for st in self.class_progress(c, now, deadlines).students if wanted(st, what))
            n, k = n + found, k + bool(found)
        return n, k

    def chase(self, actor: Person, classes: Sequence[str], what: str, now: datetime) -> ChaseResult:
        """/督学: remind exactly the students who are behind on `what` — privately where the bot can reach them,
        otherwise in one neutral group message per class. Once per student, item and day."""
        result = ChaseResult(classes=list(classes))
        deadlines = self.deadlines()
        day = self.local(now).strftime("%Y%m%d")
        for c in classes:
            self._bind_members(c)
            progress = self.class_progress(c, now, deadlines)
            todo = [(st, wanted(st, what)) for st in progress.students]
            todo = [(st, items) for st, items in todo if items]
            self._remind(c, todo, actor.contact_id, actor.name, now, lambda no, key: f"chase:manual:{no}:{key}:{day}",
                         result)
        return result

    def _remind(self, class_name: str, todo: Sequence[tuple[StudentStatus, list[Behind]]], actor_id: str,
                actor_name: str, now: datetime, key_for: Callable[[str, str], str], result: ChaseResult) -> None:
        """Queue the reminders of one class (private ones, and one group message), log each in the 台账."""
        if not todo:
            return
        room_id = self.people.room_of_group(class_name)
        present = {m.contact_id for m in self.people.members(room_id)} if room_id else set()
        send_at = postpone(now, self.config.quiet_hours, self.tz)  # students are not written to at night
        if send_at > now:
            result.held_until = self.local(send_at)
        reachable = self.accounts.reachable([st.student.contact_id for st, _ in todo if st.student.contact_id])
        claimed = self._open_claims([st.student.student_no for st, _ in todo])
        in_group: list[Student] = []
        with self.db.tx() as s:
            for status, items in todo:
                st = status.student
                items = [b for b in items if not set(b.keys) <= claimed.get(st.student_no, set())]
                if not items:
                    result.reminded.append(Reminded(st, status.behind, "claimed"))
                    continue
                cid = st.contact_id
                if cid and cid in reachable:
                    how, method = "private", texts.METHOD_PRIVATE
                elif cid and cid in present:
                    how, method = "group", texts.METHOD_GROUP
                else:
                    result.reminded.append(Reminded(st, items, "none"))  # no way to reach them: nothing claimed
                    continue
                fresh = [b for b in items if all(
                    claim(s, Delivery(key=key_for(st.student_no, k), kind="chase", group_name=class_name,
                                      due_at=now, claimed_at=now)) for k in b.keys)]
                if not fresh:
                    result.reminded.append(Reminded(st, items, "today"))
                    continue
                if how == "private":
                    assert cid is not None
                    # WeChat may still refuse (they removed the bot): then the neutral group reminder instead
                    fallback = Fallback(room_id=room_id, text=texts.CHASE_GROUP) if room_id and cid in present \
                        else None
                    self.outbox.enqueue(text=texts.chase_private(st.name, fresh, self.tz), contact_id=cid,
                                        priority=PRIORITY_BULK, not_before=send_at, fallback=fallback)
                else:
                    in_group.append(st)
                result.reminded.append(Reminded(st, fresh, how))
                s.add(ProgressContact(student_no=st.student_no, class_name=class_name, at=now, kind="reminder",
                                      method=method, items=[k for b in fresh for k in b.keys],
                                      problem=texts.problem(fresh), actor_id=actor_id, actor_name=actor_name))
            if in_group and room_id:
                self.outbox.enqueue(text=texts.CHASE_GROUP, room_id=room_id, priority=PRIORITY_BULK,
                                    mentions=[st.contact_id for st in in_group if st.contact_id], not_before=send_at)

    def _open_claims(self, student_nos: Sequence[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        if not student_nos:
            return out
        with self.db.read() as s:
            for c in s.exec(select(ProgressClaim).where(ProgressClaim.status == "open",
                                                        col(ProgressClaim.student_no).in_(list(student_nos)))):
                out[c.student_no].add(key_of(c.kind, c.course, c.item))
        return out

    # -- the automatic chase ---------------------------------------------------------------------------------------
    def _forget_plan(self) -> None:
        with self._lock:
            self._plan = None

    def chase_plan(self, now: datetime) -> list[ChaseDue]:
        """Reminders due before each linked deadline of items someone has not finished (quiet hours applied)."""
        if self._changes.changed():
            self._forget_plan()
        with self._lock:
            if self._plan is not None and self._plan_at is not None and now - self._plan_at < PLAN_TTL:
                return self._plan
        with self.db.read() as s:
            pairs = s.exec(select(ProgressState.ref, ProgressState.class_name).where(
                col(ProgressState.kind).in_(CHASED), ProgressState.ref != "", ProgressState.done == False)  # noqa: E712
                .distinct()).all()
        events = {e.id: e for e in self._events() if e.deadline and not e.weekly_until}
        plan = []
        qh = self.config.quiet_hours
        for ref, class_name in pairs:
            ev = events.get(ref)
            if ev is None or ev.deadline is None:
                continue
            for off in self.cfg.chase_before:
                due = postpone(ev.deadline - off, qh, self.tz)
                if due >= ev.deadline:
                    continue
                key = f"chase-plan:{ref}:{class_name}:{int(off.total_seconds())}"
                plan.append(ChaseDue(key, ref, class_name, off, due, ev.deadline, ev.title))
        plan.sort(key=lambda d: (d.due, d.class_name, d.ref))
        if self._claimed is None:
            with self.db.read() as s:
                claimed = set(s.exec(select(Delivery.key).where(Delivery.kind == "chase-plan")))
            with self._lock:
                self._claimed = claimed
        with self._lock:
            self._plan, self._plan_at = plan, now
        return plan

    def _pending(self, now: datetime) -> list[ChaseDue]:
        claimed = self._claimed or set()
        return [d for d in self.chase_plan(now) if d.key not in claimed and d.deadline > now - timedelta(days=1)]

    def chase_next_due(self, now: datetime) -> datetime | None:
        pending = self._pending(now)
        return min(d.due for d in pending) if pending else None

    def chase_run_due(self, now: datetime) -> int:
        """Send every automatic chase due by now, once (a missed one late, unless its deadline passed or a later
        reminder for the same item is due too)."""
        due = [d for d in self._pending(now) if d.due <= now]
        sent = 0
        for d in due:
            later = [o for o in due if o.ref == d.ref and o.class_name == d.class_name and o.due > d.due]
            if now >= d.deadline:
                status, why = DeliveryStatus.SKIPPED, "deadline passed"
            elif later:
                status, why = DeliveryStatus.SKIPPED, "a later reminder is due"
            else:
                status = DeliveryStatus.LATE if now - d.due > timedelta(minutes=10) else DeliveryStatus.SENT
                why = ""
            with self.db.tx() as s:
                fresh = claim(s, Delivery(key=d.key, kind="chase-plan", group_name=d.class_name, due_at=d.due,
                                          claimed_at=now, status=status, detail=why))
                if fresh and not why:
                    sent += self._auto_chase(d, now)
            with self._lock:
                if self._claimed is not None:
                    self._claimed.add(d.key)
            self.db.on_rollback(lambda: setattr(self, "_claimed", None))
        return sent

    def _bind_members(self, class_name: str) -> None:
        """Members of the class group whose 群昵称 follows the convention but who never spoke there are matched to
        the roster now (as a message of theirs would), so they can be @-mentioned."""
        room_id = self.people.room_of_group(class_name)
        if room_id is None:
            return
        skip = self.people.not_members() | set(self.roster.bound_names())
        for m in self.people.members(room_id):
            if m.alias and m.contact_id not in skip:
                self.roster.match_alias(class_name, m)

    def _auto_chase(self, d: ChaseDue, now: datetime) -> int:
        self._bind_members(d.class_name)
        progress = self.class_progress(d.class_name, now)
        todo = []
        for st in progress.students:
            items = [b for b in (*st.behind, *st.later) if b.ref == d.ref]
            if items:
                todo.append((st, items))
        result = ChaseResult(classes=[d.class_name])
        secs = int(d.offset.total_seconds())
        self._remind(d.class_name, todo, "", AUTO, now, lambda no, key: f"chase:{d.ref}:{secs}:{no}", result)
        reached = result.count("private") + result.count("group")
        if reached or result.count("none"):
            advisor = self.people.advisor_of(d.class_name)
            if advisor is not None:
                self.outbox.enqueue(text=texts.auto_chase_summary(d.class_name, d.title, self.local(d.deadline),
                                                                  result),
                                    contact_id=advisor.contact_id, priority=PRIORITY_BULK, dedupe_key=f"{d.key}:advisor")
        return reached

    # -- students' replies -----------------------------------------------------------------------------------------
    def student_reply(self, contact_id: str, text_: str, now: datetime) -> ReplyOutcome | None:
        """A student's private answer to a recent reminder: “交了” is noted (and checked against the next import),
        “明天交” acknowledged. None for anything else (a question goes on to the handbook answers)."""
        kind = replies.classify(text_, self.local(now))
        if kind is None:
            return None
        st = self.student_of(contact_id)
        if st is None:
            return None
        with self.db.tx() as s:
            last = s.exec(select(ProgressContact).where(ProgressContact.student_no == st.student_no,
                                                        ProgressContact.kind == "reminder",
                                                        ProgressContact.at >= now - REPLY_WINDOW)
                          .order_by(col(ProgressContact.at).desc())).first()
            if last is None:
                return None
            keys = [k for k in last.items if k.split("|", 1)[0] in CHASED]
            labels = [shown(*k.split("|", 2)[1:]) for k in last.items]
            if kind == "done":
                for k in keys:
                    kind_, course, item = k.split("|", 2)
                    exists = s.exec(select(ProgressClaim).where(ProgressClaim.student_no == st.student_no,
                                                                ProgressClaim.status == "open",
                                                                ProgressClaim.kind == kind_, ProgressClaim.course == course,
                                                                ProgressClaim.item == item)).first()
                    if exists is None:
                        s.add(ProgressClaim(student_no=st.student_no, kind=kind_, course=course, item=item, at=now))
            s.add(ProgressContact(student_no=st.student_no, class_name=st.class_name, at=now, kind="reply",
                                  method=texts.METHOD_REPLY, items=list(last.items), problem=last.problem,
                                  result=text_.strip()[:200], actor_id=contact_id, actor_name=st.name))
        deadline = None
        if kind == "promise":
            refs = self._refs(st.student_no, keys)
            found = sorted(t for r in refs if (t := self.deadlines().get(r)))
            deadline = self.local(found[0]) if found else None
        return ReplyOutcome(kind, labels, deadline)

    def _refs(self, student_no: str, keys: Iterable[str]) -> list[str]:
        out = []
        with self.db.read() as s:
            for k in keys:
                kind, course, item = k.split("|", 2)
                row = s.get(ProgressState, (student_no, kind, course, item))
                if row is not None and row.ref:
                    out.append(row.ref)
        return out

    # -- the contact log (台账) --------------------------------------------------------------------------------------
    def follow_up(self, actor: Person, student: Student, text_: str, now: datetime) -> FollowUp:
        """/跟进: a staff member's contact with a student, in the 台账 (method read from the words)."""
        status = self.student_status(student, now)
        problem = texts.problem(status.behind) if status.behind else texts.NO_PROBLEM
        method = next((m for word, m in METHODS if word in text_), texts.METHOD_OTHER)
        row = ProgressContact(student_no=student.student_no, class_name=student.class_name, at=now, kind="follow-up",
                              method=method, items=[k for b in status.behind for k in b.keys], problem=problem,
                              result=text_.strip()[:500], actor_id=actor.contact_id, actor_name=actor.name)
        with self.db.tx() as s:
            s.add(row)
        return FollowUp(row, student, problem)

    def history(self, student: Student, limit: int = 30) -> list[HistoryEntry]:
        """A student's imports, reminders, follow-ups and replies, oldest first (the latest `limit`)."""
        out: list[HistoryEntry] = []
        with self.db.read() as s:
            values = s.exec(select(ProgressValue, ProgressImport).join(
                ProgressImport, col(ProgressImport.id) == col(ProgressValue.import_id))
                .where(ProgressValue.student_no == student.student_no)).all()
            contacts = s.exec(select(ProgressContact).where(ProgressContact.student_no == student.student_no)).all()
        by_import: dict[int, tuple[ProgressImport, list[ProgressValue]]] = {}
        for v, imp in values:
            by_import.setdefault(imp.id or 0, (imp, []))[1].append(v)
        for imp, vals in by_import.values():
            out.append(HistoryEntry(imp.at, "import", texts.history_import(imp, vals)))
        for c in contacts:
            out.append(HistoryEntry(c.at, c.kind, texts.history_contact(c)))
        out.sort(key=lambda e: e.at)
        return out[-limit:]

    def reminders_sent(self, classes: Collection[str]) -> dict[tuple[str, str], int]:
        """(学号, item key) -> reminders sent (privately or in the group)."""
        out: dict[tuple[str, str], int] = defaultdict(int)
        with self.db.read() as s:
            for no, items in s.exec(select(ProgressContact.student_no, ProgressContact.items).where(
                    ProgressContact.kind == "reminder", col(ProgressContact.class_name).in_(sorted(classes)))):
                for k in items or []:
                    out[(no, k)] += 1
        return out

    def phone_list(self, classes: Collection[str], now: datetime,
                   progress: Mapping[str, ClassProgress] | None = None) -> dict[str, list[PhoneEntry]]:
        """需要电话联系: per class, students still behind on an item they were reminded of `phone_after` times
        (`progress`: the classes' status when the caller has it already)."""
        counts = self.reminders_sent(classes)
        out: dict[str, list[PhoneEntry]] = {}
        if not counts:
            return out  # nobody reminded yet: nobody to phone
        deadlines = self.deadlines()
        for c in sorted(classes):
            entries = []
            known = progress.get(c) if progress else None
            for st in (known or self.class_progress(c, now, deadlines)).students:
                items, most = [], 0
                for b in (*st.behind, *st.later):
                    n = max((counts.get((st.student.student_no, k), 0) for k in b.keys), default=0)
                    if n >= self.cfg.phone_after:
                        items.append(b.label)
                        most = max(most, n)
                if items:
                    entries.append(PhoneEntry(st.student, items, most))
            if entries:
                out[c] = entries
        return out

    def _phone_after_import(self, report: ImportReport, actor: Person, now: datetime) -> int:
        """After an import: tell each class's advisor privately who is still behind after the reminders (once per
        student and item), with their phone numbers."""
        classes = {c for p in report.parts if p.kind.deadline_type for c in p.classes()}
        if not classes or not self.reminders_sent(classes):
            return 0
        listed = 0
        for c, entries in self.phone_list(classes, now).items():
            with self.db.tx() as s:
                fresh = [e for e in entries if claim(s, Delivery(
                    key=f"phone:{e.student.student_no}:{'/'.join(e.items)}"[:250], kind="phone-list",
                    group_name=c, due_at=now, claimed_at=now))]
                if not fresh:
                    continue
                advisor = self.people.advisor_of(c)
                to = [advisor] if advisor else ([actor] if actor.is_staff and actor.contact_id != "cli"
                                                else self.people.admins())
                for person in to:
                    self.outbox.enqueue(text=texts.phone_list(c, fresh), contact_id=person.contact_id,
                                        priority=PRIORITY_BULK)
                listed += len(fresh)
        return listed

    def contact_log(self, class_name: str, limit: int | None = None) -> list[ProgressContact]:
        """A class's 台账 entries (reminders, follow-ups, students' replies), newest first."""
        query = (select(ProgressContact).where(ProgressContact.class_name == class_name)
                 .order_by(col(ProgressContact.at).desc(), col(ProgressContact.id).desc()))
        with self.db.read() as s:
            return list(s.exec(query.limit(limit) if limit else query))

    def ledger_rows(self, class_name: str) -> list[list[object]]:
        """The 台账 in the schools' layout: 学号, 姓名, 问题, 联系时间, 方式, 结果."""
        names = {st.student_no: st.name for st in self.roster.students_of(class_name)}
        rows = sorted(self.contact_log(class_name), key=lambda r: (r.student_no, r.at, r.id or 0))
        out: list[list[object]] = [["学号", "姓名", "问题", "联系时间", "方式", "结果"]]
        for r in rows:
            out.append([r.student_no, names.get(r.student_no, ""), r.problem,
                        self.local(r.at).replace(tzinfo=None), r.method, texts.ledger_result(r)])
        return out

    def ledger(self, class_name: str, out: Path) -> int:
        from bot.exports import write_sheet

        rows = self.ledger_rows(class_name)
        write_sheet(out, f"{class_name}台账", rows, widths=(16, 10, 36, 18, 12, 40), date_columns=(4,))
        return len(rows) - 1

    def ledger_path(self, class_name: str, now: datetime) -> Path:
        folder = self.config.path(self.config.files.exports)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"台账-{class_name}-{self.local(now):%Y%m%d-%H%M%S}.xlsx"

    # -- the 数据通报 ------------------------------------------------------------------------------------------------
    def month_bounds(self, which: str, now: datetime) -> tuple[date, date]:
        """[start, end) of this month so far ('本月') or the month before ('上月')."""
        today = self.local(now).date()
        first = today.replace(day=1)
        if which == "上月":
            return (first - timedelta(days=1)).replace(day=1), first
        return first, today + timedelta(days=1)

    def _planned(self, groups: Sequence[ClassGroup], start: date, end: date) -> dict[str, set[str]]:
        """Live sessions the calendar arranged for each class in [start, end)."""
        begin = datetime.combine(start, time(0), tzinfo=self.tz)
        finish = datetime.combine(end, time(0), tzinfo=self.tz)
        out: dict[str, set[str]] = defaultdict(set)
        for ev in self._events():
            if ev.type != "直播":
                continue
            occ = [o for o in ev.occurrences(begin, finish) if begin <= o.when < finish]
            if not occ:
                continue
            for g in groups:
                if ev.targets.matches(g):
                    out[g.name].update(o.id for o in occ)
        return out

    def months(self, classes: Sequence[str], start: date, end: date) -> tuple[Month, Month]:
        """This month's figures and the month before's (for ↑/↓), from the stored class aggregates."""
        groups = [g for g in self.config.groups.classes if g.name in classes]
        prev_start = (start - timedelta(days=1)).replace(day=1)
        table = ProgressFigure.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
        query = sa_select(table).where(table.c.class_name.in_(sorted(classes)), table.c.as_of < end)
        with self.db.read() as s:  # plain rows (named like the table's columns), not ORM objects
            rows: list[Any] = list(s.connection().execute(query).all())
        now_ = month(rows, groups, start, end, self._planned(groups, start, end))
        before = month(rows, groups, prev_start, start, self._planned(groups, prev_start, start))
        return now_, before

    def compare(self, classes: Sequence[str], start: date, end: date) -> Comparison:
        """[start, end)'s figures beside the month before's, and the targets in force on its last day: what the
        数据通报 ranks and marks ✓/✗ (and what the web console shows)."""
        now_, before = self.months(classes, start, end)
        last_day = end - timedelta(days=1)
        return Comparison(now_, before, Targets.on(self.cfg.targets, last_day), last_day)

    def star_scores(self, classes: Sequence[str], start: date, end: date) -> dict[str, dict[str, float]]:
        """Each student's figures for the star formula, from the latest values."""
        scores: dict[str, dict[str, float]] = defaultdict(dict)
        names = sorted(classes)
        p = {"classes": names, "s": start, "e": end, "t": True}
        with self.db.read() as s:
            conn = s.connection()
            for no, item, value in conn.execute(STAR_ONLINE, p).all():
                if value is not None:
                    scores[no][item] = float(value)
            for no, done, n in conn.execute(STAR_HOMEWORK, {**p, "k": Kind.HOMEWORK.value}).all():
                scores[no]["形考完成率"] = (done or 0) / n if n else 0.0
            for no, done, n in conn.execute(STAR_LIVE, {**p, "k": Kind.LIVE.value}).all():
                scores[no]["直播参与率"] = (done or 0) / n if n else 0.0
        return scores

    def stars(self, classes: Sequence[str], start: date, end: date) -> dict[str, list[Student]]:
        scores = self.star_scores(classes, start, end)
        class_points = {g.name: g.point for g in self.config.groups.classes}
        with self.db.read() as s:  # tens of thousands of students: plain rows, not ORM objects
            points = {no: point or class_points.get(cls, "") for no, cls, point in s.exec(
                select(Student.student_no, Student.class_name, Student.point)
                .where(col(Student.class_name).in_(sorted(classes))))}
        ranked = stars(scores, self._formula, points, self.cfg.star.top)
        winners = [no for rows in ranked.values() for no, _ in rows]
        with self.db.read() as s:
            students = {st.student_no: st for st in s.exec(select(Student).where(col(Student.student_no).in_(winners)))}
        return {p: [students[no] for no, _ in rows if no in students] for p, rows in ranked.items()}

    def build_report(self, classes: Sequence[str], scope: str, start: date, end: date, *, chart: bool = True,
                     workbook: bool = False, title: str = "") -> ProgressReport:
        """The 数据通报 of [start, end) for `classes`: text, and optionally a chart and a workbook."""
        figures = self.compare(classes, start, end)
        now_ = figures.now
        if not now_.has_data:
            return ProgressReport(texts.REPORT_EMPTY.format(scope=scope), empty=True)
        star_list = self.stars(classes, start, end)
        text_ = texts.report(title or texts.REPORT_TITLE, scope, figures, star_list)
        out = ProgressReport(text_, stars=star_list)
        stamp = f"progress-{start:%Y%m}-{hashlib.sha1(scope.encode()).hexdigest()[:6]}"
        folder = self.config.path(self.config.files.exports)
        folder.mkdir(parents=True, exist_ok=True)
        if chart:
            from bot.progress.chart import progress_chart

            out.chart = progress_chart(now_, f"学习数据 {start.month}月", folder / f"{stamp}.png")
        if workbook:
            from bot.progress.workbook import report_workbook

            out.workbook = report_workbook(figures, star_list, folder / f"{stamp}.xlsx")
        return out

    def scope_for(self, sender: Person, group: CoordinatorGroup | None) -> tuple[list[str], str]:
        """/汇总 进度: in a coordinator group its classes (within the sender's), elsewhere the sender's own."""
        if group is not None:
            classes = [c.name for c in self.config.groups.classes if (group.points == "all" or c.point in group.points)
                       and c.name in sender.classes]
            return classes, "全部教学点" if group.points == "all" else "、".join(group.points)
        classes = sorted(sender.classes)
        return classes, "、".join(classes[:4]) + ("等" if len(classes) > 4 else "")

    def send_report(self, report: ProgressReport, *, room_id: str | None = None, contact_id: str | None = None,
                    key: str | None = None) -> None:
        self.outbox.enqueue(text=report.text, room_id=room_id, contact_id=contact_id, priority=PRIORITY_BULK,
                            dedupe_key=key)
        for i, path in enumerate(p for p in (report.chart, report.workbook) if p):
            self.outbox.enqueue(file_path=str(path), room_id=room_id, contact_id=contact_id, priority=PRIORITY_BULK,
                                dedupe_key=f"{key}:file{i}" if key else None)

    def report_on_demand(self, sender: Person, group: CoordinatorGroup | None, which: str, room_id: str | None,
                         now: datetime) -> str:
        """/汇总 进度: 'sent' (to the coordinator group, or privately), 'no classes' or 'empty'."""
        classes, scope = self.scope_for(sender, group)
        if not classes:
            return "no classes"
        start, end = self.month_bounds(which, now)
        report = self.build_report(classes, scope, start, end, workbook=True,
                                   title=texts.REPORT_TITLE_NOW if which != "上月" else texts.REPORT_TITLE)
        if report.empty:
            return "empty"
        if group is not None:
            self.send_report(report, room_id=room_id)
        else:
            self.send_report(report, contact_id=sender.contact_id)
        return "sent"

    # -- the scheduled 数据通报 ---------------------------------------------------------------------------------------
    def _report_times(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        at = self.cfg.report
        if at is None or not self.config.groups.coordinators:
            return None, None
        local = self.local(now)
        start = datetime.combine(local.date() - timedelta(days=70), at, tzinfo=self.tz)
        rule = rrule.rrule(rrule.MONTHLY, bymonthday=self.cfg.report_day, dtstart=start)
        return rule.before(local, inc=True), rule.after(local)

    def _report_keys(self, when: datetime) -> list[tuple[str, CoordinatorGroup]]:
        stamp = self.local(when).strftime("%Y%m%d")
        return [(f"progress-report:{stamp}:{g.name}", g) for g in self.config.groups.coordinators]

    def _delivered(self, key: str) -> bool:
        with self.db.read() as s:
            return s.get(Delivery, key) is not None

    def report_next_due(self, now: datetime) -> datetime | None:
        prev, nxt = self._report_times(now)
        if prev is not None and now - prev <= self.config.digests.catch_up and not all(
                self._delivered(k) for k, _ in self._report_keys(prev)):
            return prev
        return nxt

    def report_run_due(self, now: datetime) -> int:
        """The monthly 数据通报 to each coordinator group, once (skipped, and logged, when there is no data); the
        month's stars are praised in their class groups when `progress.star.praise` is on."""
        due = self.report_next_due(now)
        if due is None or due > now:
            return 0
        start, end = self.month_bounds("上月", due)
        sent = 0
        for key, group in self._report_keys(due):
            if self._delivered(key):
                continue
            classes = [c.name for c in self.config.groups.classes if group.points == "all" or c.point in group.points]
            scope = "全部教学点" if group.points == "all" else "、".join(group.points)
            room_id = self.people.room_of_group(group.name)
            report = self.build_report(classes, scope, start, end, workbook=True) if room_id else None
            with self.db.tx() as s:
                why = "room not found" if room_id is None else "no progress data" if report and report.empty else ""
                if not claim(s, Delivery(key=key, kind="progress-report", group_name=group.name, due_at=due,
                                         claimed_at=now, status=DeliveryStatus.SKIPPED if why else DeliveryStatus.SENT,
                                         detail=why)):
                    continue
                if why:
                    log.info("progress report %s skipped: %s", key, why)
                    continue
                assert report is not None
                self.send_report(report, room_id=room_id, key=key)
                sent += 1
                if self.cfg.star.praise:
                    self._praise(report.stars, start, now)
        return sent

    def _praise(self, star_list: dict[str, list[Student]], start: date, now: datetime) -> None:
        """网上学习之星 praised by name in their class groups: praise only, never a figure, never the bottom."""
        by_class: dict[str, list[str]] = defaultdict(list)
        for students in star_list.values():
            for st in students:
                by_class[st.class_name].append(st.name)
        for c, names in by_class.items():
            room_id = self.people.room_of_group(c)
            if room_id is None:
                continue
            self.outbox.enqueue(text=texts.praise(start.month, names), room_id=room_id, priority=PRIORITY_BULK,
                                dedupe_key=f"star-praise:{start:%Y%m}:{c}")

    # -- privacy ---------------------------------------------------------------------------------------------------
    def forget(self, student_no: str) -> int:
        """Delete a student's progress data: values, the latest state, the contact log, claims and the delivery
        log's entries of their reminders (class aggregates stay: they hold no one's figures)."""
        removed = 0
        with self.db.tx() as s:
            for statement in (delete(ProgressValue).where(col(ProgressValue.student_no) == student_no),
                              delete(ProgressState).where(col(ProgressState.student_no) == student_no),
                              delete(ProgressContact).where(col(ProgressContact.student_no) == student_no),
                              delete(ProgressClaim).where(col(ProgressClaim.student_no) == student_no),
                              # the delivery log's keys of their reminders and phone-list entries name the 学号
                              delete(Delivery).where(col(Delivery.kind).in_(("chase", "phone-list")),
                                                     col(Delivery.key).contains(f":{student_no}"))):
                removed += int(s.exec(statement).rowcount or 0)
            revisions.bump(self.db, "progress")
        self._forget_plan()
        return removed


PREVIOUS = text("""
SELECT COUNT(*), SUM(CASE WHEN done = :t THEN 1 ELSE 0 END) FROM progressstate
WHERE kind = :k AND done IS NOT NULL AND class_name IN :classes
""").bindparams(bindparam("classes", expanding=True))

STAR_ONLINE = text("""
SELECT student_no, item, value FROM progressstate
WHERE kind = '网检' AND class_name IN :classes AND item IN ('在线天数', '行为次数', '登录次数', '回帖数')
""").bindparams(bindparam("classes", expanding=True))

STAR_HOMEWORK = text("""
SELECT student_no, SUM(CASE WHEN done = :t THEN 1 ELSE 0 END), COUNT(*) FROM progressstate
WHERE kind = :k AND done IS NOT NULL AND class_name IN :classes GROUP BY student_no
""").bindparams(bindparam("classes", expanding=True))

STAR_LIVE = text("""
SELECT student_no, SUM(CASE WHEN done = :t THEN 1 ELSE 0 END), COUNT(*) FROM progressstate
WHERE kind = :k AND ref != '' AND done IS NOT NULL AND as_of >= :s AND as_of < :e AND class_name IN :classes
GROUP BY student_no
""").bindparams(bindparam("classes", expanding=True))
