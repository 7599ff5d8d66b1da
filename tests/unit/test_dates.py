"""bot.kernel.dates: every phrase form, every ambiguous rule, every impossible date, as one table each."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.kernel.dates import DateError, When, cn_number, find_when, format_when

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, mo: int, d: int, h: int = 23, mi: int = 59) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=TZ)


MON = at(2026, 9, 7, 8, 0)  # Monday morning, the suite's usual start
MON_NIGHT = at(2026, 9, 7, 22, 0)
MON_EVENING = at(2026, 9, 7, 19, 0)
JAN31 = at(2026, 1, 31, 9, 0)  # Saturday, the last day of a 31-day month before a 28-day February
APR30 = at(2026, 4, 30, 9, 0)  # Thursday, the last day of a 30-day month
NYE = at(2026, 12, 31, 22, 0)  # Thursday night, the year rolls over in two hours
LEAP = at(2028, 2, 28, 10, 0)  # Monday in a leap February

P = pytest.param

# (text, now, expected moment | DateError | None, expected rest, before); default_time is 23:59
CASES = [
    # -- the reported bugs ------------------------------------------------------------------------------------------
    P("30号 交表", JAN31, at(2026, 3, 30), "交表", False, id="bug-30th-said-on-31-jan-skips-february"),
    P("晚上12点前交", MON, at(2026, 9, 7), "交", True, id="bug-evening-12-is-end-of-day-not-noon"),
    P("请于3点前提交", MON.replace(hour=9), at(2026, 9, 7, 15, 0), "请于 提交", True, id="bug-3-before-is-afternoon"),
    P("明天25:99 交表", MON, DateError, None, None, id="bug-impossible-time-no-default"),
    P("截止 2月30日 交表", MON, DateError, None, None, id="bug-impossible-date-reported"),
    # -- what the chat tests (/提醒, /通知) say -----------------------------------------------------------------------
    P("周五前完成形考作业2", MON, at(2026, 9, 11), "完成形考作业2", True, id="notice-friday-before"),
    P("明天18:00 上传电子照片", MON, at(2026, 9, 8, 18, 0), "上传电子照片", False, id="notice-explicit-tomorrow"),
    P("今天18:00 交表", MON, at(2026, 9, 7, 18, 0), "交表", False, id="notice-today-18"),
    P("今天12:00 交照片", MON, at(2026, 9, 7, 12, 0), "交照片", False, id="digest-today-noon"),
    P("9月10日18:00 提交照片", MON, at(2026, 9, 10, 18, 0), "提交照片", False, id="notice-month-day-time"),
    P("下周一交照片", MON, at(2026, 9, 14), "交照片", False, id="notice-next-monday"),
    P("下周一前完成学籍信息核对", MON, at(2026, 9, 14), "完成学籍信息核对", True, id="demo-next-monday-before"),
    P("本周安排：\n1. 周三直播\n2. 周五交作业", MON, at(2026, 9, 9), "本周安排：\n1. 直播\n2. 周五交作业", False,
      id="notice-multiline-keeps-lines"),
    P("明天停课", MON, at(2026, 9, 8), "停课", False, id="notice-tomorrow-no-deadline"),
    P("本周六教学点不开放", MON, at(2026, 9, 12), "教学点不开放", False, id="notice-this-saturday"),
    P("周五交表", MON, at(2026, 9, 11), "交表", False, id="notice-friday-no-before"),
    P("第一条", MON, None, None, None, id="notice-no-date"),
    # -- noise around the phrase -----------------------------------------------------------------------------------
    P("请大家于周五18:00前提交形考作业2", MON, at(2026, 9, 11, 18, 0), "请大家于 提交形考作业2", True,
      id="noise-around-friday-18-before"),
    P("周五 18:00 前 交", MON, at(2026, 9, 11, 18, 0), "交", True, id="spaces-inside-phrase"),
    P("形考作业请在 11月30日（周一）18:00前 提交", MON, at(2026, 11, 30, 18, 0), "形考作业请在 提交", True,
      id="copied-weekday-that-agrees"),
    P("周五前往教学点领书", MON, at(2026, 9, 11), "前往教学点领书", False, id="qianwang-is-not-before"),
    # -- calendar dates --------------------------------------------------------------------------------------------
    P("2026-11-30", MON, at(2026, 11, 30), "", False, id="iso-dash"),
    P("2026/11/30", MON, at(2026, 11, 30), "", False, id="iso-slash"),
    P("2026.11.30", MON, at(2026, 11, 30), "", False, id="iso-dot"),
    P("2026年11月30日", MON, at(2026, 11, 30), "", False, id="chinese-full-date"),
    P("二〇二六年十一月三十日", MON, at(2026, 11, 30), "", False, id="chinese-numeral-full-date"),
    P("11月30号", MON, at(2026, 11, 30), "", False, id="month-day-hao"),
    P("十一月三十日", MON, at(2026, 11, 30), "", False, id="chinese-numeral-month-day"),
    P("11/30", MON, at(2026, 11, 30), "", False, id="slash-month-day"),
    P("13/1", MON, None, None, None, id="slash-month-13-is-not-a-date"),
    # -- relative days ---------------------------------------------------------------------------------------------
    P("今日", MON, at(2026, 9, 7), "", False, id="jinri"),
    P("明日", MON, at(2026, 9, 8), "", False, id="mingri"),
    P("后天", MON, at(2026, 9, 9), "", False, id="houtian"),
    P("大后天", MON, at(2026, 9, 10), "", False, id="dahoutian"),
    P("今晚", MON, at(2026, 9, 7, 20, 0), "", False, id="tonight-is-20"),
    P("明晚7点半", MON, at(2026, 9, 8, 19, 30), "", False, id="tomorrow-night-7-30"),
    P("明早", MON, at(2026, 9, 8, 8, 0), "", False, id="tomorrow-morning-is-8"),
    P("明天晚上", MON, at(2026, 9, 8, 20, 0), "", False, id="tomorrow-evening-word"),
    P("明天3点前", MON, at(2026, 9, 8, 15, 0), "", True, id="dated-bare-3-is-afternoon"),
    # -- weekdays --------------------------------------------------------------------------------------------------
    P("星期五", MON, at(2026, 9, 11), "", False, id="xingqiwu"),
    P("礼拜五", MON, at(2026, 9, 11), "", False, id="libaiwu"),
    P("周日", MON, at(2026, 9, 13), "", False, id="zhouri"),
    P("周天", MON, at(2026, 9, 13), "", False, id="zhoutian"),
    P("周末", MON, at(2026, 9, 12), "", False, id="weekend-is-saturday"),
    P("这周五", MON, at(2026, 9, 11), "", False, id="this-friday-zhe"),
    P("下个周三", MON, at(2026, 9, 16), "", False, id="next-wednesday-xiage"),
    P("下下周一", MON, at(2026, 9, 21), "", False, id="monday-after-next"),
    P("周一", MON, at(2026, 9, 7), "", False, id="weekday-today-counts-without-time"),
    P("周一18:00", MON_EVENING, at(2026, 9, 14, 18, 0), "", False, id="weekday-today-passed-means-next-week"),
    P("周六08:00", JAN31, at(2026, 2, 7, 8, 0), "", False, id="saturday-8-said-saturday-9"),
    P("周五8点", MON, at(2026, 9, 11, 8, 0), "", False, id="dated-bare-8-is-morning"),
    P("下周交作业", MON, None, None, None, id="next-week-alone-is-not-a-date"),
    # -- day of month, month ends ----------------------------------------------------------------------------------
    P("31号", APR30, at(2026, 5, 31), "", False, id="31st-said-on-30-april"),
    P("30号", APR30, at(2026, 4, 30), "", False, id="30th-said-on-30th-is-today"),
    P("29号", JAN31, at(2026, 3, 29), "", False, id="29th-skips-short-february"),
    P("下个月1号", MON, at(2026, 10, 1), "", False, id="next-month-1st"),
    P("月底", JAN31, at(2026, 1, 31), "", False, id="month-end-on-31-jan-is-today"),
    P("月底前", MON, at(2026, 9, 30), "", True, id="month-end-before"),
    P("下个月底", JAN31, at(2026, 2, 28), "", False, id="next-month-end-february"),
    P("本月底", MON, at(2026, 9, 30), "", False, id="this-month-end"),
    P("11月底", MON, at(2026, 11, 30), "", False, id="november-end"),
    P("月初", MON, at(2026, 10, 1), "", False, id="month-start-is-next-1st"),
    P("下月初", MON, at(2026, 10, 1), "", False, id="next-month-start"),
    # -- holidays, day counts --------------------------------------------------------------------------------------
    P("国庆后", MON, at(2026, 10, 8), "", False, id="after-national-day"),
    P("国庆节后返校", MON, at(2026, 10, 8), "返校", False, id="after-national-day-jie"),
    P("元旦前", MON, at(2026, 12, 31), "", True, id="before-new-year"),
    P("春节前交表", MON, None, None, None, id="spring-festival-not-guessed"),
    P("3天内交", MON, at(2026, 9, 10), "交", True, id="within-3-days-deadline"),
    P("两天后", MON, at(2026, 9, 9), "", False, id="two-days-later"),
    # -- times -----------------------------------------------------------------------------------------------------
    P("9点开会", MON, at(2026, 9, 7, 9, 0), "开会", False, id="bare-9-at-8-is-today"),
    P("9点开会", MON_NIGHT, at(2026, 9, 8, 9, 0), "开会", False, id="bare-9-at-22-is-tomorrow"),
    P("八点", MON, at(2026, 9, 7, 20, 0), "", False, id="bare-8-at-8-is-tonight"),
    P("8点半", MON, at(2026, 9, 7, 8, 30), "", False, id="8-half"),
    P("8点30分", MON, at(2026, 9, 7, 8, 30), "", False, id="8-30-fen"),
    P("18：00", MON, at(2026, 9, 7, 18, 0), "", False, id="fullwidth-colon"),
    P("7:00", MON, at(2026, 9, 8, 7, 0), "", False, id="passed-time-means-tomorrow"),
    P("12点", MON, at(2026, 9, 7, 12, 0), "", False, id="bare-12-is-noon"),
    P("十二点", MON, at(2026, 9, 7, 12, 0), "", False, id="chinese-12-is-noon"),
    P("中午1点", MON, at(2026, 9, 7, 13, 0), "", False, id="noon-1-is-13"),
    P("下午3点", MON, at(2026, 9, 7, 15, 0), "", False, id="afternoon-3"),
    P("上午10点", MON, at(2026, 9, 7, 10, 0), "", False, id="morning-10"),
    P("早上7点", MON, at(2026, 9, 8, 7, 0), "", False, id="early-7-passed-is-tomorrow"),
    P("傍晚6点", MON, at(2026, 9, 7, 18, 0), "", False, id="dusk-6"),
    P("夜里11点", MON, at(2026, 9, 7, 23, 0), "", False, id="night-11"),
    P("半夜12点", MON, at(2026, 9, 7), "", False, id="midnight-12-is-2359"),
    P("凌晨2点", MON, at(2026, 9, 8, 2, 0), "", False, id="small-hours-2"),
    P("明天凌晨2点", MON, at(2026, 9, 8, 2, 0), "", False, id="tomorrow-small-hours"),
    P("24:00前", MON, at(2026, 9, 7), "", True, id="24-00-is-end-of-day"),
    # -- not times -------------------------------------------------------------------------------------------------
    P("注意以下两点：", MON, None, None, None, id="two-points-not-2am"),
    P("请早一点交", MON, None, None, None, id="a-bit-earlier-not-1am"),
    P("到1号楼集合", MON, None, None, None, id="building-1-not-a-date"),
    # -- impossible ------------------------------------------------------------------------------------------------
    P("2月29日", JAN31, DateError, None, None, id="feb-29-non-leap"),
    P("13月1日", MON, DateError, None, None, id="month-13"),
    P("11月31日", MON, DateError, None, None, id="november-31"),
    P("24:30", MON, DateError, None, None, id="24-30"),
    P("8点70分", MON, DateError, None, None, id="70-minutes"),
    P("32号", MON, DateError, None, None, id="32nd"),
    P("11月30日（周二）", MON, DateError, None, None, id="copied-weekday-that-disagrees"),
    # -- year rollover ---------------------------------------------------------------------------------------------
    P("12月31日", NYE, at(2026, 12, 31), "", False, id="dec-31-said-on-dec-31"),
    P("1月5日", NYE, at(2027, 1, 5), "", False, id="jan-5-said-on-dec-31-is-next-year"),
    P("12月1日", NYE, at(2026, 12, 1), "", False, id="30-days-past-stays-this-year"),
    P("明天", NYE, at(2027, 1, 1), "", False, id="tomorrow-is-next-year"),
    P("下周一", NYE, at(2027, 1, 4), "", False, id="next-monday-next-year"),
    P("国庆后", NYE, at(2027, 10, 8), "", False, id="national-day-long-past-is-next-year"),
    P("晚上12点", NYE, at(2026, 12, 31), "", False, id="midnight-on-new-years-eve"),
    P("11点", NYE, at(2026, 12, 31, 23, 0), "", False, id="bare-11-at-22-is-23"),
    # -- leap year -------------------------------------------------------------------------------------------------
    P("2月29日", LEAP, at(2028, 2, 29), "", False, id="feb-29-leap"),
    P("月底", LEAP, at(2028, 2, 29), "", False, id="month-end-leap"),
    P("30号", LEAP, at(2028, 3, 30), "", False, id="30th-in-leap-february"),
    P("2月30日", LEAP, DateError, None, None, id="feb-30-leap"),
]

# /提醒 passes default_time=20:00; these are what tests/test_calendar.py sends
REMIND_CASES = [
    P("11月30日18:00 形考作业3截止", MON, at(2026, 11, 30, 18, 0), "形考作业3截止", False, id="remind-date-time"),
    P("周五晚上8点 行政管理学直播", MON, at(2026, 9, 11, 20, 0), "行政管理学直播", False, id="remind-friday-evening"),
    P("下周三 提交照片", MON, at(2026, 9, 16, 20, 0), "提交照片", False, id="remind-next-wednesday"),
    P("30号 交表", MON, at(2026, 9, 30, 20, 0), "交表", False, id="remind-30th"),
    P("去年1月1日 过去的事", MON, at(2025, 1, 1, 20, 0), "过去的事", False, id="remind-last-year-is-past"),
    P("明天 交作业", MON, at(2026, 9, 8, 20, 0), "交作业", False, id="remind-tomorrow"),
]


def _check(text, now, expected, rest, before, default_time):
    if expected is DateError:
        with pytest.raises(DateError):
            find_when(text, now, default_time=default_time)
        return
    when = find_when(text, now, default_time=default_time)
    if expected is None:
        assert when is None
        return
    assert when is not None
    assert (when.at, when.rest, when.before) == (expected, rest, before)
    assert when.at.tzinfo is now.tzinfo


@pytest.mark.parametrize(("text", "now", "expected", "rest", "before"), CASES)
def test_find_when(text, now, expected, rest, before):
    _check(text, now, expected, rest, before, time(23, 59))


@pytest.mark.parametrize(("text", "now", "expected", "rest", "before"), REMIND_CASES)
def test_find_when_with_the_reminder_default(text, now, expected, rest, before):
    _check(text, now, expected, rest, before, time(20, 0))


@pytest.mark.parametrize(("text", "now", "message", "phrase"), [
    ("截止 2月30日 交表", MON, "2月没有30日，请检查日期。", "2月30日"),
    ("2月29日", JAN31, "2026年2月没有29日，请检查日期。", "2月29日"),
    ("13月1日", MON, "没有13月，请检查日期。", "13月1日"),
    ("11月31日", MON, "11月没有31日，请检查日期。", "11月31日"),
    ("明天25:99 交表", MON, "没有25:99这个时间，请检查。", "明天25:99"),
    ("24:30", MON, "没有24:30这个时间，请检查。", "24:30"),
    ("8点70分", MON, "没有8点70分这个时间，请检查。", "8点70分"),
    ("32号", MON, "每个月都没有32号，请检查日期。", "32号"),
    ("11月30日（周二）", MON, "11月30日是周一，不是周二，请检查日期。", "11月30日（周二）"),
])
def test_impossible_phrases_explain_themselves(text, now, message, phrase):
    with pytest.raises(DateError) as info:
        find_when(text, now)
    assert str(info.value) == message and info.value.phrase == phrase
    assert isinstance(info.value, ValueError)


def test_phrase_and_has_time():
    assert find_when("请大家于周五18:00前提交", MON) == When(at(2026, 9, 11, 18, 0), "请大家于 提交", "周五18:00前",
                                                          True, True)
    when = find_when("周五晚上 直播", MON)
    assert when is not None and when.at == at(2026, 9, 11, 20, 0) and not when.has_time


def test_needs_an_aware_now():
    with pytest.raises(ValueError):
        find_when("明天", datetime(2026, 9, 7, 8, 0))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(("text", "value"), [("30", 30), ("三十", 30), ("十二", 12), ("二十五", 25), ("二十一", 21),
                                             ("三十一", 31), ("〇", 0), ("十", 10), ("两", 2), ("二〇二六", 2026)])
def test_cn_number(text, value):
    assert cn_number(text) == value


def test_format_when():
    assert format_when(at(2026, 11, 30, 18, 0)) == "11月30日（周一）18:00"
