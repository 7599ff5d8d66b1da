"""The notice service: publish and fan out, credit acknowledgements, nudge, summarise, export. Handlers and jobs
call this; it owns the queries and the rules (who is expected, when nudges are due, who may see what)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col, select

from bot import revisions
from bot.clock import Clock
from bot.config import ClassGroup, Config, CoordinatorGroup
from bot.db import Database
from bot.deliveries import claim
from bot.gateways.base import Member
from bot.kernel.enums import DeliveryStatus
from bot.models import Ack, Delivery, Notice, NoticeMember, RoomMember
from bot.notices.acks import AckMatch, solitaire_names
from bot.notices.values import ClassRow, FannedOut, NoticeError, Published, Status
from bot.outbox import PRIORITY_BULK, Outbox
from bot.people import People, Person, Role
from bot.quiet import postpone
from bot.revisions import Cached, Watcher
from bot.roster import Roster
from bot.texts import notices as texts

log = logging.getLogger("banzhu.notices")

OPEN_WITHOUT_DEADLINE = timedelta(days=14)  # a notice with no deadline takes acks for two weeks
OPEN_AFTER_DEADLINE = timedelta(days=7)  # late acks are still recorded (as late) for a week
NOTICE_TAG = re.compile(r"【通知\s*#(\d+)】")
MAX_CUSTOM_NUDGES = 5
NUDGE_GRACE = timedelta(minutes=5)  # a nudge sent later than this after its time is logged as late
NOTICE, COLLECTION = "notice", "collection"  # Notice.kind


class Notices:
    """Notices and their acknowledgements."""

    def __init__(self, db: Database, clock: Clock, config: Config, people: People, roster: Roster,
                 outbox: Outbox) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.people = people
        self.roster = roster
        self.outbox = outbox
        # Hot-path caches (this process is the only writer of its groups' notices and acks):
        self._open: dict[str, list[Notice]] = {}  # group -> candidate notices (needs_ack, recent)
        self._acked: dict[int, set[str]] = {}  # notice id -> contact ids that acknowledged
        self._posted_to: dict[int, set[str]] = {}  # notice id -> contact ids expected to acknowledge
        self._lock = threading.RLock()
        # When the next nudge or summary is due: kept until a notice is published (here or, through the
        # "notices" revision, by another process) or nudges are sent.
        self._next_due = Cached(self._compute_next_nudge_due, Watcher(db, clock, "notices"))

    def invalidate_caches(self) -> None:
        with self._lock:
            self._open.clear()
            self._acked.clear()
            self._posted_to.clear()
        self._next_due.invalidate()

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.config.tz)

    # -- publishing ----------------------------------------------------------------------------------------------
    def max_body(self) -> int:
        """The longest notice text that still goes out as one message with its header and footer."""
        return self.outbox.max_text - 80

    def publish(self, group: ClassGroup, author: Person, text: str, *, deadline: datetime | None,
                needs_ack: bool = True, parent_id: int | None = None,
                nudges: list[timedelta] | None = None, kind: str = NOTICE) -> Notice:
        """Create a notice in one class group and queue it; NoticeError('room unknown') when the room is not
        known yet. A collection (kind "collection", /收集) is a notice answered by sending a file: it is counted,
        nudged and summarised like any other, but 收到 does not answer it (bot/collect.py credits the files)."""
        room_id = self.people.room_of_group(group.name)
        if room_id is None:
            raise NoticeError("room unknown", group=group.name)
        now = self.clock.now()
        present = [m.contact_id for m in self.people.members(room_id)]
        not_members = self.people.not_members()
        with self.db.tx() as s:
            notice = Notice(group_name=group.name, room_id=room_id, author_id=author.contact_id,
                            author_name=author.name, text=text, needs_ack=needs_ack, created_at=now,
                            deadline=deadline, parent_id=parent_id, kind=kind,
                            nudge_offsets=None if nudges is None else [int(d.total_seconds()) for d in nudges],
                            expected_count=sum(1 for c in present if c not in not_members))
            s.add(notice)
            s.flush()
            assert notice.id is not None
            s.add_all(NoticeMember(notice_id=notice.id, contact_id=c) for c in present)
            body = texts.notice(notice, self.local(deadline) if deadline else None)
            self.outbox.enqueue(text=body, room_id=room_id, dedupe_key=f"notice:{notice.id}")
        with self._lock:
            self._posted_to[notice.id or 0] = set(present)
            self._open.pop(group.name, None)
        if notice.deadline is not None:
            revisions.bump(self.db, "notices")
            self._next_due.invalidate()
        self.db.on_rollback(self.invalidate_caches)
        return notice

    def publish_here(self, group: ClassGroup, author: Person, text: str, *, deadline: datetime | None,
                     needs_ack: bool, nudges: list[timedelta] | None, kind: str = NOTICE) -> Published:
        """A teacher's notice in their class group: publish, and say how many must confirm and when nudges go."""
        self._check_length(text)
        notice = self.publish(group, author, text, deadline=deadline, needs_ack=needs_ack, nudges=nudges, kind=kind)
        expected = len(self.status(notice).expected)
        return Published(notice, expected, [self.local(t) for t in self.nudge_plan(notice)])

    def _check_length(self, text: str) -> None:
        if len(text) > self.max_body():
            raise NoticeError("too long", length=len(text), limit=self.max_body())

    def targets(self, sender: Person, group: CoordinatorGroup, kind: str, names: list[str]) -> list[ClassGroup]:
        """The classes a coordinator's fan-out reaches: all / 教学点 / 班级, within both the group's points and the
        sender's own classes."""
        allowed_points = None if group.points == "all" else set(group.points)
        in_scope = [c for c in self.config.groups.classes if c.name in sender.classes
                    and (allowed_points is None or c.point in allowed_points)]
        if kind == "all":
            return in_scope
        if kind == "points":
            return [c for c in in_scope if c.point in names]
        return [c for c in in_scope if c.name in names]

    def fan_out(self, groups: list[ClassGroup], author: Person, text: str, *, deadline: datetime | None,
                needs_ack: bool = True, nudges: list[timedelta] | None = None, kind: str = NOTICE) -> FannedOut:
        """A coordinator's notice copied to many class groups, each tracked on its own and linked to the parent."""
        self._check_length(text)
        now = self.clock.now()
        with self.db.tx() as s:
            parent = Notice(group_name="(多个班级)", author_id=author.contact_id, author_name=author.name, text=text,
                            needs_ack=needs_ack, created_at=now, deadline=deadline, is_fanout=True, kind=kind)
            s.add(parent)
            s.flush()
            children, unbound = [], []
            for g in groups:
                try:
                    children.append(self.publish(g, author, text, deadline=deadline, needs_ack=needs_ack,
                                                 parent_id=parent.id, nudges=nudges, kind=kind))
                except NoticeError:
                    unbound.append(g.name)
        return FannedOut(parent, children, unbound)

    # -- lookups -------------------------------------------------------------------------------------------------
    def get(self, notice_id: int) -> Notice | None:
        with self.db.tx() as s:
            return s.get(Notice, notice_id)

    def children(self, parent_id: int) -> list[Notice]:
        with self.db.tx() as s:
            return list(s.exec(select(Notice).where(Notice.parent_id == parent_id).order_by(col(Notice.id))))

    def latest(self, group_name: str) -> Notice | None:
        with self.db.tx() as s:
            return s.exec(select(Notice).where(Notice.group_name == group_name)
                          .order_by(col(Notice.id).desc()).limit(1)).first()

    def pick(self, sender: Person, number: int | None, class_group: ClassGroup | None) -> Notice:
        """The notice a status command is about: #N, or the latest of this class group; checks the sender may see
        it. NoticeError('not found' | 'no notice' | 'need number' | 'not yours')."""
        if number is not None:
            n = self.get(number)
            if n is None:
                raise NoticeError("not found", n=number)
        elif class_group is not None:
            found = self.latest(class_group.name)
            if found is None:
                raise NoticeError("no notice")
            n = found
        else:
            raise NoticeError("need number")
        mine = (n.group_name in sender.classes if not n.is_fanout
                else n.author_id == sender.contact_id or sender.role == Role.ADMIN)
        if not mine:
            raise NoticeError("not yours")
        return n

    @staticmethod
    def is_open(n: Notice, now: datetime) -> bool:
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
                                                        Notice.created_at >= since).order_by(col(Notice.id))))
            with self._lock:
                self._open[group_name] = rows
        return [n for n in rows if self.is_open(n, now)]

    def open_to(self, group_name: str, contact_id: str, now: datetime, kind: str) -> list[Notice]:
        """Open notices of `kind` in a class group that were posted to this contact, oldest first — or, for
        someone on none of their lists (a stale member list), all of them, as a bare 收到 is credited."""
        open_ = [n for n in self.open_notices(group_name, now) if n.kind == kind]
        return [n for n in open_ if contact_id in self._posted_set(n.id or 0)] or open_

    def has_acknowledged(self, notice: Notice, contact_id: str) -> bool:
        return contact_id in self._acked_set(notice.id or 0)

    @staticmethod
    def closes_at(n: Notice) -> datetime:
        """When a notice stops taking acknowledgements (see is_open)."""
        return n.deadline + OPEN_AFTER_DEADLINE if n.deadline else n.created_at + OPEN_WITHOUT_DEADLINE

    def awaiting_deadline(self) -> list[Notice]:
        """Notices with a deadline whose nudges or closing summary are still to come."""
        with self.db.tx() as s:
            rows = s.exec(select(Notice).where(Notice.needs_ack == True, Notice.deadline != None,  # noqa: E711,E712
                                               Notice.summary_sent == False)).all()  # noqa: E712
        return list(rows)

    @staticmethod
    def quoted_number(quote_text: str | None) -> int | None:
        if not quote_text:
            return None
        m = NOTICE_TAG.search(quote_text)
        return int(m.group(1)) if m else None

    def member_history(self, group_name: str, contact_id: str, limit: int = 100) -> list[tuple[Notice, Ack | None]]:
        """A student's notices in one class (those posted to them, or that they acknowledged), newest first, with
        their acknowledgement if any."""
        with self.db.read() as s:
            posted = select(NoticeMember.notice_id).where(NoticeMember.contact_id == contact_id)
            acked = select(Ack.notice_id).where(Ack.contact_id == contact_id)
            notices = list(s.exec(select(Notice).where(
                Notice.group_name == group_name, Notice.needs_ack == True,  # noqa: E712
                col(Notice.id).in_(posted) | col(Notice.id).in_(acked))
                .order_by(col(Notice.id).desc()).limit(limit)))
            acks = {a.notice_id: a for a in s.exec(select(Ack).where(
                Ack.contact_id == contact_id, col(Ack.notice_id).in_([n.id for n in notices] or [-1])))}
        return [(n, acks.get(n.id or 0)) for n in notices]

    # -- acknowledgements ----------------------------------------------------------------------------------------
    def credit(self, notices: list[Notice], who: Member, name: str, *, at: datetime, via: str, message_id: str,
               text: str) -> list[Notice]:
        """Record one acknowledgement per notice (once: repeats change nothing)."""
        fresh = [n for n in notices if n.id is not None and who.contact_id not in self._acked_set(n.id)]
        if not fresh:
            return []
        rows = [{"notice_id": n.id, "contact_id": who.contact_id, "name": name, "at": at,
                 "late": bool(n.deadline and at > n.deadline), "via": via, "message_id": message_id,
                 "text": text[:200]} for n in fresh]
        self.db.insert_ignore(Ack, rows)
        with self._lock:
            for n in fresh:
                self._acked_set(n.id or 0).add(who.contact_id)
        self.db.on_rollback(self.invalidate_caches)
        # Someone who acknowledges has seen the notice, even if the member list did not show them when it was
        # posted (stale lists, a forwarded notice): they count, and are expected from now on.
        unseen = [n.id for n in fresh if n.id is not None and who.contact_id not in self._posted_set(n.id)]
        if unseen:
            self.db.insert_ignore(NoticeMember, [{"notice_id": i, "contact_id": who.contact_id} for i in unseen])
            with self._lock:
                for i in unseen:
                    self._posted_set(i).add(who.contact_id)
        with self.db.tx() as s:  # the counters digests sum
            conn = s.connection()
            conn.execute(update(NoticeMember).where(col(NoticeMember.contact_id) == who.contact_id,
                                                    col(NoticeMember.notice_id).in_([n.id for n in fresh]))
                         .values(acked=True))
            for n in fresh:
                late = bool(n.deadline and at > n.deadline)
                conn.execute(update(Notice).where(col(Notice.id) == n.id).values(
                    ack_count=col(Notice.ack_count) + 1, late_count=col(Notice.late_count) + int(late),
                    expected_count=col(Notice.expected_count) + int(n.id in unseen)))
        return fresh

    def members_changed(self, room_id: str, joined: list[str], left: list[str]) -> None:
        """Someone left a group (or came back): the notices posted to them stop (or start again) expecting them,
        and their acknowledgements stop (start again) counting — as /统计 counts."""
        staff = self.people.not_members()
        with self.db.tx() as s:
            conn = s.connection()
            for contact_id, step in [*((c, -1) for c in left if c not in staff), *((c, 1) for c in joined
                                                                                  if c not in staff)]:
                theirs = select(NoticeMember.notice_id).where(NoticeMember.contact_id == contact_id)
                acked = theirs.where(NoticeMember.acked == True)  # noqa: E712
                late = select(Ack.notice_id).where(Ack.contact_id == contact_id, Ack.late == True)  # noqa: E712
                mine = [col(Notice.room_id) == room_id, col(Notice.is_fanout) == False]  # noqa: E712
                conn.execute(update(Notice).where(*mine, col(Notice.id).in_(theirs))
                             .values(expected_count=col(Notice.expected_count) + step))
                conn.execute(update(Notice).where(*mine, col(Notice.id).in_(acked))
                             .values(ack_count=col(Notice.ack_count) + step))
                conn.execute(update(Notice).where(*mine, col(Notice.id).in_(acked), col(Notice.id).in_(late))
                             .values(late_count=col(Notice.late_count) + step))

    def relinked(self, old: str, new: str) -> None:
        """A person's contact id changed (a re-login): their notices and acknowledgements follow them, and the
        counters of those notices are counted again."""
        from sqlalchemy import delete

        with self.db.tx() as s:
            conn = s.connection()
            mine = set(s.exec(select(NoticeMember.notice_id).where(NoticeMember.contact_id == new)))
            conn.execute(delete(NoticeMember).where(col(NoticeMember.contact_id) == old,
                                                    col(NoticeMember.notice_id).in_(mine)))
            conn.execute(update(NoticeMember).where(col(NoticeMember.contact_id) == old).values(contact_id=new))
            acked = set(s.exec(select(Ack.notice_id).where(Ack.contact_id == new)))
            conn.execute(delete(Ack).where(col(Ack.contact_id) == old, col(Ack.notice_id).in_(acked)))
            conn.execute(update(Ack).where(col(Ack.contact_id) == old).values(contact_id=new))
            touched = set(s.exec(select(NoticeMember.notice_id).where(NoticeMember.contact_id == new)))
            self.recount(sorted(touched))
        self.invalidate_caches()
        self.db.on_rollback(self.invalidate_caches)

    def recount(self, notice_ids: list[int]) -> None:
        """Count these notices' expected, acknowledged and late members again from their rows."""
        if not notice_ids:
            return
        skip = sorted(self.people.not_members() | {"-"})
        with self.db.tx() as s:
            for n in s.exec(select(Notice).where(col(Notice.id).in_(notice_ids), Notice.is_fanout == False)).all():  # noqa: E712
                live = [r for r in s.exec(select(NoticeMember).join(
                    RoomMember, (col(RoomMember.contact_id) == col(NoticeMember.contact_id))
                    & (col(RoomMember.room_id) == (n.room_id or "")))
                    .where(NoticeMember.notice_id == n.id, RoomMember.active == True,  # noqa: E712
                           col(NoticeMember.contact_id).not_in(skip))).all()]
                late = set(s.exec(select(Ack.contact_id).where(Ack.notice_id == n.id, Ack.late == True)))  # noqa: E712
                n.expected_count = len(live)
                n.ack_count = sum(1 for r in live if r.acked)
                n.late_count = sum(1 for r in live if r.acked and r.contact_id in late)
                s.add(n)

    def acknowledge(self, group_name: str, room_id: str, who: Member, match: AckMatch, *, quoted: int | None,
                    at: datetime, message_id: str, text: str) -> list[Notice]:
        """A student's 收到 (bare, numbered or quoting): credit the notices it answers."""
        targets = self.resolve_ack_targets(group_name, match, quoted, who.contact_id, at)
        if not targets:
            return []
        name = self.roster.display_names(room_id, [who])[who.contact_id]
        via = "quote" if quoted else ("number" if match.number else "reply")
        return self.credit(targets, who, name, at=at, via=via, message_id=message_id, text=text)

    def acknowledge_solitaire(self, group_name: str, room_id: str, sender: Member, text: str, *, at: datetime,
                              message_id: str) -> int:
        """接龙: credit the sender, and every listed name that matches exactly one member of this room, on the
        latest open notice. Returns how many were credited."""
        open_ = [n for n in self.open_notices(group_name, at) if n.kind != COLLECTION]
        if not open_:
            return 0
        target = [open_[-1]]
        members = self.people.members(room_id)
        names = self.roster.display_names(room_id, [*members, sender])
        by_name: dict[str, list[Member]] = {}
        for m in members:
            for key in {names[m.contact_id], m.name, m.alias}:
                if key:
                    by_name.setdefault(key, []).append(m)
        credited = {sender.contact_id}
        count = len(self.credit(target, sender, names[sender.contact_id], at=at, via="solitaire",
                                message_id=message_id, text=text))
        staff = self.people.not_members()
        for entry in solitaire_names(text):
            found = by_name.get(entry) or by_name.get(re.sub(r"\d+", "", entry).strip("-_ "))
            if found and len(found) == 1 and found[0].contact_id not in credited | staff:
                m = found[0]
                credited.add(m.contact_id)
                count += len(self.credit(target, m, names[m.contact_id], at=at, via="solitaire",
                                         message_id=message_id, text=entry))
        return count

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
            with self._lock:
                found = cache.setdefault(notice_id, found)
        return found

    def resolve_ack_targets(self, group_name: str, match: AckMatch | None, quoted_number: int | None,
                            contact_id: str, now: datetime) -> list[Notice]:
        """Which notices an acknowledgement credits: the named/quoted one, else every open one not yet acked."""
        number = quoted_number or (match.number if match else None)
        if number is not None:
            n = self.get(number)
            return [n] if n and n.group_name == group_name and n.needs_ack and n.kind != COLLECTION else []
        open_ = [n for n in self.open_notices(group_name, now) if n.kind != COLLECTION]  # a file answers those
        # A bare 收到 answers the notices this person was shown; someone on none of their lists (a stale member
        # list) is taken at their word for all of them.
        open_ = [n for n in open_ if contact_id in self._posted_set(n.id or 0)] or open_
        return [n for n in open_ if n.id is not None and contact_id not in self._acked_set(n.id)]

    # -- status --------------------------------------------------------------------------------------------------
    def status(self, notice: Notice) -> Status:
        """Expected = who was in the group when the notice was posted (or acknowledged it anyway) and still is,
        minus staff and the bot: a newcomer cannot see earlier messages; someone who left cannot answer. Roster
        students not in the group are listed apart."""
        room_members = self.people.members(notice.room_id) if notice.room_id else []
        staff = self.people.not_members()
        with self.db.tx() as s:
            acks = {a.contact_id: a for a in s.exec(select(Ack).where(Ack.notice_id == notice.id))}
        posted_to = self._posted_set(notice.id or 0)
        expected = [m for m in room_members if m.contact_id not in staff and m.contact_id in posted_to]
        names = self.roster.display_names(notice.room_id or "", expected)
        present = {m.contact_id for m in expected}
        roster = self.roster.students_of(notice.group_name)
        not_in_group = [st for st in roster if not st.contact_id or st.contact_id not in present]
        return Status(notice, expected, acks, names, not_in_group if roster else [])

    def class_rows(self, parent: Notice) -> list[ClassRow]:
        """Per class of a fan-out: acknowledged / expected."""
        rows = []
        for child in self.children(parent.id or 0):
            st = self.status(child)
            rows.append(ClassRow(child.group_name, st.done, len(st.expected)))
        return rows

    # -- nudges --------------------------------------------------------------------------------------------------
    def nudge_now(self, notice: Notice) -> int:
        """/催: one message @-mentioning everyone missing (split at the mention limit); returns how many.
        NoticeError('fan-out') for a coordinator's parent notice."""
        if notice.is_fanout:
            raise NoticeError("fan-out")
        st = self.status(notice)
        if st.missing and notice.room_id:
            deadline = self.local(notice.deadline) if notice.deadline else None
            self.outbox.enqueue(text=texts.nudge(notice, deadline, len(st.missing)), room_id=notice.room_id,
                                mentions=[m.contact_id for m in st.missing])
        return len(st.missing)

    def nudge_plan(self, n: Notice) -> list[datetime]:
        """When this notice's nudges are due (quiet hours applied), earliest first, at most max_nudges."""
        if not n.deadline or not n.needs_ack or n.is_fanout:
            return []
        cfg = self.config.notices
        if n.nudge_offsets is not None:  # the teacher's own choice for this notice (催 1天,2小时 / 不催)
            offsets, limit = [timedelta(seconds=s) for s in n.nudge_offsets], MAX_CUSTOM_NUDGES
        else:
            offsets, limit = list(cfg.nudge_before), cfg.max_nudges
        times = sorted({n.deadline - off for off in offsets if n.deadline - off > n.created_at})
        times = [postpone(t, self.config.quiet_hours, self.config.tz) for t in times]
        return [t for t in times if t < n.deadline][-limit:] if limit else []

    def _next_step(self, n: Notice) -> tuple[str, datetime] | None:
        plan = self.nudge_plan(n)
        if n.nudges_sent < len(plan):
            return ("nudge", plan[n.nudges_sent])
        if n.deadline and not n.summary_sent and n.parent_id is None:
            return ("summary", n.deadline)
        return None

    def next_nudge_due(self) -> datetime | None:
        """When the next automatic nudge or deadline summary is due."""
        return self._next_due.get()

    def _compute_next_nudge_due(self) -> datetime | None:
        times = [step[1] for n in self.awaiting_deadline() if (step := self._next_step(n))]
        return min(times) if times else None

    def send_due_nudges(self, now: datetime) -> None:
        """Send every nudge and summary due by `now`, each once (the delivery log decides). A nudge missed while
        the bot was down is sent once, late, if the deadline has not passed; earlier missed ones are skipped."""
        self._next_due.invalidate()
        for n in self.awaiting_deadline():
            while (step := self._next_step(n)) and step[1] <= now:
                kind, due = step
                if kind == "nudge":
                    plan = self.nudge_plan(n)
                    later = [t for t in plan[n.nudges_sent + 1:] if t <= now]
                    self._auto_nudge(n, due, now, skip=bool(later) or now >= (n.deadline or now))
                    n.nudges_sent += 1
                else:
                    self._summary(n, now)
                    n.summary_sent = True

    def _auto_nudge(self, n: Notice, due: datetime, now: datetime, *, skip: bool) -> None:
        missing = [m.contact_id for m in self.status(n).missing]
        key = f"nudge:{n.id}:{n.nudges_sent}"
        status = DeliveryStatus.SKIPPED if skip else (
            DeliveryStatus.LATE if now - due > NUDGE_GRACE else DeliveryStatus.SENT)
        with self.db.tx() as s:
            claimed = claim(s, Delivery(key=key, kind="nudge", due_at=due, claimed_at=now, status=status,
                                        detail=f"{len(missing)} missing"))
            row = s.get(Notice, n.id)
            if row is not None:
                row.nudges_sent = max(row.nudges_sent, n.nudges_sent + 1)
                s.add(row)
            if claimed and not skip and missing and n.room_id:
                deadline = self.local(n.deadline) if n.deadline else None
                self.outbox.enqueue(text=texts.nudge(n, deadline, len(missing)), room_id=n.room_id,
                                    mentions=missing, priority=PRIORITY_BULK, dedupe_key=key)
        if skip:
            log.info("nudge %s skipped (missed while down, superseded)", key)

    def _summary(self, n: Notice, now: datetime) -> None:
        key = f"summary:{n.id}"
        if n.is_fanout:
            text = texts.fanout_summary(n, self.class_rows(n))
        else:
            st = self.status(n)
            text = texts.deadline_summary(n, st.done, len(st.expected), st.late, st.missing_names)
        with self.db.tx() as s:
            claimed = claim(s, Delivery(key=key, kind="summary", due_at=n.deadline or now, claimed_at=now))
            row = s.get(Notice, n.id)
            if row is not None:
                row.summary_sent = True
                s.add(row)
            if claimed:
                self.outbox.enqueue(text=text, contact_id=n.author_id, priority=PRIORITY_BULK, dedupe_key=key)

    # -- export --------------------------------------------------------------------------------------------------
    def workbook(self, notice: Notice, out: Path, files: Mapping[int, Mapping[str, str]] | None = None) -> Path:
        """The status of one notice (or every class of a fan-out) as an .xlsx file: name, 学号, when, how; for a
        collection also each student's file as named in the export (`files`: notice id -> contact id -> name)."""
        from bot.exports import write_sheet

        words = texts.words(notice)
        notices = [notice] if not notice.is_fanout else self.children(notice.id or 0)
        head: list[object] = ["班级", "姓名", "学号", "状态", f"{words.act}时间", "逾期", "方式", "原话"]
        rows: list[list[object]] = [head + (["文件"] if files is not None else [])]
        for n in notices:
            st = self.status(n)
            roster = self.roster.by_contact(m.contact_id for m in st.expected)
            named = files.get(n.id or 0, {}) if files is not None else None
            for m in st.expected:
                ack = st.acked.get(m.contact_id)
                student = roster.get(m.contact_id)
                when = self.local(ack.at).replace(tzinfo=None) if ack else None
                row: list[object] = [n.group_name, st.names[m.contact_id], student.student_no if student else "",
                                     words.done if ack else words.missing, when,
                                     ("是" if ack.late else "否") if ack else "",
                                     texts.VIA.get(ack.via, ack.via) if ack else "", ack.text if ack else ""]
                rows.append(row + ([named.get(m.contact_id, "")] if named is not None else []))
            for s in st.not_in_group:
                absent: list[object] = [n.group_name, s.name, s.student_no, "未进群", None, "", "", ""]
                rows.append(absent + ([""] if named is not None else []))
        title = f"{words.title}{notice.id}"
        return write_sheet(out, title, rows, widths=(12, 12, 16, 10, 18, 6, 10, 30, 28), date_columns=(5,))

    def export_path(self, notice: Notice) -> Path:
        folder = self.config.path(self.config.files.exports)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"notice-{notice.id}-{self.local(self.clock.now()):%Y%m%d-%H%M%S}.xlsx"
