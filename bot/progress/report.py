"""The 数据通报's figures: per class and teaching point, for one month and the month before, from the class
aggregates stored at each import (so earlier months stay as they were reported); the targets in force, ✓/✗ against
them, and the ranking — the same for the chat's report, its workbook and the web console. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from bot.config import ClassGroup, ProgressTargets
from bot.progress.columns import INFO, LIVE_STATS, Kind
from bot.progress.formula import Formula
from bot.progress.status import ONLINE_ITEMS, target_at

INFO_ITEMS = set(INFO.values())


@dataclass
class Rate:
    done: float = 0.0
    total: float = 0.0

    def add(self, done: float, total: float) -> None:
        self.done += done
        self.total += total

    @property
    def rate(self) -> float | None:
        return self.done / self.total if self.total else None


@dataclass
class Online:
    students: int = 0  # enrolled (the roster's size when known)
    active: int = 0  # logged in at least once
    days: float = 0.0
    actions: float = 0.0
    posters: int = 0  # wrote in the forum at least once
    known: bool = False

    def add(self, other: Online) -> None:
        self.students += other.students
        self.active += other.active
        self.days += other.days
        self.actions += other.actions
        self.posters += other.posters
        self.known = self.known or other.known

    def _per(self, value: float) -> float | None:
        return value / self.students if self.known and self.students else None

    @property
    def login_rate(self) -> float | None:
        return self._per(self.active)

    @property
    def avg_days(self) -> float | None:
        return self._per(self.days)

    @property
    def avg_actions(self) -> float | None:
        return self._per(self.actions)

    @property
    def forum_rate(self) -> float | None:
        return self._per(self.posters)


@dataclass
class Figures:
    """One class, or a teaching point summed over its classes."""

    name: str
    point: str = ""
    homework: Rate = field(default_factory=Rate)
    courses: dict[str, Rate] = field(default_factory=dict)
    planned: set[str] = field(default_factory=set)  # live sessions the calendar arranged this month
    imported: set[str] = field(default_factory=set)  # of those, sessions with an attendance list imported
    live: Rate = field(default_factory=Rate)  # attendances / expected
    live_people: int = 0  # students the attendances are of (the class's size, per session once)
    online: Online = field(default_factory=Online)
    classes: int = 1

    @property
    def live_planned(self) -> int:
        return len(self.planned)

    @property
    def live_average(self) -> float | None:
        """Live sessions attended per student (参与的直播课程数)."""
        return self.live.done / self.live_people if self.live_people else None

    @property
    def has_data(self) -> bool:
        return bool(self.homework.total or self.live.total or self.online.known)

    def add(self, other: Figures) -> None:
        self.homework.add(other.homework.done, other.homework.total)
        for c, r in other.courses.items():
            self.courses.setdefault(c, Rate()).add(r.done, r.total)
        self.planned |= other.planned
        self.imported |= other.imported
        self.live.add(other.live.done, other.live.total)
        self.live_people += other.live_people
        self.online.add(other.online)
        self.classes += other.classes


@dataclass
class Month:
    start: date
    end: date  # exclusive
    classes: dict[str, Figures]

    def points(self) -> dict[str, Figures]:
        out: dict[str, Figures] = {}
        for c in self.classes.values():
            if c.point not in out:
                out[c.point] = Figures(c.point, c.point, classes=0)
            out[c.point].add(c)
        return out

    def total(self, name: str) -> Figures:
        out = Figures(name, classes=0)
        for c in self.classes.values():
            out.add(c)
        return out

    @property
    def has_data(self) -> bool:
        return any(c.has_data for c in self.classes.values())


@dataclass(frozen=True)
class Targets:
    """The targets in force on one day (for a month: its last day, or today for the month so far)."""

    homework: float | None = None  # 形考 completion
    live: float | None = None  # 直播 participation
    login_rate: float | None = None  # 上线学生比例
    online_days: float | None = None  # 生均在线天数
    actions: float | None = None  # 生均在线行为次数
    forum_rate: float | None = None  # 论坛回帖率

    @classmethod
    def on(cls, targets: ProgressTargets, day: date) -> Targets:
        return cls(target_at(targets.homework, day), target_at(targets.live, day),
                   target_at(targets.login_rate, day), target_at(targets.online_days, day),
                   target_at(targets.actions, day), target_at(targets.forum_rate, day))


def meets(value: float | None, target: float | None) -> bool | None:
    """✓ (True), ✗ (False), or nothing to say (None: no figure or no target)."""
    if value is None or target is None:
        return None
    return value >= target - 1e-9


@dataclass(frozen=True)
class Comparison:
    """A month's figures, the month before's (for ↑/↓), and the targets in force at the month's last day."""

    now: Month
    before: Month
    targets: Targets
    last_day: date


