"""Reading the layout of a progress export: which row is the header, what each column is, which kind of file it is,
which course and which day it is about. Pure (sheets in, a layout or the reason there is none out).

Exports vary: a title merged over the first row(s), a course name merged over its assignment columns (a band row
above the header), one row per student with a column per course or assignment (wide) or one row per student and
course (long), a 腾讯会议 attendance list with its meeting details above the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from bot.kernel.dates import DateError, find_when
from bot.kernel.tables import Header, Sheet, find_header, norm_header
from bot.progress.columns import (
    FIELDS,
    IGNORED,
    KIND_FIELDS,
    KIND_WORDS,
    NEGATIVE_HEADERS,
    Kind,
    item_name,
)

VALUE_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.HOMEWORK: ("score", "status"),
    Kind.ONLINE: ("online_days", "actions", "logins", "forum"),
    Kind.LIVE: ("live_attended", "duration", "joined_at"),
    Kind.SELECTION: ("selected", "status"),
    Kind.REGISTRATION: ("registered", "status"),
    Kind.WARNING: ("warning",),
}


@dataclass(frozen=True)
class Column:
    index: int
    field: str  # a FIELDS key, or "item" (one assignment or course per column)
    header: str
    course: str = ""  # item columns: the course (from the header, a band above it, or the sheet's title)
    label: str = ""  # item columns: 形考作业2, or the header as written
    inverted: bool = False  # a 未提交/未选课 column: 是 means not done


@dataclass(frozen=True)
class Layout:
    sheet: Sheet
    kind: Kind
    header: Header
    columns: tuple[Column, ...]
    long: bool  # one row per student and course (or per join, for an attendance list)
    course: str  # the course the whole sheet is about, when its title, name or the file name says so
    as_of: date | None  # the day the export is about, when its title or name says so
    title: str  # the text above the header (meeting details of an attendance list)
    unused: tuple[str, ...] = ()  # header cells that are neither a field nor an item

    @cached_property
    def by_field(self) -> dict[str, Column]:
        out: dict[str, Column] = {}
        for c in self.columns:
            out.setdefault(c.field, c)
        return out

    def field(self, name: str) -> Column | None:
        return self.by_field.get(name)

    @property
    def items(self) -> list[Column]:
        return [c for c in self.columns if c.field == "item"]

    @property
    def attendance(self) -> bool:
        return self.kind == Kind.LIVE and self.field("nickname") is not None


@dataclass(frozen=True)
class Problem:
    """A sheet whose layout is not understood: why, and the header cells found (for the config suggestion)."""

    sheet: str
    reason: str  # no student_no | unknown kind | no values | wrong kind
    headers: tuple[str, ...]
    kind: Kind | None = None


@dataclass
class Reading:
    layouts: list[Layout] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # sheets without content


def aliases(columns: Mapping[str, str]) -> dict[str, list[str]]:
    """The built-in aliases plus config.yaml's `progress.columns` (header -> field)."""
    out = {k: list(v) for k, v in FIELDS.items()}
    for header, name in columns.items():
        if name in out:
            out[name].insert(0, header)
    return out


def kind_from_words(*texts: str) -> Kind | None:
    for text in texts:
        for word, kind in KIND_WORDS:
            if word in text:
                return kind
    return None


def find_course(courses: Sequence[str], *texts: str) -> str:
    """The longest known course name mentioned in a sheet name, title or file name."""
    found = [c for c in courses if c and any(c in t for t in texts)]
    return max(found, key=len) if found else ""


def find_day(now: datetime, *texts: str) -> date | None:
    """A full date (with its year) in a title or name: 截至2026年11月1日, 2026-11-30."""
    for text in texts:
        rest = text
        for _ in range(3):
            try:
                when = find_when(rest, now)
            except DateError:
                when = None
            if when is None:
                break
            if re.search(r"\d{4}|[〇零一二三四五六七八九]{4}年", when.phrase):
                return when.at.date()
            rest = when.rest
    return None


def _row_text(row: Sequence[str]) -> str:
    return " ".join(c for c in row if c)


