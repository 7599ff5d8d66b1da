"""Imports into the calendar: the province's weekly live timetable (CSV/XLSX) and ICS files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.calendar.events import Event, Targets, event_id, parse_time
from bot.config import Config
from bot.kernel.tables import Sheet, TableError, find_header, norm_header, read_table
from bot.texts import files as texts

LIVE_COLUMNS = {
    "title": ("课程名称", "课程", "课程名", "直播课程", "名称"),
    "time": ("直播时间", "时间", "开始时间", "上课时间"),
    "teacher": ("主讲教师", "主讲", "教师", "主讲人"),
    "link": ("直播链接", "链接", "直播地址", "网址"),
    "majors": ("专业", "适用专业"),
    "classes": ("班级", "适用班级"),
    "points": ("教学点",),
    "date": ("日期", "直播日期"),
}


STUDENT_COLUMNS = frozenset(norm_header(h) for h in ("学号", "学生学号", "学员学号", "学籍号", "姓名", "学生姓名",
                                                       "参会者昵称", "用户昵称", "入会时间"))
SUFFIXES = (".csv", ".xlsx", ".xlsm", ".ics")


def timetable_fit(file_name: str, sheets: list[Sheet]) -> str | None:
    """How a file looks as a calendar import (for the chat's importer registry): "exact" for an ICS file or a
    table of live-timetable columns only, "columns" when they come with others, None otherwise — and never a
    table about students (a 直播 attendance export has course and time columns too)."""
    if file_name.lower().endswith(".ics"):
        return "exact"
    sheet = next((s for s in sheets if s.rows), None)
    header = find_header(sheet, LIVE_COLUMNS, ("title", "time")) if sheet else None
    if header is None or any(norm_header(c) in STUDENT_COLUMNS for c in header.names):
        return None
    return "columns" if header.unknown else "exact"


@dataclass
class ImportResult:
    events: list[Event] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _split(value: str) -> tuple[str, ...]:
    return tuple(x for x in re.split(r"[,，、;；\s]+", value) if x)


def read_live_timetable(path: Path, config: Config) -> ImportResult:
    """Rows of 课程名称 / 直播时间 (or 日期 + 时间) / 主讲教师 / 直播链接 [/ 专业 / 班级 / 教学点]."""
    result = ImportResult()
    try:
        sheet = read_table(path)
    except TableError as exc:
        result.errors.append(str(exc))
        return result
    header = find_header(sheet, LIVE_COLUMNS, ("title", "time"))
    if header is None:
        best = find_header(sheet, LIVE_COLUMNS)
        have = set(best.columns) if best else set()
        missing = [LIVE_COLUMNS[k][0] for k in ("title", "time") if k not in have]
        result.errors.append(texts.ROW.format(row=best.row if best else 1, message=texts.MISSING_COLUMNS.format(
            columns="、".join(missing), required="、".join(LIVE_COLUMNS[k][0] for k in ("title", "time")))))
        return result
    tz = config.tz
    majors = {g.major for g in config.groups.classes}
    classes = {g.name for g in config.groups.classes}
    for n, row in header.data():
        def get(key: str, row: list[str] = row) -> str:
            return header.get(row, key).strip()

        title = get("title")
        when_text = get("time")
        if get("date") and not re.match(r"\d{4}", when_text):
            when_text = f"{get('date')} {when_text}"
        when_text = re.sub(r"\s*[-—~～]\s*\d{1,2}:\d{2}\s*$", "", when_text)  # "19:30-21:00": the start counts
        if not title:
            result.errors.append(texts.ROW.format(row=n, message=texts.NO_TITLE))
            continue
        try:
            start = parse_time(when_text, tz)
        except ValueError:
            result.errors.append(texts.ROW.format(row=n, message=texts.BAD_TIME.format(
                text=get("time") or texts.EMPTY_CELL)))
            continue
        m, c = _split(get("majors")), _split(get("classes"))
        unknown = [x for x in m if x not in majors] + [x for x in c if x not in classes]
        if unknown:
            result.errors.append(texts.ROW.format(row=n, message=texts.UNKNOWN_MAJOR_OR_CLASS.format(
                names="、".join(unknown))))
            continue
        result.events.append(Event(event_id(title, start), "直播", title, start, None, get("link"), "",
                                   get("teacher"), "", Targets(majors=m, classes=c, points=_split(get("points"))),
                                   source="import"))
    return result


def read_ics(path: Path, config: Config) -> ImportResult:
    from icalendar import Calendar as ICal

    result = ImportResult()
    try:
        cal = ICal.from_ical(path.read_bytes())
    except ValueError as exc:
        result.errors.append(texts.BAD_ICS.format(name=path.name, error=exc))
        return result
    tz = config.tz
    for comp in cal.walk("VEVENT"):
        title = str(comp.get("SUMMARY") or "").strip()
        dt = comp.decoded("DTSTART") if comp.get("DTSTART") else None
        if not title or dt is None:
            result.errors.append(texts.ICS_EVENT_INCOMPLETE.format(uid=comp.get("UID", "?")))
            continue
        if not isinstance(dt, datetime):  # an all-day event: remind about it as of 08:00 local time
            dt = datetime(dt.year, dt.month, dt.day, 8, 0, tzinfo=tz)
        start = dt.replace(tzinfo=tz) if dt.tzinfo is None else dt.astimezone(tz)
        etype = next((t for t in ("选课", "报考", "直播", "作业", "考试") if t in title), "其他")
        deadline = start if etype == "作业" else None
        uid = str(comp.get("UID") or "")
        eid = "ics-" + re.sub(r"[^A-Za-z0-9]", "", uid)[:24] if uid else event_id(title, start)
        result.events.append(Event(eid, etype, title, None if deadline else start, deadline,
                                   str(comp.get("URL") or ""), str(comp.get("LOCATION") or ""), "",
                                   str(comp.get("DESCRIPTION") or "")[:200], source="import"))
    return result


def read_any(path: Path, config: Config) -> ImportResult:
    suffix = path.suffix.lower()
    if suffix == ".ics":
        return read_ics(path, config)
    if suffix in (".csv", ".xlsx", ".xlsm"):
        return read_live_timetable(path, config)
    return ImportResult(errors=[f"{path}: unsupported file (use .csv, .xlsx or .ics)"])


__all__ = ["SUFFIXES", "ImportResult", "read_any", "timetable_fit"]
