"""Chinese date and time phrases as teachers type them: 明天18:00, 下周三, 周五晚上8点, 30号, 11月30日18:00, 周五前.

`find_when(text, now)` finds the first date/time phrase in `text` and returns the moment, the rest of the text and
whether it was a deadline ("…前"). Pure: no clock, no config, no I/O. `now` is a timezone-aware local datetime and
every result is in the same zone.

A phrase is an optional date part followed (after spaces or 的) by an optional time part, then an optional 前/之前/以前/
为止. How the ambiguous ones resolve:

Dates
- 2026-11-30, 2026/11/30, 2026.11.30, 2026年11月30日, 二〇二六年十一月三十日: exactly that day.
- 11月30日, 11月30号, 11月30, 十一月三十日, 11/30: this year, or next year when that day is more than 31 days past.
  今年/明年/去年 before them fix the year. 11/30 is only a date when the month is 1–12 and the day 1–31
  (13/1 is not a date at all; 2/30 is an impossible one).
- A copied weekday after a date, 11月30日（周一） or 11月30日周一, must agree with the date, else DateError.
- 今天 今日 今晚 今早 明天 明日 明早 明晚 后天 大后天: relative days; 今晚/明晚 imply the evening, 今早/明早 the morning.
- 周五 星期五 礼拜五 周日 周天, 周末 (= Saturday): the next such day; today counts unless a time (or a period
  word such as 晚上) was given and has already passed. 这周五/本周五/上周五/下周三/下个周三/下下周一: that day in
  this/last/next/the week after next week (weeks start on Monday), even when it is in the past.
  下周 alone is not a date.
- 30号, 30日, 三十号: the next 30th on or after today, skipping months without one (said on 31 January: 30 March);
  today counts like for weekdays. 本月30号/下月30号/下个月1号 pin the month. 1号楼, 3号线 … are not dates, and a
  bare Chinese numeral before 日 only counts from 十日 up (so 一日游, 三日内 are not "the 1st/3rd").
- 月底/月末/本月底: the last day of this month (today on the 31st of January); 下月底/下个月底: of next month;
  11月底: of November. 月初 and 下月初: the 1st of next month; 本月初: the 1st of this month; 11月初: 1 November.
- 国庆前 = 30 September (a deadline), 国庆后/国庆节后 = 8 October, 元旦前 = 31 December (a deadline); same year rule
  as 11月30日. Lunar festivals (春节前, 中秋后, 端午节前 …) need a lunar calendar: when one comes first the answer is
  None, nothing is guessed.
- N天后: today + N days; N天内/N日内: today + N days, a deadline.

Times
- 18:00 and 18：00 are a 24-hour clock, read literally (3:00 is 03:00).
- 8点, 8点半, 8点30, 8点30分, 8点一刻, 八点, 8时: with a period word the period decides: 上午/早上 as is,
  中午1点 = 13:00, 下午/傍晚 +12, 晚上/夜里 6–11 +12, 凌晨 as is (凌晨12点 = 00:00).
  晚上12点/夜里12点/半夜12点/晚上0点, and 24:00/24点, mean midnight at the END of that day; they are 23:59 of that
  day, which is what a teacher setting a deadline means. 晚上1点–4点 are after midnight: 01:00–04:00 of the next day.
  An hour of 13 or more is taken as a 24-hour clock whatever the period word.
- A bare 点 hour without a period word: 12点 = noon, 0点 = 00:00; h in 1–11 is h or h+12. With no date it is the
  next of the two after now (3点 at 09:00 → 15:00 today; 9点 at 08:00 → 09:00; 9点 at 22:00 → 09:00 tomorrow).
  With today's date the same, within today. With a later date, 1–6 are the afternoon (明天3点 → 15:00) and 7–11
  the morning (周五8点 → 08:00).
- A bare Chinese-numeral hour that reads as "points" is not a time: 以下两点, 有三点要求, 早一点, 第3点.
- Without a date, a time that has already passed today means the next day.
- A date without a time: `default_time`, except 今晚/明晚/晚上 → 20:00, 明早/今早/早上 → 08:00, 上午 → 09:00,
  中午 → 12:00, 下午 → 15:00, 傍晚 → 18:00. `has_time` is True only when a clock time was typed.

Impossible dates and times raise DateError (a ValueError) whose message is one Chinese sentence for the user:
2月30日, 2月29日 in a non-leap year, 13月1日, 11月31日, 32号, 25:99, 24:30, 8点70分.

`phrase` is the phrase as typed, including a 前 suffix; `rest` is the text without it, the two sides joined by one
space, runs of spaces collapsed and the ends stripped (line breaks are kept).
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

__all__ = ["WEEKDAY_ZH", "DateError", "When", "cn_number", "find_when", "format_when"]

WEEKDAY_ZH = "一二三四五六日"

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}


def cn_number(text: str) -> int:
    """'30' -> 30, '三十' -> 30, '十二' -> 12, '二十一' -> 21, '三十一' -> 31, '〇' -> 0, '二〇二六' -> 2026."""
    if text.isdecimal():
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        raise ValueError(f"not a number: {text!r}")
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1 or "十" in ones:
            raise ValueError(f"not a number: {text!r}")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    value = 0
    for ch in text:
        value = value * 10 + _CN_DIGITS[ch]
    return value


class DateError(ValueError):
    """A date/time phrase that names an impossible moment (2月30日, 25:99, 13月1日).

    `str(e)` is one short Simplified-Chinese sentence for the user; `e.phrase` is the phrase as typed.
    """

    def __init__(self, message: str, phrase: str = "") -> None:
        super().__init__(message)
        self.phrase = phrase


@dataclass(frozen=True)
class When:
    at: datetime  # aware, local (now's zone)
    rest: str  # the text with the phrase removed, spaces collapsed
    phrase: str  # the phrase as typed
    has_time: bool  # a clock time was typed
    before: bool  # "周五前", "3点前", "月底前", "3天内": a deadline


# -- the pieces of a phrase ------------------------------------------------------------------------------------------
_CN = "零〇一二两三四五六七八九十"
_CNUM = r"(?:[一二两三四五六七八九]?十[一二三四五六七八九]?|[零〇一二两三四五六七八九])"  # 0–99
_NUM = rf"(?:\d{{1,2}}|{_CNUM})"
_B = rf"(?<![\d{_CN}])"  # a number starts here, not in the middle of one
_REL_PREFIX = r"下下个?|下个?|这个?|本"
_HSPACE = r"[ \t\u3000]*"

_LUNAR = re.compile(r"(?:春节|除夕|元宵节?|端午节?|中秋节?|清明节?|七夕节?|重阳节?)(?:之前|以前|前|之后|以后|后|期间|当天)")
_HOLIDAY = re.compile(r"(?P<name>国庆节?|元旦)(?P<side>之前|以前|前|之后|以后|后)")
_ISO = re.compile(r"(?<!\d)(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)")
_MD = re.compile(
    rf"(?:(?<!\d)(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}})年|(?P<yw>今年|明年|去年))?"
    rf"{_B}(?P<m>{_NUM})月(?:(?P<edge>底|末|初)|(?P<d>{_NUM})[日号]|(?P<d0>\d{{1,2}})(?![\d:：日号]))"
)
_EDGE = re.compile(rf"(?P<p>{_REL_PREFIX})?月(?P<edge>底|末|初)|(?P<p2>{_REL_PREFIX})月(?P<d>{_NUM})[号日]")
_SLASH = re.compile(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])")
_REL = re.compile(r"大后天|后天|今天|今日|今晚|今早|明天|明日|明晚|明早")
_WEEK = re.compile(rf"(?P<p>{_REL_PREFIX}|上个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天末]|[1-7](?!\d))")
_NDAYS = re.compile(rf"{_B}(?P<n>\d{{1,3}}|{_CNUM})个?(?:天(?P<k>之后|以后|后|之内|以内|内)|日(?P<k2>之内|以内|内))")
_NOT_A_DAY = r"楼|线|门|房|室|位|机|窗|厅|馆|院|口|码|文|床|柜|台|车|场|教|座|箱|桌|组|队|元|字|件|游|期|志|记|报"
_DOM = re.compile(rf"{_B}(?P<d>{_NUM})(?P<u>[号日])(?!{_NOT_A_DAY})")
_NOTE = re.compile(rf"{_HSPACE}(?:[（(](?:周|星期|礼拜)(?P<a>[一二三四五六日天])[)）]|(?:周|星期|礼拜)(?P<b>[一二三四五六日天]))")

_PERIOD = r"凌晨|早上|早晨|清晨|上午|中午|午后|下午|傍晚|晚上|晚间|夜里|夜间|半夜|深夜|午夜|早(?=\d)|晚(?=\d)"


def _time_rx(standalone: bool) -> re.Pattern[str]:
    """A time of day; standalone, it must not continue a number (18 in 2018点). After a date it starts right there."""
    b, bc = (_B, r"(?<![\d:：])") if standalone else ("", "")
    return re.compile(
        rf"(?P<period>{_PERIOD})?{_HSPACE}"
        rf"(?:{bc}(?P<hh>\d{{1,2}})[:：](?P<mm>\d{{2}})(?![\d:：])"
        rf"|{b}(?P<h>{_NUM})(?P<unit>点钟|点|时)"
        rf"(?:(?P<half>半)|(?P<q>一刻|三刻)|(?P<mi>\d{{1,2}}(?=分)|\d{{2}}(?!\d)|{_CNUM})分?|整)?)"
    )


_TIME = _time_rx(standalone=True)
_TIME_AFTER_DATE = _time_rx(standalone=False)
_PERIOD_ONLY = re.compile(r"早上|早晨|清晨|上午|中午|下午|傍晚|晚上")
_JOIN = re.compile(rf"{_HSPACE}(?:的{_HSPACE})?")
_BEFORE = re.compile(rf"{_HSPACE}(?:之前|以前|为止|前)(?![往来去后])")
_POINTS_BEFORE = set("早快多晚少慢好再差大小有这那几哪些下一")
_POINTS_AFTER = re.compile(r"点|要求|注意|说明|建议|意见|内容|事项|原因|理由|[：:]")

_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_REL_DAYS = {"今天": 0, "今日": 0, "今晚": 0, "今早": 0, "明天": 1, "明日": 1, "明晚": 1, "明早": 1, "后天": 2,
             "大后天": 3}
_REL_PERIOD = {"今晚": "晚上", "明晚": "晚上", "今早": "早上", "明早": "早上"}
_MORNING = {"早上", "早晨", "清晨", "上午", "早"}
_AFTERNOON = {"下午", "午后", "傍晚"}
_NIGHT = {"晚上", "晚间", "夜里", "夜间", "半夜", "深夜", "午夜", "晚"}
_PERIOD_DEFAULT = {"早上": time(8), "早晨": time(8), "清晨": time(8), "上午": time(9), "中午": time(12),
                   "下午": time(15), "傍晚": time(18), "晚上": time(20)}
_END_OF_DAY = (23, 59, 0)


def _month_offset(prefix: str | None) -> int:
    prefix = prefix or ""
    return 2 if prefix.startswith("下下") else 1 if prefix.startswith("下") else 0


def _add_months(d: date, n: int) -> tuple[int, int]:
    k = d.year * 12 + d.month - 1 + n
    return k // 12, k % 12 + 1


def _last_day(year: int, month: int) -> int:
    return _calendar.monthrange(year, month)[1]


def _make_date(year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise DateError(f"没有{month}月，请检查日期。")
    if not 1 <= day <= _last_day(year, month):
        if month == 2 and day == 29:
            raise DateError(f"{year}年2月没有29日，请检查日期。")
        raise DateError(f"{month}月没有{day}日，请检查日期。")
    return date(year, month, day)


def _infer_year(today: date, month: int, day: int) -> int:
    """This year, or next year when (month, day) this year is more than 31 days before today."""
    floor = today - timedelta(days=31)
    return today.year if (today.year, month, day) >= (floor.year, floor.month, floor.day) else today.year + 1


def _next_day_of_month(today: date, day: int) -> list[date]:
    """The next two dates with this day of month, on or after today, skipping months that lack it."""
    if not 1 <= day <= 31:
        raise DateError(f"每个月都没有{day}号，请检查日期。")
    found: list[date] = []
    k = 0
    while len(found) < 2:
        y, m = _add_months(today, k)
        if day <= _last_day(y, m) and (d := date(y, m, day)) >= today:
            found.append(d)
        k += 1
    return found


@dataclass
class _Day:
    dates: list[date]  # the date; for 周五/30号 the next two, the second used when a given time today has passed
    end: int
    period: str = ""  # implied by 今晚/明早
    before: bool = False  # the date part is itself a deadline: 3天内, 元旦前
    exact: bool = False  # a calendar date that a copied （周一） may follow


def _resolve_day(kind: str, m: re.Match[str], today: date) -> _Day | None:
    """The day a matched date form names; None when the match turns out not to be a date."""
    text, i = m.string, m.start()
    if kind == "holiday":
        after = m["side"].endswith("后")
        if m["name"] == "元旦" and after:
            return None  # 元旦后: how long the holiday lasts varies; not a date
        month, day = (10, 8) if after else (9, 30) if m["name"].startswith("国庆") else (12, 31)
        return _Day([date(_infer_year(today, month, day), month, day)], m.end(), before=not after)
    if kind == "iso":
        return _Day([_make_date(int(m["y"]), int(m["m"]), int(m["d"]))], m.end(), exact=True)
    if kind == "md":
        month = cn_number(m["m"])
        if not 1 <= month <= 12:
            raise DateError(f"没有{month}月，请检查日期。")
        year = (cn_number(m["y"]) if m["y"] else
                today.year + {"今年": 0, "明年": 1, "去年": -1}[m["yw"]] if m["yw"] else None)
        if m["edge"]:
            first = m["edge"] == "初"
            if year is None:
                year = _infer_year(today, month, 1 if first else _last_day(today.year, month))
            return _Day([date(year, month, 1 if first else _last_day(year, month))], m.end())
        day = cn_number(m["d"] or m["d0"])
        if year is None:
            year = _infer_year(today, month, day)
        return _Day([_make_date(year, month, day)], m.end(), exact=True)
    if kind == "edge":
        if m["d"]:  # 下月30号
            y, mo = _add_months(today, _month_offset(m["p2"]))
            return _Day([_make_date(y, mo, cn_number(m["d"]))], m.end(), exact=True)
        prefix = m["p"] or ""
        if m["edge"] == "初":  # 月初 and 下月初: the 1st of next month; 本月初: of this month
            offset = 0 if prefix[:1] in ("本", "这") else max(1, _month_offset(prefix))
            y, mo = _add_months(today, offset)
            return _Day([date(y, mo, 1)], m.end())
        y, mo = _add_months(today, _month_offset(prefix))
        return _Day([date(y, mo, _last_day(y, mo))], m.end())
    if kind == "slash":
        month, day = int(m["m"]), int(m["d"])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None  # 13/1, 3/45: a fraction or a score, not a date
        return _Day([_make_date(_infer_year(today, month, day), month, day)], m.end(), exact=True)
    if kind == "rel":
        word = m.group()
        return _Day([today + timedelta(days=_REL_DAYS[word])], m.end(), period=_REL_PERIOD.get(word, ""))
    if kind == "week":
        wd, prefix = _WEEKDAY[m["wd"]], m["p"] or ""
        monday = today - timedelta(days=today.weekday())
        if prefix.startswith("下下"):
            return _Day([monday + timedelta(days=14 + wd)], m.end())
        if prefix.startswith("下"):
            return _Day([monday + timedelta(days=7 + wd)], m.end())
        if prefix.startswith("上"):
            return _Day([monday + timedelta(days=wd - 7)], m.end())
        if prefix:  # 这周五 / 本周五
            return _Day([monday + timedelta(days=wd)], m.end())
        d = monday + timedelta(days=wd)
        d = d if d >= today else d + timedelta(days=7)
        return _Day([d, d + timedelta(days=7)], m.end())
    if kind == "ndays":
        kind_word = m["k"] or m["k2"]
        return _Day([today + timedelta(days=cn_number(m["n"]))], m.end(), before=kind_word.endswith("内"))
    assert kind == "dom"
    if text[i - 1:i] == "第" or (m["u"] == "日" and not m["d"].isdecimal() and cn_number(m["d"]) < 10):
        return None  # 第3日, 一日游, 两日: not "the 1st/2nd"
    return _Day(_next_day_of_month(today, cn_number(m["d"])), m.end(), exact=True)


_DAY_FORMS = (("holiday", _HOLIDAY), ("iso", _ISO), ("md", _MD), ("edge", _EDGE), ("slash", _SLASH),
              ("rel", _REL), ("week", _WEEK), ("ndays", _NDAYS), ("dom", _DOM))


def _match_day(text: str, i: int, today: date) -> _Day | None:
    for kind, rx in _DAY_FORMS:
        if (m := rx.match(text, i)) is not None:
            try:
                day = _resolve_day(kind, m, today)
            except DateError as e:
                e.phrase = m.group().strip()
                raise
            if day is not None:
                return day
    return None


# -- times -----------------------------------------------------------------------------------------------------------
@dataclass
class _Clock:
    choices: list[tuple[int, int, int]]  # (hour, minute, days after the named day); two when h or h+12
    explicit: bool = True  # a clock time was typed (not just 晚上)


def _clock(m: re.Match[str], period: str) -> _Clock:
    typed = m.string[m.start("hh") if m["hh"] else m.start("h"):m.end()]
    if m["hh"]:
        hour, minute, colon = int(m["hh"]), int(m["mm"]), True
    else:
        hour, colon = cn_number(m["h"]), False
        minute = 30 if m["half"] else {"一刻": 15, "三刻": 45}[m["q"]] if m["q"] else cn_number(m["mi"]) if m["mi"] \
            else 0
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise DateError(f"没有{typed}这个时间，请检查。")
    if hour == 24:
        return _Clock([_END_OF_DAY])
    if hour >= 13:
        return _Clock([(hour, minute, 0)])
    if period in _NIGHT:
        if hour in (0, 12):
            return _Clock([_END_OF_DAY] if not minute else [(0, minute, 1)])
        return _Clock([(hour, minute, 1) if hour <= 4 else (hour + 12, minute, 0)])
    if period in _AFTERNOON:
        return _Clock([(hour + 12 if 1 <= hour <= 11 else hour, minute, 0)])
    if period == "中午":
        return _Clock([(hour + 12 if 1 <= hour <= 5 else hour, minute, 0)])
    if period == "凌晨":
        return _Clock([(0 if hour == 12 else hour, minute, 0)])
    if period in _MORNING or colon or hour in (0, 12):
        return _Clock([(hour, minute, 0)])
    return _Clock([(hour, minute, 0), (hour + 12, minute, 0)])  # 3点: 03:00 or 15:00


def _looks_like_points(text: str, m: re.Match[str]) -> bool:
    """以下两点 / 有三点要求 / 早一点 / 第3点 / 一时疏忽: a number of points, not a time of day."""
    start = m.start("hh") if m["hh"] else m.start("h")
    if text[start - 1:start] == "第":
        return True
    if m["period"] or m["hh"] or m["h"].isdecimal() or m["half"] or m["q"] or m["mi"]:
        return False
    if m["unit"] == "时" and m["h"] == "一":
        return True
    return text[start - 1:start] in _POINTS_BEFORE or bool(_POINTS_AFTER.match(text))


def _at(d: date, choice: tuple[int, int, int], now: datetime) -> datetime:
    hour, minute, days = choice
    return datetime.combine(d + timedelta(days=days), time(hour, minute), tzinfo=now.tzinfo)


def _on(d: date, clock: _Clock, now: datetime) -> datetime:
    """The clock on a named day; an ambiguous hour picks the first still ahead today, else by the hour."""
    if len(clock.choices) == 1:
        return _at(d, clock.choices[0], now)
    am, pm = clock.choices
    if d == now.date():
        return next((at for c in (am, pm) if (at := _at(d, c, now)) > now), _at(d, pm, now))
    return _at(d, pm if am[0] <= 6 else am, now)


def _next(clock: _Clock, now: datetime) -> datetime:
    """The clock with no day named: its next occurrence after now."""
    today = now.date()
    return min(at for base in (today - timedelta(days=1), today, today + timedelta(days=1))
               for c in clock.choices if (at := _at(base, c, now)) > now)


# -- the phrase ------------------------------------------------------------------------------------------------------
_NONE = object()  # a phrase we recognise but do not resolve (春节前): find_when answers None


def _collapse(text: str) -> str:
    text = re.sub(r"[ \t\u3000]+", " ", text)
    return re.sub(r" ?\n ?", "\n", text).strip()


def _parse_at(text: str, i: int, now: datetime, default_time: time) -> When | object | None:
    today = now.date()
    end = i
    try:
        if _LUNAR.match(text, i):
            return _NONE
        day = _match_day(text, i, today)
        clock: _Clock | None = None
        if day is None:
            m = _TIME.match(text, i)
            if m is None or _looks_like_points(text, m):
                return None
            end = m.end()
            clock = _clock(m, m["period"] or "")
            at = _next(clock, now)
        else:
            end = day.end
            if day.exact and (note := _NOTE.match(text, end)):
                end = note.end()
                said = _WEEKDAY[note["a"] or note["b"]]
                d = day.dates[0]
                if d.weekday() != said:
                    raise DateError(f"{d.month}月{d.day}日是周{WEEKDAY_ZH[d.weekday()]}，不是周{WEEKDAY_ZH[said]}，请检查日期。")
            period = day.period
            j = _JOIN.match(text, end).end()  # type: ignore[union-attr]  # always matches
            if (m := _TIME_AFTER_DATE.match(text, j)) is not None:
                end = m.end()
                clock = _clock(m, m["period"] or period)
            elif (p := _PERIOD_ONLY.match(text, j)) is not None:
                end, period = p.end(), p.group()
            if clock is None and period:
                t = _PERIOD_DEFAULT[period]
                clock = _Clock([(t.hour, t.minute, 0)], explicit=False)
            if clock is None:
                at = datetime.combine(day.dates[0], default_time, tzinfo=now.tzinfo)
            else:
                at = _on(day.dates[0], clock, now)
                if len(day.dates) > 1 and day.dates[0] == today and at <= now:
                    at = _on(day.dates[1], clock, now)  # 周一18:00 said on Monday at 19:00: next Monday
    except DateError as e:
        e.phrase = e.phrase or text[i:end].strip()
        raise
    before = day is not None and day.before
    if (b := _BEFORE.match(text, end)) is not None and not before:
        before, end = True, b.end()
    phrase = text[i:end].strip()
    rest = _collapse(text[:i] + " " + text[end:])
    return When(at, rest, phrase, clock is not None and clock.explicit, before)


def find_when(text: str, now: datetime, *, default_time: time = time(23, 59)) -> When | None:
    """The first date/time phrase in `text`, resolved against `now` (aware, local), or None when there is none.

    Raises DateError when the first phrase names an impossible moment.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    for i in range(len(text)):
        found = _parse_at(text, i, now, default_time)
        if found is _NONE:
            return None
        if isinstance(found, When):
            return found
    return None


def format_when(at: datetime, now: datetime | None = None) -> str:
    """'11月30日（周一）18:00' — how the bot shows a time to people."""
    return f"{at.month}月{at.day}日（周{WEEKDAY_ZH[at.weekday()]}）{at:%H:%M}"
