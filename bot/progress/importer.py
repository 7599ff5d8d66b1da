"""From a read layout to the values to store: rows matched to the roster (学号 first, then the name within the
class), cells read, items linked to their calendar deadlines, an attendance list summed per student. Pure: the
roster, the calendar and the importer's scope come in; values and every problem (with its row number) go out.
The service decides whether to store (nothing is stored when any problem is fatal).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.calendar.events import Event
from bot.config import ClassGroup
from bot.kernel.aliases import parse_alias
from bot.kernel.dates import DateError, find_when
from bot.kernel.tables import norm_header
from bot.progress.columns import (
    INDICATORS,
    INFO,
    LIVE_STATS,
    Kind,
    Unreadable,
    item_key,
    item_name,
    read_done,
    read_minutes,
    read_number,
)
from bot.progress.reader import Layout
from bot.texts import progress_rows as texts


@dataclass(frozen=True)
class RowError:
    row: int
    message: str
    sheet: str = ""


@dataclass(frozen=True, slots=True)
class Enrolled:
    """A roster row as the importer needs it (read without the ORM: a city's roster is tens of thousands)."""

    student_no: str
    name: str
    class_name: str
    contact_id: str | None = None


@dataclass(frozen=True)
class NewValue:
    student_no: str
    class_name: str
    course: str
    item: str
    ref: str = ""
    done: bool | None = None
    value: float | None = None
    total: float | None = None
    note: str = ""


@dataclass
class Part:
    """One kind's snapshot in a file (a workbook may hold several kinds, one per sheet)."""

    kind: Kind
    as_of: date | None = None
    as_of_from: str = ""  # what the day was taken from (for the report)
    layouts: list[Layout] = field(default_factory=list)
    values: list[NewValue] = field(default_factory=list)
    empty_items: list[str] = field(default_factory=list)
    event: str = ""  # a live occurrence (attendance lists)
    event_title: str = ""
    attendees: int = 0  # rows of the attendance list matched to students
    short: int = 0  # matched, but attended less than the minimum
    min_minutes: float = 0.0
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # attendance rows nobody matched (teachers…)

    @property
    def students(self) -> set[str]:
        return {v.student_no for v in self.values}

    def classes(self) -> dict[str, int]:
        by: dict[str, set[str]] = defaultdict(set)
        for v in self.values:
            by[v.class_name].add(v.student_no)
        return {c: len(s) for c, s in sorted(by.items())}

    def items(self) -> list[tuple[str, str]]:
        seen: dict[tuple[str, str], None] = {}
        for v in self.values:
            seen.setdefault((v.course, v.item), None)
        return list(seen)


class RosterIndex:
    """The roster as the importer looks students up: by 学号, by name within a class, by a nickname."""

    def __init__(self, students: Iterable[Enrolled], groups: Sequence[ClassGroup],
                 nicknames: dict[str, set[str]] | None = None,
                 patterns: tuple[re.Pattern[str], ...] | None = None) -> None:
        self.by_no: dict[str, Enrolled] = {}
        self.by_class_name: dict[tuple[str, str], list[Enrolled]] = defaultdict(list)
        self.of_class: dict[str, list[Enrolled]] = defaultdict(list)
        for st in students:
            self.by_no[st.student_no] = st
            self.by_class_name[(st.class_name, st.name)].append(st)
            self.of_class[st.class_name].append(st)
        self.classes = {g.name: g for g in groups}
        self._class_names = {norm_header(g.name): g.name for g in groups} | {norm_header(g.topic): g.name
                                                                               for g in groups}
        self.nicknames = nicknames or {}  # room alias or WeChat name of a bound student -> 学号s
        self.patterns = patterns

    def class_named(self, text: str) -> str | None:
        return self._class_names.get(norm_header(text))

    def by_name(self, name: str, classes: Iterable[str]) -> list[Enrolled]:
        return [st for c in classes for st in self.by_class_name.get((c, name), [])]

    def nickname(self, nick: str, classes: set[str]) -> Enrolled | None:
        """A 腾讯会议 nickname as a student, by the 群昵称 conventions, the roster name, or a known alias."""
        nick = nick.strip()
        parsed = parse_alias(nick, self.patterns)
        if parsed:
            name, no, tail = parsed
            if no and (st := self.by_no.get(no)) and st.class_name in classes:
                return st
            found = [s for s in self.by_name(name, classes) if not tail or s.student_no.endswith(tail)]
            if len(found) == 1:
                return found[0]
        for name in dict.fromkeys((nick, re.sub(r"[\d\s\-_—－()（）·.]+", "", nick))):
            found = self.by_name(name, classes)
            if len(found) == 1:
                return found[0]
        nos = [no for no in self.nicknames.get(nick, set()) if no in self.by_no and self.by_no[no].class_name in classes]
        return self.by_no[nos[0]] if len(nos) == 1 else None


@dataclass(frozen=True)
class Deadlines:
    """The calendar's deadline events (作业, 选课, 报考) and live sessions, to link items to."""

    events: tuple[Event, ...]

    def link(self, kind: Kind, course: str, label: str, group: ClassGroup | None, as_of: date) -> str:
        """The id of the event an item is due by, for one class; "" when none (or not exactly one) fits."""
        etype = kind.deadline_type
        if etype is None or group is None:
            return ""
        events = [e for e in self.events if e.type == etype and e.deadline and e.targets.matches(group)]
        if kind == Kind.HOMEWORK:
            key = item_key(label)
            found = []
            for e in events:
                words = e.title.split()
                named = item_name(words[-1]) if words else None
                if named is None or item_key(named.label) != key:
                    continue
                title_course = named.course or (" ".join(words[:-1]) if len(words) > 1 else "")
                if course and course not in (title_course, *words) and course not in e.title:
                    continue
                found.append(e)
            return found[0].id if len(found) == 1 else ""
        if course:  # 选课/报考 of one course: an event naming it wins
            named_events = [e for e in events if course in e.title]
            events = named_events or events
        open_ = [e for e in events if (e.start is None or e.start.date() <= as_of) and e.deadline
                 and e.deadline.date() >= as_of]
        later = sorted((e for e in events if e.deadline and e.deadline.date() >= as_of), key=lambda e: e.when)
        pick = sorted(open_, key=lambda e: e.when)[:1] or later[:1]
        return pick[0].id if pick else ""

    def live(self, key: str) -> Event | None:
        """A live occurrence by key: live-admin@20261110, live-admin-2026-11-10, live-admin@2026-11-10, or the id of
        a one-off live event."""
        key = key.strip()
        m = re.fullmatch(r"(?P<id>.+?)[@\-_](?P<y>\d{4})-?(?P<m>\d{2})-?(?P<d>\d{2})", key)
        base, day = (m.group("id"), date(int(m.group("y")), int(m.group("m")), int(m.group("d")))) if m else (key, None)
        for e in self.events:
            if e.type != "直播" or e.id != base:
                continue
            if day is None:
                return e if not e.weekly_until else None
            for occ in e.occurrences(e.when - timedelta(days=1), e.when + timedelta(days=800)):
                if occ.when.astimezone(e.when.tzinfo).date() == day:
                    return occ
            if e.weekly_until is None and e.when.date() == day:
                return e
            # not an occurrence in the calendar (a moved or extra session): the same event on that day
            when = e.when.replace(year=day.year, month=day.month, day=day.day)
            return Event(f"{e.id}@{day:%Y%m%d}", e.type, e.title, when, None, e.link, e.place, e.teacher, e.notes,
                         e.targets, e.offsets, None, e.source, e.line)
        return None

    def live_on(self, day: date, text: str, groups: Sequence[ClassGroup]) -> list[Event]:
        """Live sessions on `day` for any of `groups`, preferring those whose title the text mentions."""
        found = []
        for e in self.events:
            if e.type != "直播" or not any(e.targets.matches(g) for g in groups):
                continue
            start = datetime.combine(day, datetime.min.time(), tzinfo=e.when.tzinfo)
            found += [o for o in e.occurrences(start, start + timedelta(days=1)) if o.when.date() == day]
        named = [e for e in found if e.title in text or e.title.split()[0] in text]
        return named or found


def course_of(title: str) -> str:
    """行政管理学 直播课 -> 行政管理学; a title without a space is its own course."""
    return title.split()[0] if title.split() else title


@dataclass
class Matched:
    student: Enrolled | None
    error: str = ""
    out_of_scope: bool = False


class Reader:
    """Turns the layouts of one file into parts (one per kind), row errors and the count of rows outside the
    importer's classes."""

    def __init__(self, index: RosterIndex, scope: frozenset[str], deadlines: Deadlines, live_min: timedelta,
                 now: datetime) -> None:
        self.index = index
        self.scope = scope
        self.deadlines = deadlines
        self.live_min_minutes = live_min.total_seconds() / 60
        self.now = now
        self.errors: list[RowError] = []
        self.out_of_scope = 0
        self._seen: dict[tuple[str, str, str, str], tuple[str, int]] = {}
        self._reported: tuple[str, int] | None = None
        self._links: dict[tuple[Kind, str, str, str, date], str] = {}

    def link(self, kind: Kind, course: str, label: str, group: ClassGroup | None, as_of: date) -> str:
        key = (kind, course, label, group.name if group else "", as_of)
        found = self._links.get(key)
        if found is None:
            found = self._links[key] = self.deadlines.link(kind, course, label, group, as_of)
        return found

    # -- students --------------------------------------------------------------------------------------------------
    def match(self, layout: Layout, row: list[str]) -> Matched:
        def cell(name: str) -> str:
            col = layout.field(name)
            return re.sub(r"\s+", "", row[col.index]) if col and col.index < len(row) else ""

        no, name, cls_text = cell("student_no"), cell("name"), cell("class_name")
        no = no[:-2] if no.endswith(".0") else no
        cls = self.index.class_named(cls_text) if cls_text else None
        if no and (st := self.index.by_no.get(no)):
            if st.class_name not in self.scope:
                return Matched(None, out_of_scope=True)
            return Matched(st)
        if cls_text and (cls is None or cls not in self.scope):
            return Matched(None, out_of_scope=True)  # a class that is not the importer's (or not configured)
        if name:
            classes = [cls] if cls else sorted(self.scope)
            found = self.index.by_name(name, classes)
            if len(found) == 1:
                return Matched(found[0])
            if len(found) > 1:
                return Matched(None, texts.AMBIGUOUS_NAME.format(name=name, n=len(found)))
        if no:
            return Matched(None, texts.UNKNOWN_NO.format(no=no, name=name or texts.NO_NAME_GIVEN))
        if name:
            return Matched(None, texts.UNKNOWN_NAME.format(name=name))
        return Matched(None, texts.NO_STUDENT)

    def _duplicate(self, layout: Layout, n: int, st: Enrolled, kind: Kind, course: str, item: str) -> bool:
        key = (kind.value, st.student_no, course, item)
        first = self._seen.get(key)
        if first is not None:
            where = texts.SHEET.format(name=first[0]) if first[0] != layout.sheet.name else ""
            said = (layout.sheet.name, n)
            if self._reported != said:  # one error per duplicated row, not one per column
                self._reported = said
                self.errors.append(RowError(n, texts.DUPLICATE.format(name=st.name, first=first[1], where=where),
                                            layout.sheet.name))
            return True
        self._seen[key] = (layout.sheet.name, n)
        return False

    # -- one layout ------------------------------------------------------------------------------------------------
    def read(self, layout: Layout, part: Part, as_of: date) -> None:
        if layout.attendance:
            self._attendance(layout, part)
            return
        rows = layout.header.data()
        empty = {c.index for c in layout.columns if c.field in (*INDICATORS, "item", "score", "status", "selected",
                                                                  "registered", "live_attended")
                 and not any(c.index < len(r) and r[c.index].strip() for _, r in rows)}
        for c in layout.columns:
            if c.index in empty and c.field == "item":
                part.empty_items.append(_what(c.course, c.label))
            elif c.index in empty:
                part.empty_items.append(c.header)
        for n, row in rows:
            m = self.match(layout, row)
            if m.out_of_scope:
                self.out_of_scope += 1
                continue
            if m.student is None:
                self.errors.append(RowError(n, m.error, layout.sheet.name))
                continue
            for v in self._values(layout, n, row, m.student, as_of, empty):
                part.values.append(v)

    def _values(self, layout: Layout, n: int, row: list[str], st: Enrolled, as_of: date,
                empty: set[int]) -> list[NewValue]:
        kind = layout.kind
        group = self.index.classes.get(st.class_name)
        out: list[NewValue] = []

        def cell(col_name: str) -> str:
            col = layout.field(col_name)
            return row[col.index].strip() if col and col.index < len(row) else ""

        def bad(header: str, text: str) -> None:
            self.errors.append(RowError(n, texts.UNREADABLE.format(column=header, value=text or texts.EMPTY_VALUE,
                                                                   name=st.name), layout.sheet.name))

        def add(course: str, item: str, **kw: object) -> None:
            if not self._duplicate(layout, n, st, kind, course, item):
                out.append(NewValue(st.student_no, st.class_name, course, item, **kw))  # type: ignore[arg-type]

        course = cell("course") or layout.course
        for info, label in INFO.items():  # kept as written; never decides anything
            col = layout.field(info)
            if col is not None and cell(info):
                text = cell(info)
                try:
                    value: float | None = read_minutes(text) if info == "watch_time" else read_number(text)
                except Unreadable:
                    value = None
                if kind == Kind.HOMEWORK or info in ("last_login", "watch_time"):
                    by_course = info != "last_login" and (layout.field("course") is not None or kind == Kind.HOMEWORK)
                    add(course if by_course else "", label, value=value, note=text)
        if kind == Kind.HOMEWORK:
            decide = layout.field("status") or layout.field("score")
            if layout.items:
                for col in layout.items:
                    if col.index in empty:
                        continue
                    text = row[col.index] if col.index < len(row) else ""
                    try:
                        done, score = read_done(text, inverted=col.inverted)
                    except Unreadable:
                        bad(_what(col.course, col.label), text)
                        continue
                    ref = self.link(kind, col.course, col.label, group, as_of)
                    add(col.course, col.label, ref=ref, done=done, value=score)
            elif decide is not None:
                label = cell("task") or "形考"
                named = item_name(label)
                label = named.label if named else label
                text = cell(decide.field)
                try:
                    done, score = read_done(text, inverted=decide.inverted)
                except Unreadable:
                    bad(decide.header, text)
                    return out
                if decide.field == "status" and layout.field("score") and cell("score"):
                    try:
                        score = read_number(cell("score"))
                    except Unreadable:
                        score = None
                ref = self.link(kind, course, label, group, as_of)
                add(course, label, ref=ref, done=done, value=score)
        elif kind == Kind.ONLINE:
            for name, label in INDICATORS.items():
                col = layout.field(name)
                if col is None or col.index in empty:
                    continue
                text = cell(name)
                try:
                    add(course if layout.field("course") else "", label, value=read_number(text))
                except Unreadable:
                    bad(col.header, text)
        elif kind == Kind.LIVE:
            attended, planned = layout.field("live_attended"), layout.field("live_planned")
            if attended is not None and attended.index not in empty:
                try:
                    got = read_number(cell("live_attended"))
                except Unreadable:
                    bad(attended.header, cell("live_attended"))
                    return out
                of: float | None = None
                if planned is not None:
                    try:
                        of = read_number(cell("live_planned"))
                    except Unreadable:
                        bad(planned.header, cell("live_planned"))
                        return out
                add(course if layout.field("course") else "", LIVE_STATS, value=got, total=of)
        elif kind in (Kind.SELECTION, Kind.REGISTRATION):
            col = layout.field("selected" if kind == Kind.SELECTION else "registered") or layout.field("status")
            if col is not None and col.index not in empty:
                text = cell(col.field)
                try:
                    done, _ = read_done(text, inverted=col.inverted)
                except Unreadable:
                    bad(col.header, text)
                    return out
                item_course = course if layout.field("course") else ""
                ref = self.link(kind, item_course, kind.value, group, as_of)
                add(item_course, kind.value, ref=ref, done=done, note=cell("failed_courses"))
        elif kind == Kind.WARNING:
            add("", "预警", note=cell("warning") or texts.ON_WARNING_LIST)
        return out

    # -- 腾讯会议 attendance -----------------------------------------------------------------------------------------
    def _attendance(self, layout: Layout, part: Part) -> None:
        event = self.deadlines.live(part.event) if part.event else None
        if event is None:
            return
        targets = {g for g, group in self.index.classes.items() if event.targets.matches(group)}
        classes = targets & self.scope
        minutes: dict[str, float] = defaultdict(float)
        for n, row in layout.header.data():
            def cell(name: str, row: list[str] = row) -> str:
                col = layout.field(name)
                return row[col.index].strip() if col and col.index < len(row) else ""

            nick = cell("nickname")
            if not nick:
                continue
            st = self.index.nickname(nick, targets)
            if st is None:
                part.unmatched.append((n, nick))
                continue
            if st.class_name not in classes:
                self.out_of_scope += 1
                continue
            try:
                if layout.field("duration") is not None:
                    got = read_minutes(cell("duration"))
                else:
                    got = self._span(cell("joined_at"), cell("left_at"))
            except Unreadable:
                column = layout.field("duration") or layout.field("left_at") or layout.field("joined_at")
                self.errors.append(RowError(n, texts.UNREADABLE.format(
                    column=column.header if column else "", value=cell("duration") or texts.EMPTY_VALUE,
                    name=st.name), layout.sheet.name))
                continue
            minutes[st.student_no] += got
        part.attendees = len(minutes)
        part.min_minutes = self.live_min_minutes
        part.short = sum(1 for m in minutes.values() if m < self.live_min_minutes)
        label = f"直播 {event.when.month}月{event.when.day}日"
        course = course_of(event.title)
        for c in sorted(classes):
            for st in self.index.of_class.get(c, []):
                got = minutes.get(st.student_no, 0.0)
                part.values.append(NewValue(st.student_no, st.class_name, course, label, ref=event.id,
                                            done=got >= self.live_min_minutes, value=round(got, 1)))

    def _span(self, joined: str, left: str) -> float:
        try:
            a, b = find_when(joined, self.now), find_when(left, self.now)
        except DateError:
            raise Unreadable(joined) from None
        if a is None or b is None or b.at < a.at:
            raise Unreadable(joined)
        return (b.at - a.at).total_seconds() / 60


def _what(course: str, item: str) -> str:
    return f"{course} {item}" if course and course not in item else item
