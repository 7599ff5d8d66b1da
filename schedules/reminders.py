"""Calendar reminders: the engine asks the calendar what is released by now and queues it, exactly once."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import App


class ReminderJob:
    name = "reminders"

    @staticmethod
    def next_due(app: App, now: datetime) -> datetime | None:
        return app.calendar.next_due(now)

    @staticmethod
    async def tick(app: App, now: datetime) -> None:
        app.calendar.deliver_due(now)
