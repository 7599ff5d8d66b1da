"""Calendar reminders: queue what the plan releases by now, exactly once."""

from bot.jobs import Job

REMINDERS = Job("reminders", next_due=lambda s, now: s.calendar.next_due(now),
                tick=lambda s, now: s.calendar.deliver_due(now))
