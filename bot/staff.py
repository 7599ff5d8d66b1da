"""Staff authorisation by contact id: one-time codes from the command line, redeemed in a private chat."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import select

from bot.models import GrantCode, StaffBinding

if TYPE_CHECKING:
    from bot.app import App

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"BZ-{raw[:4]}-{raw[4:]}"


class Staff:
    def __init__(self, app: App) -> None:
        self.app = app

    def grant(self, name: str, role: str, classes: list[str], points: list[str],
              ttl: timedelta = timedelta(hours=24)) -> GrantCode:
        """Create a one-time code that binds whoever sends it privately as this staff member."""
        now = self.app.clock.now()
        code = GrantCode(code=new_code(), name=name, role=role, classes=classes, points=points, created_at=now,
                         expires_at=now + ttl)
        with self.app.db.tx() as s:
            s.add(code)
        return code

    def redeem(self, text: str, contact_id: str) -> tuple[GrantCode | None, str]:
        """(grant, '') when `text` is a valid unused code; (None, reason) when it is a spent or expired one."""
        code_text = text.strip().upper().replace(" ", "")
        now = self.app.clock.now()
        with self.app.db.tx() as s:
            code = s.get(GrantCode, code_text)
            if code is None:
                return None, "unknown"
            if code.used_by:
                return None, "used"
            if now > code.expires_at:
                return None, "expired"
            code.used_by, code.used_at = contact_id, now
            s.add(code)
            row = s.get(StaffBinding, contact_id) or StaffBinding(contact_id=contact_id, name=code.name,
                                                                 role=code.role, created_at=now)
            row.name, row.role, row.source = code.name, code.role, "grant"
            row.classes, row.points = list(code.classes), list(code.points)
            s.add(row)
        self.app.people.invalidate()
        return code, ""

    def revoke(self, name: str) -> int:
        with self.app.db.tx() as s:
            rows = list(s.exec(select(StaffBinding).where(StaffBinding.name == name)))
            for r in rows:
                s.delete(r)
        self.app.people.invalidate()
        return len(rows)

    def list(self) -> list[StaffBinding]:
        with self.app.db.tx() as s:
            return list(s.exec(select(StaffBinding).order_by(StaffBinding.role, StaffBinding.name)))
