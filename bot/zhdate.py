"""Chinese date and time phrases as teachers type them: 明天18:00, 下周三, 周五晚上8点, 30号, 11月30日18:00, 周五前.

`find_when(text, now)` finds the first date/time phrase in `text` and returns the moment and the rest of the text.
Pure: `now` is a timezone-aware local datetime; the result is in the same zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5, "1": 0, "2": 1,
             "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}


def cn_number(text: str) -> int:
    """'30' -> 30, '三十' -> 30, '十二' -> 12, '二十五' -> 25."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    value = 0
    for ch in text:
        value = value * 10 + _CN_DIGITS[ch]
    return value


NUM = r"(?:\d{1,4}|[零〇一二两三四五六七八九十]{1,3})"

_DATE = (
    r"(?P<iso>(?P<y>\d{4})[-/.年](?P<m1>\d{1,2})[-/.月](?P<d1>\d{1,2})[日号]?)"
    rf"|(?P<md>(?P<m2>{NUM})月(?P<d2>{NUM})[日号]?)"
    r"|(?P<slash>(?P<m3>\d{1,2})/(?P<d3>\d{1,2}))"
    r"|(?P<rel>今天|今日|今晚|明天|明日|明晚|后天|大后天)"
    r"|(?P<wk>(?P<wkp>下下|下个?|这个?|本)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天末1-7]))"
    rf"|(?P<dom>(?P<d4>{NUM})[号日])"
)
_TIME = (
    r"(?P<period>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|今晚|明晚)?\s*"
    rf"(?:(?P<hh>\d{{1,2}})[:：](?P<mm>\d{{2}})|(?P<h2>{NUM})[点时](?:(?P<half>半)|(?P<m2x>{NUM})分?|整)?)"
)
_WHEN = re.compile(rf"(?:{_DATE})?\s*(?:{_TIME})?")
_BEFORE = re.compile(r"^\s*(?:之前|以前|前)")


@dataclass(frozen=True)
class When:
    at: datetime
    rest: str  # the text with the phrase removed
    phrase: str
    has_time: bool
    before: bool  # "周五前": a deadline by the end of that day


def _resolve_date(m: re.Match[str], today: date) -> date | None:
    g = m.groupdict()
    try:
        if g["iso"]:
            return date(int(g["y"]), int(g["m1"]), int(g["d1"]))
        if g["md"] or g["slash"]:
            month = cn_number(g["m2"] or g["m3"])
            day = cn_number(g["d2"] or g["d3"])
            d = date(today.year, month, day)
            return d if d >= today - timedelta(days=31) else date(today.year + 1, month, day)
        if g["rel"]:
            offset = {"今天": 0, "今日": 0, "今晚": 0, "明天": 1, "明日": 1, "明晚": 1, "后天": 2, "大后天": 3}
            return today + timedelta(days=offset[g["rel"]])
        if g["wk"]:
            wd = _WEEKDAYS[g["wd"]]
            prefix = g["wkp"] or ""
            monday = today - timedelta(days=today.weekday())
            if prefix.startswith("下下"):
                return monday + timedelta(days=14 + wd)
            if prefix.startswith("下"):
                return monday + timedelta(days=7 + wd)
            if prefix:  # 这周 / 本周
                return monday + timedelta(days=wd)
            d = monday + timedelta(days=wd)
            return d if d >= today else d + timedelta(days=7)  # plain 周五: the next one
        if g["dom"]:
            day = cn_number(g["d4"])
            d = date(today.year, today.month, day)
            if d < today:
                month = today.month % 12 + 1
                d = date(today.year + (today.month == 12), month, day)
            return d
    except (ValueError, KeyError):
        return None
    return None


def _resolve_time(m: re.Match[str]) -> time | None:
    g = m.groupdict()
    if g["hh"] is not None:
        hour, minute = int(g["hh"]), int(g["mm"])
    elif g["h2"] is not None:
        hour = cn_number(g["h2"])
        minute = 30 if g["half"] else (cn_number(g["m2x"]) if g["m2x"] else 0)
    else:
        return None
    period = g["period"] or ""
    if period in ("下午", "傍晚", "晚上", "夜里", "今晚", "明晚") and hour < 12:
        hour += 12
    elif period == "中午" and hour < 6:
        hour += 12
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def find_when(text: str, now: datetime, *, default_time: time = time(23, 59)) -> When | None:
    """The first date/time phrase in `text`, resolved against `now` (aware, local)."""
    for m in _WHEN.finditer(text):
        if not m.group(0).strip():
            continue
        g = m.groupdict()
        has_date = any(g[k] for k in ("iso", "md", "slash", "rel", "wk", "dom"))
        t = _resolve_time(m)
        if not has_date and t is None:
            continue
        d = _resolve_date(m, now.date()) if has_date else now.date()
        if d is None:
            continue
        if t is None and g.get("rel") in ("今晚", "明晚"):
            t = time(20, 0)
        if t is None and (g.get("period") or "") in ("晚上", "今晚", "明晚"):
            t = time(20, 0)
        at = datetime.combine(d, t or default_time, tzinfo=now.tzinfo)
        if not has_date and at < now:
            at += timedelta(days=1)  # "18:00" said at 19:00 means tomorrow
        rest_start, rest_end = m.start(), m.end()
        before = bool(_BEFORE.match(text[rest_end:]))
        if before:
            rest_end += _BEFORE.match(text[rest_end:]).end()  # type: ignore[union-attr]
        rest = (text[:rest_start] + " " + text[rest_end:]).strip()
        return When(at, re.sub(r"\s+", " ", rest), m.group(0).strip(), t is not None, before)
    return None


WEEKDAY_ZH = "一二三四五六日"


def format_when(at: datetime, now: datetime | None = None) -> str:
    """'11月30日（周一）18:00' — how the bot shows a time to people."""
    return f"{at.month}月{at.day}日（周{WEEKDAY_ZH[at.weekday()]}）{at:%H:%M}"
