"""Automatic nudges before an acknowledgement deadline, and the author's summary after it."""

from bot.jobs import Job

NUDGES = Job("nudges", next_due=lambda s, now: s.notices.next_nudge_due(),
             tick=lambda s, now: s.notices.send_due_nudges(now))
