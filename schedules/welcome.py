"""Newcomers: the merged welcome a few minutes after people join, and the advisors' daily unmatched list."""

from bot.jobs import Job

WELCOME = Job("welcome", next_due=lambda s, now: s.welcome.next_due(now), tick=lambda s, now: s.welcome.send_due(now))
UNMATCHED = Job("unmatched-members", next_due=lambda s, now: s.welcome.next_unmatched_due(now),
                tick=lambda s, now: s.welcome.send_unmatched(now))
