"""The delivery log's one operation: claim a key, once, inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.models import Delivery


def claim(session: Session, delivery: Delivery) -> bool:
    """Record a timed send (reminder, nudge, digest …); False when its key was already claimed.

    Call it in the transaction that queues the message, so claim and message commit together or not at all.
    """
    try:
        with session.begin_nested():
            session.add(delivery)
        return True
    except IntegrityError:
        return False
