"""The figures of a digest, aggregated in SQL (one query per figure, not a Python loop over acknowledgements).

Expected acknowledgements are counted as for /统计: per notice, the members who were in the group when it was posted
and still are, minus staff and the bot. The rate of a class is their acknowledgements over that count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text

from bot.config import ClassGroup
from bot.db import Database
from bot.dbtypes import UTCDateTime

BEHIND_AT = 2  # students with this many unacknowledged notices or more are "behind"


@dataclass
class ClassFigures:
    name: str
    point: str
    notices: int = 0
    members: int = 0
    acks: int = 0
    late: int = 0
    behind: list[tuple[str, int]] = field(default_factory=list)  # (contact id, notices missing)
    reminders: dict[str, int] = field(default_factory=dict)  # sent / late / skipped
    questions: int = 0
    not_in_group: int = 0
    expected: int = 0  # acknowledgements expected over the period's notices

    @property
    def rate(self) -> float | None:
        return self.acks / self.expected if self.expected else None


@dataclass
class PointFigures:
    name: str
    classes: list[ClassFigures]

    def total(self, attr: str) -> int:
        return sum(getattr(c, attr) for c in self.classes)

    @property
    def expected(self) -> int:
        return sum(c.expected for c in self.classes)

    @property
    def rate(self) -> float | None:
        return self.total("acks") / self.expected if self.expected else None


@dataclass
class Figures:
    start: datetime
    end: datetime
    classes: dict[str, ClassFigures]
    questions_top: dict[str, list[str]]  # class -> recent unanswered questions
    names: dict[str, str] = field(default_factory=dict)  # contact id -> WeChat name, for the students behind

    def points(self) -> list[PointFigures]:
        by: dict[str, list[ClassFigures]] = {}
        for c in self.classes.values():
            by.setdefault(c.point, []).append(c)
        return [PointFigures(p, cs) for p, cs in by.items()]

    @property
    def rate(self) -> float | None:
        expected = sum(c.expected for c in self.classes.values())
        return sum(c.acks for c in self.classes.values()) / expected if expected else None

    def total(self, attr: str) -> int:
        return sum(getattr(c, attr) for c in self.classes.values())

    def reminders(self, status: str) -> int:
        return sum(c.reminders.get(status, 0) for c in self.classes.values())


_PERIOD = [bindparam("s", type_=UTCDateTime()), bindparam("e", type_=UTCDateTime())]
_STAFF: Any = bindparam("staff", expanding=True)
_GROUPS: Any = bindparam("groups", expanding=True)  # the classes asked about: a class page reads one class's rows

NOTICES = text("""
SELECT n.group_name, COUNT(*) FROM notice n
WHERE n.needs_ack = :t AND n.is_fanout = :f AND n.created_at >= :s AND n.created_at < :e
  AND n.group_name IN :groups
GROUP BY n.group_name""").bindparams(*_PERIOD, _GROUPS)

MEMBERS = text("""
SELECT r.group_name, COUNT(*) FROM roommember m JOIN room r ON r.room_id = m.room_id
WHERE m.active = :t AND r.group_name IN :groups AND m.contact_id NOT IN :staff
GROUP BY r.group_name""").bindparams(_STAFF, _GROUPS)

# Expected and received acknowledgements: the notices' counters (who each was posted to and still is in the
# group, without staff or the bot; their acknowledgements, and the late ones), kept up to date by the notice
# service as people acknowledge, join and leave — as /统计 counts them.
COUNTS = text("""
SELECT n.group_name, SUM(n.expected_count), SUM(n.ack_count), SUM(n.late_count)
FROM notice n
WHERE n.needs_ack = :t AND n.is_fanout = :f AND n.created_at >= :s AND n.created_at < :e
  AND n.group_name IN :groups
GROUP BY n.group_name""").bindparams(*_PERIOD, _GROUPS)

# Per member still in the group: the period's notices posted to them and not acknowledged, through the partial
# index of unacknowledged rows (a few percent of them), so a month of a city is quick.
BEHIND = text("""
SELECT b.group_name, b.contact_id, b.missing, c.name FROM (
SELECT r.group_name, nm.contact_id, COUNT(*) AS missing
FROM notice n
JOIN noticemember nm ON nm.notice_id = n.id AND nm.acked = :f
JOIN roommember m ON m.room_id = n.room_id AND m.contact_id = nm.contact_id AND m.active = :t
JOIN room r ON r.room_id = n.room_id
WHERE n.needs_ack = :t AND n.is_fanout = :f AND n.created_at >= :s AND n.created_at < :e
  AND n.group_name IN :groups AND nm.contact_id NOT IN :staff
GROUP BY r.group_name, nm.contact_id
HAVING COUNT(*) >= :behind) b LEFT JOIN contact c ON c.contact_id = b.contact_id""").bindparams(*_PERIOD, _STAFF,
                                                                                         _GROUPS)

# A reminder counts as sent (on time or 补发) when WeChat took the message that carries it; until then it is
# queued, and failed when the courier gave up. Deliveries from before messages were linked keep their status.
REMINDERS = text("""
SELECT d.group_name,
       CASE WHEN d.status = 'skipped' OR d.outbox_id IS NULL THEN d.status
            WHEN o.status = 'sent' THEN d.status
            WHEN o.status = 'failed' THEN 'failed'
            ELSE 'queued' END AS st,
       COUNT(*)
