"""The audit log: who did what, where and when (staff commands, grants, bindings, imports, deletions)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from bot.clock import Clock
from bot.db import Database
from bot.models import AuditLog
from bot.people import Person, Role
from bot.texts.cli import CLI_PLACE

CLI = Person("cli", CLI_PLACE, Role.ADMIN)  # the operator at the command line


class Audit:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def record(self, actor: Person, where: str, action: str, detail: str = "", result: str = "ok") -> None:
        """Write one entry (in the current transaction, if any)."""
        with self.db.tx() as s:
            s.add(AuditLog(at=self.clock.now(), actor_id=actor.contact_id, actor_name=actor.name, where=where,
                           action=action, detail=detail[:500], result=result))

    def since(self, since: datetime | None) -> list[AuditLog]:
        """Entries in order, from `since` on (everything when None)."""
        with self.db.read() as s:
            q = select(AuditLog).order_by(col(AuditLog.id))
            if since is not None:
                q = q.where(AuditLog.at >= since)
            return list(s.exec(q).all())

    def prune(self, before: datetime) -> int:
        from sqlmodel import delete

        with self.db.tx() as s:
            result = s.exec(delete(AuditLog).where(col(AuditLog.at) < before))
            return int(result.rowcount or 0)

    def redact(self, student_no: str, contact_id: str | None) -> int:
        """`forget`: entries naming the student's 学号 lose their detail, and the student's own entries (/绑定)
        lose their name and words; who did what, and when, stays."""
        from sqlmodel import col, update

        with self.db.tx() as s:
            n = s.exec(update(AuditLog).where(col(AuditLog.detail).contains(student_no))
                       .values(detail="（已删除）")).rowcount or 0
            if contact_id:
                n += s.exec(update(AuditLog).where(col(AuditLog.actor_id) == contact_id)
                            .values(actor_name="（已删除）", detail="")).rowcount or 0
            return int(n)
