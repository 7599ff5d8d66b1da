"""Commands waiting for their sender's “确认” (a fan-out to many groups), kept in the database so that a restart in
between loses nothing; one per person and conversation, a new one replaces it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.db import Database
from bot.models import PendingConfirmation

CONFIRM_MINUTES = 10


@dataclass(frozen=True)
class Pending:
    text: str
    expired: bool


class Confirmations:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def ask(self, conversation: str | None, contact_id: str, text: str) -> None:
        """Remember `text` (the command as typed) until the sender confirms or ten minutes pass."""
        expires = self.clock.now() + timedelta(minutes=CONFIRM_MINUTES)
        with self.db.tx() as s:
            key = (conversation or "-", contact_id)
            row = s.get(PendingConfirmation, key) or PendingConfirmation(conversation=key[0], contact_id=contact_id,
                                                                         text=text, expires_at=expires)
            row.text, row.expires_at = text, expires
            s.add(row)

    def take(self, conversation: str | None, contact_id: str, now: datetime) -> Pending | None:
        """The waiting command of this person here, removed (it is answered either way), or None."""
        with self.db.tx() as s:
            row = s.get(PendingConfirmation, (conversation or "-", contact_id))
            if row is None:
                return None
            s.delete(row)
            return Pending(row.text, now > row.expires_at)
