"""Durations and clock times, one grammar for operators and teachers alike.

`parse_duration` reads what config files and chat commands say: `90s`, `30m`, `3h`, `7d`, `2w`, `1d12h`, and the
Chinese 3天, 2小时, 30分钟, 1天3小时, 1.5小时, 半小时, 1周. A bare number means seconds (YAML integers).
"""

from __future__ import annotations

import re
from datetime import time, timedelta

_UNITS = {"s": 1, "秒": 1, "秒钟": 1, "m": 60, "min": 60, "分": 60, "分钟": 60, "h": 3600, "小时": 3600,
          "个小时": 3600, "钟头": 3600, "个钟头": 3600, "d": 86400, "天": 86400, "日": 86400, "w": 7 * 86400,
          "周": 7 * 86400, "星期": 7 * 86400, "个星期": 7 * 86400}
_UNIT = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
_PART = re.compile(rf"(\d+(?:\.\d+)?|半)\s*({_UNIT})")
_LIST_SEP = re.compile(r"\s*[,，、和及]\s*|\s+")


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Parse one duration (`3h`, `1d12h`, `3天`, `1天3小时`, `半小时`); raise ValueError with an example."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    text = str(value).strip().lower().replace(" ", "")
    if not text:
        raise ValueError("empty duration")
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        amount = 0.5 if m.group(1) == "半" else float(m.group(1))
        total += amount * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 10m, 3h, 7d, 3天, 2小时)")
    return timedelta(seconds=total)


def parse_durations(text: str) -> list[timedelta]:
    """A list as teachers write it: `1天,3小时`, `24h 2h`, `1天和2小时`; raise ValueError naming the bad item."""
    items = [t for t in _LIST_SEP.split(text.strip()) if t]
    if not items:
        raise ValueError("empty list of durations")
    return [parse_duration(t) for t in items]


def format_duration_zh(delta: timedelta) -> str:
    """Chinese form for users: `1天3小时`, `30分钟`."""
    secs = int(delta.total_seconds())
    parts = []
    for unit, size in (("天", 86400), ("小时", 3600), ("分钟", 60)):
        if secs >= size:
            parts.append(f"{secs // size}{unit}")
            secs %= size
    return "".join(parts) or "不到1分钟"


def parse_clock(value: str | int) -> time:
    """Parse `18:00` / `7:30`. Integers are refused: they are what YAML 1.1 makes of `18:00`."""
    if not isinstance(value, str):
        raise ValueError(f"write clock times in quotes or as HH:MM, got {value!r}")
    m = re.fullmatch(r"\s*(\d{1,2})[:：](\d{2})\s*", value)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"not a clock time: {value!r} (use HH:MM, e.g. 18:00)")
    return time(int(m.group(1)), int(m.group(2)))
