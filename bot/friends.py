"""Friend requests to the bot's accounts. A personal WeChat account can write privately only to its friends, so
private replies, grant codes, files, forwarded questions and private reminders depend on them.

A request is accepted on its own when the requester is a member of a configured group, a staff member, or writes a
valid grant code (which then binds them as staff) or their 学号 and name (which binds them to the roster); anyone
else waits for an admin (`/好友申请`, and a daily list). Acceptances go through the outbox as paced actions of the
account that received the request, at most `friends.accept_per_hour` an hour and `accept_per_day` a day, because
WeChat restricts accounts that add many friends quickly. A new friend gets one short welcome.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, func, select

from bot import revisions
from bot.accounts import Accounts
from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.deliveries import claim
from bot.gateways.base import FriendRequest, Member
from bot.models import Delivery, Friendship, RoomMember
from bot.outbox import PRIORITY_BULK, Outbox
from bot.people import People, Person
from bot.revisions import Cached, Watcher
from bot.roster import Bind, Roster
from bot.staff import Redeem, Staff, find_code
from bot.texts import friends as texts

log = logging.getLogger("banzhu.friends")

NUMBER_IN_TEXT = re.compile(r"(?<!\d)\d{6,13}(?!\d)")


@dataclass(frozen=True)
class Decision:
    accept: bool
    reason: str  # why (for the audit log and the list), in Chinese: 行管1班成员 · 工作人员 · 授权码 · 学号匹配


class Friends:
    def __init__(self, db: Database, clock: Clock, config: Config, people: People, roster: Roster, staff: Staff,
                 accounts: Accounts, outbox: Outbox) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.cfg = config.friends
        self.people = people
        self.roster = roster
        self.staff = staff
        self.accounts = accounts
        self.outbox = outbox
        # Whether any request waits (the daily list's job asks on every wake): kept until one changes.
        self._waiting = Cached(lambda: bool(self.pending()), Watcher(db, clock, "friends"))
        self._reported_day = ""

    def _changed(self) -> None:
        revisions.bump(self.db, "friends")
        self._waiting.invalidate()
        self.db.on_rollback(self._waiting.invalidate)

    # -- requests ------------------------------------------------------------------------------------------------
    def requested(self, request: FriendRequest) -> Friendship:
        """Record a request to this process's account and accept it when the rules allow (paced)."""
        now = self.clock.now()
        account = self.accounts.this
        with self.db.tx() as s:
            row = s.exec(select(Friendship).where(Friendship.request_id == request.request_id,
                                                  Friendship.account == account)).first()
            if row is not None:
                return row  # the same request again (a reconnect replays events)
            row = Friendship(request_id=request.request_id, account=account, contact_id=request.contact.contact_id,
                             name=request.contact.name, hello=request.hello[:200], at=request.time or now)
            s.add(row)
            s.flush()
            self.people.seen(None, request.contact)
            decision = self.decide(request.contact, request.hello)
            row.reason = decision.reason
            if decision.accept and self.cfg.auto_accept:
                self._accept(s, row, "auto", now)
            s.add(row)
            self._changed()
        log.info("friend request from %s (%s): %s", request.contact.contact_id, decision.reason or "no rule",
                 row.status)
        return row

    def decide(self, contact: Member, hello: str) -> Decision:
        """Whether a request is accepted without an admin, and why."""
        person = self.people.person(contact.contact_id, contact.name)
        if person.is_staff:
            return Decision(True, texts.REASON_STAFF)
        group = self._member_of(contact.contact_id)
        if group:
            return Decision(True, texts.REASON_MEMBER.format(group=group))
        code = find_code(hello)
        if code:
            done = self.staff.redeem(code, contact.contact_id)
            if done.result == Redeem.OK and done.grant is not None:
                return Decision(True, texts.REASON_CODE.format(name=done.grant.name))
        for number in NUMBER_IN_TEXT.findall(hello or ""):
            student = self.roster.student(number)
            if student is not None and student.name and student.name in hello:
                result, _ = self.roster.bind(None, contact.contact_id, number, student.name)
                if result == Bind.OK:
                    return Decision(True, texts.REASON_ROSTER.format(class_name=student.class_name))
        return Decision(False, "")

    def _member_of(self, contact_id: str) -> str | None:
        """The configured group this contact is an active member of, if any."""
        with self.db.read() as s:
            rooms = s.exec(select(RoomMember.room_id).where(RoomMember.contact_id == contact_id,
                                                           RoomMember.active == True)).all()  # noqa: E712
        for room_id in rooms:
            group = self.people.group_of_room_id(room_id)
            if group:
                return group
        return None

    def _accept(self, s, row: Friendship, by: str, now: datetime) -> None:  # a Session
        """Queue the acceptance at the next free slot of the account's hourly and daily allowance."""
        at = self._slot(s, row.account, now)
        row.status, row.accept_at, row.decided_by, row.decided_at = "accepting", at, by, now
        s.add(row)
        self.outbox.enqueue(action="accept-friend", ref=row.request_id, contact_id=row.contact_id,
                            account=row.account, not_before=at, priority=PRIORITY_BULK,
                            dedupe_key=f"accept-friend:{row.account}:{row.request_id}")

    def _slot(self, s, account: str, now: datetime) -> datetime:  # a Session
        """The earliest time another acceptance fits: spaced evenly within the hourly allowance, and within the
        day's allowance (else the next day's first slot)."""
        spacing = timedelta(hours=1) / self.cfg.accept_per_hour
        last = s.exec(select(func.max(Friendship.accept_at)).where(Friendship.account == account,
                                                                   col(Friendship.accept_at).is_not(None))).one()
        at = max(now, last + spacing) if last else now
        day_start = at - timedelta(days=1)
        in_day = s.exec(select(func.count()).select_from(Friendship).where(
            Friendship.account == account, col(Friendship.accept_at) > day_start)).one()
        if in_day >= self.cfg.accept_per_day:
            first = s.exec(select(func.min(Friendship.accept_at)).where(
                Friendship.account == account, col(Friendship.accept_at) > day_start)).one()
            at = max(at, first + timedelta(days=1))
        return at

    # -- admins --------------------------------------------------------------------------------------------------
    def pending(self) -> list[Friendship]:
        with self.db.read() as s:
            return list(s.exec(select(Friendship).where(Friendship.status == "pending").order_by(col(Friendship.id))))

    def accept(self, numbers: list[int] | None, admin: Person) -> list[Friendship]:
        """An admin accepts pending requests (all when `numbers` is None); returns those accepted."""
        now = self.clock.now()
        done = []
        with self.db.tx() as s:
            q = select(Friendship).where(Friendship.status == "pending")
            if numbers is not None:
                q = q.where(col(Friendship.id).in_(numbers))
            for row in s.exec(q.order_by(col(Friendship.id))).all():
                row.reason = row.reason or texts.REASON_ADMIN.format(name=admin.name)
                self._accept(s, row, admin.contact_id, now)
                done.append(row)
            self._changed()
        return done

    def ignore(self, numbers: list[int], admin: Person) -> int:
        now = self.clock.now()
        with self.db.tx() as s:
            rows = s.exec(select(Friendship).where(Friendship.status == "pending",
                                                   col(Friendship.id).in_(numbers))).all()
            for row in rows:
                row.status, row.decided_by, row.decided_at = "ignored", admin.contact_id, now
                s.add(row)
            self._changed()
        return len(rows)

    # -- confirmed -----------------------------------------------------------------------------------------------
    def added(self, contact: Member, account: str | None = None) -> None:
        """The contact is now a friend of the account (accepted by the bot, by hand on the phone, or they
        accepted the bot's request): reachable, and welcomed once."""
        now = self.clock.now()
        account = self.accounts.this if account is None else account
        with self.db.tx() as s:
            self.accounts.friend(contact.contact_id, now, account)
            for row in s.exec(select(Friendship).where(Friendship.contact_id == contact.contact_id,
                                                       Friendship.account == account,
                                                       col(Friendship.status).in_(("pending", "accepting")))):
                row.status = "accepted"
                s.add(row)
                self._changed()
            person = self.people.person(contact.contact_id, contact.name)
            self.outbox.enqueue(text=texts.WELCOME_STAFF if person.is_staff else texts.WELCOME,
                                contact_id=contact.contact_id, account=account,
                                dedupe_key=f"friend-welcome:{account}:{contact.contact_id}")

    # -- the daily list ------------------------------------------------------------------------------------------
    def next_report_due(self, now: datetime) -> datetime | None:
        """Today's report time while requests wait and today's list has not gone out; else tomorrow's."""
        if self.cfg.report is None or not self._waiting.get():
            return None
        local = now.astimezone(self.config.tz)
        day = local.date().isoformat()
        due = datetime.combine(local.date(), self.cfg.report, tzinfo=self.config.tz)
        if self._reported_day != day:
            with self.db.read() as s:
                if s.get(Delivery, f"friend-requests:{day}") is None:
                    return due
            self._reported_day = day
        return due + timedelta(days=1)

    def report(self, now: datetime) -> int:
        """Send the admins the list of pending requests, once a day; returns how many were listed."""
        rows = self.pending()
        day = now.astimezone(self.config.tz).date().isoformat()
        with self.db.tx() as s:
            if not rows or not claim(s, Delivery(key=f"friend-requests:{day}", kind="friends", due_at=now,
                                                 claimed_at=now)):
                return 0
            text = texts.pending_list(rows, self.config.tz)
            for admin in self.people.admins():
                self.outbox.enqueue(text=text, contact_id=admin.contact_id, priority=PRIORITY_BULK)
        return len(rows)