FROM delivery d LEFT JOIN outboxitem o ON o.id = d.outbox_id
WHERE d.kind = 'reminder' AND d.claimed_at >= :s AND d.claimed_at < :e AND d.group_name IN :groups
GROUP BY 1, 2""").bindparams(*_PERIOD, _GROUPS)

QUESTIONS = text("""
SELECT q.group_name, COUNT(*) FROM question q WHERE q.at >= :s AND q.at < :e AND q.group_name IN :groups
GROUP BY q.group_name""").bindparams(*_PERIOD, _GROUPS)

# Examples for the digest: only questions asked in a group; a private question is counted, never quoted.
RECENT_QUESTIONS = text("""
SELECT q.group_name, q.text FROM question q WHERE q.at >= :s AND q.at < :e AND q.in_private = :f
  AND q.group_name IN :groups
ORDER BY q.at DESC LIMIT 200""").bindparams(*_PERIOD, _GROUPS)

NOT_IN_GROUP = text("""
SELECT s.class_name, COUNT(*) FROM student s
WHERE s.class_name IN :groups AND (s.contact_id IS NULL OR NOT EXISTS (
  SELECT 1 FROM roommember m JOIN room r ON r.room_id = m.room_id
  WHERE m.contact_id = s.contact_id AND m.active = :t AND r.group_name = s.class_name))
GROUP BY s.class_name""").bindparams(_GROUPS)


def compute(db: Database, groups: list[ClassGroup], not_members: set[str], start: datetime, end: datetime,
            detail: bool = True, behind: bool = True, behind_at: int = BEHIND_AT, acks: bool = True) -> Figures:
    """Figures for [start, end) for the given class groups; `not_members` (staff, the bot) never count. Without
    `behind`, the students behind are not listed (the costliest query; the web overview does not show them);
    without `acks`, notices and acknowledgements are left at zero for the caller to fill (from `per_notice`)."""
    out = {c.name: ClassFigures(c.name, c.point) for c in groups}
    staff = sorted(not_members | {"-"})
    p = {"s": start, "e": end, "t": True, "f": False, "staff": staff, "behind": behind_at,
         "groups": sorted(out) or ["-"]}
    top: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    with db.read() as session:
        conn = session.connection()

        def rows(q: Any) -> Any:
            return conn.execute(q, {k: v for k, v in p.items() if f":{k}" in q.text}).all()

        for g, n in rows(MEMBERS):
            if g in out:
                out[g].members = n
        for g, n in rows(NOTICES) if acks else ():
            if g in out:
                out[g].notices = n
        for g, expected, n, late in rows(COUNTS) if acks else ():
            if g in out:
                out[g].expected, out[g].acks, out[g].late = int(expected or 0), int(n or 0), int(late or 0)
        if detail and behind:
            for g, cid, missing, name in rows(BEHIND):
                if g in out:
                    out[g].behind.append((cid, int(missing)))
                    if name:
                        names[cid] = name
            for g, status, n in rows(REMINDERS):
                if g in out:
                    out[g].reminders[status] = n
            for g, n in rows(QUESTIONS):
                if g in out:
                    out[g].questions = n
            for g, t in rows(RECENT_QUESTIONS):
                if g in out and len(top.setdefault(g, [])) < 3:
                    top[g].append(t)
            for g, n in rows(NOT_IN_GROUP):
                if g in out:
                    out[g].not_in_group = n
    for c in out.values():
        c.behind.sort(key=lambda x: -x[1])
    return Figures(start, end, out, top, names)


# -- per notice (the web console's trend and a class's notice list) --------------------------------------------------
# The same counting as COUNTS above, per notice instead of per class: the notices' own counters.
NOTICE_LIST = text("""
SELECT n.id, n.group_name, n.created_at, n.deadline, n.text, n.author_name, n.expected_count, n.ack_count,
       n.late_count FROM notice n
WHERE n.needs_ack = :t AND n.is_fanout = :f AND n.created_at >= :s AND n.created_at < :e
  AND n.group_name IN :groups
ORDER BY n.created_at""").bindparams(*_PERIOD, _GROUPS).columns(created_at=UTCDateTime(), deadline=UTCDateTime())


@dataclass(frozen=True)
class NoticeFigures:
    """One notice's acknowledgements, counted as for /统计 and the digests."""

    id: int
    group: str
    created_at: datetime
    deadline: datetime | None
    text: str
    author: str
    expected: int
    acks: int
    late: int

    @property
    def rate(self) -> float | None:
        return self.acks / self.expected if self.expected else None


def per_notice(db: Database, groups: list[ClassGroup], not_members: set[str], start: datetime,
               end: datetime) -> list[NoticeFigures]:
    """Every acknowledgement-needing notice of these classes posted in [start, end), oldest first."""
    wanted = {g.name for g in groups}
    p = {"s": start, "e": end, "t": True, "f": False, "groups": sorted(wanted) or ["-"]}
    with db.read() as session:
        notices = session.connection().execute(NOTICE_LIST, p).all()
    return [NoticeFigures(i, group, created, deadline, body, author, expected, n, late)
            for i, group, created, deadline, body, author, expected, n, late in notices if group in wanted]