def read_layout(sheet: Sheet, *, file_name: str, hint: Kind | None, columns: Mapping[str, str],
                courses: Sequence[str], now: datetime) -> Layout | Problem | None:
    """The layout of one sheet; None for an empty sheet."""
    if not any(any(c for c in row) for row in sheet.rows):
        return None
    header = find_header(sheet, aliases(columns))
    mapped = {norm_header(h): f for h, f in columns.items()}
    if header is None or not ({"student_no", "nickname"} & set(header.columns)):
        best = header.names if header else _widest(sheet)
        return Problem(sheet.name, "no student_no", tuple(c for c in best if c))
    title_rows = sheet.rows[:header.index]
    title = "\n".join(t for t in (_row_text(r) for r in title_rows) if t)
    course = find_course(courses, sheet.name, title, file_name)
    kind = hint or _kind_of(header) or kind_from_words(sheet.name, title, file_name)
    band = _band(title_rows[-1], header, courses) if title_rows else {}
    cols: list[Column] = []
    unused: list[str] = []
    taken = {j: key for key, j in header.columns.items()}
    for j, cell in enumerate(header.names):
        if not cell:
            continue
        n = norm_header(cell)
        if j in taken:
            cols.append(Column(j, taken[j], cell, inverted=n in NEGATIVE_HEADERS))
            continue
        if mapped.get(n) == "ignore" or n in IGNORED:
            continue
        above = band.get(j, "")
        if mapped.get(n) == "item":
            cols.append(Column(j, "item", cell, above or course, cell))
            continue
        named = item_name(cell)
        if named is not None:
            cols.append(Column(j, "item", cell, named.course or above or course, named.label))
        elif cell in courses:
            cols.append(Column(j, "item", cell, cell, "形考成绩"))
        elif above and kind == Kind.HOMEWORK:
            cols.append(Column(j, "item", cell, above, cell))
        elif hint == Kind.HOMEWORK:
            cols.append(Column(j, "item", cell, course, cell))
        else:
            unused.append(cell)
    if kind is None and any(c.field == "item" for c in cols):
        kind = Kind.HOMEWORK
    names = tuple(c for c in header.names if c)
    if kind is None:
        return Problem(sheet.name, "unknown kind", names)
    if hint is not None and _kind_of(header) not in (None, hint) and not any(c.field == "item" for c in cols):
        return Problem(sheet.name, "wrong kind", names, _kind_of(header))
    if "student_no" not in header.columns and not (kind == Kind.LIVE and "nickname" in header.columns):
        return Problem(sheet.name, "no student_no", names)
    present = {c.field for c in cols}
    has_values = bool(present & set(VALUE_FIELDS[kind])) or (kind == Kind.HOMEWORK and "item" in present) or (
        kind == Kind.WARNING)
    if not has_values:
        return Problem(sheet.name, "no values", names, kind)
    if kind != Kind.HOMEWORK:  # assignment-like columns in other kinds are not items
        unused += [c.header for c in cols if c.field == "item"]
        cols = [c for c in cols if c.field != "item"]
    long = "course" in present or "task" in present or (kind == Kind.LIVE and "nickname" in present)
    as_of = find_day(now, title, sheet.name, file_name)
    return Layout(sheet, kind, header, tuple(cols), long, course, as_of, title, tuple(unused))


def _kind_of(header: Header) -> Kind | None:
    keys = set(header.columns)
    for kind, fields in KIND_FIELDS:
        if keys & set(fields):
            return kind
    return None


def _widest(sheet: Sheet) -> list[str]:
    """Without a recognisable header: the top row with the most cells, as what the header probably is."""
    rows = sheet.rows[:15]
    return max(rows, key=lambda r: sum(1 for c in r if c)) if rows else []


def _band(row: list[str], header: Header, courses: Sequence[str]) -> dict[int, str]:
    """A row of course names merged over their assignment columns, right above the header: column -> course.
    A lone title in the first cell is not a band."""
    filled = [(j, c) for j, c in enumerate(row) if c]
    if not filled or (len(filled) == 1 and filled[0][0] == 0):
        return {}
    known = set(header.columns.values())
    out: dict[int, str] = {}
    current = ""
    for j in range(len(header.names)):
        if j < len(row) and row[j]:
            text = row[j].strip()
            current = find_course(courses, text) or ("" if _GENERIC.search(text) else text)
        if j not in known and current:
            out[j] = current
    return out


_GENERIC = re.compile(r"成绩|形考|作业|任务|信息|情况|基本|学生|合计|统计")
