"""Staff authorisation by contact id: one-time codes from the command line, redeemed in a private chat."""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select

from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.models import GrantCode, StaffBinding
from bot.people import People
from bot.weblogin import WebAccess

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone
CODE = re.compile(r"^\s*BZ-?[A-Z0-9]{4}-?[A-Z0-9]{4}\s*$", re.I)


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"BZ-{raw[:4]}-{raw[4:]}"


def looks_like_code(text: str) -> bool:
    return bool(CODE.match(text))


def find_code(text: str) -> str | None:
    """A grant code written somewhere in a text (a friend request's greeting)."""
    m = re.search(r"BZ-?[A-Z0-9]{4}-?[A-Z0-9]{4}", text or "", re.I)
    return m.group() if m else None


def canonical_code(text: str) -> str:
    """'bz abcd efgh' -> 'BZ-ABCD-EFGH'."""
    raw = re.sub(r"[^A-Z0-9]", "", text.upper())
    return f"BZ-{raw[2:6]}-{raw[6:]}"


class GrantError(ValueError):
    """A grant the operator asked for that does not fit the configuration (English, for the command line)."""


class Redeem(enum.Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Redeemed:
    result: Redeem
    grant: GrantCode | None = None


class Staff:
    def __init__(self, db: Database, clock: Clock, config: Config, people: People, web: WebAccess) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.people = people
        self.web = web

    def grant(self, name: str, role: str, classes: list[str], points: list[str],
              ttl: timedelta = timedelta(hours=24)) -> GrantCode:
        """Create a one-time code that binds whoever sends it privately as this staff member."""
        known_classes = {c.name for c in self.config.groups.classes}
        bad = [c for c in classes if c not in known_classes] + [p for p in points if p not in self.config.teaching_points]
        if bad:
            raise GrantError(f"unknown class or teaching point: {', '.join(bad)}")
        if role == "teacher" and not classes:
            raise GrantError("a teacher needs --classes")
        if role == "coordinator" and not points:
            raise GrantError("a coordinator needs --points")
        if role not in ("teacher", "coordinator", "admin"):
            raise GrantError(f"unknown role {role!r} (teacher, coordinator or admin)")
        now = self.clock.now()
        code = GrantCode(code=new_code(), name=name, role=role, classes=classes, points=points, created_at=now,
                         expires_at=now + ttl)
        with self.db.tx() as s:
            s.add(code)
        return code

    def redeem(self, text: str, contact_id: str) -> Redeemed:
        """Bind `contact_id` with a valid unused code; otherwise say why not."""
        code_text = canonical_code(text)
        now = self.clock.now()
        with self.db.tx() as s:
            code = s.get(GrantCode, code_text)
            if code is None:
                return Redeemed(Redeem.UNKNOWN)
            if code.used_by:
                return Redeemed(Redeem.USED, code)
            if now > code.expires_at:
                return Redeemed(Redeem.EXPIRED, code)
            code.used_by, code.used_at = contact_id, now
            s.add(code)
            row = s.get(StaffBinding, contact_id) or StaffBinding(contact_id=contact_id, name=code.name,
                                                                 role=code.role, created_at=now)
            row.name, row.role, row.source = code.name, code.role, "grant"
            row.classes, row.points = list(code.classes), list(code.points)
            s.add(row)
        self.people.invalidate()
        self.db.on_rollback(self.people.invalidate)
        return Redeemed(Redeem.OK, code)

    def revoke(self, name: str) -> int:
        """Remove a staff member's rights: their bindings, and their web console sessions and unused links."""
        with self.db.tx() as s:
            rows = list(s.exec(select(StaffBinding).where(StaffBinding.name == name)))
            for r in rows:
                s.delete(r)
            self.web.end_sessions(r.contact_id for r in rows)
        self.people.invalidate()
        return len(rows)

    def list(self) -> list[StaffBinding]:
        with self.db.tx() as s:
            return list(s.exec(select(StaffBinding).order_by(col(StaffBinding.role), col(StaffBinding.name))))
