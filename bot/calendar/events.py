"""Calendar events (工作台历): the model, the YAML file, and which class groups an event is for."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import ClassGroup
from bot.kernel.durations import parse_duration
from bot.yamlio import Located, YamlError, load_yaml

TYPES = ("选课", "报考", "直播", "作业", "考试", "其他")
START, DEADLINE = "start", "deadline"


@dataclass(frozen=True)
class Offset:
    """A reminder: `before` ahead of the event's start or deadline (zero: at that moment, e.g. 选课 opens)."""

    anchor: str  # start | deadline
    before: timedelta

    @property
    def label(self) -> str:
        secs = int(self.before.total_seconds())
        return f"{self.anchor}-{secs}"


DEFAULT_OFFSETS: dict[str, tuple[Offset, ...]] = {
    "作业": tuple(Offset(DEADLINE, parse_duration(d)) for d in ("7d", "3d", "1d", "3h")),
    "直播": (Offset(START, parse_duration("1d")), Offset(START, parse_duration("30m"))),
    "选课": (Offset(START, timedelta(0)), Offset(DEADLINE, parse_duration("3d")), Offset(DEADLINE, parse_duration("1d"))),
    "报考": (Offset(START, timedelta(0)), Offset(DEADLINE, parse_duration("3d")), Offset(DEADLINE, parse_duration("1d"))),
    "考试": (Offset(START, parse_duration("7d")), Offset(START, parse_duration("1d"))),
    "其他": (Offset(START, parse_duration("1d")), Offset(START, parse_duration("2h"))),
}


@dataclass(frozen=True)
class Targets:
    """Which class groups: everything empty means all classes; otherwise a class must match every given list."""

    points: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    majors: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()

    def matches(self, g: ClassGroup) -> bool:
        return ((not self.points or g.point in self.points) and (not self.classes or g.name in self.classes)
                and (not self.majors or g.major in self.majors) and (not self.grades or g.grade in self.grades))


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    title: str
    start: datetime | None = None
    deadline: datetime | None = None
    link: str = ""
    place: str = ""
    teacher: str = ""
    notes: str = ""
    targets: Targets = field(default_factory=Targets)
    offsets: tuple[Offset, ...] = ()
    weekly_until: date | None = None
    source: str = "calendar"  # calendar | import | chat
    line: int = 0

    def anchor(self, name: str) -> datetime | None:
        return self.start if name == START else self.deadline

    @property
    def when(self) -> datetime:
        """The moment that matters most: the deadline for work, the start for a class or exam."""
        if self.type in ("作业", "选课", "报考") and self.deadline:
            return self.deadline
        when = self.start or self.deadline
        assert when is not None  # an event has a start or a deadline (checked when it is read)
        return when

    @property
    def end(self) -> datetime:
        """After this, reminders for the event are pointless."""
        return max(t for t in (self.start, self.deadline) if t)

    def reminders(self) -> tuple[Offset, ...]:
        offsets = self.offsets or DEFAULT_OFFSETS[self.type]
        return tuple(o for o in offsets if self.anchor(o.anchor) is not None) or tuple(
            Offset(START if self.start else DEADLINE, o.before) for o in offsets[:2])

    def occurrences(self, start: datetime, end: datetime) -> list[Event]:
        """This event, or for a weekly one each week's copy whose time falls in [start, end]."""
        if not self.weekly_until:
            return [self]
        out = []
        week = timedelta(days=7)
        k = 0
        while True:
            shift = week * k
            occ_time = self.when + shift
            if occ_time.date() > self.weekly_until or occ_time > end:
                break
            if occ_time >= start:
                out.append(Event(f"{self.id}@{occ_time:%Y%m%d}", self.type, self.title,
                                 self.start + shift if self.start else None,
                                 self.deadline + shift if self.deadline else None, self.link, self.place,
                                 self.teacher, self.notes, self.targets, self.offsets, None, self.source, self.line))
            k += 1
        return out


def event_id(title: str, when: datetime | None) -> str:
    raw = f"{title}|{when.isoformat() if when else ''}"
    return "ev-" + hashlib.sha1(raw.encode()).hexdigest()[:10]


def parse_time(value: object, tz: ZoneInfo) -> datetime:
    text = str(value).strip().replace("/", "-").replace("T", " ")
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        text += " 00:00"
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(.*)", text)
    if not m:
        raise ValueError(f"not a date and time: {value!r} (use 2026-09-15 19:30)")
    y, mo, d, h, mi = (int(m.group(i)) for i in range(1, 6))
    dt = datetime(y, mo, d, h, mi, int(m.group(6) or 0), tzinfo=tz)
    rest = m.group(7).strip()
    if rest:  # an explicit offset wins over the configured zone
        return datetime.fromisoformat(dt.strftime("%Y-%m-%dT%H:%M:%S") + rest)
    return dt


