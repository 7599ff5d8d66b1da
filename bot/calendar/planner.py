"""The pure reminder planner: calendar events -> due deliveries (event, offset, group, due time) -> messages.

No clock, no database: give it events, groups and a time window; it returns what should be sent when. Quiet
hours postpone a reminder to the end of the quiet time, unless that is after the event (then it keeps its time).
No message is released inside quiet hours unless its own due time is inside them.
Reminders for one group due within MERGE_WINDOW are merged into one message. Because the outbox paces every send,
a fan-out to hundreds of groups is released early: each message gets a release time, worked backwards from the
due times, so that the last group still hears at its due time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.events import Event, Offset
from bot.config import ClassGroup, QuietHours
from bot.quiet import in_quiet, postpone, quiet_start_before

MERGE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Due:
    key: str  # the delivery log's unique key: sent once, ever
    event: Event  # one occurrence
    offset: Offset
    group: str
    planned: datetime  # anchor minus offset
    due: datetime  # after quiet hours


@dataclass(frozen=True)
class Batch:
    """One message to one group: reminders due close together."""

    group: str
    items: tuple[Due, ...]
    release: datetime  # when to queue it, so that pacing still delivers it by `due`

    @property
    def due(self) -> datetime:
        return min(d.due for d in self.items)


def due_items(events: list[Event], groups: list[ClassGroup], start: datetime, end: datetime,
              quiet: QuietHours | None, tz: ZoneInfo) -> list[Due]:
    """Every reminder whose planned time falls in [start, end]."""
    out: list[Due] = []
    longest = timedelta(days=8)
    for ev in events:
        targets = [g.name for g in groups if ev.targets.matches(g)]
        if not targets:
            continue
        for occ in ev.occurrences(start - longest, end + longest):
            for off in occ.reminders():
                anchor = occ.anchor(off.anchor)
                if anchor is None:
                    continue
                planned = anchor - off.before
                if not start <= planned <= end:
                    continue
                due = postpone(planned, quiet, tz)
                if due > occ.when:
                    due = planned  # postponing past the event would make the reminder useless
                stamp = f"{occ.when.astimezone(tz):%Y%m%d%H%M}"
                for g in targets:
                    out.append(Due(f"rem:{occ.id}:{stamp}:{off.label}:{g}", occ, off, g, planned, due))
    out.sort(key=lambda d: (d.due, d.group, d.key))
    return out


def batches(items: list[Due], gap: timedelta, quiet: QuietHours | None, tz: ZoneInfo) -> list[Batch]:
    """Merge per group, then give each message a release time so that paced sends finish by their due times."""
    merged: list[list[Due]] = []
    open_by_group: dict[str, list[Due]] = {}
    for d in items:
        current = open_by_group.get(d.group)
        if current and d.due - current[0].due <= MERGE_WINDOW:
            current.append(d)
        else:
            current = [d]
            open_by_group[d.group] = current
            merged.append(current)
    merged.sort(key=lambda b: (b[0].due, b[0].group))
    releases: list[datetime] = [b[0].due for b in merged]
    # Backwards: each message must be released one pacing gap before the next one's release. Quiet hours are no
    # time to send in: a fan-out that cannot fit after them starts before they began (the evening before).
    for i in range(len(merged) - 1, -1, -1):
        if i < len(merged) - 1:
            releases[i] = min(releases[i], releases[i + 1] - gap)
        if quiet is not None and in_quiet(releases[i].astimezone(tz), quiet) \
                and not in_quiet(merged[i][0].due.astimezone(tz), quiet):
            releases[i] = quiet_start_before(releases[i].astimezone(tz), quiet).astimezone(releases[i].tzinfo)
    out = [Batch(b[0].group, tuple(b), rel) for b, rel in zip(merged, releases, strict=True)]
    out.sort(key=lambda b: (b.release, b.group))
    return out
