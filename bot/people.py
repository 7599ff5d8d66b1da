"""Who is who, by stable contact id: staff roles and scopes, rooms bound to configured groups, room members.

Display names and room aliases are shown to people but never trusted: anyone can rename themselves 王老师.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import col, select

from bot import revisions
from bot.clock import Clock
from bot.config import ClassGroup, Config, CoordinatorGroup
from bot.db import Database
from bot.gateways.base import Member, RoomInfo
from bot.kernel.aliases import clean_name
from bot.models import Contact, GatewayState, Room, RoomMember, StaffBinding
from bot.revisions import Cached, Watcher
from bot.texts import common as texts

log = logging.getLogger("banzhu.people")


class Role(enum.IntFlag):
    STUDENT = 1
    TEACHER = 2
    COORDINATOR = 4
    ADMIN = 8
    STAFF = TEACHER | COORDINATOR | ADMIN
    ANYONE = STUDENT | TEACHER | COORDINATOR | ADMIN


ROLE_NAMES = {Role.STUDENT: texts.ROLE_NAMES["student"], Role.TEACHER: texts.ROLE_NAMES["teacher"],
              Role.COORDINATOR: texts.ROLE_NAMES["coordinator"], Role.ADMIN: texts.ROLE_NAMES["admin"]}
ROLE_BY_KEY = {"teacher": Role.TEACHER, "coordinator": Role.COORDINATOR, "admin": Role.ADMIN}


@dataclass(frozen=True)
class Person:
    contact_id: str
    name: str
    role: Role
    classes: frozenset[str] = field(default_factory=frozenset)  # classes this person may command

    @property
    def is_staff(self) -> bool:
        return bool(self.role & Role.STAFF)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


@dataclass(frozen=True)
class RoomSync:
    """What a member-list sync changed."""

    first: bool  # the room had no stored members: everyone is "new" only to the bot
    new: list[Member]  # never seen in this room before
    back: list[str]  # seen before, left, here again
    left: list[str]


class People:
    """Staff bindings, room bindings and memberships."""

    def __init__(self, db: Database, config: Config, clock: Clock, account: str = "") -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.account = account  # the WeChat account whose rooms this process sees
        self._staff_cache: dict[str, Person] | None = None
        # Hot-path caches: a 200-person group says 收到 200 times in a minute; the database is written only when
        # something changed. This process is the only writer of rooms and members.
        self._rooms: dict[str, tuple[str, str | None]] = {}  # room id -> (topic, group name)
        self._members: dict[tuple[str | None, str], tuple[str, str]] = {}  # (room, contact) -> (name, alias)
        self.ambiguous: dict[str, set[str]] = {}  # group -> other room ids whose topic also matches it
        self.identity_listeners: list[Callable[[str, str], None]] = []  # (old id, new id) after a re-login
        self.bot_ids: set[str] = set()  # this process's own contact id (set at login): never a member, never staff
        # Every account's own contact id (a city's bots sit in each other's groups when they move)
        self._all_bots = Cached(self._bots_of_every_account, Watcher(db, clock, "bots"))
        # Told (room id, joined contact ids, left contact ids) when a group's membership changes: the notices'
        # counters follow it (wired in bot/services.py).
        self.membership_listeners: list[Callable[[str, list[str], list[str]], None]] = []
        self._lock = threading.RLock()  # messages and timed jobs run on different threads
        self._staff_changes = Watcher(db, clock, "staff")  # grants and revokes from the command line

    def invalidate_caches(self) -> None:
        """Forget everything cached (after a rolled-back transaction)."""
        with self._lock:
            self._staff_cache = None
            self._rooms.clear()
            self._members.clear()

    # -- staff ---------------------------------------------------------------------------------------------------
    def sync_config_staff(self) -> None:
        """Make the config's staff (those with a contact id) the source=config bindings."""
        now = self.clock.now()
        wanted = {s.id: s for s in self.config.staff if s.id}
        with self.db.tx() as s:
            self.db.serialise(s, "config-staff")  # a city's processes start together
            for row in s.exec(select(StaffBinding).where(StaffBinding.source == "config")):
                if row.contact_id not in wanted:
                    s.delete(row)
            for cid, st in wanted.items():
                row = s.get(StaffBinding, cid) or StaffBinding(contact_id=cid, name=st.name, role=st.role,
                                                              created_at=now)
                row.name, row.role, row.source = st.name, st.role, "config"
                row.classes, row.points = list(st.classes), list(st.points)
                s.add(row)
        self._staff_cache = None

    def _staff(self) -> dict[str, Person]:
        if self._staff_changes.changed():
            self._staff_cache = None
        cache = self._staff_cache
        if cache is None:
            with self.db.tx() as s:
                rows = list(s.exec(select(StaffBinding)))
            cache = self._staff_cache = {r.contact_id: self._person(r) for r in rows}
        return cache

    def invalidate(self) -> None:
        """Staff bindings changed: forget them here, and tell other processes."""
        self._staff_cache = None
        revisions.bump(self.db, "staff")

    def _person(self, row: StaffBinding) -> Person:
        role = ROLE_BY_KEY[row.role]
        classes: set[str] = set()
        all_classes = self.config.groups.classes
        if role == Role.ADMIN:
            classes = {c.name for c in all_classes}
        elif role == Role.COORDINATOR:
            points = set(row.points)
            classes = {c.name for c in all_classes if c.point in points}
        else:
            classes = set(row.classes) | {c.name for c in all_classes if c.advisor == row.name}
        return Person(row.contact_id, row.name, role, frozenset(classes))

    def person(self, contact_id: str, shown_name: str) -> Person:
        """The person behind a contact id: staff by binding, everyone else a student."""
        staff = self._staff().get(contact_id)
        if staff:
            return staff
        return Person(contact_id, shown_name, Role.STUDENT)

    def name_of(self, contact_id: str) -> str:
        """How to call a contact in a message to staff: the staff name, else the WeChat name (as last seen)."""
        staff = self._staff().get(contact_id)
        if staff:
            return staff.name
        with self.db.read() as s:
            row = s.get(Contact, contact_id)
        return clean_name(row.name) if row is not None and row.name else contact_id

    def staff_ids(self) -> set[str]:
        return set(self._staff())

    def not_members(self) -> set[str]:
        """Contacts never counted as a class member: staff and the bots (every account's)."""
        return self.staff_ids() | self.bot_ids | self._all_bots.get()

    def _bots_of_every_account(self) -> set[str]:
        with self.db.tx() as s:
            return {r for r in s.exec(select(GatewayState.self_id)) if r}

    def admins(self) -> list[Person]:
        return [p for p in self._staff().values() if p.role == Role.ADMIN]

    def staff_by_name(self, name: str) -> Person | None:
        return next((p for p in self._staff().values() if p.name == name), None)

    def advisor_of(self, class_name: str) -> Person | None:
        group = self.config.class_group(class_name)
        if group and group.advisor:
            found = self.staff_by_name(group.advisor)
            if found:
                return found
        return next((p for p in self._staff().values() if p.role == Role.TEACHER and class_name in p.classes), None)

    # -- rooms ---------------------------------------------------------------------------------------------------
    def group_for_room(self, room: RoomInfo) -> ClassGroup | CoordinatorGroup | None:
        """The configured group of a room: by remembered room id first (survives renames), then by topic."""
        cached = self._rooms.get(room.room_id)
        if cached and cached[0] == room.topic:
            return self.config.group_by_name(cached[1]) if cached[1] else None
        group = self._group_for_room(room)
        with self._lock:
            self._rooms[room.room_id] = (room.topic, group.name if group else None)
        self.db.on_rollback(self.invalidate_caches)
        return group

    def _group_for_room(self, room: RoomInfo) -> ClassGroup | CoordinatorGroup | None:
        now = self.clock.now()
        with self.db.tx() as s:
            row = s.get(Room, room.room_id)
            if row and row.group_name:
                group = self.config.group_by_name(row.group_name)
                if group:
                    if row.topic != room.topic:
                        log.info("room %s renamed %r -> %r; still %s", room.room_id, row.topic, room.topic, group.name)
                        row.topic, row.updated_at = room.topic, now
                        s.add(row)
                    return group
            group = self.config.group_by_topic(room.topic)
            if group is not None:
                # Another room of this account already holds this group? Keep the first; an admin sorts it out.
                # (Another account's room with the same topic is that account's view of the group: when a group
                # moves between accounts, its history moves with its name.)
                other = s.exec(select(Room).where(Room.group_name == group.name, Room.room_id != room.room_id,
                                                  Room.account == self.account)).first()
                if other:
                    log.warning("topic %r matches %s, already bound to room %s; ignoring room %s",
                                room.topic, group.name, other.room_id, room.room_id)
                    self.ambiguous.setdefault(group.name, set()).add(room.room_id)
                    group = None
            row = row or Room(room_id=room.room_id, topic=room.topic, updated_at=now)
            row.topic, row.updated_at, row.account = room.topic, now, self.account
            row.group_name = group.name if group else None
            s.add(row)
        if group is None:
            log.warning("room %r (%s) matches no configured group; ignoring it", room.topic, room.room_id)
        return group

    def group_of_room_id(self, room_id: str) -> str | None:
        """The configured group name a known room id is bound to."""
        with self.db.tx() as s:
            row = s.get(Room, room_id)
            return row.group_name if row else None

    def room_of_group(self, group_name: str) -> str | None:
        """The room of a group, as the account that serves it sees it."""
        serving = self.config.account_of(group_name)
        with self.db.tx() as s:
            rows = list(s.exec(select(Room).where(Room.group_name == group_name)))
        rows.sort(key=lambda r: r.account != serving)
        return rows[0].room_id if rows else None

    def bound_rooms(self) -> dict[str, str]:
        """group name -> room id for every bound room."""
        with self.db.tx() as s:
            rows = s.exec(select(Room).where(col(Room.group_name).is_not(None))).all()
            return {r.group_name: r.room_id for r in rows if r.group_name}

    # -- members -------------------------------------------------------------------------------------------------
    def seen(self, room_id: str | None, member: Member) -> None:
        """Record a contact (and their room alias) from a message they sent."""
        key = (room_id, member.contact_id)
        if self._members.get(key) == (member.name, member.alias):
            return
        with self._lock:
            self._members[key] = (member.name, member.alias)
        self.db.on_rollback(self.invalidate_caches)
        now = self.clock.now()
        with self.db.tx() as s:
            c = s.get(Contact, member.contact_id)
            if c is None or c.name != member.name:
                c = c or Contact(contact_id=member.contact_id, name=member.name, updated_at=now)
                c.name, c.updated_at = member.name, now
                s.add(c)
            if room_id:
                m = s.get(RoomMember, (room_id, member.contact_id))
                if m is None:
                    s.add(RoomMember(room_id=room_id, contact_id=member.contact_id, alias=member.alias, joined_at=now))
                elif m.alias != member.alias or not m.active:
                    if member.alias:
                        m.alias = member.alias
                    if not m.active:  # someone a stale list had lost is back
                        for listener in self.membership_listeners:
                            listener(room_id, [member.contact_id], [])
                    m.active, m.left_at = True, None
                    s.add(m)

    def sync_room(self, room: RoomInfo) -> RoomSync:
        """Make the stored member list match the platform's (joins and leaves)."""
        with self._lock:
            for key in [k for k in self._members if k[0] == room.room_id]:
                del self._members[key]
        self.db.on_rollback(self.invalidate_caches)
        now = self.clock.now()
        joined: list[Member] = []
        back: list[str] = []  # joined again: notices posted to them before count them again
        left: list[str] = []
        current = {m.contact_id: m for m in room.members}
        with self.db.tx() as s:
            stored = {m.contact_id: m for m in s.exec(select(RoomMember).where(RoomMember.room_id == room.room_id))}
            first = not stored
            for cid, m in current.items():
                c = s.get(Contact, cid) or Contact(contact_id=cid, name=m.name, updated_at=now)
                c.name = m.name
                s.add(c)
                row = stored.get(cid)
                if row is None:
                    s.add(RoomMember(room_id=room.room_id, contact_id=cid, alias=m.alias, joined_at=now))
                    joined.append(m)
                elif not row.active or row.alias != m.alias:
                    if not row.active:
                        joined.append(m)
                        back.append(cid)
                    row.active, row.left_at, row.alias = True, None, m.alias
                    s.add(row)
            for cid, row in stored.items():
                if cid not in current and row.active:
                    row.active, row.left_at = False, now
                    s.add(row)
                    left.append(cid)
            if back or left:
                for listener in self.membership_listeners:
                    listener(room.room_id, back, left)
        with self._lock:
            for cid, m in current.items():
                self._members[(room.room_id, cid)] = (m.name, m.alias)
        return RoomSync(first, [m for m in joined if m.contact_id not in back], back, left)

    # -- identity across a re-login ------------------------------------------------------------------------------
    def relink_candidates(self, now: datetime, window: timedelta = timedelta(days=1)) -> list[tuple[str, str]]:
        """(old id, new id) pairs for people whose contact id changed (a puppet logged in again): the old id left
        every room it was in within `window` and is active nowhere; the new id joined exactly those rooms within
        `window`, with the same WeChat name and 群昵称 in each; and in every one of those rooms the match is unique
        both ways. Staff and bots are never matched (staff re-bind with a code)."""
        since = now - window
        skip = self.not_members()
        with self.db.read() as s:
            rows = s.exec(select(RoomMember, Contact.name).join(Contact, col(Contact.contact_id) == col(RoomMember.contact_id))
                          .where(or_(and_(col(RoomMember.active) == False, col(RoomMember.left_at) >= since),  # noqa: E712
                                     and_(col(RoomMember.active) == True, col(RoomMember.joined_at) >= since)))).all()  # noqa: E712
            if not rows:
                return []
            ids = {m.contact_id for m, _ in rows}
            veterans = set(s.exec(select(RoomMember.contact_id).where(col(RoomMember.contact_id).in_(ids),
                                                                     col(RoomMember.joined_at) < since)))
            active_anywhere = set(s.exec(select(RoomMember.contact_id).where(col(RoomMember.contact_id).in_(ids),
                                                                            col(RoomMember.active) == True)))  # noqa: E712
        gone: dict[str, dict[str, tuple[str, str]]] = {}
        fresh: dict[str, dict[str, tuple[str, str]]] = {}
        for m, name in rows:
            if m.contact_id in skip:
                continue
            key = (name, m.alias)
            if not m.active and m.contact_id not in active_anywhere:
                gone.setdefault(m.contact_id, {})[m.room_id] = key
            elif m.active and m.contact_id not in veterans:
                fresh.setdefault(m.contact_id, {})[m.room_id] = key
        pairs = []
        for old, rooms in gone.items():
            matches = [new for new, theirs in fresh.items() if theirs == rooms]
            rivals = [o for o, r in gone.items() if o != old and any(r.get(room) == key for room, key in rooms.items())]
            twins = [n for n, theirs in fresh.items() if n not in matches
                     and any(theirs.get(room) == key for room, key in rooms.items())]
            if len(matches) == 1 and not rivals and not twins:
                pairs.append((old, matches[0]))
        return pairs

    def relink(self, old: str, new: str) -> list[str]:
        """Move a person from their old contact id to the new one: room memberships keep their history (when
        they joined), and every feature moves its records (`identity_listeners`). Returns the rooms concerned."""
        with self.db.tx() as s:
            rooms = []
            for row in s.exec(select(RoomMember).where(RoomMember.contact_id == old)).all():
                mine = s.get(RoomMember, (row.room_id, new))
                if mine is not None:
                    mine.joined_at = min(mine.joined_at, row.joined_at)
                    s.add(mine)
                    rooms.append(row.room_id)
                s.delete(row)
            s.flush()
            for listener in self.identity_listeners:
                listener(old, new)
        self.invalidate_caches()
        self.db.on_rollback(self.invalidate_caches)
        return rooms

    def class_groups_of(self, contact_id: str) -> list[str]:
        """The configured class groups whose rooms this contact is an active member of."""
        classes = {c.name for c in self.config.groups.classes}
        with self.db.tx() as s:
            rows = s.exec(select(Room.group_name).join(RoomMember, col(RoomMember.room_id) == col(Room.room_id))
                          .where(RoomMember.contact_id == contact_id, RoomMember.active == True)).all()  # noqa: E712
        return sorted({g for g in rows if g in classes})

    def members(self, room_id: str) -> list[Member]:
        """Active members of a room, with their names and aliases."""
        with self.db.tx() as s:
            rows = s.exec(select(RoomMember, Contact).join(Contact, col(Contact.contact_id) == col(RoomMember.contact_id))
                          .where(RoomMember.room_id == room_id, RoomMember.active == True)  # noqa: E712
                          .order_by(col(RoomMember.joined_at), col(RoomMember.contact_id))).all()
        return [Member(m.contact_id, c.name, m.alias) for m, c in rows]