def parse_offsets(values: list, event_type: str, has_start: bool, has_deadline: bool) -> tuple[Offset, ...]:
    """`remind: [3d, 1d, 开始时]`: durations before the main moment; 开始时/at start means at the start."""
    main = DEADLINE if (has_deadline and event_type in ("作业", "选课", "报考")) or not has_start else START
    out = []
    for v in values:
        text = str(v).strip()
        if text in ("开始时", "开放时", "at start", "open"):
            out.append(Offset(START, timedelta(0)))
        elif text.startswith(("开始前", "start-")):
            out.append(Offset(START, parse_duration(text.split("前", 1)[-1].split("-", 1)[-1])))
        else:
            out.append(Offset(main, parse_duration(text)))
    return tuple(out)


EVENT_KEYS = {"id", "type", "title", "time", "start", "deadline", "link", "place", "teacher", "notes", "targets",
              "remind", "weekly", "until"}


def parse_event(item: object, i: int, located: Located, tz: ZoneInfo, known: dict[str, set[str]]) -> Event:
    path: tuple = ("events", i)
    if not isinstance(item, dict):
        raise located.error(path, "each event is a mapping with type, title and a time")
    extra = set(item) - EVENT_KEYS
    if extra:
        raise located.error((*path, sorted(extra)[0]), f"unknown key (known: {', '.join(sorted(EVENT_KEYS))})")
    etype = str(item.get("type", ""))
    if etype not in TYPES:
        raise located.error((*path, "type"), f"type must be one of {'/'.join(TYPES)}, got {etype!r}")
    title = str(item.get("title") or "").strip()
    if not title:
        raise located.error((*path, "title"), "an event needs a title")
    times: dict[str, datetime | None] = {}
    for key in ("time", "start", "deadline"):
        if item.get(key) is not None:
            try:
                times[key] = parse_time(item[key], tz)
            except ValueError as exc:
                raise located.error((*path, key), str(exc)) from None
    start = times.get("start") or times.get("time")
    deadline = times.get("deadline")
    if start is None and deadline is None:
        raise located.error(path, f"event “{title}” needs time:, start: or deadline:")
    if start and deadline and deadline < start:
        raise located.error((*path, "deadline"), "deadline is before start")
    targets = _targets(item.get("targets", "all"), (*path, "targets"), located, known)
    try:
        offsets = parse_offsets(list(item["remind"]), etype, bool(start), bool(deadline)) if "remind" in item else ()
    except (ValueError, TypeError) as exc:
        raise located.error((*path, "remind"), str(exc)) from None
    until = None
    weekly = item.get("weekly")
    if weekly:
        until_text = item.get("until") or (weekly.get("until") if isinstance(weekly, dict) else None)
        if not until_text:
            raise located.error((*path, "weekly"), "a weekly event needs until: (the last date)")
        try:
            until = parse_time(until_text, tz).date()
        except ValueError as exc:
            raise located.error((*path, "until"), str(exc)) from None
    eid = str(item.get("id") or event_id(title, start or deadline))
    return Event(eid, etype, title, start, deadline, str(item.get("link") or ""), str(item.get("place") or ""),
                 str(item.get("teacher") or ""), str(item.get("notes") or ""), targets, offsets, until,
                 "calendar", located.line_of(path) or 0)


def _targets(value: object, path: tuple, located: Located, known: dict[str, set[str]]) -> Targets:
    if value in (None, "all", "全部", "全部班级"):
        return Targets()
    if not isinstance(value, dict):
        raise located.error(path, "targets is `all` or a mapping of points/classes/majors/grades")
    extra = set(value) - {"points", "classes", "majors", "grades"}
    if extra:
        raise located.error((*path, sorted(extra)[0]), "unknown key (known: points, classes, majors, grades)")
    out = {}
    for key in ("points", "classes", "majors", "grades"):
        raw = value.get(key) or []
        items = [raw] if isinstance(raw, str) else list(raw)
        for name in items:
            if known.get(key) is not None and str(name) not in known[key]:
                raise located.error((*path, key), f"unknown {key[:-1]} {name!r}")
        out[key] = tuple(str(x) for x in items)
    return Targets(**out)


def known_targets(groups: list[ClassGroup], points: list[str]) -> dict[str, set[str]]:
    """What `targets:` may name: the configured points, classes, majors and grades."""
    return {"points": set(points), "classes": {g.name for g in groups}, "majors": {g.major for g in groups},
            "grades": {g.grade for g in groups}}


def load_calendar(path: Path, tz: ZoneInfo, groups: list[ClassGroup], points: list[str]) -> list[Event]:
    """Parse the calendar file; one readable error naming file, event and line."""
    located = load_yaml(path)
    data = located.data or {}
    if not isinstance(data, dict) or not isinstance(data.get("events") or [], list):
        raise YamlError(path, "the calendar is a mapping with `events:` (a list)", "", 1)
    extra = set(data) - {"events"}
    if extra:
        raise located.error((sorted(extra)[0],), "unknown key (the calendar has only `events:`)")
    known = known_targets(groups, points)
    events: list[Event] = []
    ids: dict[str, int] = {}
    for i, item in enumerate(data.get("events") or []):
        ev = parse_event(item, i, located, tz, known)
        if ev.id in ids:
            raise located.error(("events", i), f"duplicate event id {ev.id!r} (also events[{ids[ev.id]}])")
        ids[ev.id] = i
        events.append(ev)
    return events
