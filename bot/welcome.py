"""Newcomers in class groups: one merged, paced welcome for the people who joined within a few minutes (the
group's 群昵称 convention, how to /绑定, the next three items of the calendar), newcomers whose 群昵称 already
matches the roster bound at once, and each advisor's daily list of members still not matched to the roster."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import col, func, select

from bot import revisions
from bot.calendar.service import Calendar
from bot.clock import Clock
from bot.config import ClassGroup, Config
from bot.db import Database
from bot.deliveries import claim
from bot.gateways.base import Member
from bot.models import Delivery, Newcomer
from bot.outbox import PRIORITY_BULK, Outbox
from bot.people import People
from bot.revisions import Cached, Watcher
from bot.roster import Roster
from bot.texts import welcome as texts

log = logging.getLogger("banzhu.welcome")


class Welcomes:
    def __init__(self, db: Database, clock: Clock, config: Config, people: People, roster: Roster,
                 calendar: Calendar, outbox: Outbox) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.cfg = config.welcome
        self.people = people
        self.roster = roster
        self.calendar = calendar
        self.outbox = outbox
        self._due = Cached(self._compute_next_due, Watcher(db, clock, "newcomers"))
        self._unmatched_day = ""  # the day whose list is sent (or claimed by another process)
        self._unmatched_open = ""  # the day whose list is known not sent yet

    def _changed(self) -> None:
        revisions.bump(self.db, "newcomers")
        self._due.invalidate()
        self.db.on_rollback(self._due.invalidate)

    # -- joins ---------------------------------------------------------------------------------------------------
    def joined(self, room_id: str, group: ClassGroup, members: list[Member]) -> None:
        """People joined a class group: match them to the roster by 群昵称 now; welcome them together soon."""
        if not self.cfg.enabled:
            return
        now = self.clock.now()
        staff = self.people.not_members()
        newcomers = [m for m in members if m.contact_id not in staff]
        for m in newcomers:
            if m.alias:
                self.roster.match_alias(group.name, m)
        with self.db.tx():
            self.db.insert_ignore(Newcomer, [{"room_id": room_id, "contact_id": m.contact_id, "joined_at": now,
                                              "status": "pending"} for m in newcomers])
            self._changed()

    def next_due(self, now: datetime) -> datetime | None:
        """When the next merged welcome goes out: a few minutes after the last join of a burst (at most three
        windows after its first)."""
        return self._due.get()

    def _compute_next_due(self) -> datetime | None:
        with self.db.read() as s:
            rows = s.exec(select(Newcomer.room_id, func.min(Newcomer.joined_at), func.max(Newcomer.joined_at))
                          .where(Newcomer.status == "pending").group_by(col(Newcomer.room_id))).all()
        merge = self.cfg.merge
        times = [min(first + 3 * merge, last + merge) for _room, first, last in rows]
        return min(times) if times else None

    def send_due(self, now: datetime) -> int:
        """Post every merged welcome that is due; returns how many."""
        merge = self.cfg.merge
        sent = 0
        with self.db.tx() as s:
            rows = s.exec(select(Newcomer).where(Newcomer.status == "pending")).all()
            by_room: dict[str, list[Newcomer]] = {}
            for r in rows:
                by_room.setdefault(r.room_id, []).append(r)
            for room_id, group_rows in by_room.items():
                first = min(r.joined_at for r in group_rows)
                last = max(r.joined_at for r in group_rows)
                if min(first + 3 * merge, last + merge) > now:
                    continue
                present = {m.contact_id for m in self.people.members(room_id)}
                here = [r.contact_id for r in group_rows if r.contact_id in present]
                name = self.people.group_of_room_id(room_id)
                group = self.config.class_group(name) if name else None
                for r in group_rows:
                    r.status = "welcomed" if r.contact_id in here else "skipped"
                    s.add(r)
                self._changed()
                if not here or group is None:
                    continue
                upcoming = self.calendar.upcoming(group.name, now, now + timedelta(days=60))[:3]
                self.outbox.enqueue(text=texts.welcome(group, self.config.alias_patterns, upcoming, self.config.tz),
                                    room_id=room_id, mentions=here, priority=PRIORITY_BULK,
                                    dedupe_key=f"welcome:{room_id}:{min(r.contact_id for r in group_rows)}:"
                                               f"{first.isoformat()}")
                sent += 1
        return sent

    def relinked(self, old: str, new: str) -> None:
        """A contact id changed (a re-login): the "new" member is no newcomer."""
        with self.db.tx() as s:
            for r in s.exec(select(Newcomer).where(col(Newcomer.contact_id).in_((old, new)))).all():
                if r.status == "pending":
                    r.status = "skipped"
                    s.add(r)
                    self._changed()

    # -- the advisors' daily list of unmatched members -----------------------------------------------------------
    def next_unmatched_due(self, now: datetime) -> datetime | None:
        at = self.cfg.unmatched_report
        if at is None or not self.config.groups.classes:
            return None
        local = now.astimezone(self.config.tz)
        day = local.date().isoformat()
        due = datetime.combine(local.date(), at, tzinfo=self.config.tz)
        if self._unmatched_day != day and due >= local - timedelta(hours=6):  # a list from the morning, not at night
            if self._unmatched_open == day:
                return due  # known not sent yet today (only send_unmatched, which claims the day, changes that)
            with self.db.read() as s:
                if s.get(Delivery, f"unmatched:{day}") is None:
                    self._unmatched_open = day
                    return due
            self._unmatched_day = day
        return due + timedelta(days=1)

    def send_unmatched(self, now: datetime) -> int:
        """Each advisor gets, privately, the members of their classes not matched to the roster (once a day, only
        when there are any). Returns how many lists went out."""
        day = now.astimezone(self.config.tz).date().isoformat()
        sent = 0
        with self.db.tx() as s:
            if not claim(s, Delivery(key=f"unmatched:{day}", kind="unmatched", due_at=now, claimed_at=now)):
                self._unmatched_day, self._unmatched_open = day, ""
                return 0
            lists: dict[str, list[tuple[str, list[str]]]] = {}
            for group in self.config.groups.classes:
                room_id = self.people.room_of_group(group.name)
                advisor = self.people.advisor_of(group.name)
                if room_id is None or advisor is None or not self.roster.students_of(group.name):
                    continue
                members = self.people.members(room_id)
                bound = self.roster.by_contact(m.contact_id for m in members)
                for m in members:  # a 群昵称 changed to the convention since: matched now, not listed
                    if m.alias and m.contact_id not in bound:
                        self.roster.match_alias(group.name, m)
                found = self.roster.compare(group.name, members, self.people.not_members())
                if found.unmatched:
                    lists.setdefault(advisor.contact_id, []).append((group.name, found.unmatched))
            for contact_id, classes in lists.items():
                self.outbox.enqueue(text=texts.unmatched(classes, self.config.alias_patterns), contact_id=contact_id,
                                    priority=PRIORITY_BULK)
                sent += 1
        self._unmatched_day, self._unmatched_open = day, ""
        return sent
