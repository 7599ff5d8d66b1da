"""Notices and their acknowledgements: publish, fan out, credit 收到, and report who is missing."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot.acks import AckMatch
from bot.config import ClassGroup
from bot.gateways.base import Member
from bot.models import Ack, Notice, NoticeMember, Student
from bot.texts import notices as texts

if TYPE_CHECKING:
    from bot.app import App
    from bot.people import Person

log = logging.getLogger("banzhu.notices")

OPEN_WITHOUT_DEADLINE = timedelta(days=14)  # a notice with no deadline takes acks for two weeks
OPEN_AFTER_DEADLINE = timedelta(days=7)  # late acks are still recorded (as late) for a week
NOTICE_TAG = re.compile(r"【通知\s*#(\d+)】")


@dataclass
class Status:
    notice: Notice
    expected: list[Member]
    acked: dict[str, Ack]
    names: dict[str, str]
    not_in_group: list[Student]

    @property
    def missing(self) -> list[Member]:
        return [m for m in self.expected if m.contact_id not in self.acked]

    @property
    def late(self) -> int:
        return sum(1 for a in self.acked.values() if a.late)

    @property
    def done(self) -> int:
        return sum(1 for m in self.expected if m.contact_id in self.acked)

    @property
    def rate(self) -> float:
        return self.done / len(self.expected) if self.expected else 1.0


class Notices:
    """The notice service. Handlers and jobs call this; it owns the queries."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.db = app.db
        # Hot-path caches (this process is the only writer of notices and acks):
        self._open: dict[str, list[Notice]] = {}  # group -> candidate notices (needs_ack, recent)
        self._acked: dict[int, set[str]] = {}  # notice id -> contact ids that acknowledged
        self._posted_to: dict[int, set[str]] = {}  # notice id -> contact ids expected to acknowledge

    # -- publishing ----------------------------------------------------------------------------------------------
    def publish(self, group: ClassGroup, author: Person, text: str, *, deadline: datetime | None,
                needs_ack: bool = True, parent_id: int | None = None,
                nudges: list[timedelta] | None = None) -> Notice | None:
        """Create a notice in one class group and queue it; None when the group's room is not known yet."""
        room_id = self.app.people.room_of_group(group.name)
        if room_id is None:
            return None
        now = self.app.clock.now()
        present = [m.contact_id for m in self.app.people.members(room_id)]  # read before the write transaction
        with self.db.tx() as s:
            notice = Notice(group_name=group.name, room_id=room_id, author_id=author.contact_id,
                            author_name=author.name, text=text, needs_ack=needs_ack, created_at=now,
                            deadline=deadline, parent_id=parent_id,
                            nudge_offsets=None if nudges is None else [int(d.total_seconds()) for d in nudges])
            s.add(notice)
            s.flush()
            s.add_all(NoticeMember(notice_id=notice.id, contact_id=c) for c in present)
            body = texts.notice(notice, self.app.local(deadline) if deadline else None)
            self.app.outbox.enqueue(text=body, room_id=room_id,
                                    dedupe_key=f"notice:{notice.id}", session=s)
        self._posted_to[notice.id or 0] = set(present)
        self._open.pop(group.name, None)
        return notice

    def fan_out(self, groups: list[ClassGroup], author: Person, text: str, *, deadline: datetime | None,
                needs_ack: bool = True, nudges: list[timedelta] | None = None) -> tuple[Notice, list[Notice], list[str]]:
        """A coordinator's notice copied to many class groups, each tracked on its own and linked to the parent."""
        now = self.app.clock.now()
        with self.db.tx() as s:
            parent = Notice(group_name="(多个班级)", author_id=author.contact_id, author_name=author.name, text=text,
                            needs_ack=needs_ack, created_at=now, deadline=deadline, is_fanout=True)
            s.add(parent)
        children, unbound = [], []
        for g in groups:
            child = self.publish(g, author, text, deadline=deadline, needs_ack=needs_ack, parent_id=parent.id,
                                 nudges=nudges)
            if child:
                children.append(child)
            else:
                unbound.append(g.name)
        return parent, children, unbound

    # -- lookups -------------------------------------------------------------------------------------------------
    def get(self, notice_id: int) -> Notice | None:
        with self.db.tx() as s:
            return s.get(Notice, notice_id)

    def children(self, parent_id: int) -> list[Notice]:
        with self.db.tx() as s:
            return list(s.exec(select(Notice).where(Notice.parent_id == parent_id).order_by(Notice.id)))

    def latest(self, group_name: str) -> Notice | None:
        with self.db.tx() as s:
            return s.exec(select(Notice).where(Notice.group_name == group_name)
                          .order_by(col(Notice.id).desc()).limit(1)).first()

    def is_open(self, n: Notice, now: datetime) -> bool:
        if not n.needs_ack:
            return False
        if n.deadline is None:
            return now - n.created_at <= OPEN_WITHOUT_DEADLINE
        return now <= n.deadline + OPEN_AFTER_DEADLINE

    def open_notices(self, group_name: str, now: datetime) -> list[Notice]:
        rows = self._open.get(group_name)
        if rows is None:
            since = now - max(OPEN_WITHOUT_DEADLINE, OPEN_AFTER_DEADLINE) - timedelta(days=60)
            with self.db.tx() as s:
                rows = list(s.exec(select(Notice).where(Notice.group_name == group_name,
                                                        Notice.needs_ack == True,  # noqa: E712
                                                        Notice.created_at >= since).order_by(Notice.id)))
            self._open[group_name] = rows
        return [n for n in rows if self.is_open(n, now)]

    def awaiting_deadline(self) -> list[Notice]:
        """Notices with a deadline whose nudges or closing summary are still to come."""
        with self.db.tx() as s:
            rows = s.exec(select(Notice).where(Notice.needs_ack == True, Notice.deadline != None,  # noqa: E711,E712
                                               Notice.summary_sent == False)).all()  # noqa: E712
        return list(rows)

    # -- acknowledgements ----------------------------------------------------------------------------------------
    def credit(self, notices: list[Notice], who: Member, name: str, *, at: datetime, via: str, message_id: str,
               text: str) -> list[Notice]:
        """Record one acknowledgement per notice (once: repeats change nothing), in one transaction."""
        fresh = [n for n in notices if n.id is not None and who.contact_id not in self._acked_set(n.id)]
        if not fresh:
            return []
        rows = [{"notice_id": n.id, "contact_id": who.contact_id, "name": name, "at": at,
                 "late": bool(n.deadline and at > n.deadline), "via": via, "message_id": message_id,
                 "text": text[:200]} for n in fresh]
        self.db.insert_ignore(Ack, rows)
        for n in fresh:
            self._acked_set(n.id or 0).add(who.contact_id)
        # Someone who acknowledges has seen the notice, even if the member list did not show them when it was
        # posted (stale lists, a forwarded notice): they count. Rare, so the common path stays one write.
        unseen = [n.id for n in fresh if n.id is not None and who.contact_id not in self._posted_set(n.id)]
        if unseen:
            self.db.insert_ignore(NoticeMember, [{"notice_id": i, "contact_id": who.contact_id} for i in unseen])
            for i in unseen:
                self._posted_set(i).add(who.contact_id)
        return fresh

    def _posted_set(self, notice_id: int) -> set[str]:
        return self._contacts(self._posted_to, NoticeMember, notice_id)

    def _acked_set(self, notice_id: int) -> set[str]:
        return self._contacts(self._acked, Ack, notice_id)

    def _contacts(self, cache: dict[int, set[str]], model: type[Ack] | type[NoticeMember],
                  notice_id: int) -> set[str]:
        """The contact ids of one notice's rows in `model`, read once and then kept up to date in memory."""
        found = cache.get(notice_id)
        if found is None:
            with self.db.tx() as s:
                found = set(s.exec(select(model.contact_id).where(model.notice_id == notice_id)))
            cache[notice_id] = found
        return found

    def acked_ids(self, notice_ids: list[int], contact_id: str) -> set[int]:
        return {i for i in notice_ids if contact_id in self._acked_set(i)}

    def resolve_ack_targets(self, group_name: str, match: AckMatch | None, quoted_number: int | None,
                            contact_id: str, now: datetime) -> list[Notice]:
        """Which notices an acknowledgement credits: the named/quoted one, else every open one not yet acked."""
        number = quoted_number or (match.number if match else None)
        if number is not None:
            n = self.get(number)
            return [n] if n and n.group_name == group_name and n.needs_ack else []
        open_ = self.open_notices(group_name, now)
        # A bare 收到 answers the notices this person was shown; someone on none of their lists (a stale member
        # list) is taken at their word for all of them.
        open_ = [n for n in open_ if contact_id in self._posted_set(n.id or 0)] or open_
        done = self.acked_ids([n.id for n in open_ if n.id], contact_id)
        return [n for n in open_ if n.id not in done]

    # -- status --------------------------------------------------------------------------------------------------
    def status(self, notice: Notice) -> Status:
        """Expected = who was in the group when the notice was posted (or acknowledged it anyway) and still is,
        minus staff and the bot: a newcomer cannot see earlier messages; someone who left cannot answer. Roster
        students not in the group are listed apart."""
        people = self.app.people
        room_members = people.members(notice.room_id) if notice.room_id else []
        staff = people.staff_ids() | {self.app.gateway.self_id}
        with self.db.tx() as s:
            acks = {a.contact_id: a for a in s.exec(select(Ack).where(Ack.notice_id == notice.id))}
        posted_to = self._posted_set(notice.id or 0)
        expected = [m for m in room_members if m.contact_id not in staff and m.contact_id in posted_to]
        names = self.app.roster.display_names(notice.room_id or "", expected)
        present = {m.contact_id for m in expected}
        roster = self.app.roster.students_of(notice.group_name)
        not_in_group = [st for st in roster if not st.contact_id or st.contact_id not in present]
        return Status(notice, expected, acks, names, not_in_group if roster else [])

    def quoted_number(self, quote_text: str | None) -> int | None:
        if not quote_text:
            return None
        m = NOTICE_TAG.search(quote_text)
        return int(m.group(1)) if m else None
