"""Where each student stands: on track, behind (on which items) or at risk — and a class's counts. Pure: the latest
values, the deadlines, the targets and the day come in (tables in tests/unit/test_progress_status.py).

An unfinished 形考/选课/报考 item is behind when its deadline has passed or is within `behind_within` (or the
calendar gives none). 网检 is behind below the online-days target in force (a milestone whose day has passed), or
when the student has never logged in. 直播 is behind when this month's participation is below the target (two
sessions at least). A student on a warning list (预警), or behind on `at_risk_items` items, is at risk.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.config import Milestone, ProgressConfig
from bot.models import ProgressState, Student
from bot.progress.columns import Kind, item_key

ONLINE_ITEMS = ("在线天数", "行为次数", "登录次数", "回帖数")


class Level(enum.StrEnum):
    ON_TRACK = "on track"
    BEHIND = "behind"
    AT_RISK = "at risk"


def target_at(schedule: Sequence[Milestone] | None, day: date) -> float | None:
    """The target in force on `day`: the latest milestone whose day has passed (None before the first)."""
    due = [m for m in schedule or () if m.by <= day]
    return max(due, key=lambda m: m.by).value if due else None


def next_target(schedule: Sequence[Milestone] | None, day: date) -> Milestone | None:
    ahead = [m for m in schedule or () if m.by > day]
    return min(ahead, key=lambda m: m.by) if ahead else None


def key_of(kind: str, course: str, item: str) -> str:
    """One item across tables and messages: 形考|行政管理学|形考作业2."""
    return f"{kind}|{course}|{item}"


def shown(course: str, item: str) -> str:
    return f"{course} {item}" if course and course not in item else item


@dataclass(frozen=True)
class Behind:
    kind: Kind
    course: str
    item: str
    deadline: datetime | None = None
    figure: str = ""  # for the student and staff only: 在线 3 天（要求 10 天）
    keys: tuple[str, ...] = ()  # the item keys this covers (for claims and the contact log)
    ref: str = ""  # the calendar event it is due by

    @property
    def label(self) -> str:
        return shown(self.course, self.item)


@dataclass
class StudentStatus:
    student: Student
    level: Level = Level.ON_TRACK
    behind: list[Behind] = field(default_factory=list)
    warning: str = ""  # the reason on a warning list
    later: list[Behind] = field(default_factory=list)  # unfinished, the deadline further ahead (not behind yet)
    online: dict[str, float] = field(default_factory=dict)
    homework: tuple[int, int] = (0, 0)  # done, counted
    live: tuple[int, int] = (0, 0)  # this month: attended, sessions with data


@dataclass(frozen=True)
class ItemCount:
    kind: Kind
    course: str
    item: str
    done: int
    total: int
    deadline: datetime | None = None

    @property
    def label(self) -> str:
        return shown(self.course, self.item)


@dataclass
class ClassProgress:
    name: str
    students: list[StudentStatus]
    items: list[ItemCount]  # completion items, in deadline order
    online: dict[str, tuple[int, float]] = field(default_factory=dict)  # indicator -> (students, sum)
    logged_in: int = 0
    online_counted: int = 0
    live: tuple[int, int] = (0, 0)  # this month: attendances, expected
    as_of: date | None = None

    def level_count(self, level: Level) -> int:
        return sum(1 for s in self.students if s.level == level)


def month_start(day: date) -> date:
    return day.replace(day=1)


def assess(students: Sequence[Student], rows: Iterable[ProgressState], deadlines: Mapping[str, datetime],
           cfg: ProgressConfig, now: datetime, class_name: str = "") -> ClassProgress:
    """Every student's status and the class's counts, from the latest values of the class."""
    today = now.date()
    by_student: dict[str, list[ProgressState]] = defaultdict(list)
    for r in rows:
        by_student[r.student_no].append(r)
    online_target = target_at(cfg.targets.online_days, today)
    live_target = target_at(cfg.targets.live, today)
    horizon = now + cfg.behind_within
    counts: dict[tuple[str, str, str], list[int]] = {}
    refs: dict[tuple[str, str, str], str] = {}
    online: dict[str, list[float]] = defaultdict(list)
    logged_in = online_counted = live_done = live_expected = 0
    as_of: date | None = None
    out: list[StudentStatus] = []
    for st in students:
        status = StudentStatus(st)
        mine = by_student.get(st.student_no, [])
        hw_done = hw_total = att = held = 0
        stats_att = stats_total = 0.0
        for r in mine:
            as_of = max(as_of, r.as_of) if as_of else r.as_of
            kind = Kind(r.kind)
            key = (r.kind, r.course, r.item)
            if kind == Kind.WARNING:
                status.warning = r.note or "预警"
            elif kind == Kind.ONLINE:
                if r.item in ONLINE_ITEMS and r.value is not None:
                    status.online[r.item] = r.value
            elif kind == Kind.LIVE:
                if r.ref and r.done is not None and r.as_of >= month_start(today):
                    held += 1
                    att += int(r.done)
                elif r.item == "直播" and r.value is not None and r.total:
                    stats_att, stats_total = stats_att + r.value, stats_total + r.total
            elif r.done is not None:
                c = counts.setdefault(key, [0, 0])
                c[0] += int(r.done)
                c[1] += 1
                refs.setdefault(key, r.ref)
                if kind == Kind.HOMEWORK:
                    hw_done, hw_total = hw_done + int(r.done), hw_total + 1
                if not r.done:
                    deadline = deadlines.get(r.ref) if r.ref else None
                    unfinished = Behind(kind, r.course, r.item, deadline, keys=(key_of(r.kind, r.course, r.item),),
                                        ref=r.ref)
                    if deadline is None or deadline <= horizon:
                        status.behind.append(unfinished)
                    else:
                        status.later.append(unfinished)
        status.homework = (hw_done, hw_total)
        status.online = {k: status.online[k] for k in ONLINE_ITEMS if k in status.online}  # whatever the rows' order
        if status.online:
            online_counted += 1
            days = status.online.get("在线天数")
            active = any(v > 0 for k, v in status.online.items() if k in ("在线天数", "登录次数", "行为次数"))
            logged_in += int(active)
            for k, v in status.online.items():
                online[k].append(v)
            keys = tuple(key_of(Kind.ONLINE, "", k) for k in status.online)
            if not active:
                status.behind.append(Behind(Kind.ONLINE, "", "未登录学习网", keys=keys))
            elif days is not None and online_target is not None and days < online_target:
                status.behind.append(Behind(Kind.ONLINE, "", "在线天数",
                                            figure=f"在线 {days:g} 天（要求 {online_target:g} 天）", keys=keys))
        if held:
            status.live = (att, held)
            live_done, live_expected = live_done + att, live_expected + held
            if live_target is not None and held >= 2 and att / held < live_target:
                status.behind.append(Behind(Kind.LIVE, "", "直播课", figure=f"本月参加 {att}/{held} 场",
                                            keys=(key_of(Kind.LIVE, "", "直播课"),)))
        elif stats_total and live_target is not None and stats_att / stats_total < live_target:
            status.behind.append(Behind(Kind.LIVE, "", "直播课", figure=f"参加 {stats_att:g}/{stats_total:g} 场",
                                        keys=(key_of(Kind.LIVE, "", "直播课"),)))
        status.behind.sort(key=lambda b: (b.deadline is None, b.deadline or now, b.label))
        if status.warning or len(status.behind) >= cfg.at_risk_items:
            status.level = Level.AT_RISK
        elif status.behind:
            status.level = Level.BEHIND
        out.append(status)
    items = [ItemCount(Kind(k[0]), k[1], k[2], c[0], c[1], deadlines.get(refs.get(k, "")) if refs.get(k) else None)
             for k, c in counts.items()]
    items.sort(key=lambda i: (i.kind != Kind.HOMEWORK, i.deadline is None, i.deadline or now, i.course,
                              _number(i.item), i.item))
    return ClassProgress(class_name, out, items, {k: (len(v), sum(v)) for k, v in online.items()}, logged_in,
                         online_counted, (live_done, live_expected), as_of)


def _number(item: str) -> int:
    key = item_key(item)
    return int(key.split("#")[1]) if key.startswith("形考#") else 0


def item_order(item: str) -> tuple[int, str]:
    """形考作业2 before 形考作业10."""
    return _number(item), item


def matches(behind: Behind, what: str) -> bool:
    """Whether a /督学 or /进度 filter names this item: 全部, 形考, 网检, 直播, 选课, 报考, a course, an assignment."""
    w = what.strip()
    if not w or w in ("全部", "所有", "all"):
        return True
    if w in (k.value for k in Kind):
        return behind.kind.value == w
    words = w.split()
    for word in words:
        if item_key(word).startswith("形考#"):
            if item_key(behind.item) != item_key(word):
                return False
        elif word not in behind.course and word not in behind.item:
            return False
    return True


def wanted(status: StudentStatus, what: str) -> list[Behind]:
    """What a chase for `what` reminds this student of: everything behind for 全部; for a named kind, course or
    assignment also what is unfinished with a deadline further ahead (the teacher asked for it)."""
    if not what.strip() or what.strip() in ("全部", "所有", "all"):
        return list(status.behind)
    return [b for b in (*status.behind, *status.later) if matches(b, what)]


def counts_for(progress: ClassProgress, what: str) -> list[ItemCount]:
    """The completion items a /进度 filter names (all when empty)."""
    return [i for i in progress.items if matches(Behind(i.kind, i.course, i.item), what)]


def deadline_keys(rows: Iterable[ProgressState]) -> set[str]:
    return {r.ref for r in rows if r.ref}


ONE_DAY = timedelta(days=1)
