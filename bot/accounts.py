"""Which bot account serves what. A city runs several WeChat accounts (typically one per teaching point), one
process each, over one database: a group is served by the account config names for it; a private message goes
through the account the contact can be reached on (a friend, or one they wrote to), else the account of their
class. With no accounts configured everything is the one account "" and nothing here touches the database."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlmodel import col, select

from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.models import ContactReach, Room, RoomMember, Student


class Accounts:
    def __init__(self, db: Database, config: Config, clock: Clock, this: str = "") -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.this = this  # the account this process runs
        self.several = bool(config.gateway.accounts)
        self._rooms: dict[str, str] = {}  # room id -> account
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return [a.name for a in self.config.gateway.accounts] or [""]

    def of_group(self, group_name: str) -> str:
        return self.config.account_of(group_name) if self.several else ""

    def serves(self, group_name: str) -> bool:
        """Whether this process's account serves the group (another account's process handles it otherwise)."""
        return not self.several or self.of_group(group_name) == self.this

    def of_room(self, room_id: str) -> str:
        if not self.several:
            return ""
        found = self._rooms.get(room_id)
        if found is None:
            with self.db.tx() as s:
                row = s.get(Room, room_id)
            found = self.of_group(row.group_name) if row and row.group_name else (row.account if row else self.this)
            with self._lock:
                self._rooms[room_id] = found
        return found

    def for_contact(self, contact_id: str) -> str:
        """The account to write to a contact privately through."""
        if not self.several:
            return ""
        with self.db.tx() as s:
            reach = list(s.exec(select(ContactReach).where(ContactReach.contact_id == contact_id)))
            friends = [r for r in reach if r.friend]
            ranked = sorted(friends or [r for r in reach if r.last_private_at],
                            key=lambda r: r.last_private_at or datetime.min.replace(tzinfo=self.clock.now().tzinfo),
                            reverse=True)
            if ranked:
                return ranked[0].account
            groups = s.exec(select(Room.group_name).join(RoomMember, col(RoomMember.room_id) == col(Room.room_id))
                            .where(RoomMember.contact_id == contact_id, RoomMember.active == True)  # noqa: E712
                            ).all()
            student = s.exec(select(Student).where(Student.contact_id == contact_id)).first()
        for g in [*(g for g in groups if g), *([student.class_name] if student else [])]:
            return self.of_group(g)
        return self.this or self.names()[0]

    def unreachable(self) -> int:
        """How many contacts some account could not write to privately (for `status`)."""
        from sqlmodel import func

        with self.db.read() as s:
            return s.exec(select(func.count(func.distinct(ContactReach.contact_id)))
                          .where(ContactReach.refused != "")).one()

    # -- reaching a contact privately (a personal account writes only to its friends) ----------------------------
    def saw_private(self, contact_id: str, when: datetime) -> None:
        """The contact wrote to this account privately: they are a friend, so it can write back."""
        with self.db.tx() as s:
            row = s.get(ContactReach, (contact_id, self.this)) or ContactReach(contact_id=contact_id, account=self.this)
            row.last_private_at, row.updated_at = when, when
            row.refused, row.refused_at = "", None
            s.add(row)

    def friend(self, contact_id: str, when: datetime, account: str | None = None) -> None:
        """The contact is (now) a friend of this account."""
        account = self.this if account is None else account
        with self.db.tx() as s:
            row = s.get(ContactReach, (contact_id, account)) or ContactReach(contact_id=contact_id, account=account)
            row.friend, row.updated_at, row.refused, row.refused_at = True, when, "", None
            s.add(row)

    def refused(self, contact_id: str, account: str, reason: str, when: datetime) -> None:
        """WeChat will not deliver to this contact from this account (not a friend, blocked, deleted)."""
        with self.db.tx() as s:
            row = s.get(ContactReach, (contact_id, account)) or ContactReach(contact_id=contact_id, account=account)
            row.friend, row.refused, row.refused_at, row.updated_at = False, reason[:200], when, when
            s.add(row)

    def refusal(self, contact_id: str, account: str) -> str:
        """Why this account cannot write to the contact, or "" when nothing says it cannot."""
        with self.db.read() as s:
            row = s.get(ContactReach, (contact_id, account))
        return row.refused if row is not None else ""

    def reachable(self, contact_ids: list[str]) -> set[str]:
        """Those of `contact_ids` some bot account can message privately: a friend, or someone who wrote to it,
        and not refused since."""
        if not contact_ids:
            return set()
        with self.db.read() as s:
            rows = s.exec(select(ContactReach).where(col(ContactReach.contact_id).in_(contact_ids),
                                                     ContactReach.refused == "")).all()
        return {r.contact_id for r in rows if r.friend or r.last_private_at}

    def relinked(self, old: str, new: str) -> None:
        """A contact id changed (a re-login): what is known about reaching them follows, unless the new id
        already says otherwise."""
        with self.db.tx() as s:
            for row in s.exec(select(ContactReach).where(ContactReach.contact_id == old)).all():
                if s.get(ContactReach, (new, row.account)) is None:
                    s.add(ContactReach(contact_id=new, account=row.account, friend=row.friend, refused=row.refused,
                                       refused_at=row.refused_at, last_private_at=row.last_private_at,
                                       updated_at=row.updated_at))
                s.delete(row)