@dataclass(frozen=True)
class Indicator:
    """One figure of a class or teaching point against its target, with the month before's."""

    key: str  # homework | live | login_rate | online_days | actions | forum_rate
    value: float | None
    before: float | None
    target: float | None
    percent: bool  # a rate (0..1) rather than a count of days or actions

    @property
    def meets(self) -> bool | None:
        return meets(self.value, self.target)


def indicators(f: Figures, prev: Figures | None, t: Targets) -> list[Indicator]:
    """形考 completion, 直播 participation, 网检 上线比例 and 生均在线天数 (生均行为次数 and 回帖率 too where the
    school set a target for them), as the 数据通报 shows them."""
    o, p = f.online, prev.online if prev else None
    out = [Indicator("homework", f.homework.rate, prev.homework.rate if prev else None, t.homework, True),
           Indicator("live", f.live.rate, prev.live.rate if prev else None, t.live, True),
           Indicator("login_rate", o.login_rate, p.login_rate if p else None, t.login_rate, True),
           Indicator("online_days", o.avg_days, p.avg_days if p else None, t.online_days, False)]
    if t.actions is not None:
        out.append(Indicator("actions", o.avg_actions, p.avg_actions if p else None, t.actions, False))
    if t.forum_rate is not None:
        out.append(Indicator("forum_rate", o.forum_rate, p.forum_rate if p else None, t.forum_rate, True))
    return out


def ranked(items: Sequence[Figures], value: Callable[[Figures], float | None]) -> list[Figures]:
    """Best first; those without the figure left out (the 数据通报's order)."""
    return sorted((f for f in items if value(f) is not None), key=lambda f: (-(value(f) or 0), f.name))


class FigureRow(Protocol):
    """A ProgressFigure, or a plain row of its columns."""

    kind: str
    class_name: str
    course: str
    item: str
    as_of: date
    students: int
    done: int
    value_sum: float
    total_sum: float


def month(rows: Iterable[FigureRow], groups: Sequence[ClassGroup], start: date, end: date,
          planned: Mapping[str, set[str]]) -> Month:
    """Figures for [start, end): the latest snapshot before `end` of each item; live attendance within the month."""
    latest: dict[tuple[str, str, str, str], FigureRow] = {}
    out = {g.name: Figures(g.name, g.point, planned=set(planned.get(g.name, set()))) for g in groups}
    people: dict[str, int] = {}
    for r in rows:
        if r.class_name not in out or r.as_of >= end:
            continue
        if r.kind == Kind.LIVE and r.item != LIVE_STATS:
            if r.as_of >= start:
                f = out[r.class_name]
                f.live.add(r.done, r.students)
                f.imported.add(f"{r.course}|{r.item}")
                people[r.class_name] = max(people.get(r.class_name, 0), r.students)
            continue
        key = (r.kind, r.class_name, r.course, r.item)
        if key not in latest or latest[key].as_of < r.as_of:
            latest[key] = r
    for (kind, cls, course, item), r in latest.items():
        f = out[cls]
        if kind == Kind.HOMEWORK and item not in INFO_ITEMS:
            f.homework.add(r.done, r.students)
            f.courses.setdefault(course or "形考", Rate()).add(r.done, r.students)
        elif kind == Kind.ONLINE and item in ONLINE_ITEMS:
            f.online.known = True
            f.online.students = max(f.online.students, r.students)
            if item == "在线天数":
                f.online.days = r.value_sum
                f.online.active = max(f.online.active, r.done)
            elif item == "行为次数":
                f.online.actions = r.value_sum
                f.online.active = max(f.online.active, r.done)
            elif item == "登录次数":
                f.online.active = max(f.online.active, r.done)
            elif item == "回帖数":
                f.online.posters = r.done
        elif kind == Kind.LIVE and item == LIVE_STATS and cls not in people:
            f.live.add(r.value_sum, r.total_sum)
            f.live_people += r.students
    for cls, n in people.items():
        out[cls].live_people = n
    return Month(start, end, out)


def stars(scores: Mapping[str, Mapping[str, float]], formula: Formula, points: Mapping[str, str],
          top: int) -> dict[str, list[tuple[str, float]]]:
    """The top learners of each teaching point: (学号, score), best first; a score of 0 is nobody's star."""
    by_point: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for no, figures in scores.items():
        score = formula(figures)
        if score > 0 and no in points:
            by_point[points[no]].append((no, round(score, 2)))
    return {p: sorted(v, key=lambda x: (-x[1], x[0]))[:top] for p, v in sorted(by_point.items())}
