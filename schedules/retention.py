"""Retention: once a day, delete working records older than `retention.days`."""

from bot.jobs import Job

RETENTION = Job("retention", next_due=lambda s, now: s.retention.next_due(now),
                tick=lambda s, now: s.retention.prune(now))
