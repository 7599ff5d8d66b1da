"""Scheduled digests to coordinator groups: daily, weekly and monthly, each once (a missed one late, if recent)."""

from bot.jobs import Job

DIGESTS = Job("digests", next_due=lambda s, now: s.digests.next_due(now),
              tick=lambda s, now: s.digests.run_due(now))
