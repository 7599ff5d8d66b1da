"""Durations and clock times as operators write them in YAML: `90s`, `30m`, `3h`, `7d`, `1d12h`, `18:00`."""

from __future__ import annotations

import re
from datetime import time, timedelta

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(min|s|m|h|d|w)")


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Parse `3h`, `30m`, `1d12h`, `45s`; a bare number means seconds."""
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
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text):
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 10m, 3h, 7d)")
    return timedelta(seconds=total)


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
