"""One duration grammar for config files and chat commands."""

from datetime import time, timedelta

import pytest

from bot.kernel.durations import format_duration_zh, parse_clock, parse_duration, parse_durations


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("30m", 1800), ("3h", 10800), ("7d", 604800), ("2w", 1209600), ("1d12h", 129600), ("3min", 180),
    ("3天", 259200), ("2小时", 7200), ("30分钟", 1800), ("1天3小时", 97200), ("1.5小时", 5400), ("半小时", 1800),
    ("1周", 604800), ("2个小时", 7200), (45, 45), (" 3h ", 10800),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["", "3", "三天", "3x", "h3", "3天后", True, "1d-2h"])
def test_parse_duration_refuses(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_parse_durations_as_teachers_write_them():
    assert parse_durations("1天,3小时") == [timedelta(days=1), timedelta(hours=3)]
    assert parse_durations("24h 2h") == [timedelta(hours=24), timedelta(hours=2)]
    assert parse_durations("1天和2小时、30分钟") == [timedelta(days=1), timedelta(hours=2), timedelta(minutes=30)]


def test_format_duration_zh():
    assert format_duration_zh(timedelta(days=1, hours=3)) == "1天3小时"
    assert format_duration_zh(timedelta(seconds=20)) == "不到1分钟"


def test_parse_clock_refuses_what_yaml_does_to_times():
    assert parse_clock("18:00") == time(18, 0) and parse_clock("7：30") == time(7, 30)
    for bad in (1080, "25:00", "18"):
        with pytest.raises(ValueError):
            parse_clock(bad)
