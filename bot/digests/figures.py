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

# Expected acknowledgements: who each notice was posted to (noticemember) and is still in the group, without staff.
EXPECTED = text("""
SELECT n.group_name, COUNT(*)
FROM notice n
JOIN noticemember nm ON nm.notice_id = n.id
JOIN roommember m ON m.room_id = n.room_id AND m.contact_id = nm.contact_id
WHERE m.active = :t AND nm.contact_id NOT IN :staff AND n.needs_ack = :t AND n.is_fanout = :f
  AND n.created_at >= :s AND n.created_at < :e AND n.group_name IN :groups
GROUP BY n.group_name""").bindparams(*_PERIOD, _STAFF, _GROUPS)

# The acknowledgements among those.
ACKS = text("""
SELECT n.group_name, COUNT(*), SUM(CASE WHEN a.late = :t THEN 1 ELSE 0 END)
FROM notice n
JOIN noticemember nm ON nm.notice_id = n.id
JOIN ack a ON a.notice_id = n.id AND a.contact_id = nm.contact_id
JOIN roommember m ON m.room_id = n.room_id AND m.contact_id = nm.contact_id
WHERE m.active = :t AND nm.contact_id NOT IN :staff AND n.needs_ack = :t AND n.is_fanout = :f
  AND n.created_at >= :s AND n.created_at < :e AND n.group_name IN :groups
GROUP BY n.group_name""").bindparams(*_PERIOD, _STAFF, _GROUPS)

# Per member: the period's notices posted to them minus their acknowledgements of those. Aggregating first (then
# joining members) avoids a members x notices cross product.
BEHIND = text("""
WITH nc AS (
  SELECT n.room_id, nm.contact_id, COUNT(*) AS n FROM notice n JOIN noticemember nm ON nm.notice_id = n.id
  WHERE n.needs_ack = :t AND n.is_fanout = :f AND n.created_at >= :s AND n.created_at < :e
    AND n.group_name IN :groups
  GROUP BY n.room_id, nm.contact_id),
ac AS (
  SELECT n.room_id, a.contact_id, COUNT(*) AS k FROM ack a
  JOIN notice n ON n.id = a.notice_id
  JOIN noticemember nm ON nm.notice_id = a.notice_id AND nm.contact_id = a.contact_id
  WHERE n.needs_ack = :t AND n.is_fanout = :f AND n.created_at >= :s AND n.created_at < :e
    AND n.group_name IN :groups
  GROUP BY n.room_id, a.contact_id)
SELECT r.group_name, m.contact_id, nc.n - COALESCE(ac.k, 0) AS missing
FROM roommember m
JOIN room r ON r.room_id = m.room_id
JOIN nc ON nc.room_id = m.room_id AND nc.contact_id = m.contact_id
LEFT JOIN ac ON ac.room_id = m.room_id AND ac.contact_id = m.contact_id
WHERE m.active = :t AND m.contact_id NOT IN :staff AND nc.n - COALESCE(ac.k, 0) >= :behind""").bindparams(
    *_PERIOD, _STAFF, _GROUPS)

REMINDERS = text("""
SELECT d.group_name, d.status, COUNT(*) FROM delivery d
WHERE d.kind = 'reminder' AND d.claimed_at >= :s AND d.claimed_at < :e AND d.group_name IN :groups
GROUP BY d.group_name, d.status""").bindparams(*_PERIOD, _GROUPS)

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
        for g, n in rows(EXPECTED) if acks else ():
            if g in out:
                out[g].expected = n
        for g, n, late in rows(ACKS) if acks else ():
            if g in out:
                out[g].acks, out[g].late = n, int(late or 0)
        if detail and behind:
            for g, cid, missing in rows(BEHIND):
                if g in out:
                    out[g].behind.append((cid, int(missing)))
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
    return Figures(start, end, out, top)


# -- per notice (the web console's trend and a class's notice list) --------------------------------------------------
# The same counting as EXPECTED and ACKS above, per notice instead of per class.
NOTICE_EXPECTED = text("""
SELECT n.id, COUNT(*)
FROM notice n
JOIN noticemember nm ON nm.notice_id = n.id
JOIN roommember m ON m.room_id = n.room_id AND m.contact_id = nm.contact_id
WHERE m.active = :t AND nm.contact_id NOT IN :staff AND n.needs_ack = :t AND n.is_fanout = :f
  AND n.created_at >= :s AND n.created_at < :e AND n.group_name IN :groups
GROUP BY n.id""").bindparams(*_PERIOD, _STAFF, _GROUPS)

NOTICE_ACKS = text("""
SELECT n.id, COUNT(*), SUM(CASE WHEN a.late = :t THEN 1 ELSE 0 END)
FROM notice n
JOIN noticemember nm ON nm.notice_id = n.id
JOIN ack a ON a.notice_id = n.id AND a.contact_id = nm.contact_id
JOIN roommember m ON m.room_id = n.room_id AND m.contact_id = nm.contact_id
WHERE m.active = :t AND nm.contact_id NOT IN :staff AND n.needs_ack = :t AND n.is_fanout = :f
  AND n.created_at >= :s AND n.created_at < :e AND n.group_name IN :groups
GROUP BY n.id""").bindparams(*_PERIOD, _STAFF, _GROUPS)

NOTICE_LIST = text("""
SELECT n.id, n.group_name, n.created_at, n.deadline, n.text, n.author_name FROM notice n
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
    staff = sorted(not_members | {"-"})
    p = {"s": start, "e": end, "t": True, "f": False, "staff": staff, "groups": sorted(wanted) or ["-"]}
    with db.read() as session:
        conn = session.connection()
        expected: dict[int, int] = dict(conn.execute(NOTICE_EXPECTED, p).all())
        acks = {i: (n, int(late or 0)) for i, n, late in conn.execute(NOTICE_ACKS, p).all()}
        notices = conn.execute(NOTICE_LIST, {k: p[k] for k in ("s", "e", "t", "f", "groups")}).all()
    out = []
    for i, group, created, deadline, body, author in notices:
        if group in wanted:
            n, late = acks.get(i, (0, 0))
            out.append(NoticeFigures(i, group, created, deadline, body, author, expected.get(i, 0), n, late))
    return out
