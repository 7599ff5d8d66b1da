"""Imports into the calendar: the province's weekly live timetable (CSV/XLSX) and ICS files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.calendar.events import Event, Targets, event_id, parse_time
from bot.config import Config
from bot.roster import read_table

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


@dataclass
class ImportResult:
    events: list[Event] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _index(header: list[str]) -> dict[str, int]:
    norm = [re.sub(r"\s+", "", h) for h in header]
    out = {}
    for key, names in LIVE_COLUMNS.items():
        for i, h in enumerate(norm):
            if h in names:
                out[key] = i
                break
    return out


def _split(value: str) -> tuple[str, ...]:
    return tuple(x for x in re.split(r"[,，、;；\s]+", value) if x)


def read_live_timetable(path: Path, config: Config) -> ImportResult:
    """Rows of 课程名称 / 直播时间 (or 日期 + 时间) / 主讲教师 / 直播链接 [/ 专业 / 班级 / 教学点]."""
    result = ImportResult()
    rows = read_table(path)
    if not rows:
        result.errors.append("第1行：文件是空的")
        return result
    idx = _index(rows[0])
    missing = [LIVE_COLUMNS[k][0] for k in ("title", "time") if k not in idx]
    if missing:
        result.errors.append(f"第1行：缺少列 {'、'.join(missing)}")
        return result
    tz = config.tz
    majors = {g.major for g in config.groups.classes}
    classes = {g.name for g in config.groups.classes}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue

        def get(key: str, row: list[str] = row) -> str:
            i = idx.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        title = get("title")
        when_text = get("time")
        if get("date") and not re.match(r"\d{4}", when_text):
            when_text = f"{get('date')} {when_text}"
        when_text = re.sub(r"\s*[-—~～]\s*\d{1,2}:\d{2}\s*$", "", when_text)  # "19:30-21:00": the start counts
        if not title:
            result.errors.append(f"第{n}行：缺少课程名称")
            continue
        try:
            start = parse_time(when_text, tz)
        except ValueError:
            result.errors.append(f"第{n}行：直播时间看不懂：{get('time') or '（空）'}（例如 2026-09-15 19:30）")
            continue
        m, c = _split(get("majors")), _split(get("classes"))
        unknown = [x for x in m if x not in majors] + [x for x in c if x not in classes]
        if unknown:
            result.errors.append(f"第{n}行：不认识的专业或班级：{'、'.join(unknown)}")
            continue
        result.events.append(Event(event_id(title, start), "直播", title, start, None, get("link"), "",
                                   get("teacher"), "", Targets(majors=m, classes=c, points=_split(get("points"))),
                                   source="import"))
    return result


def read_ics(path: Path, config: Config) -> ImportResult:
    from icalendar import Calendar as ICal

    result = ImportResult()
    cal = ICal.from_ical(path.read_bytes())
    tz = config.tz
    for comp in cal.walk("VEVENT"):
        title = str(comp.get("SUMMARY") or "").strip()
        dt = comp.decoded("DTSTART") if comp.get("DTSTART") else None
        if not title or dt is None:
            result.errors.append(f"事件 {comp.get('UID', '?')}：缺少标题或开始时间")
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


__all__ = ["ImportResult", "read_any"]
