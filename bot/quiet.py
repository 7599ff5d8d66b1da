"""Quiet hours: no reminders or nudges at night. Pure functions over local times."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import QuietHours


def in_quiet(local: datetime, qh: QuietHours | None) -> bool:
    if qh is None:
        return False
    t = local.time()
    if qh.start <= qh.end:
        return qh.start <= t < qh.end
    return t >= qh.start or t < qh.end  # spans midnight


def quiet_end(local: datetime, qh: QuietHours) -> datetime:
    """The end of the quiet period that contains `local`."""
    end = datetime.combine(local.date(), qh.end, tzinfo=local.tzinfo)
    if end <= local:
        end += timedelta(days=1)
    return end


def quiet_start_before(local: datetime, qh: QuietHours) -> datetime:
    """A moment just before the quiet period that contains `local` began."""
    start = datetime.combine(local.date(), qh.start, tzinfo=local.tzinfo)
    if start > local:
        start -= timedelta(days=1)
    return start - timedelta(seconds=1)


def postpone(when: datetime, qh: QuietHours | None, tz: ZoneInfo) -> datetime:
    """`when`, or the end of quiet hours when it falls inside them."""
    local = when.astimezone(tz)
    if not in_quiet(local, qh):
        return when
    assert qh is not None
    return quiet_end(local, qh).astimezone(when.tzinfo)


__all__ = ["in_quiet", "postpone", "quiet_end", "quiet_start_before", "time"]
