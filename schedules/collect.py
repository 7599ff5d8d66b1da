"""Collected files are deleted `collections.keep` after their collection closes; export zips after two days."""

from bot.jobs import Job

COLLECTIONS = Job("collections", next_due=lambda s, now: s.collections.next_due(now),
                  tick=lambda s, now: s.collections.prune(now))
