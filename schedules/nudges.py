"""Automatic nudges before an acknowledgement deadline, and a private summary to the author after it.

Each nudge and summary is claimed in the delivery log (unique key) in the same transaction that queues it, so it
goes out once across crashes and restarts. A nudge missed while the bot was down is sent once, late, if the
deadline has not passed; earlier missed nudges are skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.deliveries import claim
from bot.models import Delivery, Notice
from bot.outbox import PRIORITY_BULK
from bot.quiet import postpone
from bot.texts import notices as texts

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("banzhu.nudges")

_GRACE = timedelta(minutes=5)
MAX_CUSTOM_NUDGES = 5  # later than this is recorded as late


def nudge_plan(app: App, n: Notice) -> list[datetime]:
    """When this notice's nudges are due (quiet hours applied), earliest first, at most max_nudges."""
    if not n.deadline or not n.needs_ack or n.is_fanout:
        return []
    cfg = app.config.notices
    if n.nudge_offsets is not None:  # the teacher's own choice for this notice (催 1天,2小时 / 不催)
        offsets, limit = [timedelta(seconds=s) for s in n.nudge_offsets], MAX_CUSTOM_NUDGES
    else:
        offsets, limit = list(cfg.nudge_before), cfg.max_nudges
    times = sorted({n.deadline - off for off in offsets if n.deadline - off > n.created_at})
    times = [postpone(t, app.config.quiet_hours, app.tz) for t in times]
    return [t for t in times if t < n.deadline][-limit:] if limit else []


def _next(app: App, n: Notice, now: datetime) -> tuple[str, datetime] | None:
    plan = nudge_plan(app, n)
    i = n.nudges_sent
    if i < len(plan):
        return ("nudge", plan[i])
    if n.deadline and not n.summary_sent and n.parent_id is None:
        return ("summary", n.deadline)
    return None


class NudgeJob:
    name = "nudges"

    @staticmethod
    def next_due(app: App, now: datetime) -> datetime | None:
        times = [step[1] for n in app.notices.awaiting_deadline() if (step := _next(app, n, now))]
        return min(times) if times else None

    @staticmethod
    async def tick(app: App, now: datetime) -> None:
        for n in app.notices.awaiting_deadline():
            while (step := _next(app, n, now)) and step[1] <= now:
                kind, due = step
                if kind == "nudge":
                    plan = nudge_plan(app, n)
                    later = [t for t in plan[n.nudges_sent + 1:] if t <= now]
                    skip = bool(later) or now >= (n.deadline or now)
                    _nudge(app, n, due, now, skip=skip)
                    n.nudges_sent += 1
                else:
                    _summary(app, n, now)
                    n.summary_sent = True


def _nudge(app: App, n: Notice, due: datetime, now: datetime, *, skip: bool) -> None:
    st = app.notices.status(n)
    missing = [m.contact_id for m in st.missing]
    key = f"nudge:{n.id}:{n.nudges_sent}"
    with app.db.tx() as s:
        status = "skipped" if skip else ("late" if now - due > _GRACE else "sent")
        claimed = claim(s, Delivery(key=key, kind="nudge", due_at=due, claimed_at=now, status=status,
                                    detail=f"{len(missing)} missing"))
        row = s.get(Notice, n.id)
        if row is not None:
            row.nudges_sent = max(row.nudges_sent, n.nudges_sent + 1)
            s.add(row)
        if claimed and not skip and missing:
            deadline = app.local(n.deadline) if n.deadline else None
            app.outbox.enqueue(text=texts.nudge(n, deadline, len(missing)), room_id=n.room_id, mentions=missing,
                               priority=PRIORITY_BULK, dedupe_key=key, session=s)
    if skip:
        log.info("nudge %s skipped (missed while down, superseded)", key)


def _summary(app: App, n: Notice, now: datetime) -> None:
    key = f"summary:{n.id}"
    if n.is_fanout:
        rows = []
        for child in app.notices.children(n.id or 0):
            st = app.notices.status(child)
            rows.append((child.group_name, st.done, len(st.expected)))
        text = texts.fanout_summary(n, rows)
    else:
        st = app.notices.status(n)
        text = texts.deadline_summary(n, st.done, len(st.expected), st.late, [st.names[m.contact_id] for m in st.missing])
    with app.db.tx() as s:
        claimed = claim(s, Delivery(key=key, kind="summary", due_at=n.deadline or now, claimed_at=now))
        row = s.get(Notice, n.id)
        if row is not None:
            row.summary_sent = True
            s.add(row)
        if claimed:
            app.outbox.enqueue(text=text, contact_id=n.author_id, priority=PRIORITY_BULK, dedupe_key=key, session=s)

